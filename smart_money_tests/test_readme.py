"""README states what the default build gives, and stands alone. The numbers it states about the default
build (the feature count, the rows of every table, the model's headline metrics and the targets they pass
or miss, the number of jobs `make run` launches) are read from README's text and compared with the default
build of this session (``built_default_market``, the same jobs and settings as `make run`), so they fail
when the code drifts from them. Every link and path it gives points inside the repository."""

import re
from pathlib import Path

from smart_money import cli
from smart_money.warehouse import Warehouse
from smart_money_tests.markets import RAW, SAMPLES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
# Folders a build or `make` creates inside the repository (README may name paths in them).
GENERATED = (".venv", ".dagster_home", "data", "models")
# Folders beside a checkout that README once pointed into (the project's shared context).
KNOWN_OUTSIDE = {"shared"}


def _section(title: str) -> str:
    """README's text from the heading ``title`` to the next heading of the same or a higher level."""
    match = re.search(rf"^(#+) {re.escape(title)}\n", README, re.M)
    assert match, f"README has no heading {title!r}"
    level = len(match.group(1))
    rest = README[match.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.M)
    return rest[: end.start()] if end else rest


def _prose() -> str:
    """README without its fenced code blocks."""
    return re.sub(r"^```.*?^```", "", README, flags=re.M | re.S)


def _table(text: str, first_header: str) -> list[list[str]]:
    """The Markdown table of ``text`` whose first header cell is ``first_header``, as rows of cells."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
    return rows


def test_the_feature_count_readme_states_is_the_default_models(built_default_market):
    served = len(built_default_market["metadata"]["feature_names"])
    features = built_default_market["warehouse"].query("select * from features limit 1")
    assert set(built_default_market["metadata"]["feature_names"]) <= set(features.columns)
    # every "N features" README says, except counts of a subset ("19 of 37 features" on the real data)
    stated = [int(n) for n in re.findall(r"(?<!of )\b(\d+)\*{0,2} features\b", README)]
    assert len(stated) >= 3, stated  # the warehouse table, the Features section and the model
    assert set(stated) == {served}, (
        f"README states {sorted(set(stated))} features; the default model has {served}"
    )


def _as_built(market: dict) -> Warehouse:
    """The default build's warehouse as `make run` left it: the copy taken right after the build (other
    tests of the session add rows to the live one), its catalog pointed at the copy's own files."""
    warehouse = Warehouse(market["pristine_data_dir"], market["models_dir"])
    warehouse.refresh_catalog()
    return warehouse


def test_the_row_counts_readme_states_are_the_default_builds(built_default_market):
    warehouse = _as_built(built_default_market)
    rows = _table(_section("The warehouse"), "table")
    assert len(rows) >= 18
    for name, _, stated, *_ in rows:
        table = name.strip("`")
        built = (
            warehouse.query(f"select count(*) as n from {table}")["n"].iloc[0]
            if warehouse.has_data(table)
            else 0
        )
        expected = "none yet" if built == 0 else f"{built:,}"
        assert stated == expected, f"README says {table} has {stated} rows; the default build has {expected}"


def test_the_default_markets_metrics_readme_states_are_the_default_builds(built_default_market):
    metrics = built_default_market["metadata"]["metrics"]
    measured = {row[0]: row[1] for row in _table(_section("Measured"), "score")}

    def pair(value_of) -> str:
        return " / ".join(f"{value_of(metrics[s]):.3f}".replace("-", "−") for s in ("validation", "test"))

    assert measured["smart-money model"] == pair(lambda m: m["auc"])
    for key, name in (
        ("volatility", "volatility-only baseline"),
        ("logistic", "logistic regression"),
        ("rules", "rules score"),
    ):
        assert measured[name] == pair(lambda m, key=key: m["baselines"][key]["auc"]), name
    assert measured["oracle (hidden truth)"] == pair(lambda m: m["oracle_auc"])
    assert measured["edge capture"] == pair(lambda m: m["edge_capture"])
    assert measured["test Brier (calibrated)"] == f"{metrics['test']['brier']:.4f}"
    assert measured["test mean monthly rank IC"] == f"{metrics['test']['finance']['rank_ic_mean']:.3f}"
    status = built_default_market["registry"]["status"].iloc[-1]
    assert measured["promotion"].split()[0] == status

    # the targets sentence: each stated value and its pass / miss is the default build's
    test = metrics["test"]
    claim = re.search(
        r"default market's test AUC (\d\.\d{3}) (passes|misses) the seed's 0\.75 target and its test "
        r"accuracy (\d\.\d{3}) (passes|misses) its 70%",
        " ".join(_section("Measured").split()),
    )
    assert claim, "README's Measured section states the targets on the default market"
    auc, auc_verdict, accuracy, accuracy_verdict = claim.groups()
    assert auc == f"{test['auc']:.3f}" and auc_verdict == ("passes" if test["auc"] > 0.75 else "misses")
    assert accuracy == f"{test['accuracy']:.3f}"
    assert accuracy_verdict == ("passes" if test["accuracy"] > 0.70 else "misses")
    sentence = " ".join(_section("Measured").split())
    base_rate_accuracy = test["baselines"]["base_rate"]["accuracy"]
    for stated in (
        f"from the train base rate ({test['threshold']:.3f})",
        f"finds {test['recall']:.0%} of the +5% moves",
        f"always answering bearish would score {base_rate_accuracy:.3f}",
        f"on a {1 - base_rate_accuracy:.1%} positive test segment",
        f"captures {metrics['validation']['edge_capture']:.0%} (validation) and "
        f"{test['edge_capture']:.0%} (test)",
    ):
        assert stated in sentence, stated


def test_the_jobs_readme_lists_are_the_jobs_make_run_launches():
    section = _section("What `make run` does")
    words = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
    stated = re.search(r"launches the (\w+) \*\*named jobs\*\*", section)
    assert stated and stated.group(1) in words
    listed = re.findall(r"^\d+\. job `(\w+)`", section, re.M)
    launched = [stage.job for stage in cli.build_plan(RAW, SAMPLES)]
    assert words[stated.group(1)] == len(listed) == len(launched)
    assert listed == launched


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_readme_links_and_paths_stay_inside_the_repository():
    prose = _prose()
    anchors = {_slug(h) for h in re.findall(r"^#+ (.+)$", prose, re.M)}
    links = re.findall(r"\]\(([^)\s]+)\)", README)
    assert links, "README links its sections"
    for target in links:
        if target.startswith("#"):
            assert target[1:] in anchors, f"README links to a missing section: {target}"
        else:
            assert not re.match(r"[a-z]+://", target), f"README links outside the repository: {target}"
            path = (ROOT / target.split("#")[0]).resolve()
            assert path.is_relative_to(ROOT) and path.exists(), (
                f"README links to {target}, not in the repository"
            )
    # no path that climbs out of the repository, and no absolute path of one machine
    assert not re.findall(r"(?<![\w.])\.\./", README), "README names a path outside the repository (../)"
    absolute = re.findall(r"(?<![\w:/.-])/(?:work|tmp|home|Users|root|mnt)/[\w./-]*", README)
    assert not absolute, f"README names paths of one machine: {absolute}"
    # every folder README names inside a backticked path exists in the repository or is one a build makes
    named = {
        m.split("/")[0]
        for m in re.findall(r"`([\w.-]+/[^`\s]*)`", prose)
        if not re.match(r"(https?:|[A-Z_]+=|/|\w+=|\./)", m)
    }
    tops = {p.name for p in ROOT.iterdir()} | set(GENERATED)
    outside = sorted(n for n in named if n in KNOWN_OUTSIDE or (n not in tops and (ROOT.parent / n).exists()))
    assert not outside, f"README names folders outside the repository: {outside}"
