"""Monthly automation evaluated by Dagster's own condition evaluator, with the requested runs executed, and
the stale-predictions check."""

import datetime

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from smart_money import cli
from smart_money.definitions import build_definitions
from smart_money.defs import automation, jobs
from smart_money.defs.resources import SyntheticSource
from smart_money.freshness import prediction_staleness
from smart_money.warehouse import Warehouse
from smart_money_tests.markets import definitions_for
from smart_money_tests.serve.conftest import copy_warehouse

UTC = datetime.UTC
PARTITIONED = [
    "universe",
    "raw_prices",
    "raw_insider_trades",
    "raw_institutional_holdings",
    "raw_congress_trades",
    "raw_etf_holdings",
    "synthetic_truth",
    "features",
    "labels",
    "raw_option_prints",
    "synthetic_flow_truth",
    "raw_corporate_events",
    "smart_money_events",
]
MODEL_GROUP = ["dataset_splits", "smart_money_model", "evaluation_report", "model_registry", "predictions"]
MONTHLY_JOBS = (jobs.RAW_JOB, jobs.OPTIONS_FLOW_JOB, jobs.FEATURES_JOB)
TRACK_RECORD = ["prediction_outcomes", "track_record"]


def _requested(result, keys) -> dict[str, set[str]]:
    out = {}
    for key in keys:
        n = result.get_num_requested(dg.AssetKey(key))
        if n:
            partitions = result.get_requested_partitions(dg.AssetKey(key))
            out[key] = {p for p in partitions if p is not None} or {"(unpartitioned)"}
    return out


def test_monthly_automation_refreshes_the_newest_months_then_retrains_and_predicts(
    built_default_market, tmp_path
):
    copy_warehouse(built_default_market["pristine_data_dir"], tmp_path / "data")
    defs = definitions_for(tmp_path, SyntheticSource())
    warehouse = Warehouse(tmp_path / "data", tmp_path / "models")
    before = warehouse.read_keyed("model_registry")
    keys = [*PARTITIONED, *MODEL_GROUP, "options_flow_evaluation"]

    with dg.instance_for_test() as instance:

        def evaluate(when: datetime.datetime, cursor=None):
            return dg.evaluate_automation_conditions(defs, instance, evaluation_time=when, cursor=cursor)

        quiet = evaluate(datetime.datetime(2025, 1, 2, 5, 0, tzinfo=UTC))
        assert _requested(quiet, keys) == {}  # before the monthly tick nothing runs

        tick = evaluate(datetime.datetime(2025, 1, 2, 6, 5, tzinfo=UTC), quiet.cursor)
        first = _requested(tick, keys)
        # the month that just ended and the one before (labels complete, late filings land)
        assert first == {key: {"2024-11-01", "2024-12-01"} for key in PARTITIONED if key in first}
        assert {"universe", "raw_prices", "raw_option_prints", "smart_money_events"} <= set(first)
        assert not set(first) & set(MODEL_GROUP)  # the model waits for the new data

        # run what was requested, as the daemon would (one run per stage job, as `smart-money build` does)
        months = (pd.Timestamp("2024-11-01"), pd.Timestamp("2024-12-01"))
        for job in MONTHLY_JOBS:
            assert cli.run_stage(cli.Stage(job, *months), defs, instance, "WARNING").success
        settle = evaluate(datetime.datetime(2025, 1, 2, 6, 10, tzinfo=UTC), tick.cursor)
        second = _requested(settle, keys)
        for _ in range(3):  # parents still catching up are requested on later evaluations of the same tick
            if set(MODEL_GROUP) <= set(second) or not second:
                break
            for job in MONTHLY_JOBS:
                cli.run_stage(cli.Stage(job, *months), defs, instance, "WARNING")
            settle = evaluate(datetime.datetime(2025, 1, 2, 6, 15, tzinfo=UTC), settle.cursor)
            second = {**second, **_requested(settle, keys)}
        assert set(MODEL_GROUP) <= set(second), second
        assert "options_flow_evaluation" in second  # it follows its parents like the model group

        result = cli.run_stage(cli.Stage(jobs.MODEL_JOB), defs, instance, "WARNING")
        assert result.success
        freshness = {e.check_name: e for e in result.get_asset_check_evaluations()}["predictions_freshness"]
        assert freshness.passed, freshness.metadata

        after = evaluate(datetime.datetime(2025, 1, 2, 6, 30, tzinfo=UTC), settle.cursor)
        assert _requested(after, keys) == {}  # handled until the next tick
        # the track record follows the new predictions: the latest two sample months are scored
        scored = _requested(after, TRACK_RECORD)
        assert scored == {"prediction_outcomes": {"2024-11-01", "2024-12-01"}}, scored
        stage = cli.Stage(jobs.TRACK_RECORD_JOB, *months)
        scoring = cli.run_stage(stage, defs, instance, "WARNING")
        assert scoring.success
        outcomes = {e.asset_key.to_user_string(): e for e in scoring.get_asset_materialization_events()}
        # the build's model files were not copied here: its predictions are left out, and it says so
        assert "left out" in outcomes["prediction_outcomes"].materialization.metadata["months"].value
        settled = evaluate(datetime.datetime(2025, 1, 2, 6, 35, tzinfo=UTC), after.cursor)
        assert _requested(settled, TRACK_RECORD) == {}  # track_record ran in the same job

    registry = warehouse.read_keyed("model_registry")
    assert len(registry) == len(before) + 1  # retrained and registered
    newest = registry.sort_values("created_at").iloc[-1]
    stored = warehouse.existing_keyed_months("predictions", {"model_version": newest["model_version"]})
    if newest["status"] == "production":
        assert stored == [pd.Timestamp("2024-12-01")]


def test_the_freshness_check_is_evaluated_daily(tmp_path):
    defs = definitions_for(tmp_path)
    key = dg.AssetCheckKey(dg.AssetKey("predictions"), automation.PREDICTIONS_FRESHNESS)
    selection = dg.AssetSelection.checks(key)

    def requested(result) -> int:
        return sum(r.true_subset.size for r in result.results if r.key == key)

    with dg.instance_for_test() as instance:
        cursor = None
        for hour, expected in ((6, 0), (7, 1), (8, 0), (31, 1)):  # 07:00 UTC every day
            when = datetime.datetime(2026, 12, 1, tzinfo=UTC) + datetime.timedelta(hours=hour, minutes=5)
            result = dg.evaluate_automation_conditions(
                defs, instance, asset_selection=selection, evaluation_time=when, cursor=cursor
            )
            assert requested(result) == expected, when
            cursor = result.cursor


def test_a_stale_month_warns_through_the_dagster_check(built_default_market, tmp_path):
    data_dir = copy_warehouse(built_default_market["pristine_data_dir"], tmp_path / "data")
    warehouse = Warehouse(data_dir)
    registry = warehouse.read_keyed("model_registry")
    version = registry.loc[registry["status"] == "production", "model_version"].iloc[0]
    newest = warehouse.existing_keyed_months("predictions", {"model_version": version})[-1]

    def check() -> dg.AssetCheckResult:
        return automation.predictions_freshness(
            dg.build_asset_check_context(), warehouse=warehouse, source=SyntheticSource()
        )

    assert check().passed
    path = warehouse.keyed_path("predictions", {"model_version": version, "month": f"{newest:%Y-%m}"})
    older = newest - pd.DateOffset(months=1)
    path.parent.rename(path.parent.with_name(f"month={older:%Y-%m}"))  # only last month was predicted
    result = check()
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert "STALE" in result.description and "1 month(s) behind" in result.description
    assert result.metadata["months_behind"].value == 1


@pytest.mark.parametrize(
    "predicted, features, live, today, stale, behind",
    [
        (["2024-12"], ["2024-11", "2024-12"], False, "2026-11-30", False, 0),
        (["2024-10"], ["2024-11", "2024-12"], False, "2026-11-30", True, 2),
        ([], ["2024-12"], False, "2026-11-30", True, -1),
        ([], [], False, "2026-11-30", False, 0),
        # a live source is also measured against the last finished month
        (["2026-09"], ["2026-09"], True, "2026-11-02", True, 1),
        (["2026-10"], ["2026-10"], True, "2026-11-02", False, 0),
    ],
)
def test_prediction_staleness(predicted, features, live, today, stale, behind):
    months = [pd.Timestamp(f"{m}-01") for m in predicted]
    feature_months = [pd.Timestamp(f"{m}-01") for m in features]
    result = prediction_staleness(months, feature_months, "v1", live, datetime.date.fromisoformat(today))
    assert (result.stale, result.months_behind) == (stale, behind)
    assert result.message


def test_the_automation_sensor_is_off_unless_asked(monkeypatch):
    def sensor():
        return {s.name: s for s in build_definitions().sensors}[automation.AUTOMATION_SENSOR]

    monkeypatch.delenv("SMART_MONEY_AUTOMATION", raising=False)
    assert sensor().default_status == dg.DefaultSensorStatus.STOPPED
    monkeypatch.setenv("SMART_MONEY_AUTOMATION", "on")
    assert sensor().default_status == dg.DefaultSensorStatus.RUNNING


def test_a_degraded_track_record_requests_one_retrain_and_an_honest_one_none(track_record_market):
    """The sensor asks for the model job (promotion still needs the volatility baseline beaten) when the
    serving model's last live months degrade; the run key makes the same evidence ask once."""
    warehouse, defs = track_record_market["warehouse"], track_record_market["defs"]
    sensor = {s.name: s for s in defs.sensors}[automation.RETRAIN_SENSOR]
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    resources = {"warehouse": track_record_market["resource"]}
    honest = sensor(dg.build_sensor_context(instance=track_record_market["instance"], resources=resources))
    assert isinstance(honest, dg.SkipReason) and "within 0.05 of its test AUC" in honest.skip_message
    outcomes = warehouse.read_months("prediction_outcomes")
    months = list(outcomes["sample_date"].dt.to_period("M").dt.to_timestamp().unique())
    rng = np.random.default_rng(3)
    shuffled = outcomes.assign(
        label=outcomes.groupby("sample_date")["label"].transform(lambda s: rng.permutation(s.to_numpy()))
    )
    warehouse.write_months("prediction_outcomes", shuffled, months, "sample_date")
    try:
        request = sensor(
            dg.build_sensor_context(instance=track_record_market["instance"], resources=resources)
        )
        again = automation.retrain_request(warehouse)
    finally:
        warehouse.write_months("prediction_outcomes", outcomes, months, "sample_date")
    assert isinstance(request, dg.RunRequest) and request.job_name == jobs.MODEL_JOB
    assert request.run_key == f"retrain-{track_record_market['version']}-2024-12" == again.run_key
    assert "below its test AUC" in request.tags["smart_money/reason"]
    # the requested job retrains and registers: model_registry and its blocking promotion check run in it
    selected = jobs.model_job.selection.resolve(defs.resolve_asset_graph())
    assert {dg.AssetKey("smart_money_model"), dg.AssetKey("model_registry")} <= selected
