"""The live track record: every published prediction scored once its label window has closed.

A quant user trusts a signal by its out-of-sample record, not by the test segment it was tuned beside. This
module turns published ``predictions`` rows into ``prediction_outcomes`` (the prediction as it was published,
joined to the realized label and forward return) and those into the ``track_record`` (per model version and
month, and cumulatively), each figure beside the volatility-only baseline scored on the same rows.

Point in time by construction:

- a sample month is scored only when its labels are complete (:func:`month_complete`);
- a prediction keeps the model version that published it; nothing is re-scored with a later model;
- a sample month inside the model's training and validation window (its sample date on or before the last
  validation sample date) is ``in_sample`` and kept out of the track record.

The baseline is the project's volatility-only LightGBM of the same version, refit from that version's own
train and validation segments with its own parameters (:func:`fit_volatility_baseline`): the same
procedure and data give the same baseline the report scored (a test checks it against ``scores.parquet``).

Ranking figures use the published calibrated ``probability`` (the tied steps of isotonic calibration
included), so the reference is the test segment's AUC of the calibrated probability (``auc_calibrated``).
A call is a hit when it is BULLISH and the label is 1 or BEARISH and the label is 0; the baseline calls
BULLISH when its probability is above the model's decision threshold.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from smart_money import tables, timeline
from smart_money.labels import _COLUMN as LABEL_COLUMNS
from smart_money.labels import LabelConfig
from smart_money.modeling import evaluation, experiment, splits, training

TRAILING_MONTHS = 3  # the degradation check's window of live months
MONTH, CUMULATIVE = "month", "cumulative"
OUTCOME_COLUMNS = tables.PREDICTION_OUTCOMES.column_names
RECORD_COLUMNS = tables.TRACK_RECORD.column_names
MIN_DECILE_ROWS = 10


class TrackRecordError(ValueError):
    """A model's metadata or the warehouse cannot support scoring its published predictions."""


# ---- the model's window, label and baseline ------------------------------------------------------------
def _segment(metadata: dict, name: str) -> dict:
    for record in metadata.get("split", {}).get("segments", []):
        if record.get("segment") == name:
            return record
    raise TrackRecordError(
        f"model {metadata.get('version')}: metadata.json has no '{name}' segment in split.segments; "
        "retrain it with the current pipeline"
    )


def training_window_end(metadata: dict) -> pd.Timestamp:
    """The last sample date the model learned from or was selected on (the validation segment's last):
    predictions for sample dates up to it are in-sample."""
    return pd.Timestamp(_segment(metadata, "validation")["last_sample_date"]).tz_localize(None).normalize()


def reference_auc(metadata: dict) -> float:
    """The test segment's AUC on the same footing as the live one: of the calibrated probability."""
    test = metadata["metrics"]["test"]
    value = evaluation.number(test.get("auc_calibrated"))
    return value if np.isfinite(value) else evaluation.number(test.get("auc"))


def reference_accuracy(metadata: dict) -> float:
    return evaluation.number(metadata["metrics"]["test"].get("accuracy"))


def label_column(definition: str) -> str:
    """The labels column holding a definition's label (``return_threshold`` → ``label_return``)."""
    if definition not in LABEL_COLUMNS:
        raise TrackRecordError(
            f"label definition {definition!r} is unknown; use one of {sorted(LABEL_COLUMNS)}"
        )
    return LABEL_COLUMNS[definition]


def split_config(metadata: dict) -> splits.SplitConfig:
    """The version's segments as explicit date ranges, so its split can be rebuilt from the labels."""
    bounds = {}
    for name in splits.SEGMENTS:
        record = _segment(metadata, name)
        bounds[name] = (
            f"{pd.Timestamp(record['first_sample_date']):%Y-%m-%d}",
            f"{pd.Timestamp(record['last_sample_date']):%Y-%m-%d}",
        )
    return splits.SplitConfig(
        method="segments", segments=bounds, embargo_days=int(metadata["split"]["embargo_days"])
    )


def model_config(metadata: dict) -> training.ModelConfig:
    names = set(training.ModelConfig.__dataclass_fields__)
    return training.ModelConfig(**{k: v for k, v in metadata["parameters"].items() if k in names})


def fit_volatility_baseline(
    features: pd.DataFrame, labels: pd.DataFrame, metadata: dict
) -> training.FittedModel:
    """The version's volatility-only baseline, refit on its train and validation rows (the same split,
    embargo, label and parameters), because the training run keeps only its scores."""
    if metadata.get("split", {}).get("leaky"):
        raise TrackRecordError(
            f"model {metadata.get('version')} was trained on a leaky random split: it has no time window "
            "to score a track record after; retrain it on a time split"
        )
    frame = labels.assign(label=labels[label_column(metadata["label_definition"])])
    rows = splits.split_rows(frame, split_config(metadata), int(metadata["split"]["horizon_days"]))
    used = rows[~rows["embargoed"] & rows["segment"].isin(["train", "validation"])]
    expected = {r["segment"]: int(r["rows"]) for r in metadata["split"]["segments"]}
    got = used["segment"].value_counts().to_dict()
    for segment in ("train", "validation"):
        if got.get(segment, 0) != expected.get(segment):
            raise TrackRecordError(
                f"model {metadata.get('version')}: its {segment} segment held {expected.get(segment)} rows "
                f"but the warehouse's labels give {got.get(segment, 0)}; the features or labels of its "
                "window changed since it was trained, so its baseline cannot be rebuilt; retrain the model"
            )
    data = experiment.assemble_training_set(used, features, labels)
    parts = {s: data[data["segment"] == s] for s in ("train", "validation")}
    return training.train(
        parts["train"],
        parts["validation"],
        experiment.VOLATILITY_FEATURES,
        model_config(metadata),
        log=lambda _: None,
    )


# ---- prediction outcomes -----------------------------------------------------------------------------
def month_complete(
    month_labels: pd.DataFrame,
    newest_label_date: pd.Timestamp | None = None,
    config: LabelConfig | None = None,
) -> bool:
    """Whether a sample month's labels are complete: every row with a price at the sample date has its
    forward return, or prices exist beyond the month's longest possible window (horizon plus the exit
    delay: a symbol that stopped trading can then never complete, and waiting longer changes nothing)."""
    config = config or LabelConfig()
    priced = month_labels[month_labels["price_at_sample"].notna()]
    if priced.empty:
        return False
    if priced["return_fwd"].notna().all():
        return True
    if newest_label_date is None or pd.isna(newest_label_date):
        return False
    window_end = pd.to_datetime(priced["sample_date"]).max() + pd.Timedelta(
        days=config.horizon_days + config.max_exit_delay_days
    )
    return bool(pd.Timestamp(newest_label_date) > window_end)


def prediction_outcomes(
    predictions: pd.DataFrame,
    labels: pd.DataFrame,
    metadata: dict,
    baseline_probability: np.ndarray,
) -> pd.DataFrame:
    """One row per published prediction of one model version whose label is known: the prediction as
    published, the baseline's probability and call on the same row, the realized labels (the model's own
    definition and market excess) and forward returns, and whether the sample date is in-sample.

    ``baseline_probability`` is aligned with ``predictions``' rows."""
    versions = predictions["model_version"].unique()
    if len(versions) > 1 or (len(versions) and versions[0] != metadata["version"]):
        raise TrackRecordError(
            f"prediction_outcomes scores one model version at a time: predictions hold {list(versions)}, "
            f"metadata is {metadata['version']}"
        )
    own = label_column(metadata["label_definition"])
    threshold = float(metadata["decision_threshold"])
    published = predictions.assign(
        sample_date=pd.to_datetime(predictions["sample_date"]),
        baseline_probability=np.asarray(baseline_probability, float),
    )
    realized = labels[
        ["symbol", "sample_date", "label_date", own, "return_fwd", "label_market_excess", "excess_return_fwd"]
    ].rename(columns={own: "label"})
    realized = realized.assign(sample_date=pd.to_datetime(realized["sample_date"]))
    frame = published.merge(realized, on=["symbol", "sample_date"], how="inner", validate="one_to_one")
    frame = frame[frame["label"].notna() & frame["return_fwd"].notna()]
    frame = frame.assign(
        baseline_conviction=np.where(frame["baseline_probability"] > threshold, "BULLISH", "BEARISH"),
        label_definition=metadata["label_definition"],
        in_sample=frame["sample_date"] <= training_window_end(metadata),
    )
    frame["label"] = frame["label"].astype("int8")
    frame["label_market_excess"] = frame["label_market_excess"].astype("Int8")
    return frame[OUTCOME_COLUMNS].sort_values(["sample_date", "symbol"]).reset_index(drop=True)


# ---- the track record ----------------------------------------------------------------------------------
def _hits(conviction: pd.Series, label: pd.Series) -> np.ndarray:
    bullish = conviction.to_numpy() == "BULLISH"
    y = label.to_numpy(int)
    return np.where(bullish, y == 1, y == 0)


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


def _monthly_rank_ic(frame: pd.DataFrame, score: str) -> float:
    """Mean over sample months of the Spearman correlation of ``score`` with the forward return."""
    values = []
    for _, part in frame.groupby("sample_date", sort=True):
        if len(part) > 2 and part[score].nunique() > 1 and part["return_fwd"].nunique() > 1:
            values.append(stats.spearmanr(part[score], part["return_fwd"]).statistic)
    return float(np.mean(values)) if values else float("nan")


def _decile_spread(frame: pd.DataFrame, score: str) -> float:
    """Top-minus-bottom decile mean forward return (deciles within each sample month, ties broken by symbol,
    then averaged over months)."""
    ordered = frame.sort_values(["sample_date", "symbol"], kind="stable")
    return evaluation.top_minus_bottom(evaluation.decile_returns(ordered, score))


def measure(frame: pd.DataFrame) -> dict:
    """Every track-record figure of some live outcome rows, the model's beside the baseline's."""
    y = frame["label"].to_numpy(int)
    hits = _hits(frame["predicted_conviction"], frame["label"])
    baseline_hits = _hits(frame["baseline_conviction"], frame["label"])
    bullish = frame["predicted_conviction"].to_numpy() == "BULLISH"
    baseline_bullish = frame["baseline_conviction"].to_numpy() == "BULLISH"
    high = frame["confidence"].to_numpy() == "HIGH"
    excess = frame["label_market_excess"]
    known_excess = excess.notna().to_numpy()
    return {
        "rows": int(len(frame)),
        "positive_share": _mean(y),
        "auc": evaluation.auc(y, frame["probability"].to_numpy()),
        "baseline_auc": evaluation.auc(y, frame["baseline_probability"].to_numpy()),
        "accuracy": _mean(hits),
        "baseline_accuracy": _mean(baseline_hits),
        "bullish_calls": int(bullish.sum()),
        "hit_rate_bullish": _mean(hits[bullish]),
        "baseline_bullish_calls": int(baseline_bullish.sum()),
        "baseline_hit_rate_bullish": _mean(baseline_hits[baseline_bullish]),
        "high_calls": int(high.sum()),
        "hit_rate_high": _mean(hits[high]),
        "baseline_hit_rate_high": _mean(baseline_hits[high]),
        "brier": evaluation.brier(y, frame["probability"].to_numpy()),
        "baseline_brier": evaluation.brier(y, frame["baseline_probability"].to_numpy()),
        "rank_ic": _monthly_rank_ic(frame, "probability"),
        "baseline_rank_ic": _monthly_rank_ic(frame, "baseline_probability"),
        "decile_spread": _decile_spread(frame, "probability"),
        "baseline_decile_spread": _decile_spread(frame, "baseline_probability"),
        "auc_market_excess": evaluation.auc(
            excess[known_excess].to_numpy(int), frame["probability"].to_numpy()[known_excess]
        ),
        "baseline_auc_market_excess": evaluation.auc(
            excess[known_excess].to_numpy(int), frame["baseline_probability"].to_numpy()[known_excess]
        ),
    }


def live(outcomes: pd.DataFrame) -> pd.DataFrame:
    """The outcome rows that count: out of sample, with a probability (a model, not the rules alone)."""
    return outcomes[~outcomes["in_sample"].astype(bool) & outcomes["probability"].notna()]


def track_record(outcomes: pd.DataFrame, reference: dict[str, float] | None = None) -> pd.DataFrame:
    """Per model version and live sample month: that month's figures (scope ``month``) and those of every
    live month up to it (scope ``cumulative``), beside the baseline's; ``reference`` maps a version to its
    test-segment AUC, shown beside (NaN when unknown)."""
    reference = reference or {}
    rows = []
    frame = live(outcomes)
    frame = frame.assign(month=timeline.month_starts(frame["sample_date"]))
    for version, part in frame.groupby("model_version", sort=True):
        months = sorted(part["month"].unique())
        for i, month in enumerate(months):
            for scope, chosen in ((MONTH, [month]), (CUMULATIVE, months[: i + 1])):
                rows.append(
                    {
                        "model_version": version,
                        "scope": scope,
                        "month": pd.Timestamp(month),
                        "months": len(chosen),
                        **measure(part[part["month"].isin(chosen)]),
                        "test_auc": float(reference.get(version, float("nan"))),
                        "source": str(part["source"].iloc[0]),
                    }
                )
    if not rows:
        return tables.TRACK_RECORD.empty()
    return pd.DataFrame.from_records(rows)[RECORD_COLUMNS]


# ---- degradation ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Degradation:
    """The degradation check's verdict on one model version's last live months."""

    version: str
    degraded: bool
    message: str
    months: tuple[str, ...] = ()
    rows: int = 0
    auc: float = float("nan")
    baseline_auc: float = float("nan")
    test_auc: float = float("nan")
    margin: float = 0.05

    @property
    def shortfall_vs_test(self) -> float:
        return self.test_auc - self.auc

    @property
    def shortfall_vs_baseline(self) -> float:
        return self.baseline_auc - self.auc


RETRAIN_HINT = (
    "retrain: `smart-money build --skip-raw` (or launch the `model` job); the new model is promoted only if "
    "it beats the volatility baseline"
)


def degradation(
    outcomes: pd.DataFrame,
    version: str,
    test_auc: float,
    margin: float,
    window: int = TRAILING_MONTHS,
) -> Degradation:
    """Degraded when the AUC pooled over the version's last ``window`` live months is more than ``margin``
    below its test AUC, or below the volatility baseline's AUC on the same rows."""
    frame = live(outcomes[outcomes["model_version"] == version])
    months = sorted(timeline.month_starts(frame["sample_date"]).unique())[-window:]
    if not months:
        return Degradation(
            version, False, f"{version}: no live month scored yet; nothing to judge", margin=margin
        )
    frame = frame[timeline.month_starts(frame["sample_date"]).isin(months)]
    names = tuple(f"{pd.Timestamp(m):%Y-%m}" for m in months)
    y = frame["label"].to_numpy(int)
    model_auc = evaluation.auc(y, frame["probability"].to_numpy())
    baseline_auc = evaluation.auc(y, frame["baseline_probability"].to_numpy())
    span = f"{names[0]}..{names[-1]}" if len(names) > 1 else names[0]
    base = dict(
        version=version,
        months=names,
        rows=len(frame),
        auc=model_auc,
        baseline_auc=baseline_auc,
        test_auc=float(test_auc),
        margin=margin,
    )
    if not np.isfinite(model_auc):
        return Degradation(
            degraded=False,
            message=f"{version}: AUC over {span} ({len(frame)} rows) is undefined (one class only)",
            **base,
        )
    problems = []
    if np.isfinite(test_auc) and model_auc < test_auc - margin:
        problems.append(f"{test_auc - model_auc:.4f} below its test AUC {test_auc:.4f} (margin {margin:.2f})")
    if np.isfinite(baseline_auc) and model_auc < baseline_auc:
        problems.append(f"{baseline_auc - model_auc:.4f} below the volatility baseline's {baseline_auc:.4f}")
    head = f"{version}: live AUC {model_auc:.4f} over {span} ({len(frame)} rows)"
    if problems:
        return Degradation(
            degraded=True, message=f"{head} is {' and '.join(problems)}; {RETRAIN_HINT}", **base
        )
    return Degradation(
        degraded=False,
        message=f"{head}: within {margin:.2f} of its test AUC {test_auc:.4f} and above the volatility "
        f"baseline's {baseline_auc:.4f}",
        **base,
    )


# ---- the plot ------------------------------------------------------------------------------------------
def auc_figure(record: pd.DataFrame, version: str | None = None):
    """AUC over time per live month (and cumulative) beside the baseline, with the test AUC as a reference
    line; a notebook cell or the asset's metadata shows it. ``version`` defaults to every version."""
    from matplotlib import pyplot as plt  # the caller's backend: inline in a notebook, Agg in a run

    frame = record if version is None else record[record["model_version"] == version]
    fig, ax = plt.subplots(figsize=(10, 4.2), layout="constrained")
    for name, part in frame.groupby("model_version", sort=True):
        month = part[part["scope"] == MONTH].sort_values("month")
        cumulative = part[part["scope"] == CUMULATIVE].sort_values("month")
        ax.plot(month["month"], month["auc"], "o-", label=f"{name}: monthly AUC")
        ax.plot(cumulative["month"], cumulative["auc"], "-", lw=2, label=f"{name}: cumulative AUC")
        ax.plot(
            month["month"], month["baseline_auc"], "x--", color="grey", label="volatility baseline (monthly)"
        )
        test = part["test_auc"].dropna()
        if len(test):
            ax.axhline(float(test.iloc[0]), color="black", lw=1, ls=":", label=f"test AUC {test.iloc[0]:.3f}")
    ax.axhline(0.5, color="red", lw=0.6, alpha=0.5)
    ax.set_ylabel("AUC (realized)")
    ax.set_title("Live track record: AUC of published predictions by sample month")
    if len(frame):  # below the axes: a legend never covers a point
        fig.legend(loc="outside lower center", ncols=3, fontsize=11, frameon=False)
    ax.tick_params(axis="x", labelrotation=30)
    return fig
