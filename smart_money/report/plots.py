"""Evaluation plots as PNG bytes (matplotlib, no display) for the HTML report and Dagster metadata.

Each ``*_figure`` function builds the matplotlib figure (tests read its fonts and layout); the function of
the same name without ``_figure`` returns its PNG. Figures are ``WIDTH`` inches wide at ``DPI``, wider in
pixels than the report's page, which shows each at the page's full width; legend text is ``LEGEND_SIZE``
points, and legends sit below the axes, never over a curve or a bar.
"""

import functools
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from sklearn import metrics as skm  # noqa: E402

# Ranking columns: uncalibrated scores (calibration is monotone; it only adds ties).
CURVES = (
    ("raw_score", "smart-money model", "C0"),
    ("volatility_raw", "volatility-only baseline", "C1"),
    ("logistic_raw", "logistic regression", "C2"),
    ("rules_score", "rules score", "C4"),
    ("true_probability", "oracle (hidden truth, synthetic)", "k"),
)


# inches: 1,200 px at DPI, about 1,050 once cropped to the drawing; the report shows each plot at its page's
# full width (1,000 px), so none is ever upscaled
WIDTH = 10.0
DPI = 120
LEGEND_SIZE = 12  # points
FONT_SIZE = 12  # points: axis labels and tick labels
STYLE = {
    "font.size": FONT_SIZE,
    "axes.titlesize": FONT_SIZE + 2,
    "axes.labelsize": FONT_SIZE,
    "xtick.labelsize": FONT_SIZE - 1,
    "ytick.labelsize": FONT_SIZE - 1,
    "legend.fontsize": LEGEND_SIZE,
}


def _styled(function):
    """Run ``function`` under ``STYLE``: matplotlib reads font sizes when it creates a text or a tick, which
    happens while a figure is built and again while it is drawn."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with plt.rc_context(STYLE):
            return function(*args, **kwargs)

    return wrapper


@_styled
def png(fig: Figure) -> bytes:
    """The figure as PNG bytes (closed afterwards: the report builds many)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _subplots(height: float) -> tuple[Figure, plt.Axes]:
    return plt.subplots(figsize=(WIDTH, height))


def _legend(ax, ncols: int = 2, below: float = 0.14) -> None:
    """A legend below the axes (so it never covers data), when there is anything to name: a single-class or
    empty segment draws no curve."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -below),
            ncols=ncols,
            fontsize=LEGEND_SIZE,
            frameon=False,
        )


def _available(scores: pd.DataFrame):
    for column, name, color in CURVES:
        if column in scores and scores[column].notna().all() and scores["label"].nunique() == 2:
            yield column, name, color


@_styled
def roc_figure(scores: pd.DataFrame, title: str) -> Figure:
    fig, ax = _subplots(5.5)
    for column, name, color in _available(scores):
        fpr, tpr, _ = skm.roc_curve(scores["label"], scores[column])
        auc = skm.roc_auc_score(scores["label"], scores[column])
        ax.plot(fpr, tpr, color=color, lw=1.8, label=f"{name} (AUC {auc:.3f})")
    ax.plot([0, 1], [0, 1], ":", color="grey", lw=1)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title=title)
    _legend(ax)
    return fig


@_styled
def pr_figure(scores: pd.DataFrame, title: str) -> Figure:
    fig, ax = _subplots(5.5)
    for column, name, color in _available(scores):
        precision, recall, _ = skm.precision_recall_curve(scores["label"], scores[column])
        ap = skm.average_precision_score(scores["label"], scores[column])
        ax.plot(recall, precision, color=color, lw=1.8, label=f"{name} (AP {ap:.3f})")
    if len(scores):
        ax.axhline(scores["label"].mean(), ls=":", color="grey", lw=1, label="base rate")
    ax.set(xlabel="recall (bullish)", ylabel="precision (bullish)", title=title)
    _legend(ax)
    return fig


@_styled
def reliability_figure(tables: dict[str, pd.DataFrame], title: str) -> Figure:
    fig, ax = _subplots(5.5)
    for name, table in tables.items():
        ax.plot(table["mean_predicted"], table["observed"], "o-", lw=1.5, ms=4, label=name)
    ax.plot([0, 1], [0, 1], ":", color="grey", lw=1, label="perfectly calibrated")
    peaks = [float(t[["mean_predicted", "observed"]].max().max()) for t in tables.values() if len(t)]
    top = max([0.05, *peaks])
    ax.set(xlim=(0, min(1, top * 1.1)), ylim=(0, min(1, top * 1.1)))
    ax.set(xlabel="mean predicted probability", ylabel="observed frequency", title=title)
    _legend(ax)
    return fig


@_styled
def bar_figure(values: pd.Series, title: str, xlabel: str) -> Figure:
    values = values.iloc[::-1]
    fig, ax = _subplots(0.32 * len(values) + 1.4)
    ax.barh(values.index, values.to_numpy(), color="C0")
    ax.set(title=title, xlabel=xlabel)
    return fig


@_styled
def shap_summary_figure(contributions: pd.DataFrame, features: pd.DataFrame, top: int = 15) -> Figure:
    """Beeswarm-style summary: each dot a row's SHAP value, colored by the feature's rank (low → high)."""
    order = contributions.abs().mean().sort_values(ascending=False).index[:top][::-1]
    fig, ax = _subplots(0.4 * len(order) + 1.6)
    rng = np.random.default_rng(0)
    for i, name in enumerate(order):
        shap = contributions[name].to_numpy()
        color = features[name].rank(pct=True).fillna(0.5).to_numpy()
        jitter = rng.uniform(-0.3, 0.3, len(shap))
        ax.scatter(shap, i + jitter, c=color, cmap="coolwarm", s=4, alpha=0.6, linewidths=0)
    ax.set_yticks(range(len(order)), order)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set(xlabel="SHAP value (raw log-odds contribution)", title="SHAP summary (color: feature value rank)")
    return fig


@_styled
def ic_figure(ic: pd.DataFrame, title: str) -> Figure:
    fig, ax = _subplots(4.2)
    dates = pd.to_datetime(ic["sample_date"]).dt.strftime("%Y-%m")
    x = np.arange(len(ic))
    ax.bar(x - 0.2, ic["ic"], width=0.4, label="IC (Pearson)")
    ax.bar(x + 0.2, ic["rank_ic"], width=0.4, label="rank IC (Spearman)")
    ax.set_xticks(x, dates, rotation=45)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set(title=title, ylabel="correlation with forward return")
    _legend(ax, below=0.28)  # below the rotated month labels
    return fig


@_styled
def decile_figure(deciles: pd.DataFrame, title: str) -> Figure:
    fig, ax = _subplots(4.2)
    ax.bar(deciles["decile"], 100 * deciles["mean_return"], color="C0")
    ax.set_xticks(deciles["decile"])
    ax.axhline(0, color="grey", lw=0.8)
    ax.set(title=title, xlabel="score decile (1 = lowest)", ylabel="mean forward return (%)")
    return fig


def roc_plot(scores: pd.DataFrame, title: str) -> bytes:
    return png(roc_figure(scores, title))


def pr_plot(scores: pd.DataFrame, title: str) -> bytes:
    return png(pr_figure(scores, title))


def reliability_plot(tables: dict[str, pd.DataFrame], title: str) -> bytes:
    return png(reliability_figure(tables, title))


def bar_plot(values: pd.Series, title: str, xlabel: str) -> bytes:
    return png(bar_figure(values, title, xlabel))


def shap_summary_plot(contributions: pd.DataFrame, features: pd.DataFrame, top: int = 15) -> bytes:
    return png(shap_summary_figure(contributions, features, top))


def ic_plot(ic: pd.DataFrame, title: str) -> bytes:
    return png(ic_figure(ic, title))


def decile_plot(deciles: pd.DataFrame, title: str) -> bytes:
    return png(decile_figure(deciles, title))
