"""Metrics that put the model beside its baselines and, on the simulated market, beside the oracle.

Classification metrics treat label 1 as the bullish class and call a row bullish when its calibrated
probability is above the decision threshold (default: the train segment's positive share, so "bullish"
means "more likely than usual"; the constant base-rate baseline is then all bearish). Ranking metrics (AUC,
IC, deciles) use the uncalibrated score: calibration is monotone but leaves few distinct values. The
finance view is per sample month: information coefficient (Pearson) and rank IC (Spearman) of the score
against the forward return, and mean forward return by score decile.

A metric that a segment cannot define (AUC of a single-class segment, deciles of a month with fewer than ten
rows, anything of an empty segment) is NaN, never an error: a small universe gives small segments, and
``metadata.json`` stores NaN as null, so readers take ``None`` as NaN too (``number``).
"""

import numpy as np
import pandas as pd
from sklearn import metrics as skm

METRIC_NAMES = ("auc", "accuracy", "precision", "recall", "f1", "brier", "log_loss")
# The project's performance targets (README: The model), shown beside the research context that makes them
# unrealistic for real two-week stock moves.
PERFORMANCE_TARGETS = {"accuracy": 0.70, "auc": 0.75}
RESEARCH_CONTEXT = (
    "Realistic out-of-sample AUCs for 2-week stock moves are about 0.52-0.56; on a raw '+5% in 14 days' "
    "label volatility alone reaches 0.64-0.69 with no information at all."
)


def number(value) -> float:
    """A metric as a float: NaN for None (how ``metadata.json`` stores an undefined metric) or non-numbers."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return float("nan")
    return float(value)


def finite(value) -> bool:
    return bool(np.isfinite(number(value)))


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    labels = np.asarray(labels, int)
    scores = np.asarray(scores, float)
    if len(np.unique(labels)) < 2 or not np.isfinite(scores).all():
        return float("nan")
    return float(skm.roc_auc_score(labels, scores))


def brier(labels: np.ndarray, probability: np.ndarray) -> float:
    if len(labels) == 0:
        return float("nan")
    return float(np.mean((np.clip(np.asarray(probability, float), 0, 1) - np.asarray(labels, float)) ** 2))


def classification_metrics(
    labels: np.ndarray, probability: np.ndarray, threshold: float, ranking: np.ndarray | None = None
) -> dict:
    """AUC (of ``ranking`` when given, else of ``probability``), accuracy, precision, recall and F1 of the
    bullish class (probability strictly above ``threshold``), Brier, log loss and the confusion matrix."""
    labels = np.asarray(labels, int)
    probability = np.clip(np.asarray(probability, float), 0.0, 1.0)
    if len(labels) == 0:  # an empty segment: every rate is undefined
        return {
            **{name: float("nan") for name in METRIC_NAMES},
            "confusion_matrix": {"tn": 0, "fp": 0, "fn": 0, "tp": 0},
            "rows": 0,
            "positive_share": float("nan"),
            "threshold": float(threshold),
        }
    predicted = (probability > threshold).astype(int)
    tn, fp, fn, tp = skm.confusion_matrix(labels, predicted, labels=[0, 1]).ravel()
    return {
        "auc": auc(labels, probability if ranking is None else ranking),
        "accuracy": float(skm.accuracy_score(labels, predicted)),
        "precision": float(skm.precision_score(labels, predicted, zero_division=0)),
        "recall": float(skm.recall_score(labels, predicted, zero_division=0)),
        "f1": float(skm.f1_score(labels, predicted, zero_division=0)),
        "brier": brier(labels, probability),
        "log_loss": float(skm.log_loss(labels, np.clip(probability, 1e-6, 1 - 1e-6), labels=[0, 1])),
        "confusion_matrix": {"tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp)},
        "rows": int(len(labels)),
        "positive_share": float(labels.mean()) if len(labels) else float("nan"),
        "threshold": float(threshold),
    }


def edge_capture(model_auc: float, volatility_auc: float, oracle_auc: float) -> float:
    """(model − volatility baseline) / (oracle − volatility baseline): the share of the edge found."""
    gap = number(oracle_auc) - number(volatility_auc)
    if not np.isfinite(gap) or gap <= 0:
        return float("nan")
    return float((number(model_auc) - number(volatility_auc)) / gap)


def monthly_ic(frame: pd.DataFrame, score: str, target: str = "return_fwd") -> pd.DataFrame:
    """Per sample date: rows, IC (Pearson) and rank IC (Spearman) of ``score`` against ``target``."""
    records = []
    for date, part in frame.groupby("sample_date", sort=True):
        part = part[[score, target]].dropna()
        ok = len(part) > 2 and part[score].nunique() > 1
        records.append(
            {
                "sample_date": date,
                "rows": len(part),
                "ic": float(part[score].corr(part[target])) if ok else float("nan"),
                "rank_ic": float(part[score].corr(part[target], method="spearman")) if ok else float("nan"),
            }
        )
    return pd.DataFrame.from_records(records, columns=["sample_date", "rows", "ic", "rank_ic"])


def ic_summary(ic: pd.DataFrame) -> dict:
    out = {}
    for column in ("ic", "rank_ic"):
        values = ic[column].dropna()
        mean = float(values.mean()) if len(values) else float("nan")
        sd = float(values.std(ddof=1)) if len(values) > 1 else float("nan")
        out[f"{column}_mean"] = mean
        out[f"{column}_std"] = sd
        out[f"{column}_t"] = (
            float(mean / sd * np.sqrt(len(values))) if sd and np.isfinite(sd) else float("nan")
        )
    out["months"] = int(len(ic))
    return out


def decile_returns(frame: pd.DataFrame, score: str, target: str = "return_fwd", n: int = 10) -> pd.DataFrame:
    """Mean forward return by score decile, deciles formed within each sample date, then averaged."""
    parts = []
    for _, part in frame.groupby("sample_date", sort=True):
        part = part[[score, target]].dropna()
        if len(part) < n:
            continue
        ranks = part[score].rank(method="first")
        part = part.assign(decile=pd.qcut(ranks, n, labels=list(range(1, n + 1))).astype(int))
        parts.append(part.groupby("decile")[target].mean())
    if not parts:
        return pd.DataFrame({"decile": [], "mean_return": [], "months": []})
    table = pd.concat(parts, axis=1)
    return pd.DataFrame(
        {"decile": table.index, "mean_return": table.mean(axis=1).to_numpy(), "months": table.shape[1]}
    )


def top_minus_bottom(deciles: pd.DataFrame) -> float:
    if deciles.empty:  # no month had ten scored rows
        return float("nan")
    return float(deciles["mean_return"].iloc[-1] - deciles["mean_return"].iloc[0])


def reliability(labels: np.ndarray, probability: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Observed frequency against mean predicted probability in equal-count bins (at most one bin per row, so
    a tiny segment gives fewer bins; an empty one gives an empty table)."""
    frame = pd.DataFrame({"p": np.asarray(probability, float), "y": np.asarray(labels, float)}).dropna()
    bins = min(bins, len(frame))
    if bins == 0:
        return pd.DataFrame({"mean_predicted": [], "observed": [], "rows": []})
    frame["bin"] = pd.qcut(frame["p"].rank(method="first"), bins, labels=False)
    table = frame.groupby("bin").agg(mean_predicted=("p", "mean"), observed=("y", "mean"), rows=("y", "size"))
    return table.reset_index(drop=True)


def promotion_decision(metrics: dict, leaky: bool = False) -> tuple[str, str]:
    """``production`` only if the model's validation AUC beats the volatility-only baseline's and the split
    was a time split (a model evaluated on a stratified random split is never promoted)."""
    model = number(metrics["validation"]["auc"])
    baseline = number(metrics["validation"]["baselines"]["volatility"]["auc"])
    if leaky:
        return "candidate", (
            f"trained and evaluated on a leaky stratified random split (validation AUC {model:.4f}, "
            f"volatility baseline {baseline:.4f}): its metrics are not evidence, so it is never promoted"
        )
    if not (np.isfinite(model) and np.isfinite(baseline)):
        return "candidate", (
            f"validation AUC is undefined (model {model:.4f}, volatility baseline {baseline:.4f}): the "
            "validation segment holds a single class or no rows, so nothing shows the model beats the "
            "baseline; build more symbols or sample months"
        )
    if model > baseline:
        return "production", (
            f"validation AUC {model:.4f} beats the volatility-only baseline's {baseline:.4f} "
            f"by {model - baseline:+.4f}"
        )
    return "candidate", (
        f"validation AUC {model:.4f} does not beat the volatility-only baseline's {baseline:.4f} "
        f"({model - baseline:+.4f}): the smart-money features add nothing measurable over volatility"
    )
