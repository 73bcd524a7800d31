"""Train a calibrated classifier on the train segment: LightGBM (the model) or logistic regression.

``train`` fits the normalizer on train, the classifier on train with early stopping on validation, and the
calibrator on validation; nothing learns from test. ``FittedModel`` predicts from a features frame and is
saved as LightGBM text plus JSON (never pickle), so ``load_model`` gives back the same probabilities.
"""

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


def save_model(
    model: FittedModel, folder: Path, metadata: dict, extra: Callable[[Path], None] | None = None
) -> Path:
    """Write model.txt, normalizer.json, calibration.json and metadata.json (and whatever ``extra`` writes)
    into a temporary sibling folder, then rename it to ``folder``: a crash never leaves a version that looks
    complete but is not. An existing ``folder`` is refused (versions are immutable)."""
    if model.kind != "lightgbm":
        raise ValueError("only the LightGBM model is saved as an artifact")
    if folder.exists():
        raise FileExistsError(f"model folder {folder} already exists; versions are never overwritten")
    final, folder = folder, folder.with_name(f".{folder.name}.tmp")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    texts = {
        MODEL_FILE: model.booster.model_to_string(num_iteration=model.best_iteration or None),
        NORMALIZER_FILE: json.dumps(model.normalizer.to_dict(), indent=2),
        CALIBRATION_FILE: json.dumps(model.calibrator.to_dict()),
        METADATA_FILE: files.dumps(metadata, indent=2),
    }
    for name, text in texts.items():
        files.write_text_atomic(folder / name, text)
    if extra is not None:
        extra(folder)
    folder.rename(final)
    return final


def load_model(folder: Path) -> tuple[FittedModel, dict]:
    """Reload a saved model (LightGBM text + JSON) and its metadata."""
    folder = Path(folder)
    missing = [
        f for f in (MODEL_FILE, NORMALIZER_FILE, CALIBRATION_FILE, METADATA_FILE) if not (folder / f).exists()
    ]
    if missing:
        raise FileNotFoundError(f"model folder {folder} lacks {missing}; train smart_money_model first")
    metadata = json.loads((folder / METADATA_FILE).read_text())
    booster = lgb.Booster(model_file=str(folder / MODEL_FILE))
    normalizer = Normalizer.load(folder / NORMALIZER_FILE)
    model = FittedModel(
        kind="lightgbm",
        feature_names=list(metadata["feature_names"]),
        normalizer=normalizer,
        calibrator=Calibrator.load(folder / CALIBRATION_FILE),
        booster=booster,
        best_iteration=0,  # model.txt holds exactly the best iterations
        params=metadata.get("parameters", {}),
    )
    if model.feature_names != normalizer.feature_names:
        raise ValueError(f"{folder}: metadata feature names differ from normalizer.json")
    return model, metadata

