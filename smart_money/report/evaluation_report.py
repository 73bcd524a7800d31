"""The evaluation report: one self-contained HTML page (plots embedded as base64 PNG).

Every model number stands beside the volatility-only baseline, the logistic regression, the rules score and
the base rate; on the simulated market also beside the oracle (the hidden true probability). The project's
performance targets are shown with the research context that makes them unrealistic.

It renders whatever the segments allow: a small universe gives tiny or single-class segments, whose
undefined metrics (``None`` in ``metadata.json``) read "n/a" and whose plots are drawn empty, so the report
never fails on the numbers it reports.
"""

import base64
import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from smart_money.modeling import evaluation
from smart_money.options_flow import evaluation as flow_evaluation
from smart_money.options_flow import profiles as flow_profiles
from smart_money.report import plots

MODELS = (
    ("model", "smart-money model"),
    ("volatility", "volatility-only baseline"),
    ("logistic", "logistic regression"),
    ("rules", "rules score"),
    ("base_rate", "base rate"),
)


@dataclass
class Report:
    html: str
    headline_markdown: str
    plots: dict[str, bytes] = field(default_factory=dict)


def _fmt(value, digits: int = 4) -> str:
    if value is None or (isinstance(value, (float, np.floating)) and not np.isfinite(value)):
        return "n/a"
    if isinstance(value, (float, np.floating)):
        return f"{value:.{digits}f}"
    return str(value)


def _pct(value) -> str:
    return f"{100 * evaluation.number(value):.2f}%" if evaluation.finite(value) else "n/a"


def _date(value) -> str:
    return str(value)[:10] if value else "n/a"


def _metric(metrics: dict, segment: str, model: str, name: str):
    entry = metrics[segment] if model == "model" else metrics[segment]["baselines"][model]
    return entry.get(name)


def headline_rows(metrics: dict) -> list[list[str]]:
    rows = []
    for key, label in MODELS:
        rows.append([label] + [_fmt(_metric(metrics, s, key, "auc")) for s in ("validation", "test")])
    for segment_label, key in (("oracle (hidden truth)", "oracle_auc"), ("edge capture", "edge_capture")):
        rows.append([segment_label] + [_fmt(metrics[s].get(key)) for s in ("validation", "test")])
    return rows


def headline_markdown(metrics: dict, version: str, status: str) -> str:
    lines = [
        f"**{version}** — status **{status}**",
        "",
        "| AUC | validation | test |",
        "| --- | --- | --- |",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in headline_rows(metrics)]
    return "\n".join(lines)


def _table(header: list[str], rows: list[list[str]], left: tuple[int, ...] = ()) -> str:
    """An HTML table, numbers right-aligned; the ``left`` columns (sentences) left-aligned."""

    def cell(tag: str, i: int, value) -> str:
        align = ' class="text"' if i in left else ""
        return f"<{tag}{align}>{html.escape(str(value))}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}"/>'


def render(
    metadata: dict,
    scores: pd.DataFrame,
    gain: pd.Series,
    contributions: pd.DataFrame,
    contribution_features: pd.DataFrame,
    status: str,
    reason: str,
    options_flow: dict | None = None,
) -> Report:
    """Build the report from the artifact's metadata, the scored rows and the reloaded model's SHAP (and the
    options-flow evaluation, when the options_flow group has produced one)."""
    metrics = metadata["metrics"]
    version = metadata["version"]
    test = scores[scores["segment"] == "test"]
    validation = scores[scores["segment"] == "validation"]
    synthetic = metadata.get("source") == "synthetic"
    figures = {
        "roc_test": plots.roc_plot(test, "ROC curve, test segment"),
        "roc_validation": plots.roc_plot(validation, "ROC curve, validation segment"),
        "pr_test": plots.pr_plot(test, "Precision-recall curve, test segment"),
        "pr_validation": plots.pr_plot(validation, "Precision-recall curve, validation segment"),
        "reliability_test": plots.reliability_plot(
            {
                "calibrated (test)": evaluation.reliability(test["label"], test["probability"]),
                "uncalibrated (test)": evaluation.reliability(test["label"], test["raw_score"]),
                "calibrated (validation, fit here)": evaluation.reliability(
                    validation["label"], validation["probability"]
                ),
            },
            "Calibration (reliability), equal-count bins",
        ),
        "gain_importance": plots.bar_plot(gain.head(20), "Feature importance (gain), top 20", "total gain"),
        "shap_mean_abs": plots.bar_plot(
            contributions.abs().mean().sort_values(ascending=False).head(20),
            "Mean |SHAP| on test, top 20",
            "mean |contribution| (log-odds)",
        ),
        "shap_summary": plots.shap_summary_plot(contributions, contribution_features),
        "monthly_ic_test": plots.ic_plot(
            evaluation.monthly_ic(test, "raw_score"), "Monthly IC of the model score, test"
        ),
        "deciles_test": plots.decile_plot(
            evaluation.decile_returns(test, "raw_score"), "Mean forward return by model decile, test"
        ),
    }
    parts = [_header(metadata, synthetic)]
    parts.append(_section("Headline", _headline(metrics, metadata)))
    parts.append(_section("Promotion", f"<p><b>{html.escape(status)}</b>: {html.escape(reason)}</p>"))
    parts.append(_section("Performance targets", _performance_targets(metrics)))
    parts.append(_section("Data and splits", _splits(metadata)))
    parts.append(_section("Classification metrics", _classification(metrics)))
    parts.append(_section("Confusion matrix", _confusion(metrics)))
    parts.append(
        _section(
            "ROC curve",
            "<p>Ranked by the uncalibrated scores (calibration is monotone and only adds ties).</p>"
            + _img(figures["roc_test"], "ROC curve, test")
            + _img(figures["roc_validation"], "ROC curve, validation"),
        )
    )
    parts.append(
        _section(
            "Precision-recall curve",
            _img(figures["pr_test"], "precision-recall curve, test")
            + _img(figures["pr_validation"], "precision-recall curve, validation"),
        )
    )
    parts.append(
        _section(
            "Calibration (reliability)",
            "<p>Calibration is fit on validation only, so its validation curve is in-sample; the test curve "
            "is the honest one. Brier score before → after calibration: validation "
            f"{_fmt(metrics['validation'].get('brier_uncalibrated'))} → "
            f"{_fmt(metrics['validation']['brier'])}, "
            f"test {_fmt(metrics['test'].get('brier_uncalibrated'))} → {_fmt(metrics['test']['brier'])}.</p>"
            + _img(figures["reliability_test"], "reliability plot"),
        )
    )
    parts.append(_section("Feature importance (gain)", _img(figures["gain_importance"], "gain importance")))
    parts.append(
        _section(
            "SHAP summary",
            "<p>LightGBM <code>pred_contrib</code> on the test rows (log-odds of the uncalibrated score).</p>"
            + _img(figures["shap_mean_abs"], "mean absolute SHAP")
            + _img(figures["shap_summary"], "SHAP summary"),
        )
    )
    parts.append(_section("Finance view", _finance(metrics, test, figures)))
    if options_flow is not None:
        parts.append(_section("Options flow (rules)", _options_flow(options_flow)))
    page = _PAGE.format(title=html.escape(f"smart-money evaluation {version}"), body="\n".join(parts))
    return Report(html=page, headline_markdown=headline_markdown(metrics, version, status), plots=figures)


# A calibration bin with fewer (event, profile) pairs than this is flagged as too small to judge: its 95%
# interval is wider than about ±0.18 around an observed rate of one half.
MIN_BIN_PAIRS = 30


def wilson_interval(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a binomial rate (defined at 0 and n hits, unlike the normal one)."""
    if n == 0:
        return float("nan"), float("nan")
    rate = hits / n
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _bin_edges(label: str) -> tuple[float, float]:
    low, high = label.strip("[]()").split(",")
    return float(low), float(high)


def bin_label(label: str) -> str:
    """``[0.8, 1.0)`` as the evaluation names its last bin (whose upper edge lies just above 1) reads
    ``[0.8, 1.0]``: a probability of exactly 1 is in it."""
    low, high = _bin_edges(label)
    return f"[{low:.1f}, 1.0]" if high >= 1.0 else f"[{low:.1f}, {high:.1f})"


def profile_counts(result: dict) -> list[dict]:
    """Per profile, the counts behind precision and recall, from the confusion matrix (rows: the events'
    truth, columns: the rules' call): a call is right when the event is that profile or a trap whose
    correct reading is that profile (``COUNTS_AS``: a retail frenzy called ``retail_whale``)."""
    confusion = result["confusion"]
    rows = []
    for profile in result["per_profile"]:
        called = sum(row.get(profile, 0) for row in confusion.values())
        found = confusion.get(profile, {}).get(profile, 0)
        credited = {
            trap: confusion.get(trap, {}).get(profile, 0)
            for trap, reading in flow_evaluation.COUNTS_AS.items()
            if reading == profile and confusion.get(trap, {}).get(profile, 0)
        }
        rows.append(
            {
                "profile": profile,
                "events": result["per_profile"][profile]["events"],
                "called": called,
                "right": found + sum(credited.values()),
                "credited": credited,
                "found": found,
                "precision": result["per_profile"][profile]["precision"],
                "recall": result["per_profile"][profile]["recall"],
            }
        )
    return rows


def bin_comment(entry: dict) -> str:
    """One plain sentence on a calibration bin: too small to judge, the missing-evidence cap, or how the
    observed rate compares with the mean probability (95% interval), and what most of its misses are."""
    pairs = entry["pairs"]
    hits = entry.get("hits", round(entry["observed_rate"] * pairs))
    mean = entry["mean_probability"]
    low_edge, high_edge = _bin_edges(entry["bin"])
    if pairs < MIN_BIN_PAIRS:
        return f"Too small to judge: {pairs} pairs (fewer than {MIN_BIN_PAIRS})."
    low, high = wilson_interval(hits, pairs)
    interval = f"observed {hits / pairs:.4f}, 95% interval {low:.4f}–{high:.4f}"
    if (
        low_edge <= flow_profiles.MISSING_REQUIRED_CAP < high_edge
        and abs(mean - flow_profiles.MISSING_REQUIRED_CAP) < 0.005
    ):
        text = (
            f"Almost every pair sits at the {flow_profiles.MISSING_REQUIRED_CAP:.1f} cap for missing "
            f"required evidence ({interval}): the cap is a ceiling that says 'not this profile', not a "
            f"{flow_profiles.MISSING_REQUIRED_CAP:.0%} chance."
        )
    elif low <= mean <= high:
        text = f"Consistent with the mean probability {mean:.4f} ({interval})."
    elif mean > high:
        text = f"Overconfident: mean probability {mean:.4f} against {interval}."
    else:
        text = f"Underconfident: mean probability {mean:.4f} against {interval}."
    if high_edge <= flow_profiles.PRIMARY_THRESHOLD:
        text += (
            f" Every pair here is below the {flow_profiles.PRIMARY_THRESHOLD:.1f} an event's call needs, so "
            "none of them decides a call."
        )
    misses = entry.get("largest_misses")
    if misses and hits < pairs:
        text += f" Most misses: {misses}."
    return text


def _options_flow(result: dict) -> str:
    """The options-flow rules against the simulated truth (``options_flow_evaluation``): how events are
    scored, the counts behind every rate, and a comment on each calibration bin."""
    counts = profile_counts(result)
    profiles = [
        [
            c["profile"],
            f"{c['events']:,}",
            f"{c['called']:,}",
            f"{c['right']:,}"
            + (
                " (" + ", ".join(f"{n:,} {trap}" for trap, n in c["credited"].items()) + ")"
                if c["credited"]
                else ""
            ),
            _fmt(c["precision"], 3),
            f"{c['found']:,}",
            _fmt(c["recall"], 3),
        ]
        for c in counts
    ]
    credited_text = "; ".join(
        f"{c['profile']}: {c['called']:,} calls = {c['found']:,} {c['profile']} events + "
        + " + ".join(f"{n:,} {trap} events" for trap, n in c["credited"].items())
        + f"; {c['right']:,} of them right, so precision {_fmt(c['precision'], 3)}, while recall counts "
        f"only the {c['events']:,} {c['profile']} events"
        for c in counts
        if c["credited"]
    )
    credited_rules = ", ".join(
        f"a {trap.replace('_', ' ')} (a trap) called <code>{reading}</code>"
        for trap, reading in flow_evaluation.COUNTS_AS.items()
    )
    traps = [
        [name, f"{v['events']:,}", _fmt(v["false_positive_rate"], 3), ", ".join(v["forbidden"])]
        for name, v in result["traps"].items()
    ]
    calibration = []
    for c in result["calibration"]:
        hits = c.get("hits", round(c["observed_rate"] * c["pairs"]))
        calibration.append(
            [
                bin_label(c["bin"]),
                f"{c['pairs']:,}",
                f"{c['events']:,}" if "events" in c else "n/a",
                f"{hits:,}",
                _fmt(c["mean_probability"]),
                _fmt(c["observed_rate"]),
                bin_comment(c),
            ]
        )
    scoring = (
        "<p><b>How events are scored.</b> Each parent event's truth is the majority truth of its member "
        "prints in the simulated tape's hidden labels (<code>synthetic_flow_truth</code>), which the rules "
        "never read. The rules' call is the event's primary profile, or <i>abstain</i>. "
        "<b>precision</b> = right calls / calls of that profile, where a call is right when the event "
        f"truly is that profile, and also for {credited_rules}: short-dated out-of-the-money call frenzies "
        "in small lots are retail flow, which is what that profile names; only an institutional reading of "
        "them is a false positive. <b>recall</b> = events of that profile it found / events of that "
        "profile, so the credited traps are in the calls and the right calls, never in the events. "
        + (f"Hence {credited_text}." if credited_text else "")
        + "</p>"
    )
    return (
        f"<p>{result['events']:,} parent events of option prints; abstention rate "
        f"{_fmt(result['abstention_rate'])} (background flow abstains). Rules first: no training.</p>"
        + scoring
        + _table(
            [
                "profile",
                "events (truth)",
                "calls",
                "right calls (credited traps)",
                "precision",
                "events found",
                "recall",
            ],
            profiles,
        )
        + _table(["trap", "events", "false-positive rate", "must not be called"], traps)
        + "<p><b>Calibration of the profile probabilities.</b> Every event gives one (event, profile) pair "
        "per profile, binned by that profile's probability; a pair is a hit when its event counts as that "
        "profile under the same rule as precision. A probability is the share of the profile's evidence "
        "present (times its guards), not a frequency fitted to outcomes: a gap below the call threshold "
        f"({flow_profiles.PRIMARY_THRESHOLD:.1f}) says the evidence is partial, a gap above it would mean "
        f"wrong calls. A bin with fewer than {MIN_BIN_PAIRS} pairs is too small to judge.</p>"
        + _table(
            ["probability bin", "pairs", "events", "hits", "mean probability", "observed rate", "comment"],
            calibration,
            left=(6,),
        )
    )


def _section(title: str, body: str) -> str:
    anchor = title.lower().replace(" ", "-").replace("(", "").replace(")", "")
    return f'<section id="{anchor}"><h2>{html.escape(title)}</h2>\n{body}\n</section>'


def _header(metadata: dict, synthetic: bool) -> str:
    banners = []
    if synthetic:
        banners.append(
            '<p class="banner">SYNTHETIC DATA: a simulated market (symbols SYN###), not real tickers. '
            "Its edge is set by the simulation's signal_strength "
            f"({html.escape(str(metadata.get('signal_strength', 'n/a')))}).</p>"
        )
    else:
        empty = metadata.get("empty_tables") or []
        banners.append(
            f'<p class="banner real">REAL DATA from the {html.escape(str(metadata.get("source")))} source. '
            + (
                "Empty tables (no source for them, so their features are missing): "
                + html.escape(", ".join(empty))
                + "."
                if empty
                else "Every raw table has rows."
            )
            + "</p>"
        )
    if metadata.get("split", {}).get("leaky"):
        banners.append(
            '<p class="banner leaky">LEAKY SPLIT: a stratified random split mixes months across segments, '
            "so neighbouring rows share news and label windows. Metrics below are optimistic and "
            "not comparable with a time split.</p>"
        )
    return (
        f"<h1>smart-money evaluation — model {html.escape(metadata['version'])}</h1>"
        + "".join(banners)
        + f"<p>Created {html.escape(metadata['created_at'])}; "
        f"source {html.escape(str(metadata.get('source')))}; "
        f"label <code>{html.escape(metadata['label_definition'])}</code>; "
        f"{len(metadata['feature_names'])} features; dataset fingerprint "
        f"<code>{html.escape(metadata['dataset_fingerprint'][:16])}</code>.</p>"
    )


def _headline(metrics: dict, metadata: dict) -> str:
    note = (
        "<p>AUC of each score against the realized label. The volatility-only baseline uses trailing 30- and "
        "90-day volatility and 1-year beta: on a '+5% in 14 days' label it ranks well with no smart-money "
        "information, so the model's worth is its margin over it. Edge capture = (model − volatility) / "
        "(oracle − volatility).</p>"
    )
    if metrics["test"].get("oracle_auc") is None:
        note += "<p>Oracle: not available (not the simulated market, or not its default label).</p>"
    return note + _table(["AUC", "validation", "test"], headline_rows(metrics))


def _performance_targets(metrics: dict) -> str:
    rows = []
    for name, target in evaluation.PERFORMANCE_TARGETS.items():
        for segment in ("validation", "test"):
            value = metrics[segment].get(name)
            volatility = metrics[segment]["baselines"]["volatility"].get(name)
            base = metrics[segment]["baselines"]["base_rate"].get(name)
            met = "n/a" if not evaluation.finite(value) else "pass" if value > target else "fail"
            rows.append(
                [
                    name,
                    segment,
                    f"> {target:.2f}",
                    _fmt(value),
                    met,
                    _fmt(volatility),
                    _fmt(base),
                ]
            )
    return (
        f"<p>The project's targets: accuracy &gt; 70% and ROC AUC &gt; 0.75. Research context: "
        f"{html.escape(evaluation.RESEARCH_CONTEXT)} Accuracy depends on the decision threshold "
        f"({_fmt(metrics['test']['threshold'])}, the train base rate unless configured) and on the base "
        "rate: "
        "always answering 'bearish' scores 1 − base rate.</p>"
        + _table(
            [
                "metric",
                "segment",
                "target",
                "model",
                "target met",
                "volatility baseline",
                "base rate (always bearish)",
            ],
            rows,
        )
    )


def _splits(metadata: dict) -> str:
    split = metadata["split"]
    rows = [
        [
            s["segment"],
            _date(s["first_sample_date"]),
            _date(s["last_sample_date"]),
            s["months"],
            s["rows"],
            s["embargoed"],
            _fmt(s["positive_share"], 3),
        ]
        for s in split["segments"]
    ]
    return (
        f"<p>Method <code>{html.escape(split['method'])}</code>, embargo {split['embargo_days']} days "
        f"(label horizon {split['horizon_days']} days); leaky: {split['leaky']}. Data window "
        f"{html.escape(_date(metadata['data_window'][0]))} to "
        f"{html.escape(_date(metadata['data_window'][1]))}.</p>"
        + _table(
            ["segment", "first sample", "last sample", "months", "rows used", "embargoed", "positive share"],
            rows,
        )
    )


def _classification(metrics: dict) -> str:
    names = ("auc", "accuracy", "precision", "recall", "f1", "brier", "log_loss")
    rows = []
    for segment in ("validation", "test"):
        for key, label in MODELS:
            entry = metrics[segment] if key == "model" else metrics[segment]["baselines"][key]
            rows.append([segment, label] + [_fmt(entry.get(n)) for n in names])
    return (
        "<p>Bullish class = label 1; a row is called bullish when its calibrated probability is above "
        f"{_fmt(metrics['test']['threshold'])}. AUC ranks by the uncalibrated score. The rules score has no "
        "probability, so only its AUC is shown.</p>" + _table(["segment", "score", *names], rows)
    )


def _confusion(metrics: dict) -> str:
    rows = []
    for segment in ("validation", "test"):
        for key, label in MODELS:
            entry = metrics[segment] if key == "model" else metrics[segment]["baselines"][key]
            cm = entry.get("confusion_matrix")
            if cm:
                rows.append([segment, label, cm["tn"], cm["fp"], cm["fn"], cm["tp"]])
    return _table(
        ["segment", "score", "true bearish", "false bullish", "missed bullish", "true bullish"], rows
    )


def _finance_entries(metrics: dict, segment: str):
    entry = metrics[segment]
    yield "smart-money model", entry.get("finance")
    for key, label in MODELS[1:4]:
        yield label, entry["baselines"][key].get("finance")
    if entry.get("oracle_finance"):
        yield "oracle (hidden truth)", entry["oracle_finance"]


def _finance(metrics: dict, test: pd.DataFrame, figures: dict) -> str:
    rows = []
    for segment in ("validation", "test"):
        for label, f in _finance_entries(metrics, segment):
            if not f:
                continue
            rows.append(
                [
                    segment,
                    label,
                    _fmt(f.get("ic_mean")),
                    _fmt(f.get("rank_ic_mean")),
                    _fmt(f.get("rank_ic_t"), 2),
                    _pct(f.get("top_minus_bottom_decile")),  # None: no month had ten scored rows
                    f.get("months", 0),
                ]
            )
    deciles = evaluation.decile_returns(test, "raw_score")
    decile_rows = [[int(d), _pct(r)] for d, r in zip(deciles["decile"], deciles["mean_return"], strict=True)]
    return (
        "<p>Per sample month: IC (Pearson) and rank IC (Spearman) of each score against the forward return, "
        "averaged over months; t = mean / std × √months. Deciles are formed within each month; top − bottom "
        "is the mean forward return of the highest-score decile minus the lowest.</p>"
        + _table(
            ["segment", "score", "mean IC", "mean rank IC", "rank IC t", "top − bottom decile", "months"],
            rows,
        )
        + _img(figures["monthly_ic_test"], "monthly IC")
        + _img(figures["deciles_test"], "decile returns")
        + (
            _table(["decile (test, model)", "mean forward return"], decile_rows)
            if decile_rows
            else "<p>No test month has ten scored rows, so there are no deciles (a small universe).</p>"
        )
    )


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1000px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: 0.8em 0; font-size: 0.85em; }}
th, td {{ border: 1px solid #ccc; padding: 3px 8px; text-align: right; }}
th {{ background: #f3f3f3; }} td:first-child, th:first-child, .text {{ text-align: left; }}
.banner {{ background: #fff3cd; border: 1px solid #e0c36b; padding: 0.6em; }}
.leaky {{ background: #f8d7da; border-color: #d9534f; }}
img {{ display: block; width: 100%; height: auto; margin: 0.5em 0; }}
</style></head>
<body>
{body}
</body></html>
"""
