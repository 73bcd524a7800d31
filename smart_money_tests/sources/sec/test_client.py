"""The SEC client over real loopback HTTP against the local EDGAR stand-in (never sec.gov)."""

import json
import logging
import socket
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import numpy as np
import pytest

from smart_money.sources.sec.cache import server_folder
from smart_money.sources.sec.client import (
    FORM13F_DATASET_MEMBERS,
    USER_AGENT_HINT,
    RateLimiter,
    RetryPolicy,
    SecAccessDenied,
    SecClient,
    SecCorruptArchive,
    SecError,
    SecNotFound,
    SecUserAgentMissing,
    accession_dashed,
    cik10,
    form13f_dataset_name,
    form13f_dataset_names,
    form13f_dataset_window,
    information_table_name,
    raw_document_name,
    retry_after_seconds,
    shared_limiter,
    verify_dataset_zip,
)
from smart_money.testing.edgar_server import Fault, LocalEdgarServer

UA = "Smart Money Tests sm-tests@smart-money.test"
FAST_RETRY = RetryPolicy(attempts=4, initial_s=0.01, max_s=0.05)
FILINGS = Path(__file__).resolve().parents[2] / "fixtures" / "edgar_server" / "form4_xml"
AAPL, MSFT = 320193, 789019
AAPL_SALE = "0000320193-22-000061"
AAPL_XML = "wf-form4_165187623819106.xml"
AS_OF = date(2025, 6, 30)  # every fixture filing public, 2025 Q1 published, 2025 Q2 not


@pytest.fixture(scope="module")
def server():
    with LocalEdgarServer(FILINGS, as_of=AS_OF, recent_limit=2) as running:
        yield running


@pytest.fixture
def fresh(server):
    server.state.reset()
    server.state.faults = []
    server.state.enforce_rate = None
    return server


def _client(server, cache_dir, **kwargs) -> SecClient:
    return SecClient(
        kwargs.pop("user_agent", UA),
        cache_dir=cache_dir,
        www_url=server.url,
        data_url=server.url,
        rate_per_s=kwargs.pop("rate_per_s", 500.0),
        retry=kwargs.pop("retry", FAST_RETRY),
        as_of=kwargs.pop("as_of", AS_OF),
        limiter=kwargs.pop("limiter", RateLimiter(kwargs.pop("limiter_rate", 500.0))),
        **kwargs,
    )


# ---- the User-Agent ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, problem",
    [
        (None, "is not set"),
        ("", "is not set"),
        ("   \n", "is not set"),
        ("Jane Researcher", "has no email"),
        ("jane@uni.edu", "has an email but no name"),
        ("Your Name you@example.com", "is the example"),
        ("Jane Résearcher jane@uni.edu", "non-ASCII"),
    ],
)
def test_a_missing_or_undeclared_user_agent_is_refused_before_any_request(fresh, tmp_path, value, problem):
    with pytest.raises(SecUserAgentMissing) as caught:
        _client(fresh, tmp_path, user_agent=value)
    message = str(caught.value)
    assert problem in message
    assert USER_AGENT_HINT in message  # says exactly what to set
    assert 'export SEC_USER_AGENT="Your Name you@example.com"' in message
    if value and value.strip() and "example.com" not in value:
        assert value.strip() not in message  # never echoed
    assert fresh.state.total == 0


def test_the_user_agent_is_sent_as_declared_and_never_logged(fresh, tmp_path, caplog):
    fresh.state.faults = [Fault("503", times=1)]  # one retry, so the client logs a warning
    caplog.set_level(logging.DEBUG)
    with _client(fresh, tmp_path, user_agent=f"  {UA}\n") as client:
        tickers = client.company_tickers()
        assert UA not in repr(client)
    assert {row["ticker"] for row in tickers.values()} >= {"AAPL", "MSFT", "BETR"}
    assert fresh.state.stats()["user_agents"] == {UA: 2}
    assert "retry 1 of 3" in caplog.text
    assert UA not in caplog.text and "sm-tests@" not in caplog.text


def test_the_stand_in_answers_a_request_without_a_user_agent_with_the_sec_403_page(fresh):
    import httpx

    response = httpx.get(fresh.url + "/files/company_tickers.json", headers={"User-Agent": ""})
    assert response.status_code == 403
    assert "Undeclared Automated Tool" in response.text


# ---- the rate ---------------------------------------------------------------------------------------------
def test_the_shared_limiter_holds_the_configured_rate_measured_at_the_server(fresh, tmp_path):
    rate = 20.0
    limiter = RateLimiter(rate)
    days = [date(2022, 5, 2) + timedelta(days=i) for i in range(45)]
    days = [d for d in days if d.weekday() < 5][:30]
    clients = [
        _client(fresh, tmp_path / f"c{i}", limiter=limiter) for i in range(3)
    ]  # one limiter, 3 clients
    began = time.monotonic()
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda i_day: clients[i_day[0] % 3].daily_form_index(i_day[1]), enumerate(days)))
    elapsed = time.monotonic() - began
    for client in clients:
        client.close()
    times = np.sort(np.array(fresh.state.times))
    assert len(times) == 30
    # The client sends on slots exactly 1/rate apart (next test); at the server, loopback jitter can bring
    # one late arrival next to an on-time one, so a one-second window may hold one more, never two.
    in_any_second = max(int((times[i:] < t + 1.0).sum()) for i, t in enumerate(times))
    assert in_any_second <= rate + 1
    assert (len(times) - 1) / (times[-1] - times[0]) <= rate * 1.1  # the mean rate, jitter aside
    assert elapsed >= 29 / rate * 0.95  # 29 intervals of 50 ms, whatever the threads


def test_more_than_ten_requests_a_second_is_refused_for_the_sec_but_not_for_a_local_stand_in(tmp_path):
    with pytest.raises(SecError, match="at most 10 requests a second"):
        SecClient(UA, cache_dir=tmp_path, rate_per_s=12)
    with pytest.raises(SecError, match="not allowed"):
        SecClient(UA, cache_dir=tmp_path, rate_per_s=0)
    SecClient(UA, cache_dir=tmp_path, rate_per_s=10).close()  # the SEC's limit itself is fine
    SecClient(
        UA, cache_dir=tmp_path, www_url="http://127.0.0.1:9", data_url="http://localhost:9", rate_per_s=900
    )


def test_clients_of_one_process_share_one_limiter_per_server_group(tmp_path):
    a = SecClient(UA, cache_dir=tmp_path / "a")
    b = SecClient(
        UA, cache_dir=tmp_path / "b", www_url="https://www.sec.gov/", data_url="https://data.sec.gov"
    )
    assert a.limiter is b.limiter  # www and data count against one SEC budget
    assert a.rate_per_s == 8.0  # the default
    local = shared_limiter("http://127.0.0.1:1", "http://127.0.0.1:1", 8.0)
    assert local is not a.limiter


def test_the_limiter_gives_every_thread_slots_exactly_one_over_the_rate_apart():
    limiter = RateLimiter(50.0)
    with ThreadPoolExecutor(8) as pool:
        slots = np.sort(np.array(list(pool.map(lambda _: limiter.acquire(), range(120)))))
    gaps = np.diff(slots)
    # never closer than one over the rate; a wider gap only means no thread was asking yet (a busy machine)
    assert (gaps >= 1 / 50.0 - 1e-9).all() and np.isclose(np.median(gaps), 1 / 50.0)
    in_any_second = max(int((slots[i:] < t + 1.0 - 1e-9).sum()) for i, t in enumerate(slots))
    assert in_any_second == 50  # never more than the rate in any one second


def test_a_429_pauses_every_thread_of_the_limiter():
    limiter = RateLimiter(1000.0)
    limiter.acquire()
    limiter.pause(0.3)
    began = time.monotonic()
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda _: limiter.acquire(), range(3)))
    assert time.monotonic() - began >= 0.3 * 0.95


# ---- retries and refusals ---------------------------------------------------------------------------------
def test_a_429_is_retried_after_the_servers_retry_after(fresh, tmp_path):
    fresh.state.faults = [Fault("429", times=1, retry_after="1", path="company_tickers")]
    with _client(fresh, tmp_path) as client:
        began = time.monotonic()
        tickers = client.company_tickers()
        elapsed = time.monotonic() - began
        stats = client.stats()
    assert len(tickers) == 6
    assert elapsed >= 1.0  # Retry-After: 1 honoured, although the back-off alone would wait 10 ms
    assert fresh.state.counts["tickers"] == 2 and fresh.state.statuses[429] == 1
    assert stats["retries"] == 1 and stats["requests"] == 2


def test_503s_and_timeouts_are_retried(fresh, tmp_path):
    fresh.state.faults = [Fault("503", every=2), Fault("delay", delay_s=1.0, times=1, path="submissions")]
    with _client(fresh, tmp_path, timeout_s=0.3) as client:
        for cik in (AAPL, MSFT, 1835856, 1327811):
            assert client.submissions(cik)["cik"] == str(cik)
        stats = client.stats()
    assert fresh.state.statuses[503] >= 1
    assert stats["retries"] >= 2  # at least one 503 and the timeout
    assert stats["requests"] == 4 + stats["retries"]


def test_the_sec_403_page_stops_the_run_with_a_clear_message_and_is_not_retried(fresh, tmp_path):
    fresh.state.faults = [Fault("403")]
    with _client(fresh, tmp_path) as client:
        with pytest.raises(SecAccessDenied) as caught:
            client.submissions(AAPL)
    message = str(caught.value)
    assert "Undeclared Automated Tool" in message
    assert "SEC_USER_AGENT" in message and "10 requests a second" in message and "wait" in message
    assert fresh.state.total == 1
    assert not list(tmp_path.rglob("*.entry"))  # a refusal is never cached


def test_going_over_the_servers_rate_gets_the_403_page(fresh, tmp_path):
    fresh.state.enforce_rate = 5
    with _client(fresh, tmp_path) as client:  # 500/s against a server that allows 5
        with pytest.raises(SecAccessDenied, match="Undeclared Automated Tool"):
            for day in range(1, 20):
                client.daily_form_index(date(2022, 3, day))


def test_giving_up_after_the_attempts_names_the_url_and_what_to_do(fresh, tmp_path):
    fresh.state.faults = [Fault("503")]
    with _client(fresh, tmp_path) as client:
        with pytest.raises(SecError, match=r"still failing after 4 attempts: HTTP 503.*try again later"):
            client.company_facts(AAPL)
    assert fresh.state.total == 4


def test_an_unreachable_server_is_one_clear_error(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nobody listens there
    url = f"http://127.0.0.1:{port}"
    client = SecClient(UA, cache_dir=tmp_path, www_url=url, data_url=url, rate_per_s=100, retry=FAST_RETRY)
    with pytest.raises(SecError, match="check the network and SEC_WWW_URL / SEC_DATA_URL"):
        client.company_tickers()
    assert not list(tmp_path.rglob("*.entry"))


def test_retry_after_as_seconds_or_an_http_date_is_capped():
    now = datetime(2025, 1, 2, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("3", 120) == 3.0
    assert retry_after_seconds("9999", 120) == 120.0
    assert retry_after_seconds("-5", 120) == 0.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=42), usegmt=True), 120, now) == 42.0
    assert retry_after_seconds(format_datetime(now + timedelta(hours=2), usegmt=True), 120, now) == 120.0
    assert retry_after_seconds("soon", 120) is None
    assert retry_after_seconds(None, 120) is None


# ---- the paths --------------------------------------------------------------------------------------------
def test_each_path_of_the_sec_is_served_in_its_shape(fresh, tmp_path):
    with _client(fresh, tmp_path) as client:
        subs = client.submissions(AAPL)
        recent = subs["filings"]["recent"]
        i = recent["accessionNumber"].index(AAPL_SALE)
        assert raw_document_name(recent["primaryDocument"][i]) == AAPL_XML
        xml = client.archives_document(AAPL, AAPL_SALE, AAPL_XML)
        assert xml.startswith(b"<?xml") and b"<issuerTradingSymbol>AAPL</issuerTradingSymbol>" in xml
        html = client.archives_document(AAPL, AAPL_SALE, recent["primaryDocument"][i])
        assert b"<html>" in html and b"<ownershipDocument>" not in html  # the xsl path is a rendering
        index = client.filing_index(AAPL, AAPL_SALE.replace("-", ""))
        assert {item["name"] for item in index["directory"]["item"]} >= {AAPL_XML, f"{AAPL_SALE}.txt"}
        text = client.submission_text(AAPL, AAPL_SALE)
        assert text == (FILINGS / "edgartools" / f"cassette__{AAPL_SALE}.txt").read_bytes()  # verbatim
        msft = client.submissions(f"{MSFT:010d}")
        assert len(msft["filings"]["recent"]["accessionNumber"]) == 2  # recent_limit=2 on this server
        page = client.submissions_page(msft["filings"]["files"][0]["name"])
        assert page["accessionNumber"] == ["0001062993-21-005355"]
        assert client.company_facts(AAPL) is None  # no XBRL facts for a folder of filings
        assert client.submissions(1234567) is None
        with pytest.raises(SecNotFound):
            client.archives_document(AAPL, AAPL_SALE, "nope.xml")
        idx = client.daily_form_index(date(2022, 5, 6))
        assert f"edgar/data/{AAPL}/{AAPL_SALE}.txt" in idx and f"edgar/data/1462356/{AAPL_SALE}.txt" in idx
        assert client.daily_form_index(date(2022, 5, 7)) is None  # a Saturday
        with pytest.raises(ValueError, match="take it from filings.files"):
            client.submissions_page("../../etc/passwd")
    assert fresh.state.counts["archives"] == 5  # the 404 included


def test_cik_and_accession_spellings():
    assert cik10(320193) == cik10("0000320193") == "0000320193"
    assert accession_dashed("000032019322000061") == AAPL_SALE
    with pytest.raises(ValueError, match="at most 10 digits"):
        cik10("AAPL")
    with pytest.raises(ValueError, match="not 18 digits"):
        accession_dashed("0000320193-22-61")


# ---- the data set ZIPs ------------------------------------------------------------------------------------
def test_a_quarterly_data_set_is_streamed_verified_and_kept(fresh, tmp_path):
    with _client(fresh, tmp_path) as client:
        path = client.insider_dataset(2025, 1)
        assert client.insider_dataset(2025, 2) is None  # not published at the server's as_of
        stats = client.stats()
    with zipfile.ZipFile(path) as archive:
        submission = archive.read("SUBMISSION.tsv").decode().splitlines()
    assert {line.split("\t")[0] for line in submission[1:]} == {
        "0001127602-25-004598",
        "0001493152-25-009612",
        "0001327811-25-000050",
        "0001104659-25-025206",
    }
    assert stats["bytes_downloaded"] >= path.stat().st_size
    assert path.parent.name == "insider-transactions-data-sets" and server_folder(fresh.url) in str(path)
    assert {p.name for p in path.parent.iterdir()} == {
        "2025q1_form345.zip",
        "2025q1_form345.zip.meta",  # its header: size, SHA-256, final
        "2025q2_form345.zip.absent.entry",  # the absence, cached with a TTL
    }


def test_a_corrupt_zip_is_one_clear_error_and_leaves_no_partial_file(fresh, tmp_path):
    fresh.state.faults = [Fault("corrupt", path=r"_form345\.zip$", times=1)]
    with _client(fresh, tmp_path) as client:
        with pytest.raises(
            SecCorruptArchive, match=r"2022q2_form345\.zip is not a valid ZIP.*nothing was kept"
        ):
            client.insider_dataset(2022, 2)
        assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # no partial file, no temp file
        assert fresh.state.counts["dataset"] == 1  # not retried
        path = client.insider_dataset(2022, 2)  # the next run downloads it afresh
    verify_dataset_zip(path)


def test_a_zip_without_the_data_set_members_is_refused(tmp_path):
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("README.txt", "not a data set")
    with pytest.raises(SecCorruptArchive, match="lacks SUBMISSION.tsv, REPORTINGOWNER.tsv"):
        verify_dataset_zip(path)


# ---- the cache --------------------------------------------------------------------------------------------
def _everything(client: SecClient) -> list:
    msft = client.submissions(MSFT)
    return [
        client.company_tickers(),
        client.submissions(AAPL),
        msft,
        client.submissions_page(msft["filings"]["files"][0]["name"]),
        client.submissions(1234567),
        client.company_facts(AAPL),
        client.filing_index(AAPL, AAPL_SALE),
        client.archives_document(AAPL, AAPL_SALE, AAPL_XML),
        client.submission_text(AAPL, AAPL_SALE),
        client.daily_form_index(date(2022, 5, 6)),
        client.daily_form_index(date(2022, 5, 7)),
        client.insider_dataset(2022, 2).read_bytes(),
        client.insider_dataset(2025, 2),
    ]


def test_a_rerun_is_served_from_the_cache_with_zero_requests(fresh, tmp_path):
    with _client(fresh, tmp_path) as first:
        answers = _everything(first)
        first_stats = first.stats()
    assert fresh.state.total == 13 and first_stats["cache_misses"] == 13
    fresh.state.reset()
    with _client(fresh, tmp_path) as again:
        assert _everything(again) == answers
        stats = again.stats()
    assert fresh.state.total == 0
    assert stats["requests"] == 0 and stats["cache_misses"] == 0 and stats["cache_hits"] == 13
    assert (tmp_path / server_folder(fresh.url)).is_dir()  # one folder per server
    assert server_folder("https://www.sec.gov") == "www.sec.gov"
    assert server_folder("https://data.sec.gov/") == "data.sec.gov"


def test_closed_periods_and_archives_are_final_while_the_rest_expires(fresh, tmp_path):
    with _client(fresh, tmp_path, cache_ttl_days=0) as first:
        _everything(first)
    fresh.state.reset()
    with _client(fresh, tmp_path, cache_ttl_days=0) as again:
        _everything(again)
        stats = again.stats()
    # tickers, 2 submissions, the older page, the unknown CIK, company facts and the unpublished quarter
    # expire; the filing's documents, both closed days and the closed quarter are final
    assert dict(fresh.state.counts) == {"tickers": 1, "submissions": 4, "companyfacts": 1, "dataset": 1}
    assert stats["cache_expired"] == 7


def test_a_period_still_open_when_fetched_is_not_final(fresh, tmp_path):
    with _client(fresh, tmp_path, cache_ttl_days=0, as_of=date(2022, 5, 7)) as early:
        early.daily_form_index(date(2022, 5, 6))  # fetched a day after: the index may still be settling
    fresh.state.reset()
    with _client(fresh, tmp_path, cache_ttl_days=0) as later:
        later.daily_form_index(date(2022, 5, 6))
    assert fresh.state.total == 1


def test_a_corrupt_cache_entry_is_fetched_again(fresh, tmp_path):
    with _client(fresh, tmp_path) as client:
        client.archives_document(AAPL, AAPL_SALE, AAPL_XML)
        zip_path = client.insider_dataset(2022, 2)
    (entry,) = [p for p in tmp_path.rglob("*.entry") if AAPL_XML in p.name]
    entry.write_bytes(entry.read_bytes()[:-20])  # truncated
    zip_path.write_bytes(zip_path.read_bytes()[:100])
    header = json.loads(zip_path.with_name(zip_path.name + ".meta").read_text())
    assert header["final"] is True and header["closes_on"] == "2022-07-01"
    fresh.state.reset()
    with _client(fresh, tmp_path) as client:
        xml = client.archives_document(AAPL, AAPL_SALE, AAPL_XML)
        verify_dataset_zip(client.insider_dataset(2022, 2))
        stats = client.stats()
    assert xml.startswith(b"<?xml")
    assert stats["cache_corrupt"] == 2 and fresh.state.total == 2


# ---- Form 13F data sets and fund tickers ------------------------------------------------------------------
FORM13F = Path(__file__).resolve().parents[2] / "fixtures" / "edgar_server" / "form13f"
LTS_ONE = "0001894188-23-000007"


@pytest.fixture(scope="module")
def server13f():
    with LocalEdgarServer(FORM13F, as_of=AS_OF) as running:
        yield running


@pytest.fixture
def fresh13f(server13f):
    server13f.state.reset()
    server13f.state.faults = []
    return server13f


def test_the_form13f_data_set_names_are_the_secs(tmp_path):
    # names as the SEC's form-13f-data-sets page lists them: calendar quarters of filing dates to 2023q4,
    # a January-February 2024 bridge, then three-month windows Mar-May, Jun-Aug, Sep-Nov, Dec-Feb
    assert form13f_dataset_name(date(2013, 5, 20)) == "2013q2"
    assert form13f_dataset_name(date(2023, 11, 14)) == "2023q4"
    assert form13f_dataset_name(date(2024, 2, 14)) == "01jan2024-29feb2024"
    assert form13f_dataset_name(date(2024, 5, 15)) == "01mar2024-31may2024"
    assert form13f_dataset_name(date(2024, 8, 14)) == "01jun2024-31aug2024"
    assert form13f_dataset_name(date(2024, 11, 14)) == "01sep2024-30nov2024"
    assert form13f_dataset_name(date(2025, 1, 22)) == "01dec2024-28feb2025"
    assert form13f_dataset_name(date(2026, 2, 17)) == "01dec2025-28feb2026"
    assert form13f_dataset_name(date(2028, 2, 29)) == "01dec2027-29feb2028"
    assert form13f_dataset_window("01mar2026-31may2026_form13f.zip") == (date(2026, 3, 1), date(2026, 5, 31))
    assert form13f_dataset_window("2023Q4") == (date(2023, 10, 1), date(2023, 12, 31))
    assert form13f_dataset_names(date(2023, 12, 15), date(2024, 6, 1)) == [
        "2023q4", "01jan2024-29feb2024", "01mar2024-31may2024", "01jun2024-31aug2024",
    ]  # fmt: skip
    for wrong in ("2024q1", "2013q1", "01feb2024-30apr2024", "01dec2024-29feb2025", "13f"):
        with pytest.raises(ValueError, match="not one the SEC publishes"):
            form13f_dataset_window(wrong)
    with pytest.raises(ValueError, match="start with 2013q2"):
        form13f_dataset_name(date(2012, 12, 31))
    with (
        _client_for_nothing(tmp_path) as client,
        pytest.raises(ValueError, match="not one the SEC publishes"),
    ):
        client.form13f_dataset("2024q1")  # refused before any request


def _client_for_nothing(tmp_path) -> SecClient:
    url = "http://127.0.0.1:9"  # nobody listens: any request would fail
    return SecClient(UA, cache_dir=tmp_path, www_url=url, data_url=url, rate_per_s=100, retry=FAST_RETRY)


def test_a_form13f_data_set_is_streamed_verified_and_kept(fresh13f, tmp_path):
    with _client(fresh13f, tmp_path) as client:
        path = client.form13f_dataset("2023q4")
        assert client.form13f_dataset(date(2023, 11, 14)) == path  # by a filing date it covers
        assert client.form13f_dataset("2023q4_form13f.zip") == path
        assert client.form13f_dataset("01jun2025-31aug2025") is None  # not published at the server's as_of
        stats = client.stats()
    verify_dataset_zip(path, members=FORM13F_DATASET_MEMBERS)
    with zipfile.ZipFile(path) as archive:
        submission = archive.read("SUBMISSION.tsv").decode().splitlines()
    assert submission == [
        "ACCESSION_NUMBER\tFILING_DATE\tSUBMISSIONTYPE\tCIK\tPERIODOFREPORT",
        f"{LTS_ONE}\t14-NOV-2023\t13F-HR\t0001894188\t30-SEP-2023",
    ]
    assert fresh13f.state.counts["dataset"] == 2 and stats["requests_by_kind"] == {"dataset": 2}
    assert stats["bytes_downloaded"] >= path.stat().st_size
    assert path.parent.name == "form-13f-data-sets"
    assert {p.name for p in path.parent.iterdir()} == {
        "2023q4_form13f.zip",
        "2023q4_form13f.zip.meta",
        "01jun2025-31aug2025_form13f.zip.absent.entry",
    }
    header = json.loads(path.with_name(path.name + ".meta").read_text())
    assert header["final"] is True and header["closes_on"] == "2024-01-01"
    fresh13f.state.reset()
    with _client(fresh13f, tmp_path) as again:  # a re-run: zero requests
        assert again.form13f_dataset("2023q4") == path
        assert again.form13f_dataset("01jun2025-31aug2025") is None
        assert again.stats()["requests"] == 0 and again.stats()["cache_hits"] == 2
    assert fresh13f.state.total == 0


def test_a_corrupt_form13f_zip_is_one_clear_error_and_leaves_no_file(fresh13f, tmp_path):
    fresh13f.state.faults = [Fault("corrupt", path=r"_form13f\.zip$", times=1)]
    with _client(fresh13f, tmp_path) as client:
        with pytest.raises(
            SecCorruptArchive, match=r"01dec2024-28feb2025_form13f\.zip is not a valid ZIP.*nothing was kept"
        ):
            client.form13f_dataset("01dec2024-28feb2025")
        assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
        assert fresh13f.state.counts["dataset"] == 1  # not retried
        path = client.form13f_dataset("01dec2024-28feb2025")
    verify_dataset_zip(path, members=FORM13F_DATASET_MEMBERS)


def test_an_insider_data_set_is_not_taken_for_a_form13f_one(fresh, tmp_path):
    with _client(fresh, tmp_path) as client:
        insider = client.insider_dataset(2022, 2)
    with pytest.raises(
        SecCorruptArchive, match="lacks COVERPAGE.tsv, SUMMARYPAGE.tsv, INFOTABLE.tsv.*Form 13F"
    ):
        verify_dataset_zip(insider, members=FORM13F_DATASET_MEMBERS, what="a Form 13F Data Set")


def test_13f_documents_come_through_the_archives_paths(fresh13f, tmp_path):
    with _client(fresh13f, tmp_path) as client:
        recent = client.submissions(1894188)["filings"]["recent"]
        assert (recent["form"], recent["reportDate"]) == (["13F-HR"], ["2023-09-30"])
        index = client.filing_index(1894188, LTS_ONE)
        table = information_table_name(index)
        assert table == "index.xml" and raw_document_name(recent["primaryDocument"][0]) == "primary_doc.xml"
        xml = client.archives_document(1894188, LTS_ONE, table)
        assert xml.count(b"<ns1:infoTable>") == 14
        assert client.fund_tickers() == {"fields": ["cik", "seriesId", "classId", "symbol"], "data": []}
        assert client.stats()["requests_by_kind"] == {"submissions": 1, "archives": 2, "fund_tickers": 1}
    assert information_table_name({"directory": {"item": [{"name": "primary_doc.xml"}]}}) is None  # 13F-NT


def test_fund_tickers_list_the_synthetic_etf_classes_and_are_cached(tmp_path):
    from smart_money.sources.synthetic.market import MarketConfig

    with LocalEdgarServer(config=MarketConfig(seed=3, n_symbols=12)) as server:
        with _client(server, tmp_path, as_of=server.state.as_of) as client:
            tickers = client.fund_tickers()
        with _client(server, tmp_path, as_of=server.state.as_of) as again:
            assert again.fund_tickers() == tickers
            assert again.stats()["requests"] == 0
    assert tickers["fields"] == ["cik", "seriesId", "classId", "symbol"]
    rows = {row[3]: row for row in tickers["data"]}
    assert rows["SYNETF-MKT"] == [9_900_001, "S000900001", "C000900001", "SYNETF-MKT"]
    assert {row[0] for row in tickers["data"]} == {9_900_001, 9_900_002}  # broad and sector trusts
    assert all(isinstance(row[0], int) for row in tickers["data"])  # an unpadded integer, as the SEC's
