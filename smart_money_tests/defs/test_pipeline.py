"""End to end through the real Dagster runtime on a small universe (30 symbols, 6 sample months)."""

import dagster as dg
import pandas as pd
import pytest

from smart_money import cli, sample_tables, timeline
from smart_money.defs import jobs
from smart_money.defs.resources import SyntheticSource
from smart_money_tests.markets import definitions_for, warehouse_resource

N_SYMBOLS = 30
RAW = (pd.Timestamp("2019-01-01"), pd.Timestamp("2022-07-01"))
SAMPLES = (pd.Timestamp("2022-01-01"), pd.Timestamp("2022-06-01"))


def _evaluations(result) -> dict:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Raw history and six sample months built once, as `make run` does (two range runs)."""
    root = tmp_path_factory.mktemp("pipeline")
    with dg.instance_for_test() as instance:
        defs = definitions_for(root, SyntheticSource(n_symbols=N_SYMBOLS, seed=3))
        raw = cli.run_stage(cli.Stage(jobs.RAW_JOB, *RAW), defs, instance, log_level="WARNING")
        features = cli.run_stage(cli.Stage(jobs.FEATURES_JOB, *SAMPLES), defs, instance, log_level="WARNING")
        warehouse = defs.resources["warehouse"].warehouse()
        yield {
            "root": root,
            "defs": defs,
            "instance": instance,
            "raw": raw,
            "features": features,
            "warehouse": warehouse,
        }


def test_raw_job_is_one_successful_named_run_with_passing_gates(built):
    raw = built["raw"]
    assert raw.success
    assert raw.dagster_run.job_name == "raw"
    assert built["instance"].get_run_by_id(raw.run_id).job_name == "raw"
    months = len(timeline.months_between(*RAW))
    materialized = [e for e in raw.get_asset_materialization_events()]
    assert len(materialized) == 7 * months  # seven raw assets, one event per monthly partition
    checks = _evaluations(raw)
    assert set(checks) == {
        "universe_schema",
        "raw_prices_schema",
        "raw_prices_completeness",
        "raw_insider_trades_schema",
        "raw_institutional_holdings_schema",
        "raw_institutional_holdings_value_mapped",
        "raw_congress_trades_schema",
        "raw_etf_holdings_schema",
        "synthetic_truth_schema",
    }
    assert all(c.passed for c in checks.values())
    assert checks["raw_prices_completeness"].metadata["completeness"].value == 1.0


def test_features_and_labels_fill_the_warehouse_and_gates_behave(built):
    result = built["features"]
    assert result.success
    checks = _evaluations(result)
    assert checks["features_schema"].passed and checks["labels_schema"].passed
    assert checks["features_completeness"].passed and checks["labels_completeness"].passed
    lookahead = checks["features_no_lookahead"]
    assert lookahead.passed and lookahead.metadata["later_records_offered"].value > 1000
    # The realistic base rate of +5% in 14 days is about 20%: a balance WARN, not a block.
    assert checks["labels_balance"].passed or checks["labels_balance"].severity == dg.AssetCheckSeverity.WARN
    missing = checks["features_missing_data"]
    assert missing.passed or missing.severity == dg.AssetCheckSeverity.WARN
    warehouse = built["warehouse"]
    counts = warehouse.query(
        "select count(*) as n, count(distinct symbol) as s, count(distinct sample_date) as d from features"
    )
    assert counts.iloc[0].tolist() == [N_SYMBOLS * 6, N_SYMBOLS, 6]
    joined = warehouse.query(
        "select count(*) from features join labels using (symbol, sample_date) where labels.label is not null"
    )
    assert joined.iloc[0, 0] == N_SYMBOLS * 6
    universe = warehouse.query("select count(*), bool_and(is_synthetic) from universe").iloc[0].tolist()
    assert universe == [N_SYMBOLS, True]


def test_rematerializing_a_partition_is_idempotent(built):
    path = built["warehouse"].partition_path("raw_insider_trades", pd.Timestamp("2021-06-01"))
    before = path.read_bytes()
    defs = built["defs"]
    result = dg.materialize(
        [*defs.assets, *defs.asset_checks],
        selection=["raw_insider_trades"],
        partition_key="2021-06-01",
        resources=defs.resources,
        instance=built["instance"],
    )
    assert result.success
    assert path.read_bytes() == before


class _HalfThePrices(SyntheticSource):
    """A broken source: prices for only half of the universe."""

    def prices(self, symbols, start, end):
        return super().prices(list(symbols)[: len(symbols) // 2], start, end)


def test_half_the_symbols_missing_fails_completeness_and_blocks_downstream(built, tmp_path):
    """Swapping the source and the warehouse resources is all it takes to build elsewhere."""
    defs = built["defs"]
    broken = _HalfThePrices(n_symbols=N_SYMBOLS, seed=3)
    elsewhere = warehouse_resource(tmp_path)
    result = dg.materialize(
        [*defs.assets, *defs.asset_checks],
        selection=["universe", "raw_prices", "features", "labels"],
        partition_key="2022-03-01",
        resources={**defs.resources, "source": broken, "warehouse": elsewhere},
        instance=built["instance"],
        raise_on_error=False,
    )
    assert not result.success
    completeness = _evaluations(result)["raw_prices_completeness"]
    assert not completeness.passed and completeness.severity == dg.AssetCheckSeverity.ERROR
    assert completeness.metadata["completeness"].value == 0.5
    done = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert done == {"universe", "raw_prices"}  # features and labels never ran
    assert elsewhere.warehouse().existing_months("features") == []
    assert elsewhere.warehouse().existing_months("raw_prices") == [pd.Timestamp("2022-03-01")]
    assert built["warehouse"].partition_path("raw_prices", pd.Timestamp("2022-03-01")).exists()


def test_an_injected_look_ahead_leak_is_caught_and_blocks_labels(built, monkeypatch):
    """Features computed ten days after their sample date (a real leak) must fail the gate."""
    honest = sample_tables.build_feature_table

    def leaky(warehouse, months, log=print):
        grid = sample_tables.sample_grid(warehouse, months)
        raw = sample_tables.load_raw(warehouse, sample_tables.feature_lookback_start(months[0]), RAW[1])
        later = grid.assign(sample_date=grid["sample_date"] + pd.Timedelta(days=10))
        frame = sample_tables.features_for(later, raw)
        return frame.assign(sample_date=frame["sample_date"] - pd.Timedelta(days=10))

    monkeypatch.setattr(sample_tables, "build_feature_table", leaky)
    defs = built["defs"]
    try:
        result = dg.materialize(
            [*defs.assets, *defs.asset_checks],
            selection=["features", "labels"],
            partition_key="2022-05-01",
            resources=defs.resources,
            instance=built["instance"],
            raise_on_error=False,
        )
    finally:
        monkeypatch.setattr(sample_tables, "build_feature_table", honest)
        dg.materialize(
            [*defs.assets, *defs.asset_checks],
            selection=["features"],
            partition_key="2022-05-01",
            resources=defs.resources,
            instance=built["instance"],
        )
    leak = _evaluations(result)["features_no_lookahead"]
    assert not leak.passed and leak.severity == dg.AssetCheckSeverity.ERROR
    assert leak.metadata["failure_count"].value > 0
    done = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert done == {"features"}  # labels blocked


def test_the_cli_build_prints_tables_gates_and_paths(built, capsys, monkeypatch):
    monkeypatch.setenv("SMART_MONEY_DATA_DIR", str(built["root"] / "data"))
    monkeypatch.setenv("SMART_MONEY_MODELS_DIR", str(built["root"] / "models"))
    monkeypatch.setenv("SMART_MONEY_N_SYMBOLS", str(N_SYMBOLS))
    monkeypatch.setenv("SMART_MONEY_SEED", "3")
    monkeypatch.setenv("DAGSTER_HOME", str(built["root"] / "dagster_home"))
    code = cli.main(
        [
            "build",
            "--skip-raw",
            "--sample-start",
            "2022-01",
            "--sample-end",
            "2022-02",
            "--skip-model",
            "--log-level",
            "WARNING",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "SYNTHETIC" in out and "Rows per table" in out
    assert "features_no_lookahead" in out and "PASS" in out
    assert "job 'options_flow'" in out and "job 'features_and_labels'" in out and "job 'model'" not in out
    assert str(built["warehouse"].catalog_path) in out


def test_a_flipped_bit_in_a_raw_partition_fails_the_features_run_naming_the_file(built):
    path = built["warehouse"].partition_path("raw_insider_trades", pd.Timestamp("2022-03-01"))
    original = path.read_bytes()
    damaged = bytearray(original)
    damaged[len(damaged) // 2] ^= 0x01
    path.write_bytes(bytes(damaged))
    defs = built["defs"]
    try:
        result = dg.materialize(
            [*defs.assets, *defs.asset_checks],
            selection=["features"],
            partition_key="2022-04-01",
            resources=defs.resources,
            instance=built["instance"],
            raise_on_error=False,
        )
    finally:
        path.write_bytes(original)
    assert not result.success
    (failure,) = result.get_step_failure_events()
    message = failure.event_specific_data.error.to_string()
    assert "raw_insider_trades partition month=2022-03" in message and str(path) in message
    assert built["warehouse"].existing_months("features") == [
        pd.Timestamp(f"2022-0{m}-01") for m in range(1, 7)
    ]  # the earlier features month is untouched
