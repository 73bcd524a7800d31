"""Train a calibrated classifier on the train segment: LightGBM (the model) or logistic regression.

``train`` fits the normalizer on train, the classifier on train with early stopping on validation, and the
calibrator on validation; nothing learns from test. ``FittedModel`` predicts from a features frame and is
saved as LightGBM text plus JSON (never pickle), so ``load_model`` gives back the same probabilities.
metadata.json records every file's SHA-256 and the registry records metadata.json's, so a model is loaded
only when its files are the ones that were saved.
"""

import hashlib
import json
import logging
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from smart_money import files
from smart_money.modeling.calibration import Calibrator
from smart_money.modeling.normalizer import Normalizer

log = logging.getLogger(__name__)
Log = Callable[[str], None]


@dataclass(frozen=True)
class ModelConfig:
    """LightGBM hyperparameters and the training procedure; defaults as README ("The model") lists them."""

    objective: str = "binary"
    metric: str = "auc"
    num_leaves: int = 31
    learning_rate: float = 0.05
    n_estimators: int = 200
    max_depth: int = 6
    min_child_samples: int = 20
    subsample: float = 0.8
    subsample_freq: int = 1
    colsample_bytree: float = 0.8
    reg_alpha: float = 0.1
    reg_lambda: float = 0.1
    class_weight: str | None = "balanced"
    random_state: int = 42
    early_stopping_rounds: int = 20
    calibration: str = "isotonic"
    n_jobs: int = 2

    def lgbm_params(self) -> dict:
        params = asdict(self)
        for key in ("early_stopping_rounds", "calibration"):
            params.pop(key)
        return {**params, "verbose": -1, "deterministic": True, "force_row_wise": True}


@dataclass
class FittedModel:
    """A trained classifier with its normalizer and calibrator; ``predict_proba`` is calibrated."""

    kind: str  # "lightgbm" | "logistic"
    feature_names: list[str]
    normalizer: Normalizer
    calibrator: Calibrator
    booster: lgb.Booster | None = None
    coefficients: np.ndarray | None = None
    intercept: float = 0.0
    best_iteration: int = 0
    params: dict = field(default_factory=dict)

    def raw_score(self, frame: pd.DataFrame) -> np.ndarray:
        """Uncalibrated score in (0, 1): what the classifier itself outputs."""
        x = self.normalizer.transform(frame)
        if self.kind == "lightgbm":
            return self.booster.predict(x, num_iteration=self.best_iteration or None)
        return 1.0 / (1.0 + np.exp(-(x @ self.coefficients + self.intercept)))

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of the positive (bullish) label."""
        return self.calibrator.predict(self.raw_score(frame))

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per-row SHAP values (LightGBM ``pred_contrib``) in raw-score log-odds, one column per feature."""
        if self.kind != "lightgbm":
            raise ValueError("contributions are available for the LightGBM model only")
        x = self.normalizer.transform(frame)
        values = self.booster.predict(x, num_iteration=self.best_iteration or None, pred_contrib=True)
        return pd.DataFrame(values[:, :-1], columns=self.feature_names, index=frame.index)

    def gain_importance(self) -> pd.Series:
        if self.kind != "lightgbm":
            raise ValueError("gain importance is available for the LightGBM model only")
        gain = self.booster.feature_importance("gain", iteration=self.best_iteration or None)
        return pd.Series(gain, index=self.feature_names).sort_values(ascending=False)


def train(
    train_frame: pd.DataFrame,
    validation_frame: pd.DataFrame,
    feature_names: list[str],
    config: ModelConfig = ModelConfig(),
    kind: str = "lightgbm",
    log: Log = log.info,
) -> FittedModel:
    """Fit normalizer (train), classifier (train, early stopping on validation), calibrator (validation).

    Both frames need the feature columns and ``label`` (0/1, no NA).
    """
    for name, frame in (("train", train_frame), ("validation", validation_frame)):
        if frame.empty or frame["label"].nunique() < 2:
            raise ValueError(
                f"{name} segment has {len(frame)} rows and labels {sorted(frame['label'].unique())}: "
                "a classifier needs both classes; materialize more sample months"
            )
    normalizer = Normalizer(feature_names).fit(train_frame)
    x_train, y_train = normalizer.transform(train_frame), train_frame["label"].to_numpy(int)
    x_val, y_val = normalizer.transform(validation_frame), validation_frame["label"].to_numpy(int)
    if kind == "lightgbm":
        fitted = _fit_lightgbm(x_train, y_train, x_val, y_val, feature_names, normalizer, config, log)
    elif kind == "logistic":
        fitted = _fit_logistic(x_train, y_train, feature_names, normalizer, config)
    else:
        raise ValueError(f"model kind {kind!r} is not 'lightgbm' or 'logistic'")
    fitted.calibrator = Calibrator(config.calibration).fit(fitted.raw_score(validation_frame), y_val)
    return fitted


def _fit_lightgbm(x_train, y_train, x_val, y_val, names, normalizer, config, log) -> FittedModel:
    classifier = lgb.LGBMClassifier(**config.lgbm_params())
    classifier.fit(
        pd.DataFrame(x_train, columns=names),
        y_train,
        eval_X=(pd.DataFrame(x_val, columns=names),),
        eval_y=(y_val,),
        eval_metric=config.metric,
        callbacks=[lgb.early_stopping(config.early_stopping_rounds, verbose=False)],
    )
    best = int(classifier.best_iteration_ or classifier.n_estimators)
    score = classifier.best_score_.get("valid_0", {}).get(config.metric, float("nan"))
    log(f"lightgbm on {len(names)} features: best iteration {best}, validation {config.metric} {score:.4f}")
    return FittedModel(
        kind="lightgbm",
        feature_names=list(names),
        normalizer=normalizer,
        calibrator=Calibrator("none"),
        booster=classifier.booster_,
        best_iteration=best,
        params=config.lgbm_params(),
    )


def _fit_logistic(x_train, y_train, names, normalizer, config) -> FittedModel:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(
        class_weight=config.class_weight, max_iter=2000, random_state=config.random_state
    ).fit(x_train, y_train)
    return FittedModel(
        kind="logistic",
        feature_names=list(names),
        normalizer=normalizer,
        calibrator=Calibrator("none"),
        coefficients=model.coef_[0].astype(float),
        intercept=float(model.intercept_[0]),
        params={"class_weight": config.class_weight, "C": 1.0},
    )


MODEL_FILE, NORMALIZER_FILE, CALIBRATION_FILE, METADATA_FILE = (
    "model.txt",
    "normalizer.json",
    "calibration.json",
    "metadata.json",
)
MODEL_FILES = (MODEL_FILE, NORMALIZER_FILE, CALIBRATION_FILE)  # what loading a model reads besides metadata
FILES_KEY = "files"  # metadata.json's record of MODEL_FILES' SHA-256, written by ``save_model``
REQUIRED_METADATA = (
    "version",
    "created_at",
    "feature_names",
    "label_definition",
    "base_rate_train",
    "metrics",
)


class ModelError(ValueError):
    """A saved model that cannot be trusted: a file is missing, unreadable, or not the one that was saved.
    The message names the folder and the file."""


@dataclass(frozen=True)
class ModelFiles:
    """A model folder's files as read once and verified: a model built from ``contents`` is the saved one."""

    folder: Path
    metadata: dict
    contents: dict[str, bytes]  # model.txt, normalizer.json, calibration.json, metadata.json
    sha256: dict[str, str]  # of each of ``contents``
    verified: bool  # False for a folder saved before the files' SHA-256 were recorded (nothing to check)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_metadata(metadata, where: str) -> None:
    """ModelError unless ``metadata`` holds what serving and the registry read from it."""
    if not isinstance(metadata, dict):
        raise ModelError(f"{where}: must be a JSON object, got {type(metadata).__name__}")
    missing = [k for k in REQUIRED_METADATA if k not in metadata]
    if missing:
        raise ModelError(f"{where}: lacks {missing}; the model was not saved by save_model: retrain it")
    metrics = metadata["metrics"]
    segments = ("test", "validation")
    if not isinstance(metrics, dict) or not all(isinstance(metrics.get(s), dict) for s in segments):
        raise ModelError(f"{where}: metrics must hold the test and validation segments' metrics: retrain it")
    rate = metadata["base_rate_train"]
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate < 1:
        raise ModelError(f"{where}: base_rate_train must be a number in (0, 1), got {str(rate)[:80]!r}")
    names = metadata["feature_names"]
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ModelError(f"{where}: feature_names must be a non-empty list of names")


def save_model(
    model: FittedModel, folder: Path, metadata: dict, extra: Callable[[Path], None] | None = None
) -> Path:
    """Write model.txt, normalizer.json, calibration.json and whatever ``extra`` writes, then metadata.json
    with the SHA-256 of the three files loading reads (``files``), into a temporary sibling folder, and
    rename it to ``folder``: a crash never leaves a version that looks complete but is not, and a file
    changed later (a bad disk, a hand edit) is refused when the model is loaded. An existing ``folder`` is
    refused (versions are immutable). The registry records the SHA-256 of metadata.json itself.

    ``extra``'s files (the scores) are not hashed: they carry the version, so their hashes would differ
    between two builds of the same model, and serving never reads them."""
    if model.kind != "lightgbm":
        raise ValueError("only the LightGBM model is saved as an artifact")
    check_metadata(metadata, f"metadata for {folder}")
    if folder.exists():
        raise FileExistsError(f"model folder {folder} already exists; versions are never overwritten")
    final, folder = folder, folder.with_name(f".{folder.name}.tmp")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    texts = {
        MODEL_FILE: model.booster.model_to_string(num_iteration=model.best_iteration or None),
        NORMALIZER_FILE: json.dumps(model.normalizer.to_dict(), indent=2),
        CALIBRATION_FILE: json.dumps(model.calibrator.to_dict()),
    }
    for name, text in texts.items():
        files.write_text_atomic(folder / name, text)
    if extra is not None:
        extra(folder)
    hashes = {name: _file_sha256(folder / name) for name in MODEL_FILES}
    files.write_text_atomic(folder / METADATA_FILE, files.dumps({**metadata, FILES_KEY: hashes}, indent=2))
    folder.rename(final)
    return final


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def metadata_sha256(folder: Path) -> str:
    """The SHA-256 of a saved model's metadata.json: what the registry records for the version."""
    return _file_sha256(Path(folder) / METADATA_FILE)


def read_model_files(folder: Path, metadata_sha256: str | None = None) -> ModelFiles:
    """Read a model folder once and verify it: metadata.json against ``metadata_sha256`` (the registry's,
    when known), every file against the SHA-256 metadata.json records, and the metadata's content.
    ModelError naming the file otherwise. A folder saved before hashes were recorded (no ``files`` in
    metadata.json and no registry hash) is read unverified, with a warning."""
    folder = Path(folder)
    missing = [f for f in (*MODEL_FILES, METADATA_FILE) if not (folder / f).is_file()]
    if missing:
        raise ModelError(f"model folder {folder} lacks {missing}; train smart_money_model again")
    contents: dict[str, bytes] = {}
    for name in (METADATA_FILE, *MODEL_FILES):
        try:
            contents[name] = (folder / name).read_bytes()
        except OSError as exc:
            raise ModelError(f"{folder / name} cannot be read ({exc})") from exc
    sha = {name: sha256_bytes(data) for name, data in contents.items()}
    where = str(folder / METADATA_FILE)
    if metadata_sha256 and sha[METADATA_FILE] != metadata_sha256:
        raise ModelError(
            f"{where} changed since the model was registered (SHA-256 {sha[METADATA_FILE][:12]}…, the "
            f"registry recorded {metadata_sha256[:12]}…): restore the folder or retrain"
        )
    try:
        metadata = json.loads(contents[METADATA_FILE])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{where} is not valid JSON ({exc}): restore the folder or retrain") from None
    check_metadata(metadata, where)
    recorded = metadata.get(FILES_KEY)
    if recorded is None:
        if metadata_sha256:
            raise ModelError(f"{where} records no file hashes though the registry records its own: retrain")
        log.warning("model folder %s was saved without file hashes; loading it unverified", folder)
    else:
        if not isinstance(recorded, dict):
            raise ModelError(f"{where}: {FILES_KEY} must map file names to SHA-256")
        for name in MODEL_FILES:
            if recorded.get(name) != sha[name]:
                raise ModelError(
                    f"{folder / name} is not the file that was saved (SHA-256 {sha[name][:12]}…, "
                    f"metadata.json recorded {str(recorded.get(name))[:12]}…): restore the folder or retrain"
                )
    return ModelFiles(folder, metadata, contents, sha, recorded is not None)


def model_from_files(model_files: ModelFiles) -> FittedModel:
    """The model in verified files (``read_model_files``); ModelError naming the file it cannot parse.

    LightGBM can crash the process on a malformed model.txt; files whose SHA-256 match are the ones
    LightGBM wrote. The server also loads every model in a child process first (``serve.model_check``)."""
    folder, contents, metadata = model_files.folder, model_files.contents, model_files.metadata
    try:
        text = contents[MODEL_FILE].decode()
        booster = lgb.Booster(model_str=text)
    except (UnicodeDecodeError, lgb.basic.LightGBMError) as exc:
        raise ModelError(f"{folder / MODEL_FILE} is not a LightGBM model ({exc})") from None
    parsed = {}
    for name in (NORMALIZER_FILE, CALIBRATION_FILE):
        try:
            parsed[name] = json.loads(contents[name])
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelError(f"{folder / name} is not valid JSON ({exc})") from None
    try:
        normalizer = Normalizer.from_dict(parsed[NORMALIZER_FILE])
        calibrator = Calibrator.from_dict(parsed[CALIBRATION_FILE])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{folder}: normalizer.json or calibration.json is malformed ({exc!r})") from None
    model = FittedModel(
        kind="lightgbm",
        feature_names=list(metadata["feature_names"]),
        normalizer=normalizer,
        calibrator=calibrator,
        booster=booster,
        best_iteration=0,  # model.txt holds exactly the best iterations
        params=metadata.get("parameters", {}),
    )
    if model.feature_names != normalizer.feature_names:
        raise ModelError(f"{folder}: metadata feature names differ from normalizer.json")
    if booster.num_feature() != len(model.feature_names):
        raise ModelError(
            f"{folder / MODEL_FILE} has {booster.num_feature()} features, metadata.json "
            f"{len(model.feature_names)}"
        )
    return model


def load_model(folder: Path, metadata_sha256: str | None = None) -> tuple[FittedModel, dict]:
    """Reload a saved model (LightGBM text + JSON) and its metadata, verified first (``read_model_files``)."""
    model_files = read_model_files(folder, metadata_sha256)
    return model_from_files(model_files), model_files.metadata
