"""The raw group through the real Dagster runtime with the sec source against the local EDGAR stand-in's
simulated world (prices from the simulated market): metadata with the coverage figures, a second run with
zero requests, the User-Agent in no log, file or metadata, fail-fast without a User-Agent or a price source,
and one clear error with no partial partition when the SEC refuses or a data set is corrupt."""

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from smart_money import cli
from smart_money.definitions import build_definitions
from smart_money.defs import jobs
from smart_money.sources.synthetic.market import MarketConfig
from smart_money.testing.edgar_server import Fault, LocalEdgarServer
from smart_money.testing.openfigi_server import LocalOpenFigiServer, synthetic_table
from smart_money.warehouse import Warehouse

AGENT = "Dagster Sec-Test sec-dagster-4f1a@smart-money.test"
WORLD = MarketConfig(seed=9, n_symbols=6)
RAW = (pd.Timestamp("2024-10-01"), pd.Timestamp("2025-01-01"))


@pytest.fixture(scope="module")
def sec_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("sec")
    with (
        LocalEdgarServer(config=WORLD) as server,
        LocalOpenFigiServer(synthetic_table(WORLD)) as figi,
        pytest.MonkeyPatch.context() as mp,
    ):
        env = {
            "OPENFIGI_URL": figi.url,
            "SMART_MONEY_ETFS": "SYNETF-MKT,SYNETF-LRG",
            "SMART_MONEY_SOURCE": "sec",
            "SEC_USER_AGENT": AGENT,
            "SEC_WWW_URL": server.url,
            "SEC_DATA_URL": server.url,
            "SEC_RATE_PER_S": "1000",
            "SEC_AS_OF": "2025-01-31",
            "SMART_MONEY_UNIVERSE": "all",
            "SMART_MONEY_PRICES": "synthetic",
            "SMART_MONEY_SEED": "9",
            "SMART_MONEY_N_SYMBOLS": "6",
            "SMART_MONEY_DATA_DIR": str(root / "data"),
            "DAGSTER_HOME": str(root / "dagster_home"),
        }
        for name, value in env.items():
            mp.setenv(name, value)
        (root / "dagster_home").mkdir()
        with dg.instance_for_test(temp_dir=str(root / "dagster_home")) as instance:
            defs = build_definitions()
            stage = cli.Stage(jobs.RAW_JOB, *RAW)
            first = cli.run_stage(stage, defs, instance, log_level="DEBUG")
            first_requests = server.state.total
            server.state.reset()
            second = cli.run_stage(stage, defs, instance, log_level="DEBUG")
            yield {
                "root": root,
                "server": server,
                "instance": instance,
                "defs": defs,
                "first": first,
                "second": second,
                "first_requests": first_requests,
                "second_requests": server.state.total,
                "mp": mp,
            }


def _metadata(result) -> dict:
    return {
        e.asset_key.to_user_string(): {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
    }


def test_raw_group_runs_on_the_sec_source_with_coverage_metadata(sec_run):
    first = sec_run["first"]
    assert first.success
    meta = _metadata(first)
    insider = meta["raw_insider_trades"]
    assert insider["source"] == "sec" and insider["quarantined_records"] == 0
    assert insider["fetch_coverage_datasets_read"] == 1  # 2024 Q4; 2025 Q1 is not published on 2025-01-31
    assert insider["fetch_coverage_filings_from_documents"] > 0  # January 2025, document by document
    assert insider["fetch_coverage_rows_from_datasets"] > 0
    assert meta["universe"]["fetch_coverage_universe_without_shares_outstanding"] == 0
    warehouse = Warehouse(sec_run["root"] / "data")
    universe = warehouse.query("select symbol, cik, is_synthetic, source from universe order by symbol")
    assert universe["symbol"].tolist() == [f"SYN{i:03d}" for i in range(1, 7)]
    assert not universe["is_synthetic"].any() and (universe["source"] == "sec").all()
    trades = warehouse.query("select * from raw_insider_trades")
    assert len(trades) > 0 and (trades["source"] == "sec").all()
    assert trades["accession_number"].notna().all()
    prices = warehouse.query("select count(*) n, min(source) s from raw_prices")
    assert prices["n"].iloc[0] > 0 and prices["s"].iloc[0] == "synthetic"
    assert meta["raw_congress_trades"]["dagster/row_count"] == 0  # SMART_MONEY_CONGRESS=none
    holdings = warehouse.query("select * from raw_institutional_holdings")
    assert len(holdings) > 0 and set(holdings["source"]) == {"sec"}
    assert holdings["cusip"].notna().all() and holdings["accession_number"].notna().all()
    assert (holdings["known_at"] > holdings["report_date"]).all()
    assert meta["raw_institutional_holdings"]["fetch_coverage_form13f_datasets_read"] >= 1
    etf = warehouse.query("select * from raw_etf_holdings")
    assert set(etf["etf_symbol"]) == {"SYNETF-MKT", "SYNETF-LRG"} and set(etf["source"]) == {"sec"}
    assert (etf["known_at"] > etf["report_date"]).all()  # public on filing, after the report date
    checks = {e.check_name: e for e in first.get_asset_check_evaluations()}
    mapped = checks["raw_institutional_holdings_value_mapped"]
    assert mapped.passed, mapped.metadata["summary"].value
    assert sec_run["first_requests"] > 0


def test_a_second_run_makes_zero_requests(sec_run):
    assert sec_run["second"].success
    assert sec_run["second_requests"] == 0


def test_the_user_agent_appears_in_no_log_file_name_or_metadata(sec_run, capfd):
    texts = [
        str(record)
        for result in (sec_run["first"], sec_run["second"])
        for record in sec_run["instance"].all_logs(result.run_id)
    ]
    joined = "\n".join(texts)
    assert "fetch_requests" in joined and len(texts) > 100
    assert AGENT not in joined and "sec-dagster-4f1a" not in joined
    captured = capfd.readouterr()
    assert AGENT not in captured.out and AGENT not in captured.err
    for path in Path(sec_run["root"]).rglob("*"):
        assert "sec-dagster" not in path.name
        if path.is_file():
            assert b"sec-dagster-4f1a" not in path.read_bytes(), path


@pytest.mark.parametrize(
    "unset, value, message",
    [
        ("SEC_USER_AGENT", None, "SEC_USER_AGENT is not set"),
        ("SEC_USER_AGENT", "just a name", "SEC_USER_AGENT has no email"),
        ("SMART_MONEY_PRICES", None, "SMART_MONEY_SOURCE=sec needs a price source"),
        ("SMART_MONEY_PRICES", "/nowhere/prices.csv", "neither fmp nor synthetic nor an existing file"),
        ("SMART_MONEY_PRICES", "fmp", "needs FMP_API_KEY"),
        (
            "SMART_MONEY_ETF_HOLDINGS",
            "/nowhere/ark",
            "SMART_MONEY_ETF_HOLDINGS='/nowhere/ark' does not exist",
        ),
    ],
)
def test_a_missing_setting_stops_the_build_before_any_request(sec_run, capsys, unset, value, message):
    mp, server = sec_run["mp"], sec_run["server"]
    server.state.reset()
    mp.delenv("FMP_API_KEY", raising=False)
    before = __import__("os").environ.get(unset)
    if value is None:
        mp.delenv(unset)
    else:
        mp.setenv(unset, value)
    try:
        code = cli.main(["build", "--skip-model"])
    finally:
        if before is None:
            mp.delenv(unset, raising=False)
        else:
            mp.setenv(unset, before)
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and "nothing was requested" in err
    assert server.state.total == 0


@pytest.mark.parametrize(
    "fault, expected",
    [
        (Fault("403", path="company_tickers"), "403"),
        (Fault("corrupt", path="2024q4_form345"), "2024q4"),
    ],
)
def test_a_refusal_or_a_corrupt_data_set_is_one_clear_error_and_no_partial_partition(
    sec_run, tmp_path, fault, expected
):
    server = sec_run["server"]
    mp = sec_run["mp"]
    mp.setenv("SMART_MONEY_DATA_DIR", str(tmp_path / "data"))
    server.state.faults = [fault]
    try:
        defs = build_definitions()
        result = cli.run_stage(cli.Stage(jobs.RAW_JOB, *RAW), defs, sec_run["instance"], log_level="ERROR")
    finally:
        server.state.faults = []
        mp.setenv("SMART_MONEY_DATA_DIR", str(sec_run["root"] / "data"))
    assert not result.success
    reasons = cli.failure_reasons(result)
    assert len(reasons) == 1 and expected in reasons[0], reasons
    written = {p.parts[-3] for p in (tmp_path / "data").rglob("*.parquet")}
    assert "raw_insider_trades" not in written
    if fault.kind == "403":
        assert not written  # the universe failed first: nothing downstream ran
    assert not list((tmp_path / "data").rglob("*.tmp"))
