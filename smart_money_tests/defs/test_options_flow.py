"""The options_flow job through the real Dagster runtime on a copy of the default market's warehouse."""

import dagster as dg
import duckdb
import pandas as pd
import pytest

from smart_money import cli
from smart_money.defs import jobs
from smart_money.defs.resources import SyntheticSource
from smart_money.options_flow.contracts import PROFILES
from smart_money.warehouse import Warehouse
from smart_money_tests.markets import definitions_for
from smart_money_tests.serve.conftest import copy_warehouse

MONTHS = (pd.Timestamp("2024-05-01"), pd.Timestamp("2024-06-01"))


@pytest.fixture(scope="module")
def flow_run(built_default_market, tmp_path_factory):
    root = tmp_path_factory.mktemp("options_flow")
    data_dir = copy_warehouse(
        built_default_market["pristine_data_dir"],
        root / "data",
        skip=("smart_money_events", "raw_option_prints"),
    )
    with dg.instance_for_test() as instance:
        defs = definitions_for(root)
        flow = cli.run_stage(cli.Stage(jobs.OPTIONS_FLOW_JOB, *MONTHS), defs, instance, "WARNING")
        evaluation = dg.materialize(
            [*defs.assets, *defs.asset_checks],
            selection=[jobs.OPTIONS_FLOW_EVALUATION],
            resources=defs.resources,
            instance=instance,
        )
        yield {
            "root": root,
            "data_dir": data_dir,
            "warehouse": Warehouse(data_dir),
            "flow": flow,
            "evaluation": evaluation,
        }


def test_the_group_runs_and_every_print_is_in_exactly_one_event(flow_run):
    assert flow_run["flow"].success and flow_run["flow"].dagster_run.job_name == "options_flow"
    checks = {e.check_name: e for e in flow_run["flow"].get_asset_check_evaluations()}
    assert set(checks) == {
        "smart_money_events_integrity",
        "smart_money_events_schema",
        "raw_option_prints_schema",
        "synthetic_flow_truth_schema",
        "raw_corporate_events_schema",
    }
    assert all(c.passed for c in checks.values())
    warehouse = flow_run["warehouse"]
    prints = warehouse.read_months("raw_option_prints", list(MONTHS), require=True)
    truth = warehouse.read_months("synthetic_flow_truth", list(MONTHS), require=True)
    events = warehouse.read_months("smart_money_events", list(MONTHS), require=True)
    assert len(prints) == len(truth) > 1000 and set(prints["print_id"]) == set(truth["print_id"])
    assert sum(len(m) for m in events["member_print_ids"]) == len(prints)
    assert (prints["source"] == "synthetic").all()
    calendar = warehouse.read_months("raw_corporate_events", list(MONTHS), require=True)
    assert (calendar["known_at"] < calendar["event_date"]).all()


def test_the_catalog_has_profile_scores_and_the_alerts_view(flow_run):
    with duckdb.connect(str(flow_run["warehouse"].catalog_path), read_only=True) as con:
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


def test_the_evaluation_is_in_metadata_and_is_the_reports_input(flow_run):
    assert flow_run["evaluation"].success
    (event,) = flow_run["evaluation"].get_asset_materialization_events()
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    assert "institutional_directional" in metadata["profiles_and_traps"]
    result = flow_run["evaluation"].output_for_node("options_flow_evaluation")
    assert metadata["artifact_path"] == str(
        flow_run["data_dir"] / "artifacts" / "options_flow_evaluation.json"
    )
    for profile in PROFILES:
        assert result["per_profile"][profile]["recall"] >= 0.9
        assert result["per_profile"][profile]["precision"] >= 0.9
    assert all(t["false_positive_rate"] == 0 for t in result["traps"].values())
    assert 0 < result["abstention_rate"] < 1 and result["calibration"]


def test_imported_prints_replace_the_simulated_tape(flow_run, tmp_path):
    warehouse = flow_run["warehouse"]
    prints = warehouse.read_months("raw_option_prints", [MONTHS[0]]).drop(columns=["known_at", "source"])
    prints.to_parquet(tmp_path / "vendor.parquet")
    defs = definitions_for(
        flow_run["root"], SyntheticSource(option_prints_path=str(tmp_path / "vendor.parquet"))
    )
    with dg.instance_for_test() as instance:
        result = cli.run_stage(
            cli.Stage(jobs.OPTIONS_FLOW_JOB, MONTHS[0], MONTHS[0]), defs, instance, "WARNING"
        )
    assert result.success
    imported = warehouse.read_months("raw_option_prints", [MONTHS[0]])
    assert (imported["source"] == "import").all() and len(imported) == len(prints)
    assert warehouse.read_months("synthetic_flow_truth", [MONTHS[0]]).empty  # no hidden labels
