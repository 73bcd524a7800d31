"""The sec source over real loopback HTTP against the EDGAR stand-in's simulated world: the universe and
insider trades it reads match the simulated market they were rendered from, both paths agree, a re-run
makes no request, and each failure is one clear error."""

from dataclasses import replace
from datetime import date
from pathlib import Path

import httpx
import pandas as pd
import pytest

from smart_money.sources.openfigi import CusipMapper, OpenFigiClient
from smart_money.sources.sec import holdings13f, indexes
from smart_money.sources.sec.client import (
    RateLimiter,
    RetryPolicy,
    SecAccessDenied,
    SecClient,
    SecCorruptArchive,
    SecError,
)
from smart_money.sources.sec.source import SecMarketSource, SecSettings, last_weekday, quarters
from smart_money.sources.synthetic import MarketConfig, SyntheticMarketSource
from smart_money.testing.edgar_server import Fault, LocalEdgarServer
from smart_money.testing.openfigi_server import LocalOpenFigiServer, synthetic_table

UA = "Smart Money Tests sm-tests@smart-money.test"
WORLD = MarketConfig(seed=3, n_symbols=12)
START, END = pd.Timestamp("2019-01-01"), pd.Timestamp("2025-02-01")
TRADE = ["symbol", "known_at", "transaction_date", "transaction_code", "acquired_disposed", "shares", "price"]


@pytest.fixture(scope="module")
def server():
    with LocalEdgarServer(config=WORLD) as running:
        yield running


@pytest.fixture
def fresh(server):
    server.state.reset()
    server.state.faults = []
    return server


def _source(server, cache_dir: Path, symbols=None, **client_kwargs) -> SecMarketSource:
    as_of = client_kwargs.pop("as_of", server.state.as_of)
    settings = SecSettings(
        user_agent=UA,
        symbols=symbols,
        www_url=server.url,
        data_url=server.url,
        cache_dir=cache_dir,
        as_of=as_of,
    )
    client = SecClient(
        UA,
        cache_dir=cache_dir,
        www_url=server.url,
        data_url=server.url,
        rate_per_s=1000,
        as_of=as_of,
        retry=RetryPolicy(attempts=3, initial_s=0.01, max_s=0.02),
        limiter=RateLimiter(1000),
        **client_kwargs,
    )
    return SecMarketSource(settings, prices=SyntheticMarketSource(WORLD), client=client, log=lambda _: None)


def _trades(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[TRADE].sort_values(TRADE, ignore_index=True)


def test_the_insider_trades_read_from_edgar_are_the_simulated_markets(fresh, tmp_path):
    source = _source(fresh, tmp_path)
    read = source.insider_trades(None, START, END)
    simulated = SyntheticMarketSource(WORLD).insider_trades(None, START, END)
    assert len(read) == len(simulated) > 500
    pd.testing.assert_frame_equal(_trades(read), _trades(simulated), check_dtype=False)
    assert (read["source"] == "sec").all() and not read["is_derivative"].any()
    assert read["accession_number"].notna().all() and (read["issuer_cik"].str.len() == 10).all()
    stats = source.stats()
    # history from one data set a quarter (2025 Q1 is not published yet: one 404); the days after the newest
    # published one, document by document
    assert stats["requests_by_kind"]["dataset"] == len(quarters(START, END))
    assert 0 < stats["coverage_filings_from_documents"] < 100
    assert stats["coverage_rows_from_datasets"] + stats["coverage_rows_from_documents"] == len(read)


def test_bulk_and_per_filing_give_the_same_rows(fresh, tmp_path):
    window = (pd.Timestamp("2024-04-01"), pd.Timestamp("2024-10-01"))
    bulk = _source(fresh, tmp_path / "bulk").insider_trades(None, *window)
    # a server whose data sets are never published: every filing comes as its own document
    fresh.state.dataset_lag_days = 100_000
    try:
        documents = _source(fresh, tmp_path / "documents")
        per_filing = documents.insider_trades(None, *window)
    finally:
        fresh.state.dataset_lag_days = 10
    assert documents.stats()["coverage_datasets_read"] == 0
    assert len(bulk) == len(per_filing) > 50
    key = ["accession_number", "is_derivative", "transaction_date", "transaction_code", "shares"]
    left = bulk.drop(columns="acceptance_time").sort_values(key, ignore_index=True)
    right = per_filing.drop(columns="acceptance_time").sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(left, right)
    assert per_filing["acceptance_time"].notna().all()  # the submissions JSON knows it; the data set does not


def test_a_rerun_makes_no_request(fresh, tmp_path):
    first = _source(fresh, tmp_path)
    rows = first.insider_trades(None, START, END)
    universe = first.universe(pd.Timestamp("2024-06-01"))
    fresh.state.reset()
    again = _source(fresh, tmp_path)
    pd.testing.assert_frame_equal(again.insider_trades(None, START, END), rows)
    pd.testing.assert_frame_equal(again.universe(pd.Timestamp("2024-06-01")), universe)
    assert fresh.state.stats()["total"] == 0
    assert again.stats()["cache_misses"] == 0 and again.stats()["cache_hits"] > 0


def test_the_universe_keys_issuers_by_cik_with_sectors_and_point_in_time_shares(fresh, tmp_path):
    source = _source(fresh, tmp_path)
    simulated = SyntheticMarketSource(WORLD).universe(pd.Timestamp("2024-06-01"))
    read = source.universe(pd.Timestamp("2024-06-01"))
    assert list(read["symbol"]) == sorted(simulated["symbol"])
    sectors = dict(zip(simulated["symbol"], simulated["sector"], strict=True))
    assert dict(zip(read["symbol"], read["sector"], strict=True)) == sectors  # SIC codes map back
    assert (read["cik"].str.len() == 10).all() and read["cik"].is_unique
    assert not read["is_synthetic"].any() and (read["source"] == "sec").all()
    assert read["shares_outstanding"].gt(0).all()
    # shares are known from their filing date: none before the world's first 10-Q (filed 2018-11-09)
    early = source.universe(pd.Timestamp("2018-11-01"))
    assert early["shares_outstanding"].isna().all()
    assert source.stats()["coverage_universe_without_shares_outstanding"] == len(early)


def test_symbols_the_sec_does_not_know_are_left_out_and_quarantined(fresh, tmp_path):
    source = _source(fresh, tmp_path, symbols=("SYN001", "SYN002", "NOPE"))
    assert source.universe_symbols() == ["SYN001", "SYN002"]
    quarantined = source.take_quarantine("universe")
    assert list(quarantined["symbol"]) == ["NOPE"]
    assert "company_tickers.json" in quarantined["reason"].iloc[0]
    rows = source.insider_trades(None, START, END)
    assert set(rows["symbol"]) <= {"SYN001", "SYN002"}


def test_without_a_congress_source_the_table_is_empty_and_said_so(fresh, tmp_path):
    messages = []
    source = _source(fresh, tmp_path)
    source.log = messages.append
    assert source.congress_trades(None, START, END).empty
    assert any("SMART_MONEY_CONGRESS=none" in m for m in messages)


def test_the_sec_403_page_stops_with_one_clear_error(fresh, tmp_path):
    fresh.state.faults = [Fault("403", path="company_tickers")]
    with pytest.raises(SecAccessDenied, match="User-Agent|rate"):
        _source(fresh, tmp_path).universe(pd.Timestamp("2024-06-01"))


def test_a_corrupt_data_set_is_one_clear_error(fresh, tmp_path):
    fresh.state.faults = [Fault("corrupt", path="2023q2_form345")]
    with pytest.raises(SecCorruptArchive, match="2023q2"):
        _source(fresh, tmp_path).insider_trades(None, pd.Timestamp("2023-04-01"), pd.Timestamp("2023-07-01"))
    assert not list(tmp_path.rglob("*2023q2_form345.zip"))


def test_an_unreachable_server_is_one_clear_error(tmp_path):
    class Nowhere:
        url = "http://127.0.0.1:9"

        class state:  # noqa: N801
            as_of = date(2025, 1, 31)

    with pytest.raises(SecError, match="127.0.0.1:9"):
        _source(Nowhere, tmp_path).universe(pd.Timestamp("2024-06-01"))


def test_quarter_helpers():
    assert quarters(pd.Timestamp("2024-02-01"), pd.Timestamp("2024-05-01")) == [(2024, 1), (2024, 2)]
    assert last_weekday(2024, 2) == date(2024, 6, 28)  # 2024-06-30 was a Sunday
    assert last_weekday(2024, 4) == date(2024, 12, 31)


@pytest.fixture(scope="module")
def figi():
    with LocalOpenFigiServer(synthetic_table(WORLD)) as running:
        yield running


def _holdings_source(server, figi, cache_dir: Path) -> SecMarketSource:
    source = _source(server, cache_dir)
    source.settings = replace(source.settings, openfigi_url=figi.url, etfs=("SYNETF-MKT", "SYNETF-LRG"))
    source.figi = OpenFigiClient(None, figi.url, cache_dir=cache_dir / "openfigi")
    source.cusips = CusipMapper(source.figi, {})
    return source


def test_13f_holdings_read_from_edgar_are_the_simulated_positions(fresh, figi, tmp_path):
    window = (pd.Timestamp("2021-01-01"), pd.Timestamp("2025-02-01"))
    source = _holdings_source(fresh, figi, tmp_path)
    rows = source.institutional_holdings(None, *window)
    assert set(rows["source"]) == {"sec"} and rows["accession_number"].notna().all()
    assert (rows["known_at"] >= window[0]).all() and (rows["known_at"] < window[1]).all()
    # each filer-quarter in its final version, share rows held: exactly the simulated market's positions
    final = holdings13f.quarter_versions(rows, window[1])
    held = final[final["put_call"].isna() & (final["shares"] > 0)]
    simulated = SyntheticMarketSource(WORLD).institutional_holdings(None, *window)
    # the daily index of a day is published that night: filings of the server's today come tomorrow
    simulated = simulated[
        (simulated["shares"] > 0) & (simulated["known_at"] < pd.Timestamp(fresh.state.as_of))
    ]
    key = ["filer_name", "symbol", "report_date", "shares"]
    pd.testing.assert_frame_equal(
        held[key].sort_values(key, ignore_index=True),
        simulated[key].sort_values(key, ignore_index=True),
        check_dtype=False,
    )
    assert rows["put_call"].notna().any()  # the stand-in's option lines are kept, flagged
    assert set(rows["amendment_type"].dropna()) == {"RESTATEMENT", "NEW HOLDINGS"}
    coverage = source.value_mapped()
    assert (
        len(coverage) and (coverage["value_mapped"] == coverage["value_total"]).all()
    )  # every SYN CUSIP maps
    stats = source.stats()
    assert (
        stats["coverage_form13f_datasets_read"] >= 16 and stats["coverage_form13f_filings_from_documents"] > 0
    )


def test_etf_holdings_come_from_public_nport_reports(fresh, figi, tmp_path):
    window = (pd.Timestamp("2023-01-01"), pd.Timestamp("2025-02-01"))
    rows = _holdings_source(fresh, figi, tmp_path).etf_holdings(None, *window)
    assert set(rows["etf_symbol"]) == {"SYNETF-MKT", "SYNETF-LRG"}
    assert (rows["known_at"] > rows["report_date"]).all() and rows["weight"].between(0, 1).all()
    # quarterly filers: only the third month of each fiscal quarter is public
    assert rows.groupby("etf_symbol")["report_date"].nunique().max() <= 9


def test_the_daily_form_index_lists_each_filing_once_per_filer(fresh):
    response = httpx.get(
        f"{fresh.url}/Archives/edgar/daily-index/2024/QTR4/form.20241114.idx", headers={"User-Agent": UA}
    )
    listed = indexes.parse_form_index(response.text)
    assert len(listed) > 0 and listed["cik"].str.len().eq(10).all()
    thirteen = indexes.parse_form_index(response.text, ("13F-HR",))
    assert set(thirteen["form_type"]) <= {"13F-HR"} and (thirteen["date_filed"] == "2024-11-14").all()


def test_an_etf_holdings_file_replaces_nport_for_its_funds(fresh, figi, tmp_path):
    from smart_money.sources.file_source import FileSource

    held = sorted(SyntheticMarketSource(WORLD).universe(pd.Timestamp("2024-01-31"))["symbol"])[:2]
    holdings = tmp_path / "SYNETF-MKT_holdings.csv"
    holdings.write_text(
        "date,fund,company,ticker,cusip,shares,market value ($),weight (%)\n"
        f'06/03/2024,SYNETF-MKT,ONE,{held[0]},,"1,000","$10,000.00",1.00%\n'
        f'06/03/2024,SYNETF-MKT,TWO,{held[1]},,"2,500","$30,000.00",3.00%\n'
        "06/03/2024,SYNETF-MKT,CASH,,,,$5.00,0.01%\n"
    )
    source = _holdings_source(fresh, figi, tmp_path)
    source.etf_file = FileSource(etf_holdings_path=holdings, log=lambda _: None)
    window = (pd.Timestamp("2023-01-01"), pd.Timestamp("2025-02-01"))
    rows = source.etf_holdings(None, *window)
    from_file = rows[rows["etf_symbol"] == "SYNETF-MKT"]
    # the file's fund is read from the file alone; the other fund still from its N-PORT reports
    assert from_file["accession_number"].isna().all() and set(from_file["source"]) == {"file"}
    assert sorted(from_file["symbol"]) == held and from_file["shares"].tolist() == [1000.0, 2500.0]
    assert (from_file["known_at"] == pd.Timestamp("2024-06-03")).all()
    other = rows[rows["etf_symbol"] == "SYNETF-LRG"]
    assert len(other) and other["accession_number"].notna().all()
    stats = source.stats()
    assert stats["coverage_etf_file_rows"] == 2 and stats["coverage_nport_rows"] == len(other)
    quarantined = source.take_quarantine("raw_etf_holdings")
    assert len(quarantined) == 1 and "no ticker" in quarantined["reason"].iloc[0]
