"""The options_flow group through the real Dagster runtime on a copy of the default market's warehouse."""

import json

import dagster as dg
import duckdb
import pandas as pd
import pytest

from smart_money import cli, warehouse
from smart_money.definitions import build_definitions
from smart_money.options_flow.tape import PROFILES
from smart_money_tests.serve.conftest import copy_warehouse

MONTHS = (pd.Timestamp("2024-05-01"), pd.Timestamp("2024-06-01"))
FLOW = dg.AssetSelection.groups("options_flow") - dg.AssetSelection.assets("options_flow_evaluation")


@pytest.fixture(scope="module")
def flow_run(built_default_market, tmp_path_factory):
    root = tmp_path_factory.mktemp("options_flow")
    data_dir = copy_warehouse(
        built_default_market["pristine_data_dir"],
        root / "data",
        skip=("smart_money_events", "raw_option_prints"),
    )
    with pytest.MonkeyPatch.context() as mp, dg.instance_for_test() as instance:
        mp.setenv("SMART_MONEY_DATA_DIR", str(data_dir))
        defs = build_definitions()
        flow = cli.materialize_range(
            "options_flow", *MONTHS, "WARNING", defs=defs, instance=instance, selection=FLOW
        )
        evaluation = cli.materialize_range(
            "options_flow",
            None,
            None,
            "WARNING",
            defs=defs,
            instance=instance,
            selection=dg.AssetSelection.assets("options_flow_evaluation"),
        )
        yield {"data_dir": data_dir, "flow": flow, "evaluation": evaluation, "mp": mp}


def test_the_group_runs_and_every_print_is_in_exactly_one_event(flow_run):
    assert flow_run["flow"].success
    (check,) = flow_run["flow"].get_asset_check_evaluations()
    assert check.check_name == "smart_money_events_integrity" and check.passed
    data_dir = flow_run["data_dir"]
    prints = warehouse.read_months("raw_option_prints", list(MONTHS), data_dir, require=True)
    truth = warehouse.read_months("synthetic_flow_truth", list(MONTHS), data_dir, require=True)
    events = warehouse.read_months("smart_money_events", list(MONTHS), data_dir, require=True)
    assert len(prints) == len(truth) > 1000 and set(prints["print_id"]) == set(truth["print_id"])
    assert sum(len(m) for m in events["member_print_ids"]) == len(prints)
    assert (prints["source"] == "synthetic").all()
    calendar = warehouse.read_months("raw_corporate_events", list(MONTHS), data_dir, require=True)
    assert (calendar["known_at"] < calendar["event_date"]).all()


def test_the_catalog_has_profile_scores_and_the_alerts_view(flow_run):
    with duckdb.connect(str(warehouse.catalog_path(flow_run["data_dir"])), read_only=True) as con:
        scores = con.execute(
            "select profile_scores, primary_profile_id, reasons from smart_money_events "
            "where not abstained order by event_id limit 1"
        ).fetchone()
        alerts = con.execute("select count(*), count(distinct label) from smart_money_alerts").fetchone()
        called = con.execute("select count(*) from smart_money_events where not abstained").fetchone()[0]
    profile_scores, primary, reasons = scores
    assert [s["profile_id"] for s in profile_scores] == list(PROFILES)
    best = max(profile_scores, key=lambda s: s["probability"])
    assert best["profile_id"] == primary and best["reasons"] == reasons
    assert alerts == (called, len(PROFILES))


def test_the_evaluation_is_in_metadata_and_on_disk(flow_run):
    assert flow_run["evaluation"].success
    (event,) = flow_run["evaluation"].get_asset_materialization_events()
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    assert "institutional_directional" in metadata["profiles_and_traps"]
    result = json.loads((flow_run["data_dir"] / "options_flow" / "evaluation.json").read_text())
    for profile in PROFILES:
        assert result["per_profile"][profile]["recall"] >= 0.9
        assert result["per_profile"][profile]["precision"] >= 0.9
    assert all(t["false_positive_rate"] == 0 for t in result["traps"].values())
    assert 0 < result["abstention_rate"] < 1 and result["calibration"]


def test_imported_prints_replace_the_simulated_tape(flow_run, tmp_path):
    data_dir = flow_run["data_dir"]
    prints = warehouse.read_months("raw_option_prints", [MONTHS[0]], data_dir).drop(
        columns=["known_at", "source"]
    )
    prints.to_parquet(tmp_path / "vendor.parquet")
    flow_run["mp"].setenv("SMART_MONEY_OPTION_PRINTS", str(tmp_path / "vendor.parquet"))
    with dg.instance_for_test() as instance:
        result = cli.materialize_range(
            "options_flow",
            MONTHS[0],
            MONTHS[0],
            "WARNING",
            defs=build_definitions(),
            instance=instance,
            selection=FLOW,
        )
    flow_run["mp"].delenv("SMART_MONEY_OPTION_PRINTS")
    assert result.success
    imported = warehouse.read_months("raw_option_prints", [MONTHS[0]], data_dir)
    assert (imported["source"] == "import").all() and len(imported) == len(prints)
    assert warehouse.read_months("synthetic_flow_truth", [MONTHS[0]], data_dir).empty  # no hidden labels
