"""The OpenFIGI client over real loopback HTTP against the local stand-in (never openfigi.com), on the real
CUSIPs of the 13F fixtures (tickers from ARK's holdings files: fixtures/openfigi/PROVENANCE.md)."""

import json
import logging
import math
import time
from pathlib import Path

import pandas as pd
import pytest

from smart_money.sources.openfigi import (
    ANONYMOUS,
    PACE,
    WITH_KEY,
    CusipMapError,
    CusipMapper,
    Limits,
    OpenFigiAccessError,
    OpenFigiClient,
    OpenFigiError,
    RetryPolicy,
    choose_ticker,
    mapping_coverage,
    read_cusip_map,
    sec_symbol,
)
from smart_money.sources.sec.cache import server_folder
from smart_money.testing.openfigi_server import LocalOpenFigiServer, read_table

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "openfigi"
REAL = read_table(FIXTURES / "real_cusips.csv")
LINES = pd.read_csv(FIXTURES / "thirteenf_lines.csv", dtype=str)
NVIDIA = LINES[LINES["accession_number"] == "0001045810-24-000108"]
UNMAPPED = sorted(set(LINES["cusip"]) - set(REAL))  # real CUSIPs no shared record gives a ticker for
KEY = "figi-test-KEY-5eCr3t-0123456789"
FAST_RETRY = RetryPolicy(attempts=5, initial_s=0.01, max_s=0.05, retry_after_cap_s=5.0)
SERVER_ANON = Limits(jobs_per_request=4, requests=6, window_s=0.5)
SERVER_KEYED = Limits(jobs_per_request=8, requests=6, window_s=0.5)


@pytest.fixture(scope="module")
def server():
    with LocalOpenFigiServer(REAL, api_keys={KEY}, anonymous=SERVER_ANON, with_key=SERVER_KEYED) as running:
        yield running


@pytest.fixture
def fresh(server):
    server.state.reset()
    server.state.faults = []
    server.state.job_errors = set()
    return server


def _client(server, cache_dir, key=None, limits=None, **kwargs) -> OpenFigiClient:
    limits = limits or (SERVER_KEYED if key else SERVER_ANON)
    return OpenFigiClient(key, server.url, cache_dir=cache_dir, limits=limits, retry=FAST_RETRY, **kwargs)


def _expected(cusips) -> dict:
    return {c: (REAL[c][0] if c in REAL else None) for c in cusips}


def test_published_limits_and_pacing(tmp_path):
    # OpenFIGI's documented limits (module docstring): 10 jobs / 25 a minute without a key, 100 / 25 per 6 s
    assert ANONYMOUS == Limits(10, 25, 60.0) and WITH_KEY == Limits(100, 25, 6.0)
    anonymous = OpenFigiClient(None, cache_dir=tmp_path)
    keyed = OpenFigiClient(KEY, cache_dir=tmp_path)
    assert anonymous.limits == ANONYMOUS and anonymous.jobs_per_request == 10
    assert keyed.limits == WITH_KEY and keyed.jobs_per_request == 100
    assert anonymous.limiter.rate == pytest.approx(25 / 60 * PACE)
    assert keyed.limiter.rate == pytest.approx(25 / 6 * PACE)
    # at the pace, no 60 s window can hold more than 1 + 0.9 * 25 requests: within the limit
    assert 1 + math.floor(anonymous.limiter.rate * 60) <= 25
    with pytest.raises(OpenFigiError, match="only a local stand-in may go faster"):
        OpenFigiClient(None, cache_dir=tmp_path, limits=Limits(100, 25, 60.0))
    with pytest.raises(OpenFigiError, match="not an http"):
        OpenFigiClient(None, "api.openfigi.com", cache_dir=tmp_path)


def test_maps_real_cusips_in_batches_within_the_limits(fresh, tmp_path):
    cusips = sorted(REAL) + UNMAPPED[:15]
    client = _client(fresh, tmp_path)
    started = time.monotonic()
    result = client.map_cusips(cusips)
    assert result == _expected(cusips)
    assert result["88160R101"] == "TSLA" and result["81141R100"] == "SE" and result["30303M102"] == "META"
    stats, seen = client.stats(), fresh.state.stats()
    assert stats["requests"] == seen["requests"] == math.ceil(30 / 4)
    assert seen["by_status"] == {"200": 8} and seen["jobs"] == 30 and seen["max_jobs_per_request"] == 4
    assert seen["without_key"] == 8 and seen["with_key"] == 0
    expected = {
        "requests": 8,
        "jobs_sent": 30,
        "retries": 0,
        "cache_hits": 0,
        "cache_misses": 30,
        "cache_writes": 30,
        "mapped": 15,
        "unmapped": 15,
        "not_found": 15,
    }
    assert {k: stats[k] for k in expected} == expected
    # paced below the server's 6 requests per 0.5 s: 8 requests take at least 7 intervals
    assert time.monotonic() - started >= 7 / (6 / 0.5 * PACE) - 0.01
    times = seen["times"]
    assert all(sum(1 for u in times if t <= u < t + 0.5) <= 6 for t in times)


def test_key_is_sent_and_never_logged_or_written(fresh, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    cusips = sorted(REAL) + UNMAPPED[:5]
    client = _client(fresh, tmp_path, key=f"  {KEY}\n")
    assert client.map_cusips(cusips) == _expected(cusips)
    seen = fresh.state.stats()
    assert seen["with_key"] == seen["requests"] == math.ceil(20 / 8) and seen["max_jobs_per_request"] == 8
    assert KEY not in repr(client) and KEY not in json.dumps(client.stats())
    assert KEY not in caplog.text
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) == 20 and all(KEY.encode() not in p.read_bytes() for p in written)

    fresh.state.reset()
    wrong = _client(fresh, tmp_path / "other", key="not-the-key-0000")
    with pytest.raises(OpenFigiAccessError, match="OPENFIGI_API_KEY") as refused:
        wrong.map_cusips(["88160R101"])
    assert "not-the-key-0000" not in str(refused.value)
    assert fresh.state.stats()["by_status"] == {"401": 1}  # a refused key is not retried
    with pytest.raises(OpenFigiAccessError, match="control or non-ASCII") as bad:
        OpenFigiClient("abc def", cache_dir=tmp_path)
    assert "abc def" not in str(bad.value)


def test_429_is_retried_after_the_reset_the_server_gives(fresh, tmp_path):
    # the client believes it may send 50 requests a second; the server allows 6 per 0.5 s
    cusips = sorted(REAL)
    client = _client(fresh, tmp_path, limits=Limits(jobs_per_request=1, requests=50, window_s=1.0))
    assert client.map_cusips(cusips) == _expected(cusips)
    seen, stats = fresh.state.stats(), client.stats()
    assert seen["by_status"]["200"] == 15 and seen["by_status"]["429"] >= 1
    assert stats["retries"] == seen["by_status"]["429"] and stats["requests"] == seen["requests"]
    assert stats["rate_limit_wait_s"] > 0  # a 429 pauses the limiter for the reset the server gave
    # a 503 and a timeout-like failure are retried too
    fresh.state.reset()
    fresh.state.faults = [503, 502]
    assert _client(fresh, tmp_path / "b").map_cusips(["88160R101"]) == {"88160R101": "TSLA"}
    assert fresh.state.stats()["by_status"] == {"200": 1, "502": 1, "503": 1}


def test_retries_give_up_with_a_clear_error(fresh, tmp_path):
    fresh.state.faults = [503] * FAST_RETRY.attempts
    client = _client(fresh, tmp_path)
    with pytest.raises(OpenFigiError, match="still failing after 5 attempts"):
        client.map_cusips(["88160R101"])
    assert not list(tmp_path.rglob("*.json"))  # nothing cached from a failure


def test_413_halves_the_batch(fresh, tmp_path):
    # a client that believes 8 jobs fit, against a server taking 4 (some write-ups say 5 without a key)
    cusips = sorted(REAL)
    client = _client(fresh, tmp_path, limits=Limits(jobs_per_request=8, requests=6, window_s=0.5))
    assert client.map_cusips(cusips) == _expected(cusips)
    seen, stats = fresh.state.stats(), client.stats()
    assert seen["by_status"] == {"200": 4, "413": 1} and seen["max_jobs_per_request"] == 4
    assert stats["too_many_jobs"] == 1 and stats["jobs_per_request"] == 4


def test_cache_forever_and_a_rerun_makes_no_request(fresh, tmp_path):
    cusips = sorted(REAL) + UNMAPPED[:9]
    first = _client(fresh, tmp_path)
    assert first.map_cusips(cusips) == _expected(cusips)
    folder = tmp_path / server_folder(fresh.url)
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{c}.json" for c in cusips)
    entry = json.loads((folder / "88160R101.json").read_text())
    assert entry["status"] == "found" and entry["data"][0]["ticker"] == "TSLA"
    assert json.loads((folder / f"{UNMAPPED[0]}.json").read_text())["status"] == "not_found"
    before = fresh.state.stats()["requests"]

    again = _client(fresh, tmp_path)
    assert again.map_cusips(reversed(cusips)) == _expected(cusips)
    assert fresh.state.stats()["requests"] == before
    assert again.stats()["requests"] == 0 and again.stats()["cache_hits"] == len(cusips)
    assert again.stats()["mapped"] == 15 and again.stats()["unmapped"] == 9


def test_corrupt_cache_entries_are_fetched_again(fresh, tmp_path):
    cusips = sorted(REAL)
    _client(fresh, tmp_path).map_cusips(cusips)
    folder = tmp_path / server_folder(fresh.url)
    (folder / "88160R101.json").write_text('{"cusip": "88160R101", "status": "fo')  # cut short
    tampered = json.loads((folder / "67066G104.json").read_text())
    tampered["data"][0]["ticker"] = "XXXX"  # content no longer matches its checksum
    (folder / "67066G104.json").write_text(json.dumps(tampered))
    other = json.loads((folder / "77543R102.json").read_text())
    (folder / "82509L107.json").write_text(json.dumps(other))  # another CUSIP's entry
    fresh.state.reset()

    client = _client(fresh, tmp_path)
    assert client.map_cusips(cusips) == _expected(cusips)
    assert client.stats()["cache_corrupt"] == 3 and client.stats()["cache_hits"] == 12
    assert fresh.state.stats()["jobs"] == 3 and fresh.state.stats()["requests"] == 1
    assert json.loads((folder / "67066G104.json").read_text())["data"][0]["ticker"] == "NVDA"
    fresh.state.reset()
    assert _client(fresh, tmp_path).map_cusips(cusips) == _expected(cusips)
    assert fresh.state.stats()["requests"] == 0


def test_invalid_cusips_are_never_sent_and_job_errors_not_cached(fresh, tmp_path):
    fresh.state.job_errors = {"98980L101"}
    client = _client(fresh, tmp_path)
    result = client.map_cusips([" 88160r101 ", "88160R102", "", "NOTACUSIP", "98980L101"])
    assert result == {"88160R101": "TSLA", "88160R102": None, "": None, "NOTACUSIP": None, "98980L101": None}
    assert fresh.state.stats()["jobs"] == 2
    assert client.stats()["invalid_cusips"] == 3 and client.stats()["job_errors"] == 1
    fresh.state.job_errors = set()
    assert _client(fresh, tmp_path).map_cusips(["98980L101"]) == {"98980L101": "ZM"}  # asked again


def test_choose_ticker_takes_the_us_listing():
    us = {
        "figi": "F1",
        "compositeFIGI": "F1",
        "ticker": "BRK/B",
        "exchCode": "US",
        "securityType": "Common Stock",
    }
    assert choose_ticker([us | {"marketSector": "Equity"}]) == "BRK-B"
    foreign = {"ticker": "BRYN", "exchCode": "GR", "securityType": "Common Stock", "marketSector": "Equity"}
    listed = {
        "figi": "F2",
        "compositeFIGI": "F1",
        "ticker": "BRK/B",
        "exchCode": "UN",
        "securityType": "Common Stock",
    }
    assert choose_ticker([foreign, listed, us]) == "BRK-B"
    assert choose_ticker([foreign, listed]) == "BRK-B"  # no composite: a US exchange listing
    assert choose_ticker([foreign]) is None  # listed only abroad
    adr = {"ticker": "SE", "exchCode": "US", "securityType": "ADR", "marketSector": "Equity"}
    etp = {"ticker": "GLD", "exchCode": "US", "securityType": "ETP", "marketSector": "Equity"}
    assert choose_ticker([adr]) == "SE" and choose_ticker([etp]) == "GLD"
    bond = {
        "ticker": "T 2 1/4 02/15/27",
        "exchCode": "US",
        "securityType": "US GOVERNMENT",
        "marketSector": "Govt",
    }
    option = {"ticker": "TSLA 01/17/25 C250", "exchCode": "US", "securityType": "Equity Option"}
    assert choose_ticker([bond]) is None and choose_ticker([option]) is None and choose_ticker([]) is None
    # two US composites: the common stock wins over the preferred-like entry, then the composite FIGI
    pref = {"figi": "P", "compositeFIGI": "P", "ticker": "ZZZ", "exchCode": "US", "securityType": "REIT"}
    common = {
        "figi": "C",
        "compositeFIGI": "C",
        "ticker": "ABC",
        "exchCode": "US",
        "securityType": "Common Stock",
    }
    assert choose_ticker([pref, common]) == "ABC"
    assert sec_symbol(" brk.b ") == "BRK-B" and sec_symbol("BF/B") == "BF-B"


def test_read_cusip_map(tmp_path):
    good = tmp_path / "map.csv"
    good.write_text("\ufeffCUSIP,Symbol,note\n88160R101,tsla,ARK\n\n084670702,BRK.B,\n88160R101,TSLA,again\n")
    assert read_cusip_map(good) == {"88160R101": "TSLA", "084670702": "BRK-B"}
    bad = tmp_path / "bad.csv"
    bad.write_text("cusip,symbol\n88160R101,TSLA\n88160R102,TSLA\n")
    with pytest.raises(CusipMapError, match=r"bad\.csv: line 3: cusip '88160R102' is not a valid CUSIP"):
        read_cusip_map(bad)
    conflict = tmp_path / "conflict.csv"
    conflict.write_text("cusip,symbol\n88160R101,TSLA\n88160R101,TSL\n")
    with pytest.raises(
        CusipMapError, match="line 3: cusip 88160R101 maps to TSL, but line 2 maps it to TSLA"
    ):
        read_cusip_map(conflict)
    columns = tmp_path / "columns.csv"
    columns.write_text("cusip,ticker\n88160R101,TSLA\n")
    with pytest.raises(CusipMapError, match="must name the columns cusip and symbol"):
        read_cusip_map(columns)
    empty = tmp_path / "empty.csv"
    empty.write_text("cusip,symbol\n88160R101,\n")
    with pytest.raises(CusipMapError, match="line 2: cusip 88160R101 has no symbol"):
        read_cusip_map(empty)
    with pytest.raises(CusipMapError, match="SMART_MONEY_CUSIP_MAP"):
        read_cusip_map(tmp_path / "missing.csv")


def test_mapper_overrides_first_and_only_universe_symbols(fresh, tmp_path):
    overrides = {"852234103": "XYZ", "037833100": "AAPL"}  # a renamed ticker, and one OpenFIGI-less CUSIP
    mapper = CusipMapper(_client(fresh, tmp_path), overrides)
    cusips = sorted(REAL) + ["037833100", UNMAPPED[1]]
    universe = {"XYZ", "AAPL", "TSLA", "NVDA", "SQ", "BRK-B"}
    assert mapper.symbols(cusips, universe) == {
        "852234103": "XYZ",
        "037833100": "AAPL",
        "88160R101": "TSLA",
        "67066G104": "NVDA",
    }
    # OpenFIGI was asked only for what the overrides lack
    assert fresh.state.stats()["jobs"] == len(cusips) - 2
    assert mapper.stats() == {
        "overrides": 2,
        "from_overrides": 2,
        "from_openfigi": 2,
        "outside_universe": 12,  # DIS, DOCU, ... are real tickers, just not in this universe
        "unmapped": 1,
    }
    offline = CusipMapper(None, read_cusip_map_text(tmp_path, "cusip,symbol\n88160R101,TSLA\n"))
    assert offline.symbols(["88160R101", "67066G104"], {"TSLA", "NVDA"}) == {"88160R101": "TSLA"}


def read_cusip_map_text(tmp_path, text: str) -> dict:
    path = tmp_path / "overrides.csv"
    path.write_text(text)
    return read_cusip_map(path)


def test_coverage_of_nvidias_13f(fresh, tmp_path):
    lines = NVIDIA.rename(columns={"value": "value_usd"})  # filed 2024-05-15: values in dollars
    mapped = CusipMapper(_client(fresh, tmp_path)).symbols(lines["cusip"], {"RXRX", "ARM", "SOUN", "NNOX"})
    assert mapped == {"75629V104": "RXRX"}  # the only one of the four a shared record gives a ticker for
    coverage = mapping_coverage(lines, mapped)
    assert coverage["value_usd"] == 332_688_337  # the filing's tableValueTotal
    assert coverage["value_share_mapped"] == pytest.approx(76_832_439 / 332_688_337)
    assert coverage["lines"] == 4 and coverage["cusips"] == 4 and coverage["mapped_cusips"] == 1
    assert coverage["top_unmapped"] == [
        {"cusip": "042068205", "issuer_name": "ARM HOLDINGS PLC", "value_usd": 245_078_392.0},
        {"cusip": "836100107", "issuer_name": "SOUNDHOUND AI INC", "value_usd": 10_194_901.0},
        {"cusip": "M70700105", "issuer_name": "NANO X IMAGING LTD", "value_usd": 582_605.0},
    ]


def test_coverage_sums_lines_of_one_cusip_and_keeps_ten():
    lines = LINES[LINES["source_file"].str.contains("0001951757-25-000093")].rename(
        columns={"value": "value_usd"}
    )
    coverage = mapping_coverage(lines, {"88160R101": "TSLA"})
    tesla = lines.loc[lines["cusip"] == "88160R101", "value_usd"].astype(float).sum()
    assert coverage["mapped_value_usd"] == tesla == 1_070_984
    assert coverage["value_usd"] == 194_611_845  # Acorn Creek's tableValueTotal
    assert len(coverage["top_unmapped"]) == 10
    values = [row["value_usd"] for row in coverage["top_unmapped"]]
    assert values == sorted(values, reverse=True) and values[0] == 28_108_046  # VANGUARD INDEX FDS GROWTH ETF
    assert coverage["top_unmapped"][0]["cusip"] == "922908736"
    with pytest.raises(ValueError, match="missing value_usd"):
        mapping_coverage(LINES, {})
    empty = mapping_coverage(pd.DataFrame(columns=["cusip", "value_usd", "issuer_name"]), {})
    assert empty["value_share_mapped"] is None and empty["top_unmapped"] == []
