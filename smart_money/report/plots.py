"""Evaluation plots as PNG bytes (matplotlib, no display) for the HTML report and Dagster metadata."""

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn import metrics as skm  # noqa: E402

# Ranking columns: uncalibrated scores (calibration is monotone; it only adds ties).
CURVES = (
    ("raw_score", "smart-money model", "C0"),
    ("volatility_raw", "volatility-only baseline", "C1"),
    ("logistic_raw", "logistic regression", "C2"),
    ("rules_score", "rules score", "C4"),
    ("true_probability", "oracle (hidden truth, synthetic)", "k"),
)


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _legend(ax, **kwargs) -> None:
    if ax.get_legend_handles_labels()[0]:  # a single-class or empty segment draws no curve
        ax.legend(**kwargs)


def _available(scores: pd.DataFrame):
    for column, name, color in CURVES:
        if column in scores and scores[column].notna().all() and scores["label"].nunique() == 2:
            yield column, name, color


def roc_plot(scores: pd.DataFrame, title: str) -> bytes:
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    for column, name, color in _available(scores):
        fpr, tpr, _ = skm.roc_curve(scores["label"], scores[column])
        auc = skm.roc_auc_score(scores["label"], scores[column])
        ax.plot(fpr, tpr, color=color, lw=1.5, label=f"{name} (AUC {auc:.3f})")
    ax.plot([0, 1], [0, 1], ":", color="grey", lw=1)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title=title)
    _legend(ax, fontsize=7, loc="lower right")
    return _png(fig)


def pr_plot(scores: pd.DataFrame, title: str) -> bytes:
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    for column, name, color in _available(scores):
        precision, recall, _ = skm.precision_recall_curve(scores["label"], scores[column])
        ap = skm.average_precision_score(scores["label"], scores[column])
        ax.plot(recall, precision, color=color, lw=1.5, label=f"{name} (AP {ap:.3f})")
    if len(scores):
        ax.axhline(scores["label"].mean(), ls=":", color="grey", lw=1, label="base rate")
    ax.set(xlabel="recall (bullish)", ylabel="precision (bullish)", title=title)
    _legend(ax, fontsize=7, loc="upper right")
    return _png(fig)


def reliability_plot(tables: dict[str, pd.DataFrame], title: str) -> bytes:
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    for name, table in tables.items():
        ax.plot(table["mean_predicted"], table["observed"], "o-", lw=1.2, ms=3, label=name)
    ax.plot([0, 1], [0, 1], ":", color="grey", lw=1, label="perfectly calibrated")
    top = max(0.05, max(float(t[["mean_predicted", "observed"]].max().max()) for t in tables.values()))
    ax.set(xlim=(0, min(1, top * 1.1)), ylim=(0, min(1, top * 1.1)))
    ax.set(xlabel="mean predicted probability", ylabel="observed frequency", title=title)
    ax.legend(fontsize=7)
    return _png(fig)


def bar_plot(values: pd.Series, title: str, xlabel: str) -> bytes:
    values = values.iloc[::-1]
    fig, ax = plt.subplots(figsize=(6, 0.22 * len(values) + 1.2))
    ax.barh(values.index, values.to_numpy(), color="C0")
    ax.set(title=title, xlabel=xlabel)
    ax.tick_params(axis="y", labelsize=7)
    return _png(fig)


def shap_summary_plot(contributions: pd.DataFrame, features: pd.DataFrame, top: int = 15) -> bytes:
    """Beeswarm-style summary: each dot a row's SHAP value, colored by the feature's rank (low → high)."""
    order = contributions.abs().mean().sort_values(ascending=False).index[:top][::-1]
    fig, ax = plt.subplots(figsize=(6.5, 0.3 * len(order) + 1.5))
    rng = np.random.default_rng(0)
    for i, name in enumerate(order):
        shap = contributions[name].to_numpy()
        color = features[name].rank(pct=True).fillna(0.5).to_numpy()
        jitter = rng.uniform(-0.3, 0.3, len(shap))
        ax.scatter(shap, i + jitter, c=color, cmap="coolwarm", s=3, alpha=0.6, linewidths=0)
    ax.set_yticks(range(len(order)), order, fontsize=7)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set(xlabel="SHAP value (raw log-odds contribution)", title="SHAP summary (color: feature value rank)")
    return _png(fig)


def ic_plot(ic: pd.DataFrame, title: str) -> bytes:
    fig, ax = plt.subplots(figsize=(6, 3.2))
    dates = pd.to_datetime(ic["sample_date"]).dt.strftime("%Y-%m")
    x = np.arange(len(ic))
    ax.bar(x - 0.2, ic["ic"], width=0.4, label="IC (Pearson)")
    ax.bar(x + 0.2, ic["rank_ic"], width=0.4, label="rank IC (Spearman)")
    ax.set_xticks(x, dates, rotation=45, fontsize=7)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set(title=title, ylabel="correlation with forward return")
    ax.legend(fontsize=7)
    return _png(fig)


def decile_plot(deciles: pd.DataFrame, title: str) -> bytes:
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.bar(deciles["decile"], 100 * deciles["mean_return"], color="C0")
    ax.set_xticks(deciles["decile"])
    ax.axhline(0, color="grey", lw=0.8)
    ax.set(title=title, xlabel="score decile (1 = lowest)", ylabel="mean forward return (%)")
    return _png(fig)
