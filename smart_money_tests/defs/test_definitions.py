"""Snapshot of the asset graph and its jobs: an accidental change of keys, groups, dependencies, checks or
stages shows in review."""

import dagster as dg

import smart_money
from smart_money.definitions import defs

EXPECTED = {
    "universe": ("raw", set()),
    "raw_prices": ("raw", {"universe"}),
    "raw_insider_trades": ("raw", {"universe"}),
    "raw_institutional_holdings": ("raw", {"universe"}),
    "raw_congress_trades": ("raw", {"universe"}),
    "raw_etf_holdings": ("raw", {"universe"}),
    "synthetic_truth": ("raw", {"universe"}),
    "features": (
        "features",
        {
            "universe",
            "raw_prices",
            "raw_insider_trades",
            "raw_institutional_holdings",
            "raw_congress_trades",
            "raw_etf_holdings",
            "smart_money_events",
        },
    ),
    "labels": ("features", {"universe", "raw_prices", "features"}),
    "dataset_splits": ("model", {"features", "labels"}),
    "smart_money_model": ("model", {"dataset_splits", "features", "labels", "synthetic_truth"}),
    "evaluation_report": ("model", {"smart_money_model", "options_flow_evaluation"}),
    "model_registry": ("model", {"evaluation_report"}),
    "predictions": ("model", {"model_registry", "features"}),
    "prediction_outcomes": ("model", {"predictions", "labels", "features"}),
    "track_record": ("model", {"prediction_outcomes"}),
    "raw_option_prints": ("options_flow", {"universe"}),
    "synthetic_flow_truth": ("options_flow", {"universe"}),
    "raw_corporate_events": ("options_flow", {"universe"}),
    "smart_money_events": ("options_flow", {"raw_option_prints", "raw_corporate_events"}),
    "options_flow_evaluation": ("options_flow", {"smart_money_events", "synthetic_flow_truth"}),
}
TABLE_ASSETS_UNPARTITIONED = {
    "dataset_splits",
    "evaluation_report",
    "model_registry",
    "predictions",
    "track_record",
}
UNPARTITIONED_OUTSIDE_MODEL = {"options_flow_evaluation"}
MODEL_PARTITIONED = {"prediction_outcomes"}  # scored by sample month, once its labels are complete
EXPECTED_CHECKS = {
    "universe": {"universe_schema"},
    "synthetic_truth": {"synthetic_truth_schema"},
    "raw_option_prints": {"raw_option_prints_schema"},
    "synthetic_flow_truth": {"synthetic_flow_truth_schema"},
    "raw_corporate_events": {"raw_corporate_events_schema"},
    "raw_prices": {"raw_prices_schema", "raw_prices_completeness"},
    "raw_insider_trades": {"raw_insider_trades_schema"},
    "raw_institutional_holdings": {
        "raw_institutional_holdings_schema",
        "raw_institutional_holdings_value_mapped",
    },
    "raw_congress_trades": {"raw_congress_trades_schema"},
    "raw_etf_holdings": {"raw_etf_holdings_schema"},
    "features": {
        "features_schema",
        "features_completeness",
        "features_missing_data",
        "features_no_lookahead",
    },
    "labels": {"labels_schema", "labels_completeness", "labels_balance"},
    "dataset_splits": {"dataset_splits_embargo"},
    "smart_money_model": {"smart_money_model_artifact"},
    "evaluation_report": {"evaluation_report_complete"},
    "options_flow_evaluation": {"options_flow_evaluation_consistent"},
    "model_registry": {"model_registry_promotion"},
    "predictions": {"predictions_freshness"},
    "track_record": {"track_record_degradation"},
    "prediction_outcomes": {"prediction_outcomes_schema"},
    "smart_money_events": {"smart_money_events_schema", "smart_money_events_integrity"},
}
# a warning about age, or about how much 13F value mapped to symbols, must not stop a run
NON_BLOCKING_CHECKS = {
    "predictions_freshness",
    "raw_institutional_holdings_value_mapped",
    "features_missing_data",
    "track_record_degradation",
}
# checks whose failure is only ever a warning: their descriptions must say so
WARNING_CHECKS = {
    "raw_institutional_holdings_value_mapped",
    "features_missing_data",
    "track_record_degradation",
}
# Edges that carry an artifact (the asset's output, loaded as the downstream's input), not only an order.
DATA_EDGES = {
    ("dataset_splits", "smart_money_model"),
    ("smart_money_model", "evaluation_report"),
    ("options_flow_evaluation", "evaluation_report"),
    ("evaluation_report", "model_registry"),
    ("model_registry", "predictions"),
}
EXPECTED_JOBS = {
    "raw": {
        "universe",
        "raw_prices",
        "raw_insider_trades",
        "raw_institutional_holdings",
        "raw_congress_trades",
        "raw_etf_holdings",
        "synthetic_truth",
    },
    "options_flow": {
        "raw_option_prints",
        "synthetic_flow_truth",
        "raw_corporate_events",
        "smart_money_events",
    },
    "features_and_labels": {"features", "labels"},
    "model": {
        "options_flow_evaluation",
        "dataset_splits",
        "smart_money_model",
        "evaluation_report",
        "model_registry",
        "predictions",
    },
    "live_track_record": {"prediction_outcomes", "track_record"},
}


def _graph():
    return defs.resolve_asset_graph()


def test_asset_keys_groups_and_dependencies():
    graph = _graph()
    actual = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        actual[key.to_user_string()] = (node.group_name, {p.to_user_string() for p in node.parent_keys})
    assert actual == EXPECTED


def test_artifacts_travel_as_declared_inputs():
    """The model handle, the split summary and the options-flow evaluation are inputs, not event-log reads."""
    inputs = set()
    for assets_def in defs.assets:
        for name, key in assets_def.keys_by_input_name.items():
            if assets_def.op.ins[name].dagster_type.is_nothing:
                continue
            for output in assets_def.keys:
                inputs.add((key.to_user_string(), output.to_user_string()))
    assert DATA_EDGES <= inputs
    checks_inputs = {
        (spec.asset_key.to_user_string(), spec.name)
        for checks_def in defs.asset_checks
        for spec in checks_def.check_specs
        if any(not checks_def.node_def.ins[n].dagster_type.is_nothing for n in checks_def.node_def.ins)
    }
    assert ("dataset_splits", "dataset_splits_embargo") in checks_inputs
    assert ("model_registry", "model_registry_promotion") in checks_inputs


def test_the_build_stages_are_named_jobs():
    graph = _graph()
    actual = {}
    for name in EXPECTED_JOBS:
        job = defs.resolve_job_def(name)
        actual[name] = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
        assert job.description
    assert actual == EXPECTED_JOBS
    covered = set().union(*actual.values())
    assert covered == {k.to_user_string() for k in graph.get_all_asset_keys()}


def test_no_feature_reads_labels_or_the_hidden_truth():
    graph = _graph()
    upstream = {k.to_user_string() for k in graph.upstream_key_iterator(dg.AssetKey("features"))}
    assert "labels" not in upstream and "synthetic_truth" not in upstream


def test_checks_are_blocking_and_named_asset_property():
    actual: dict[str, set[str]] = {}
    attached = [a for a in defs.assets if isinstance(a, dg.AssetsDefinition)]  # checks an asset computes
    for checks_def in [*defs.asset_checks, *attached]:
        for spec in checks_def.check_specs:
            actual.setdefault(spec.asset_key.to_user_string(), set()).add(spec.name)
            assert spec.blocking == (spec.name not in NON_BLOCKING_CHECKS), spec.name
    assert actual == EXPECTED_CHECKS


def test_every_table_asset_says_what_a_row_is_and_data_assets_are_partitioned_monthly():
    graph = _graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        name = key.to_user_string()
        if name in UNPARTITIONED_OUTSIDE_MODEL:
            assert node.partitions_def is None and "one row per" not in (node.description or ""), name
            continue
        if node.group_name == "model" and name not in MODEL_PARTITIONED:
            assert node.partitions_def is None, name  # trained and evaluated over the whole sample window
            if name in TABLE_ASSETS_UNPARTITIONED:
                assert "one row per" in (node.description or "").lower(), name
            continue
        assert "one row per" in (node.description or "").lower(), key
        assert isinstance(node.partitions_def, dg.MonthlyPartitionsDefinition), key
        assert node.backfill_policy == dg.BackfillPolicy.single_run(), key


def test_the_package_exposes_the_definitions_for_dagster_minus_m():
    assert isinstance(smart_money.asset_graph, dg.Definitions)
    assert "asset_graph" in dir(smart_money)


def test_every_asset_is_automated_monthly_and_the_sensor_is_declared():
    graph = _graph()
    for key in graph.get_all_asset_keys():
        condition = graph.get(key).automation_condition
        assert condition is not None, key
        assert "0 6 2 * *" in condition.get_label(), (key, condition.get_label())
    sensors = {s.name: s for s in defs.sensors}
    assert isinstance(sensors["smart_money_automation"], dg.AutomationConditionSensorDefinition)


def _check_specs() -> list[dg.AssetCheckSpec]:
    attached = [a for a in defs.assets if isinstance(a, dg.AssetsDefinition)]
    return [spec for d in [*defs.asset_checks, *attached] for spec in d.check_specs]


def test_every_asset_has_a_check_and_warnings_say_they_do_not_block():
    specs = _check_specs()
    checked = {spec.asset_key for spec in specs}
    unchecked = sorted(k.to_user_string() for k in _graph().get_all_asset_keys() if k not in checked)
    assert unchecked == []
    for spec in specs:
        assert spec.description, spec.name
        if spec.name in WARNING_CHECKS:
            assert "warning: does not block" in spec.description, spec.name
            assert not spec.blocking, spec.name


def test_partitions_end_where_the_source_ends_and_samples_cover_the_sample_months():
    graph = _graph()
    expected = {"raw": ("2019-01-01", "2025-01-01", 73)}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.partitions_def is None:
            continue
        keys = node.partitions_def.get_partition_keys()
        first, last, count = expected.get(node.group_name, ("2022-01-01", "2024-12-01", 36))
        assert (keys[0], keys[-1], len(keys)) == (first, last, count), key


def test_the_code_location_loads_as_the_ui_and_the_dagster_cli_load_it():
    """Every job, op and asset name is unique in the repository (a job named like an asset's op broke the
    UI's code location and `dagster job execute -m smart_money`)."""
    dg.Definitions.validate_loadable(defs)
    assert {job.name for job in defs.get_repository_def().get_all_jobs()} >= set(EXPECTED_JOBS)
