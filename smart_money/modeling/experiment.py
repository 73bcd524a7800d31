"""One training run: the model and every baseline on the same splits, scored and measured together.

``run_experiment`` is what the ``smart_money_model`` asset calls. It joins the split rows to features,
labels and (on the simulated market) the hidden truth; trains the LightGBM model, a volatility-only LightGBM
and a logistic regression with the same procedure; scores validation and test with them, the rules score and
the base rate; and returns the metrics in the shape ``metadata.json`` stores them.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from smart_money import timeline
from smart_money.features import catalog
from smart_money.modeling import evaluation, rules
from smart_money.modeling.training import FittedModel, ModelConfig, train

VOLATILITY_FEATURES = list(catalog.FAMILIES["market"])
EVALUATED_SEGMENTS = ("validation", "test")
Log = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass
class ExperimentResult:
    model: FittedModel
    baselines: dict[str, FittedModel]
    training_set: pd.DataFrame  # used rows, every segment: features, label, return_fwd, true_probability
    scores: pd.DataFrame  # validation + test rows: every score beside the label
    metrics: dict
    base_rate: float
    threshold: float
    oracle_available: bool
    fingerprint: str
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    @property
    def version(self) -> str:
        return f"{self.created_at:%Y%m%dT%H%M%SZ}-{self.fingerprint[:8]}"


def assemble_training_set(
    splits: pd.DataFrame, features: pd.DataFrame, labels: pd.DataFrame, truth: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The training set ``run_experiment`` takes: one row per used (not embargoed) split row, with its
    segment, every feature, the label, ``return_fwd`` and (simulated market only) ``true_probability``."""
    used = splits.loc[~splits["embargoed"], ["symbol", "sample_date", "segment", "label"]]
    frame = used.merge(features, on=["symbol", "sample_date"], how="left", validate="one_to_one")
    absent = frame[catalog.FEATURE_NAMES[0]].isna() & frame[list(catalog.FEATURE_NAMES)].isna().all(axis=1)
    if absent.any():
        first = frame[absent].iloc[0]
        raise ValueError(
            f"{int(absent.sum())} split rows have no features (first: {first['symbol']} "
            f"{first['sample_date']:%Y-%m-%d}); materialize features for every sample month in dataset_splits"
        )
    frame = frame.merge(
        labels[["symbol", "sample_date", "return_fwd"]], on=["symbol", "sample_date"], how="left"
    )
    if truth is not None and len(truth):
        frame = frame.merge(
            truth[["symbol", "sample_date", "true_probability"]], on=["symbol", "sample_date"], how="left"
        )
    else:
        frame["true_probability"] = np.nan
    frame["label"] = frame["label"].astype(int)
    return frame.sort_values(["sample_date", "symbol"]).reset_index(drop=True)


def oracle_applies(labels: pd.DataFrame) -> bool:
    """The hidden true probability is of the default label ("+5% within 14 days"): compare only then."""
    known = labels[labels["label"].notna()]
    if known.empty or (known["label_definition"] != "return_threshold").any():
        return False
    same_rule = ((known["return_fwd"] > 0.05).astype(int) == known["label"].astype(int)).all()
    days = (pd.to_datetime(known["label_date"]) - pd.to_datetime(known["sample_date"])).dt.days
    return bool(
        same_rule and days.between(timeline.LABEL_HORIZON_DAYS, timeline.LABEL_HORIZON_DAYS + 7).all()
    )


def fingerprint(training_set: pd.DataFrame) -> str:
    """SHA-256 of the training set (keys, segment, label and every feature value): the same data gives the
    same fingerprint, and so the same model version suffix, on every build.

    It hashes a canonical form, not the frame as it happens to arrive: rows in (sample_date, symbol) order,
    dates as int64 nanoseconds, labels as int64, features as the bits of float64 with every NaN the same NaN
    and -0.0 as 0.0. Row order, timestamp resolution or a label read back as float are not changes of data.
    """
    frame = training_set[["symbol", "sample_date", "segment", "label", *catalog.FEATURE_NAMES]]
    frame = frame.assign(sample_date=pd.to_datetime(frame["sample_date"]).astype("datetime64[ns]"))
    frame = frame.sort_values(["sample_date", "symbol"], kind="stable").reset_index(drop=True)
    digest = hashlib.sha256()
    for column in ("symbol", "segment"):
        digest.update("\x1f".join(frame[column].astype(str)).encode() + b"\x1e")
    digest.update(frame["sample_date"].to_numpy().view("int64").astype("<i8").tobytes())
    digest.update(frame["label"].to_numpy(dtype="float64").astype("<i8").tobytes())
    values = frame[list(catalog.FEATURE_NAMES)].to_numpy(dtype="float64") + 0.0  # + 0.0 turns -0.0 into 0.0
    values[np.isnan(values)] = np.nan
    digest.update(values.astype("<f8").tobytes())
    return digest.hexdigest()


def run_experiment(
    training_set: pd.DataFrame,
    config: ModelConfig | None = None,
    feature_names: list[str] | None = None,
    decision_threshold: float | None = None,
    oracle_available: bool = True,
    log: Log = _quiet,
) -> ExperimentResult:
    """Train the model and its baselines on ``training_set`` (from ``assemble_training_set``) and measure
    them."""
    config = config or ModelConfig()
    names = list(feature_names or catalog.FEATURE_NAMES)
    segments = {s: training_set[training_set["segment"] == s] for s in ("train", "validation", "test")}
    for segment, part in segments.items():
        log(f"{segment}: {len(part)} rows, positive share {part['label'].mean():.3f}")
    model = train(segments["train"], segments["validation"], names, config, log=log)
    baselines = {
        "volatility": train(segments["train"], segments["validation"], VOLATILITY_FEATURES, config, log=log),
        "logistic": train(segments["train"], segments["validation"], names, config, kind="logistic", log=log),
    }
    base_rate = float(segments["train"]["label"].mean())
    threshold = base_rate if decision_threshold is None else float(decision_threshold)
    oracle = oracle_available and training_set["true_probability"].notna().all()
    parts = []
    for segment in EVALUATED_SEGMENTS:
        part = segments[segment]
        parts.append(
            pd.DataFrame(
                {
                    "segment": segment,
                    "symbol": part["symbol"].to_numpy(),
                    "sample_date": part["sample_date"].to_numpy(),
                    "probability": model.predict_proba(part),
                    "raw_score": model.raw_score(part),
                    "volatility_baseline": baselines["volatility"].predict_proba(part),
                    "volatility_raw": baselines["volatility"].raw_score(part),
                    "logistic_baseline": baselines["logistic"].predict_proba(part),
                    "logistic_raw": baselines["logistic"].raw_score(part),
                    "rules_score": rules.category_signals(part)["rules_score"].to_numpy(),
                    "true_probability": part["true_probability"].to_numpy() if oracle else np.nan,
                    "label": part["label"].to_numpy(),
                    "return_fwd": part["return_fwd"].to_numpy(),
                }
            )
        )
    scores = pd.concat(parts, ignore_index=True)
    metrics = measure(scores, base_rate, threshold, oracle)
    metrics["best_iteration"] = model.best_iteration
    metrics["base_rate_train"] = base_rate
    return ExperimentResult(
        model=model,
        baselines=baselines,
        training_set=training_set,
        scores=scores,
        metrics=metrics,
        base_rate=base_rate,
        threshold=threshold,
        oracle_available=bool(oracle),
        fingerprint=fingerprint(training_set),
    )


# (name, probability column or None, ranking column): AUC, IC and deciles rank by the uncalibrated score,
# because isotonic calibration is monotone but turns scores into a few tied steps; Brier, log loss and the
# thresholded metrics use the calibrated probability.
SCORES = (
    ("model", "probability", "raw_score"),
    ("volatility", "volatility_baseline", "volatility_raw"),
    ("logistic", "logistic_baseline", "logistic_raw"),
    ("rules", None, "rules_score"),
    ("oracle", None, "true_probability"),
)


def measure(scores: pd.DataFrame, base_rate: float, threshold: float, oracle: bool) -> dict:
    """``metrics.<segment>`` for validation and test: the model's metrics, its baselines, oracle and edge."""
    out: dict = {}
    for segment in EVALUATED_SEGMENTS:
        part = scores[scores["segment"] == segment]
        y = part["label"].to_numpy(int)
        measured = {}
        for name, probability, ranking in SCORES:
            if name == "oracle" and not oracle:
                continue
            if probability is None:
                entry = {"auc": evaluation.auc(y, part[ranking].to_numpy())}
            else:
                entry = evaluation.classification_metrics(
                    y, part[probability].to_numpy(), threshold, ranking=part[ranking].to_numpy()
                )
                entry["auc_calibrated"] = evaluation.auc(y, part[probability].to_numpy())
                entry["brier_uncalibrated"] = evaluation.brier(y, part[ranking].to_numpy())
            entry["finance"] = finance(part, ranking)
            measured[name] = entry
        base = evaluation.classification_metrics(y, np.full(len(y), base_rate), threshold)
        base["finance"] = None
        entry = measured.pop("model")
        entry["baselines"] = {
            "volatility": measured["volatility"],
            "logistic": measured["logistic"],
            "rules": measured["rules"],
            "base_rate": base,
        }
        if oracle:
            entry["oracle_auc"] = measured["oracle"]["auc"]
            entry["oracle_finance"] = measured["oracle"]["finance"]
            entry["edge_capture"] = evaluation.edge_capture(
                entry["auc"], measured["volatility"]["auc"], entry["oracle_auc"]
            )
        else:
            entry["oracle_auc"] = None
            entry["edge_capture"] = None
        out[segment] = entry
    return out


def finance(part: pd.DataFrame, column: str) -> dict:
    """Monthly IC / rank IC summary and the top-minus-bottom decile spread of one score."""
    return {
        **evaluation.ic_summary(evaluation.monthly_ic(part, column)),
        "top_minus_bottom_decile": evaluation.top_minus_bottom(evaluation.decile_returns(part, column)),
    }
