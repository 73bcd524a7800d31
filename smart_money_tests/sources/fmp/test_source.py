"""The FMP source against the local server: equality with the synthetic source, the cache, quarantine."""

import json
from datetime import date

import pandas as pd
import pytest

from smart_money.sources.fmp.cache import ResponseCache, cache_key
from smart_money.sources.synthetic import SyntheticMarketSource
from smart_money_tests.sources.fmp.conftest import CONFIG, KEY, SYMBOLS, make_source

START, END = pd.Timestamp("2019-01-01"), pd.Timestamp("2025-02-01")
METHODS = ("prices", "insider_trades", "institutional_holdings", "congress_trades")
SORT = {
    "prices": ["symbol", "date"],
    "insider_trades": ["symbol", "known_at", "transaction_date", "insider_id", "transaction_code", "shares"],
    "institutional_holdings": ["symbol", "report_date", "filer_id"],
    "congress_trades": ["symbol", "known_at", "transaction_date", "member", "side", "amount_low"],
    "etf_holdings": ["symbol", "etf_symbol"],
}


def _same(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    a = a.drop(columns="source").sort_values(keys).reset_index(drop=True)
    b = b.drop(columns="source").sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-12)


@pytest.fixture(scope="module")
def fetched(server, tmp_path_factory):
    server.state.reset()
    source = make_source(server, tmp_path_factory.mktemp("cache"))
    tables = {m: getattr(source, m)(None, START, END) for m in METHODS}
    tables["etf_holdings"] = source.etf_holdings(None, pd.Timestamp("2025-01-01"), END)
    tables["universe"] = source.universe(pd.Timestamp("2025-01-01"))
    return source, tables, dict(server.state.counts)


def test_what_comes_through_fmp_equals_the_synthetic_source(fetched):
    _, tables, _ = fetched
    synthetic = SyntheticMarketSource(CONFIG)
    for method in METHODS:
        expected = getattr(synthetic, method)(None, START, END)
        if method == "insider_trades":
            # the stand-in renders each simulated trade as directly held common stock; FMP does not say
            # whether a row is from the derivative table
            expected = expected.assign(
                direct_or_indirect="D", security_title="Common Stock", is_derivative=None
            )
        _same(tables[method], expected, SORT[method])
    expected_etf = synthetic.etf_holdings(None, pd.Timestamp("2025-01-31"), END)  # the as-of snapshot
    _same(tables["etf_holdings"], expected_etf, SORT["etf_holdings"])
    universe = tables["universe"]
    expected = synthetic.universe(pd.Timestamp("2025-01-01"))
    _same(universe, expected[universe.columns], ["symbol"])
    assert universe["is_synthetic"].all()  # synthetic data stays labelled synthetic through FMP


def test_requests_are_one_per_symbol_endpoint_and_page(fetched):
    source, _, counts = fetched
    assert counts["/stable/historical-price-eod/dividend-adjusted"] == len(SYMBOLS)
    assert counts["/stable/insider-trading/search"] == len(SYMBOLS)  # one page each (< 500 rows)
    assert counts["/stable/senate-trades"] == counts["/stable/house-trades"] == len(SYMBOLS)
    quarters = 26  # 2018-Q3 (a 13F filed in 2019 may be that old) .. 2024-Q4
    assert (
        len(SYMBOLS) * quarters
        <= counts["/stable/institutional-ownership/extract-analytics/holder"]
        <= len(SYMBOLS) * quarters * 2
    )
    assert source.stats()["requests"] == sum(counts.values())


def test_a_second_run_makes_zero_requests(fetched, server):
    source, tables, _ = fetched
    server.state.reset()
    again = make_source(server, source.settings.cache_dir)
    for method in METHODS:
        _same(getattr(again, method)(None, START, END), tables[method], SORT[method])
    assert server.state.total == 0
    assert again.cache.stats.hits > 0 and again.cache.stats.misses == 0


def test_a_monthly_run_fetches_only_its_month(fetched, server, tmp_path):
    server.state.reset()
    source = make_source(server, tmp_path)
    month = source.insider_trades(None, pd.Timestamp("2024-06-01"), pd.Timestamp("2024-07-01"))
    _, tables, _ = fetched
    full = tables["insider_trades"]
    expected = full[(full["known_at"] >= "2024-06-01") & (full["known_at"] < "2024-07-01")]
    _same(month, expected, SORT["insider_trades"])
    prices = source.prices(None, pd.Timestamp("2024-06-01"), pd.Timestamp("2024-07-01"))
    assert prices["date"].min() >= pd.Timestamp("2024-06-01") and prices["date"].max() < pd.Timestamp(
        "2024-07-01"
    )
    holders = server.state.counts.get("/stable/institutional-ownership/extract-analytics/holder", 0)
    source.institutional_holdings(None, pd.Timestamp("2024-06-01"), pd.Timestamp("2024-07-01"))
    per_symbol = (
        server.state.counts["/stable/institutional-ownership/extract-analytics/holder"] - holders
    ) / len(SYMBOLS)
    assert per_symbol <= 2 * 3  # the quarters whose filings can land in June (about 3), not the whole history


def test_a_corrupt_or_truncated_cache_file_is_fetched_again(fetched, server):
    source, tables, _ = fetched
    files = sorted((source.cache.root / "prices").glob("*.json"))
    files[0].write_bytes(files[0].read_bytes()[:100])  # truncated
    header, body = files[1].read_bytes().split(b"\n", 1)
    files[1].write_bytes(header + b"\n" + body.replace(b'"adjClose":', b'"adjClose":1', 1))  # edited
    server.state.reset()
    again = make_source(server, source.settings.cache_dir)
    _same(again.prices(None, START, END), tables["prices"], SORT["prices"])
    assert server.state.total == 2 and again.cache.stats.corrupt == 2


def test_the_key_is_in_no_cache_file_or_name(fetched):
    source, _, _ = fetched
    for path in source.cache.root.rglob("*"):
        assert KEY not in path.name
        if path.is_file():
            assert KEY.encode() not in path.read_bytes()
    assert KEY not in repr(source.settings)


def test_ranges_that_include_the_current_month_expire(tmp_path):
    today = date(2025, 1, 20)
    cache = ResponseCache(tmp_path, ttl_days=7, today=lambda: today)
    calls = []
    fetch = lambda: calls.append(1) or [1]  # noqa: E731
    old_key, open_key = (
        cache_key("X", "2019-01-01", "2024-01-01", "prices"),
        cache_key("X", "2024-12-01", "2025-02-01", "prices"),
    )
    cache.get_or_fetch("prices", old_key, date(2024, 1, 1), fetch)
    cache.get_or_fetch("prices", open_key, date(2025, 2, 1), fetch)
    for path in tmp_path.rglob("*.json"):  # age both entries by 8 days
        header_text, body = path.read_bytes().split(b"\n", 1)
        header = json.loads(header_text)
        header["fetched_at"] = (pd.Timestamp(header["fetched_at"]) - pd.Timedelta(days=8)).isoformat()
        path.write_bytes(json.dumps(header).encode() + b"\n" + body)
    cache.get_or_fetch("prices", old_key, date(2024, 1, 1), fetch)  # historical: still fresh
    cache.get_or_fetch("prices", open_key, date(2025, 2, 1), fetch)  # includes January 2025: refetched
    assert len(calls) == 3 and cache.stats.expired == 1


def test_an_entry_fetched_while_its_range_was_open_expires_after_the_range_closes(tmp_path):
    """Closing the range later does not make an incomplete answer final: it still expires by TTL."""
    today = [date(2025, 1, 20)]
    cache = ResponseCache(tmp_path, ttl_days=7, today=lambda: today[0])
    calls = []
    fetch = lambda: calls.append(1) or [len(calls)]  # noqa: E731
    key = cache_key("X", "2025-01-01", "2025-02-01", "insider")
    assert cache.get_or_fetch("insider", key, date(2025, 2, 1), fetch) == [1]  # January still open
    today[0] = date(2025, 3, 10)  # the range has closed since
    assert cache.get_or_fetch("insider", key, date(2025, 2, 1), fetch) == [1]  # within the TTL
    (path,) = tmp_path.rglob("*.json")
    header_text, body = path.read_bytes().split(b"\n", 1)
    header = json.loads(header_text)
    header["fetched_at"] = (pd.Timestamp(header["fetched_at"]) - pd.Timedelta(days=8)).isoformat()
    path.write_bytes(json.dumps(header).encode() + b"\n" + body)
    assert cache.get_or_fetch("insider", key, date(2025, 2, 1), fetch) == [2]  # refetched after the TTL
    header = json.loads(path.read_bytes().split(b"\n", 1)[0])
    assert header["as_of"] == "2025-03-10"  # fetched after the range closed: final from now on
    for _ in range(2):
        header["fetched_at"] = "2020-01-01T00:00:00+00:00"
        body = path.read_bytes().split(b"\n", 1)[1]
        path.write_bytes(json.dumps(header).encode() + b"\n" + body)
        assert cache.get_or_fetch("insider", key, date(2025, 2, 1), fetch) == [2]


def test_quarantined_records_are_kept_with_reasons(server, tmp_path):
    source = make_source(server, tmp_path)
    data = server.state.data.symbol("SYN001")
    original = data["insider"][0].copy()
    data["insider"][0]["transactionType"] = ""  # a real-world quirk: an empty type
    try:
        frame = source.insider_trades(["SYN001"], START, END)
    finally:
        data["insider"][0] = original
    quarantined = source.take_quarantine("raw_insider_trades")
    assert len(quarantined) == 1 and quarantined["reason"].iloc[0] == "transactionType '' has no Form 4 code"
    assert quarantined["symbol"].iloc[0] == "SYN001" and "reportingCik" in quarantined["record"].iloc[0]
    synthetic = SyntheticMarketSource(CONFIG).insider_trades(["SYN001"], START, END)
    assert len(frame) == len(synthetic) - 1  # counted, not lost silently
    assert source.take_quarantine().empty  # taken once


def test_etf_snapshots_are_dated_filed_under_the_finished_month_and_never_replaced(server, tmp_path):
    server.state.reset()
    path = "/stable/etf/asset-exposure"
    january = (pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01"))
    early_february = make_source(server, tmp_path, as_of=date(2025, 2, 3))  # the monthly run for January
    first = early_february.etf_holdings(None, *january)
    assert len(first) and (first["known_at"] == pd.Timestamp("2025-01-31")).all()
    assert server.state.counts[path] == len(SYMBOLS)

    june = make_source(server, tmp_path, as_of=date(2025, 6, 10))  # same cache, months later
    again = june.etf_holdings(None, *january)  # a re-run of January: its own snapshot, not June's
    pd.testing.assert_frame_equal(again, first)
    assert june.etf_holdings(None, pd.Timestamp("2024-06-01"), pd.Timestamp("2024-07-01")).empty
    assert server.state.counts[path] == len(SYMBOLS)  # neither asked FMP
    may = june.etf_holdings(None, pd.Timestamp("2025-05-01"), pd.Timestamp("2025-06-01"))
    assert len(may) and (may["known_at"] == pd.Timestamp("2025-05-31")).all()
    assert server.state.counts[path] == 2 * len(SYMBOLS)


def test_each_server_has_its_own_cache_folder(server, tmp_path):
    local = make_source(server, tmp_path)
    real = make_source(server, tmp_path, base_url="https://financialmodelingprep.com")
    assert local.cache.root != real.cache.root
    assert real.cache.root == tmp_path / "financialmodelingprep.com"
    assert local.cache.root.name == server.url.split("//", 1)[1].replace(":", "-")


def test_the_earnings_calendar_comes_through_fmp_point_in_time(server, tmp_path):
    server.state.reset()
    source = make_source(server, tmp_path)
    window = (pd.Timestamp("2024-10-01"), pd.Timestamp("2025-01-01"))
    events = source.corporate_events(None, *window)
    assert server.state.counts["/stable/earnings-calendar"] == 3  # one request a month, all symbols
    expected = SyntheticMarketSource(CONFIG).corporate_events(list(SYMBOLS), *window)
    expected = expected[expected["kind"] == "earnings"]
    columns = ["symbol", "event_date", "kind", "known_at"]
    pd.testing.assert_frame_equal(
        events[columns].sort_values(["event_date", "symbol"], ignore_index=True),
        expected[columns].sort_values(["event_date", "symbol"], ignore_index=True),
        check_dtype=False,
    )
    assert len(events) and (events["known_at"] < events["event_date"]).all()
    assert events["eps_estimated"].notna().all()
    again = make_source(server, tmp_path).corporate_events(None, *window)
    pd.testing.assert_frame_equal(again, events)
    assert server.state.counts["/stable/earnings-calendar"] == 3  # the cache answered


def test_a_payload_that_is_not_a_list_is_an_error_and_never_cached(tmp_path):
    import httpx

    from smart_money.sources.fmp.client import FmpClient, FmpError

    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"unexpected": "object"}))
    client = FmpClient(KEY, "https://fmp.invalid", rate_per_minute=60_000, transport=transport)
    source = make_source(None, tmp_path, base_url="https://fmp.invalid", client=client)
    with pytest.raises(FmpError, match="expected a JSON list, got dict"):
        source.insider_trades(["SYN001"], pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01"))
    assert not any(p.is_file() for p in tmp_path.rglob("*.json"))
