"""End to end on real records: `smart-money build` with the sec source against the EDGAR stand-in serving
the shared real Form 3/4/5 filings (and the SEC's real company tickers), real daily closes from a file
(skfolio's 20 S&P 500 names) and the real Senate disclosures from their JSON. The build completes, the gates
say what they find, and the report and the page say REAL DATA and list the empty tables."""

import json
import os
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from smart_money import cli
from smart_money.serve.app import create_app
from smart_money.testing.edgar_server import LocalEdgarServer
from smart_money.testing.openfigi_server import LocalOpenFigiServer, read_table
from smart_money.warehouse import Warehouse
from smart_money_tests.sources.sec.realdata import FORM4_ZIP, SEC_API

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "smart_money_tests" / "fixtures"
PRICES = FIXTURES / "prices" / "sp500_20_closes_2012_2022.csv.gz"
SENATE = FIXTURES / "congress" / "senate" / "daily_summaries_received_2012_2016.json.gz"
TICKERS = SEC_API / "company_tickers_TRUNCATED_first247.json"
FIGI_TABLE = FIXTURES / "openfigi" / "real_cusips.csv"
NAMES = "AAPL AMD BAC BBY CVX GE HD JNJ JPM KO LLY MRK MSFT PEP PFE PG RRC UNH WMT XOM".split()
AGENT = "Smart Money Real-Data Test realdata@smart-money.test"


@pytest.fixture(scope="module")
def real_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("sec_real")
    with zipfile.ZipFile(FORM4_ZIP) as archive:
        archive.extractall(root / "filings")
    with (
        LocalEdgarServer(root / "filings" / "form4_xml", as_of=date(2023, 1, 31), tickers=TICKERS) as server,
        LocalOpenFigiServer(read_table(FIGI_TABLE)) as figi,
    ):
        env = {
            "OPENFIGI_URL": figi.url,
            "SMART_MONEY_ETFS": "none",  # no real N-PORT filing is among the shared records
            **os.environ,
            "PYTHONPATH": str(REPO),
            "SMART_MONEY_SOURCE": "sec",
            "SEC_USER_AGENT": AGENT,
            "SEC_WWW_URL": server.url,
            "SEC_DATA_URL": server.url,
            "SEC_RATE_PER_S": "1000",
            "SEC_AS_OF": "2023-01-31",
            "SMART_MONEY_SYMBOLS": ",".join(NAMES),
            "SMART_MONEY_PRICES": str(PRICES),
            "SMART_MONEY_CONGRESS": str(SENATE),
            "SMART_MONEY_HISTORY_START": "2012-01",
            "SMART_MONEY_SAMPLE_START": "2013-01",
            "SMART_MONEY_SAMPLE_END": "2022-09",
            "SMART_MONEY_DATA_DIR": str(root / "data"),
            "SMART_MONEY_MODELS_DIR": str(root / "models"),
            "DAGSTER_HOME": str(root / "dagster_home"),
        }
        # its own process, as a user runs it: the partitions start at SMART_MONEY_HISTORY_START when the code
        # loads
        build = subprocess.run(
            [sys.executable, "-m", "smart_money.cli", "build", "--log-level", "WARNING"],
            env=env,
            capture_output=True,
            text=True,
            timeout=1500,
        )
        yield {
            "root": root,
            "code": build.returncode,
            "out": build.stdout,
            "err": build.stderr,
            "warehouse": Warehouse(root / "data", root / "models"),
            "server": server.state.stats(),
        }


def test_the_build_completes_on_real_records_and_says_so(real_build):
    assert real_build["code"] == 0, real_build["err"][-3000:]
    out = real_build["out"]
    assert "source=sec (REAL DATA)" in out and "SYNTHETIC" not in out
    assert "Gates (PASS" in out and ("PASS" in out or "WARN" in out)


def test_the_universe_is_the_real_companies_the_sec_lists(real_build):
    universe = real_build["warehouse"].query("select * from universe")
    assert sorted(universe["symbol"]) == sorted(set(NAMES) - {"BBY", "RRC"})  # not in the tickers copy
    assert not universe["is_synthetic"].any() and set(universe["source"]) == {"sec"}
    msft = universe[universe["symbol"] == "MSFT"].iloc[0]
    assert msft["cik"] == "0000789019" and msft["name"].upper().startswith("MICROSOFT")
    assert universe["shares_outstanding"].isna().all()  # the stand-in has no XBRL facts for real filings


def test_real_insider_trades_are_placed_by_their_filing_dates(real_build):
    trades = real_build["warehouse"].query("select * from raw_insider_trades")
    assert set(trades["symbol"]) == {"AAPL", "MSFT"}
    assert set(trades["source"]) == {"sec"}
    assert (trades["known_at"] >= trades["transaction_date"]).all()
    sale = trades[trades["accession_number"] == "0000320193-22-000061"]
    assert len(sale) == 7 and (sale["known_at"].dt.strftime("%Y-%m-%d") == "2022-05-06").all()
    assert set(sale["transaction_code"]) == {"S"} and (sale["acquired_disposed"] == "D").all()


def test_prices_and_senate_trades_come_from_their_files(real_build):
    warehouse = real_build["warehouse"]
    prices = warehouse.query(
        "select symbol, min(date) first, max(date) last, min(source) s from raw_prices group by 1"
    )
    assert len(prices) == 18 and set(prices["s"]) == {"file"}
    assert str(prices["last"].max().date()) == "2022-12-28"
    congress = warehouse.query("select * from raw_congress_trades")
    assert len(congress) > 100 and set(congress["chamber"]) == {"senate"}
    assert (congress["known_at"] >= congress["transaction_date"]).all()
    assert set(congress["symbol"]) <= set(NAMES)


def test_the_report_and_the_page_say_real_data_and_list_the_empty_tables(real_build):
    root = real_build["root"]
    reports = sorted((root / "models").rglob("report.html"))
    assert reports
    html = reports[-1].read_text()
    assert "REAL DATA from the sec source" in html and "SYNTHETIC DATA" not in html
    assert "raw_institutional_holdings" in html and "raw_etf_holdings" in html
    app = create_app(root / "data", root / "models")
    with TestClient(app) as client:
        meta = client.get("/api/meta").json()["data"]
    assert meta["synthetic"] is False and "sec" in meta["data_source"]
    assert {"raw_institutional_holdings", "raw_etf_holdings"} <= set(meta["empty_tables"])
    assert "raw_insider_trades" not in meta["empty_tables"]


def test_the_user_agent_is_in_no_file(real_build):
    for path in Path(real_build["root"]).rglob("*"):
        if path.is_file():
            assert b"realdata@smart-money.test" not in path.read_bytes(), path
    assert AGENT not in real_build["out"] and AGENT not in real_build["err"]
    assert json.dumps(real_build["server"]["user_agents"]).count(AGENT) == 1


# ---- real 13F filings -------------------------------------------------------------------------------------
THIRTEEN_F = FIXTURES / "edgar_server" / "form13f"
HOLDERS = ("AAPL", "DIS", "META", "MSFT", "NVDA", "PYPL", "TSLA")
ARK = FIXTURES / "etf_holdings" / "ark"  # ARK's own daily ARKK and ARKW holdings files (real)


@pytest.fixture(scope="module")
def real_13f(tmp_path_factory):
    import dagster as dg

    from smart_money.definitions import build_definitions
    from smart_money.defs import jobs

    root = tmp_path_factory.mktemp("sec_real_13f")
    with zipfile.ZipFile(FORM4_ZIP) as archive:
        archive.extractall(root / "filings")
    folders = [root / "filings" / "form4_xml", THIRTEEN_F]
    with (
        LocalEdgarServer(folders, as_of=date(2025, 6, 30), tickers=TICKERS) as server,
        LocalOpenFigiServer(read_table(FIGI_TABLE)) as figi,
        pytest.MonkeyPatch.context() as mp,
    ):
        env = {
            "SMART_MONEY_SOURCE": "sec",
            "SEC_USER_AGENT": AGENT,
            "SEC_WWW_URL": server.url,
            "SEC_DATA_URL": server.url,
            "SEC_RATE_PER_S": "1000",
            "SEC_AS_OF": "2025-06-30",
            "OPENFIGI_URL": figi.url,
            "SMART_MONEY_ETFS": "none",
            "SMART_MONEY_ETF_HOLDINGS": str(ARK),
            "SMART_MONEY_SYMBOLS": ",".join(HOLDERS),
            "SMART_MONEY_PRICES": str(PRICES),
            "SMART_MONEY_DATA_DIR": str(root / "data"),
            "DAGSTER_HOME": str(root / "dagster_home"),
        }
        for name, value in env.items():
            mp.setenv(name, value)
        (root / "dagster_home").mkdir()
        with dg.instance_for_test(temp_dir=str(root / "dagster_home")) as instance:
            # the raw history the features of 2023-09 to 2025-02 read (timeline.FEATURE_LOOKBACK_MONTHS)
            stage = cli.Stage(jobs.RAW_JOB, pd.Timestamp("2019-08-01"), pd.Timestamp("2025-05-01"))
            result = cli.run_stage(stage, build_definitions(), instance, log_level="WARNING")
        yield {"root": root, "result": result, "warehouse": Warehouse(root / "data")}


def test_real_13f_filings_become_holdings_of_the_universe(real_13f):
    # the real closes end 2022-12-28: the price completeness gate blocks, and only it
    failed = [e.step_key for e in real_13f["result"].get_step_failure_events()]
    assert failed == ["raw_prices_raw_prices_completeness"], failed
    holdings = real_13f["warehouse"].query("select * from raw_institutional_holdings")
    acorn = holdings[holdings["accession_number"] == "0001951757-25-000093"]
    # Acorn Creek's 13F-HR for 2024-12-31, filed 2025-01-22: its lines of the universe's CUSIPs whose tickers
    # the real records state (META, NVDA, TSLA, … in the OpenFIGI fixture)
    assert len(acorn) > 0 and set(acorn["symbol"]) <= set(HOLDERS)
    assert (acorn["known_at"] == pd.Timestamp("2025-01-22")).all()
    assert (acorn["report_date"] == pd.Timestamp("2024-12-31")).all()
    assert (
        acorn["filer_id"].eq("0001994827").all() and acorn["change_in_shares"].isna().all()
    )  # first quarter
    assert (acorn["market_value"] > 0).all() and acorn["put_call"].isna().all()
    checks = {e.check_name: e for e in real_13f["result"].get_asset_check_evaluations()}
    mapped = checks["raw_institutional_holdings_value_mapped"]
    assert not mapped.passed and "mapped" in mapped.metadata["summary"].value  # a small universe warns


def test_institutional_features_are_computed_from_the_real_filings(real_13f):
    from smart_money.sample_tables import build_feature_table

    features = build_feature_table(real_13f["warehouse"], [pd.Timestamp("2025-02-01")])
    acorn = set(
        real_13f["warehouse"].query(
            "select distinct symbol from raw_institutional_holdings "
            "where accession_number = '0001951757-25-000093'"
        )["symbol"]
    )
    held = features[features["symbol"].isin(acorn)]
    assert len(held) == len(acorn) and (held["inst_new_positions_count"] == 0).all()
    others = features[~features["symbol"].isin(acorn)]
    assert len(others) and not (others["inst_new_positions_count"].fillna(0) > 0).any()


def test_real_etf_holdings_files_become_etf_rows_and_features(real_13f):
    from smart_money.sample_tables import build_feature_table
    from smart_money.sources.imports.etf_holdings import read_etf_holdings

    rows = real_13f["warehouse"].query("select * from raw_etf_holdings")
    # META is not among the stand-in's companies as of 2025-06-30 (quarantined from the universe)
    universe = sorted(real_13f["warehouse"].query("select distinct symbol from universe")["symbol"])
    assert "META" not in universe and len(universe) == len(HOLDERS) - 1
    expected = read_etf_holdings(ARK, universe)
    expected = expected[
        (expected["known_at"] >= pd.Timestamp("2019-08-01"))
        & (expected["known_at"] < pd.Timestamp("2025-05-01"))
    ]
    key = ["etf_symbol", "symbol", "known_at", "shares"]
    pd.testing.assert_frame_equal(
        rows[key].sort_values(key, ignore_index=True),
        expected[key].sort_values(key, ignore_index=True),
        check_dtype=False,
    )
    assert set(rows["source"]) == {"file"} and set(rows["symbol"]) == {"TSLA", "NVDA", "DIS", "PYPL"}
    # September 2023: ARKK's August 2023 files hold TSLA; November 2023: its newest file is over 45 days old
    features = build_feature_table(
        real_13f["warehouse"], [pd.Timestamp("2023-09-05"), pd.Timestamp("2023-11-20")]
    )
    days = sorted(features["sample_date"].unique())
    assert len(days) == 2 and len(features) == 2 * len(universe)
    for row in features.itertuples(index=False):
        day = pd.Timestamp(row.sample_date)
        known = expected[
            (expected["known_at"] <= day) & (expected["known_at"] >= day - pd.Timedelta(days=45))
        ]
        latest = known.sort_values("known_at").groupby(["etf_symbol", "symbol"]).tail(1)
        held = latest[(latest["symbol"] == row.symbol) & (latest["shares"] > 0)]
        if held.empty:
            assert pd.isna(row.etf_concentration), (day, row.symbol)
        else:
            assert row.etf_concentration == pytest.approx(1.0), (day, row.symbol)  # <= 5 funds: all of it
    tsla = features[features["symbol"] == "TSLA"].set_index("sample_date")["etf_concentration"]
    assert tsla.iloc[0] == pytest.approx(1.0) and pd.isna(tsla.iloc[1])
