"""The evaluation report of the default build, as a reader sees it: how options-flow events are scored, with
counts that a recomputation from the warehouse reproduces; a comment on every calibration bin; plots that
fill the page with legends of at least 11 pt that cover no curve."""

import base64
import html
import re
import struct

import numpy as np
import pandas as pd
import pytest

from smart_money.modeling import evaluation
from smart_money.report import plots
from smart_money.testing import browser as browser_paths

# Written out here rather than imported from the code under test.
PROFILES = (
    "institutional_directional",
    "retail_whale",
    "event_driven",
    "vol_seller",
    "arbitrage",
    "hedge_reactive",
)
EDGES = (0.0, 0.2, 0.4, 0.6, 0.8)  # the last bin includes 1.0
TOO_SMALL = 30
MIN_LEGEND_POINTS = 11
PAGE_WIDTH = 1000  # px: the report's body max-width


CELL = r"<t[dh][^>]*>(.*?)</t[dh]>"


def _section(page: str, title: str) -> str:
    return page.split(f"<h2>{title}</h2>", 1)[1].split("</section>", 1)[0]


def _tables(fragment: str) -> list[list[list[str]]]:
    """Every table in ``fragment`` as rows of unescaped cell texts, header first."""
    return [
        [
            [html.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in re.findall(CELL, row)]
            for row in re.findall(r"<tr>(.*?)</tr>", table)
        ]
        for table in re.findall(r"<table>(.*?)</table>", fragment)
    ]


def _number(text: str) -> int:
    return int(text.split()[0].replace(",", ""))


@pytest.fixture(scope="module")
def page(built_default_market) -> str:
    return (built_default_market["folder"] / "report.html").read_text()


@pytest.fixture(scope="module")
def scored_events(built_default_market) -> pd.DataFrame:
    return events_with_truth(built_default_market["warehouse"])


def events_with_truth(warehouse) -> pd.DataFrame:
    """Each parent event with its majority truth (ties: the alphabetically first), recomputed here from the
    warehouse tables the evaluation reads."""
    events = warehouse.read_months("smart_money_events")
    truth = warehouse.read_months("synthetic_flow_truth")[["print_id", "truth"]]
    members = events[["event_id", "member_print_ids"]].explode("member_print_ids")
    members = members.rename(columns={"member_print_ids": "print_id"}).merge(truth, on="print_id", how="left")
    members["truth"] = members["truth"].fillna("background")
    votes = members.groupby(["event_id", "truth"]).size().rename("n").reset_index()
    votes = votes.sort_values(["event_id", "n", "truth"], ascending=[True, False, True])
    majority = votes.drop_duplicates("event_id").set_index("event_id")["truth"]
    return events.set_index("event_id").join(majority, how="inner")


def test_the_report_says_how_events_are_scored_and_its_counts_add_up(page, scored_events):
    section = _section(page, "Options flow (rules)")
    text = html.unescape(re.sub(r"<[^>]+>", "", section))
    assert "How events are scored" in text
    assert "a retail frenzy (a trap) called retail_whale" in text
    assert "precision = right calls / calls of that profile" in text
    assert "recall = events of that profile it found / events of that profile" in text

    profiles, _, _ = _tables(section)
    header, *rows = profiles
    assert header == [
        "profile", "events (truth)", "calls", "right calls (credited traps)", "precision", "events found",
        "recall",
    ]  # fmt: skip
    called = scored_events["primary_profile_id"]
    truth = scored_events["truth"]
    credited = truth.replace({"retail_frenzy": "retail_whale"})
    assert sorted(r[0] for r in rows) == sorted(PROFILES)
    for profile, events, calls, right, precision, found, recall in rows:
        assert _number(events) == int((truth == profile).sum()), profile
        assert _number(calls) == int((called == profile).sum()), profile
        assert _number(right) == int(((called == profile) & (credited == profile)).sum()), profile
        assert _number(found) == int(((called == profile) & (truth == profile)).sum()), profile
        # the shown rates are the shown counts' ratios
        assert float(precision) == pytest.approx(_number(right) / _number(calls), abs=5e-4), profile
        assert float(recall) == pytest.approx(_number(found) / _number(events), abs=5e-4), profile
    whale = dict(zip(header, next(r for r in rows if r[0] == "retail_whale"), strict=True))
    frenzies = int(((called == "retail_whale") & (truth == "retail_frenzy")).sum())
    assert frenzies > 0 and f"({frenzies:,} retail_frenzy)" in whale["right calls (credited traps)"]
    assert (
        f"retail_whale: {_number(whale['calls']):,} calls = {_number(whale['events found']):,} retail_whale "
        f"events + {frenzies:,} retail_frenzy events" in text
    )


def test_every_calibration_bin_shows_counts_equal_to_a_recomputation_and_a_comment(page, scored_events):
    _, _, calibration = _tables(_section(page, "Options flow (rules)"))
    header, *rows = calibration
    assert header == [
        "probability bin", "pairs", "events", "hits", "mean probability", "observed rate", "comment",
    ]  # fmt: skip
    credited = scored_events["truth"].replace({"retail_frenzy": "retail_whale"})
    pairs = pd.concat(
        [
            pd.DataFrame(
                {
                    "event_id": scored_events.index,
                    "p": scored_events[f"{profile}_probability"].to_numpy(),
                    "hit": (credited == profile).to_numpy(),
                }
            )
            for profile in PROFILES
        ]
    )
    pairs["bin"] = np.searchsorted(EDGES, pairs["p"].to_numpy(), side="right") - 1
    expected = pairs.groupby("bin").agg(
        pairs=("p", "size"), events=("event_id", "nunique"), hits=("hit", "sum")
    )
    labels = [f"[{lo:.1f}, {hi:.1f})" for lo, hi in zip(EDGES, EDGES[1:], strict=False)] + ["[0.8, 1.0]"]
    assert [r[0] for r in rows] == [labels[b] for b in expected.index]
    small = 0
    for (label, n, events, hits, mean, observed, comment), (b, want) in zip(
        rows, expected.iterrows(), strict=True
    ):
        assert (_number(n), _number(events), _number(hits)) == (want.pairs, want.events, want.hits), label
        assert float(observed) == pytest.approx(want.hits / want.pairs, abs=5e-5), label
        assert float(mean) == pytest.approx(pairs.loc[pairs["bin"] == b, "p"].mean(), abs=5e-5), label
        assert comment, label
        if want.pairs < TOO_SMALL:
            small += 1
            assert comment.startswith("Too small to judge"), label
        else:
            assert "Too small" not in comment and "95% interval" in comment, label
    assert small >= 1  # the default build has a bin with a handful of pairs (8 here): it is flagged
    cap = next(r for r in rows if r[0] == "[0.2, 0.4)")
    assert "0.2 cap for missing required evidence" in cap[6]


def _png_width(png: bytes) -> int:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">I", png[16:20])[0]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if browser_paths.missing():
        pytest.fail(f"{browser_paths.missing()} not found: {browser_paths.INSTALL_HINT}")
    # the report is a local file with every image inline: it needs no network at all
    driver = browser_paths.headless_chromium(tmp_path_factory.mktemp("chromium-report"), (1280, 1000))
    yield driver
    driver.quit()


def test_plots_fill_the_page_width_without_being_upscaled(built_default_market, page, browser):
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) >= 8
    assert min(_png_width(base64.b64decode(i)) for i in images) >= PAGE_WIDTH
    browser.get((built_default_market["folder"] / "report.html").as_uri())
    shown = browser.execute_script(
        "const body = document.body.getBoundingClientRect().width;"
        "return [...document.images].map(i => [i.getBoundingClientRect().width, i.naturalWidth, body]);"
    )
    assert len(shown) == len(images)
    for width, natural, body in shown:
        assert body == pytest.approx(PAGE_WIDTH, abs=1)
        assert width == pytest.approx(body, abs=1)  # the page's full width
        assert natural >= width  # drawn at least as wide as shown: never blurred by upscaling


def test_legends_are_at_least_11_points_and_sit_outside_the_axes(built_default_market):
    scores = built_default_market["scores"]
    test = scores[scores["segment"] == "test"]
    figures = {
        "roc": plots.roc_figure(test, "ROC"),
        "pr": plots.pr_figure(test, "PR"),
        "reliability": plots.reliability_figure(
            {"calibrated (test)": evaluation.reliability(test["label"], test["probability"])}, "reliability"
        ),
        "ic": plots.ic_figure(evaluation.monthly_ic(test, "raw_score"), "IC"),
    }
    for name, fig in figures.items():
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None] + list(fig.legends)
        assert legends, name
        assert fig.get_figwidth() * plots.DPI >= PAGE_WIDTH, name
        for legend in legends:
            sizes = [t.get_fontsize() for t in legend.get_texts()]
            assert sizes and min(sizes) >= MIN_LEGEND_POINTS, (name, sizes)
            box, axes = legend.get_window_extent(renderer), legend.axes.get_window_extent(renderer)
            assert box.y1 <= axes.y0, f"{name}: the legend overlaps the plotting area"
        plots.png(fig)  # closes it
