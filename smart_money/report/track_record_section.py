"""The evaluation report's "Live track record" section: how the version's published predictions did.

The report is written when the model is trained, before any of its predictions can be scored, so the
``track_record`` asset adds (or replaces) this section in each scored version's ``report.html`` once live
outcomes exist; a version without live months gets none. ``report.html`` is not among the model files whose
SHA-256 the metadata records, so the model still verifies.
"""

import base64
import html
import re

import numpy as np
import pandas as pd

from smart_money.modeling import track_record as tr

START, END = "<!-- live-track-record -->", "<!-- /live-track-record -->"
FIGURES = (
    ("rows", "calls", "{:.0f}", None),
    ("auc", "AUC", "{:.4f}", "baseline_auc"),
    ("accuracy", "hit rate (all calls)", "{:.3f}", "baseline_accuracy"),
    ("hit_rate_bullish", "hit rate of BULLISH calls", "{:.3f}", "baseline_hit_rate_bullish"),
    ("hit_rate_high", "hit rate of HIGH-confidence calls", "{:.3f}", "baseline_hit_rate_high"),
    ("brier", "Brier score", "{:.4f}", "baseline_brier"),
    ("rank_ic", "mean monthly rank IC", "{:.3f}", "baseline_rank_ic"),
    ("decile_spread", "top − bottom decile return", "{:.4f}", "baseline_decile_spread"),
    ("auc_market_excess", "AUC vs market-excess label", "{:.4f}", "baseline_auc_market_excess"),
)


def _fmt(template: str, value) -> str:
    return "n/a" if value is None or not np.isfinite(float(value)) else template.format(float(value))


def _png(fig) -> str:
    """Rendered as the report's other plots are (same dpi: the page width without upscaling)."""
    from smart_money.report import plots

    return base64.b64encode(plots.png(fig)).decode()


def live_track_record_section(record: pd.DataFrame, version: str) -> str | None:
    """The section's HTML for ``version`` (between markers, so it can be replaced), or None without live
    months."""
    part = record[record["model_version"] == version]
    if part.empty:
        return None
    cumulative = part[part["scope"] == tr.CUMULATIVE].sort_values("month")
    last = cumulative.iloc[-1]
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{_fmt(fmt, last[key])}</td>"
        f"<td>{'' if base is None else _fmt(fmt, last[base])}</td></tr>"
        for key, name, fmt, base in FIGURES
    )
    months = part[part["scope"] == tr.MONTH].sort_values("month")
    monthly = "".join(
        f"<tr><td>{m:%Y-%m}</td><td>{int(r)}</td><td>{_fmt('{:.4f}', a)}</td><td>{_fmt('{:.4f}', b)}</td>"
        f"<td>{_fmt('{:.3f}', h)}</td><td>{_fmt('{:.4f}', c)}</td></tr>"
        for m, r, a, b, h, c in zip(
            months["month"],
            months["rows"],
            months["auc"],
            months["baseline_auc"],
            months["accuracy"],
            cumulative["auc"],
            strict=True,
        )
    )
    image = _png(tr.auc_figure(part, version))
    return (
        f'{START}<section id="live-track-record"><h2>Live track record</h2>\n'
        f"<p>Published predictions of {html.escape(version)} scored once their label windows closed: "
        f"{int(last['months'])} live sample month(s) through {last['month']:%Y-%m}, "
        f"{int(last['rows'])} calls "
        f"(sample months inside the training and validation window are left out). Beside each figure: the "
        f"volatility-only baseline on the same rows. Test-segment AUC (calibrated probability): "
        f"{_fmt('{:.4f}', last['test_auc'])}.</p>\n"
        f"<table><tr><th>cumulative</th><th>model</th><th>volatility baseline</th></tr>{rows}</table>\n"
        "<table><tr><th>month</th><th>calls</th><th>AUC</th><th>baseline AUC</th><th>hit rate</th>"
        f"<th>cumulative AUC</th></tr>{monthly}</table>\n"
        f'<img alt="live AUC over time" src="data:image/png;base64,{image}"/>\n</section>{END}'
    )


def with_live_track_record(page: str, section: str) -> str:
    """``page`` with its live section replaced by ``section`` (or added before ``</body>``)."""
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    if pattern.search(page):
        return pattern.sub(lambda _: section, page)
    if "</body>" in page:
        head, tail = page.rsplit("</body>", 1)
        return f"{head}{section}\n</body>{tail}"
    return page + section
