"""The local EDGAR stand-in: what it derives from a folder of real filings and from the simulated market."""

import csv
import io
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from smart_money.sources.sec.client import RateLimiter, RetryPolicy, SecClient, raw_document_name
from smart_money.sources.synthetic.market import MarketConfig, simulate_market
from smart_money.testing.edgar_server import (
    DATASET_COLUMNS,
    EASTERN,
    Fault,
    Filing,
    FilingsWorld,
    LocalEdgarServer,
    dataset_quarter,
    last_business_day,
    sec_date,
    sec_number,
)

UA = "Smart Money Tests sm-tests@smart-money.test"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "edgar_server"
FILINGS = FIXTURES / "form4_xml"
AS_OF = date(2025, 6, 30)
AAPL_SALE = "0000320193-22-000061"
SOFTBANK = "0001493152-25-009612"
SMALL = MarketConfig(seed=2, n_symbols=8)  # has a Form 4 accepted at 21:06 on 2024-12-31


def _client(server, cache_dir) -> SecClient:
    return SecClient(
        UA,
        cache_dir=cache_dir,
        www_url=server.url,
        data_url=server.url,
        rate_per_s=500,
        retry=RetryPolicy(attempts=3, initial_s=0.01, max_s=0.02),
        limiter=RateLimiter(500),
    )


def _tsv(archive: zipfile.ZipFile, table: str) -> list[dict]:
    text = archive.read(f"{table}.tsv").decode("utf-8")
    return list(csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))


def _index_rows() -> list[dict]:
    with open(FILINGS / "INDEX.csv", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def real():
    with LocalEdgarServer(FILINGS, as_of=AS_OF) as running:
        yield running


@pytest.fixture(scope="module")
def real_zips(real, tmp_path_factory):
    """Every quarterly data set of the real filings, through the client."""
    cache = tmp_path_factory.mktemp("real_cache")
    with _client(real, cache) as client:
        quarters = [(2021, 2), (2022, 1), (2022, 2), (2024, 2), (2025, 1)]
        return {q: zipfile.ZipFile(client.insider_dataset(*q)) for q in quarters}


# ---- a folder of real filings -----------------------------------------------------------------------------
def test_tickers_come_from_the_filings_and_undated_documents_are_not_served(real, tmp_path):
    with _client(real, tmp_path) as client:
        tickers = client.company_tickers()
    by_ticker = {row["ticker"]: row for row in tickers.values()}
    assert by_ticker["AAPL"] == {"cik_str": 320193, "ticker": "AAPL", "title": "Apple Inc."}
    assert by_ticker["BETR"] == {
        "cik_str": 1835856,
        "ticker": "BETR",
        "title": "Better Home & Finance Holding Co",
    }
    assert set(by_ticker) == {"AAPL", "MSFT", "ARW", "WDAY", "BETR", "DKNG"}
    assert "SCWO" not in by_ticker  # 374Water's document has no filing date anywhere
    skipped = real.state.stats()["skipped"]
    assert skipped == [
        {
            "file": "edgartools/ownership__374WaterForm4.xml",
            "reason": "no filing date in the document, its header or INDEX.csv: "
            "nothing says when it became public",
        }
    ]


def test_submissions_are_derived_from_the_filings(real, tmp_path):
    with _client(real, tmp_path) as client:
        aapl = client.submissions(320193)
        owner = client.submissions(1462356)  # Katherine Adams, the reporting owner
        softbank_owner = client.submissions(1818296)  # SB Management Ltd, the 8th owner
    recent = aapl["filings"]["recent"]
    i = recent["accessionNumber"].index(AAPL_SALE)
    assert recent["filingDate"][i] == "2022-05-06"
    assert recent["acceptanceDateTime"][i] == "2022-05-06T22:30:57.000Z"  # 18:30:57 Eastern (EDT) in UTC
    assert recent["reportDate"][i] == "2022-05-04"
    assert recent["form"][i] == "4"
    assert recent["primaryDocument"][i] == "xslF345X03/wf-form4_165187623819106.xml"
    assert recent["fileNumber"][i] == "001-36743" and recent["filmNumber"][i] == "22902747"
    assert recent["size"][i] == (FILINGS / "edgartools" / f"cassette__{AAPL_SALE}.txt").stat().st_size
    assert (aapl["sic"], aapl["sicDescription"], aapl["tickers"]) == (
        "3571",
        "ELECTRONIC COMPUTERS",
        ["AAPL"],
    )
    assert owner["entityType"] == "other" and owner["filings"]["recent"]["accessionNumber"] == [AAPL_SALE]
    assert softbank_owner["filings"]["recent"]["accessionNumber"] == [SOFTBANK]


def test_an_unknown_acceptance_time_is_left_empty_not_guessed(real, tmp_path):
    with _client(real, tmp_path) as client:
        arrow = client.submissions(7536)["filings"]["recent"]  # the <FILING-DATE> header has no acceptance
        msft = client.submissions(789019)["filings"]["recent"]  # metadata.json headers have none either
    assert arrow["filingDate"] == ["2025-02-13"] and arrow["acceptanceDateTime"] == [""]
    assert msft["filingDate"] == ["2024-06-07", "2022-02-01", "2021-06-03"]  # newest first
    assert set(msft["acceptanceDateTime"]) == {""}


def test_every_served_filing_gives_data_set_rows_equal_to_its_transaction_elements(real_zips):
    """Row counts per filing checked against INDEX.csv's counts (read from the XML by its author)."""
    rows = {table: [] for table in DATASET_COLUMNS}
    for archive in real_zips.values():
        for table in rows:
            rows[table] += _tsv(archive, table)
    dated = [r for r in _index_rows() if r["filing_date"]]
    assert sorted(r["ACCESSION_NUMBER"] for r in rows["SUBMISSION"]) == sorted(r["accession"] for r in dated)
    for r in dated:
        acc = r["accession"]
        count = {t: sum(1 for row in rows[t] if row["ACCESSION_NUMBER"] == acc) for t in rows}
        assert count["NONDERIV_TRANS"] == int(r["n_nonderiv_trans"]), acc
        assert count["DERIV_TRANS"] == int(r["n_deriv_trans"]), acc
        assert count["NONDERIV_HOLDING"] == int(r["n_nonderiv_holdings"]), acc
        assert count["DERIV_HOLDING"] == int(r["n_deriv_holdings"]), acc
        assert count["REPORTINGOWNER"] == int(r["n_reporting_owners"]), acc
        codes = "".join(
            sorted({row["TRANS_CODE"] for row in rows["NONDERIV_TRANS"] if row["ACCESSION_NUMBER"] == acc})
        )
        assert codes == r["nonderiv_codes"], acc
        (submission,) = [s for s in rows["SUBMISSION"] if s["ACCESSION_NUMBER"] == acc]
        assert submission["FILING_DATE"] == sec_date(r["filing_date"])
        assert submission["ISSUERCIK"] == r["issuer_cik"] and submission["ISSUERTRADINGSYMBOL"] == r["ticker"]


def test_the_aapl_sale_in_the_data_set_field_by_field(real_zips):
    archive = real_zips[(2022, 2)]
    (submission,) = [r for r in _tsv(archive, "SUBMISSION") if r["ACCESSION_NUMBER"] == AAPL_SALE]
    assert submission["FILING_DATE"] == "06-MAY-2022" and submission["PERIOD_OF_REPORT"] == "04-MAY-2022"
    assert submission["DOCUMENT_TYPE"] == "4" and submission["ISSUERNAME"] == "Apple Inc."
    (owner,) = [r for r in _tsv(archive, "REPORTINGOWNER") if r["ACCESSION_NUMBER"] == AAPL_SALE]
    assert (owner["RPTOWNERCIK"], owner["RPTOWNERNAME"]) == ("0001462356", "Adams Katherine L.")
    assert (owner["RPTOWNER_RELATIONSHIP"], owner["RPTOWNER_TITLE"]) == ("Officer", "SVP, GC and Secretary")
    trades = [r for r in _tsv(archive, "NONDERIV_TRANS") if r["ACCESSION_NUMBER"] == AAPL_SALE]
    # values read by hand from the XML: seven sales on 2022-05-04, each with its own price footnote
    assert [r["TRANS_SHARES"] for r in trades] == [
        "9136.0",
        "5316.0",
        "4006.0",
        "900.0",
        "1550.0",
        "1800.0",
        "2292.0",
    ]
    assert [r["TRANS_PRICEPERSHARE"] for r in trades] == [
        "159.94", "160.82", "161.93", "162.77", "163.94", "165.06", "165.95",
    ]  # fmt: skip
    assert [r["TRANS_PRICEPERSHARE_FN"] for r in trades] == [f"F{i}" for i in range(2, 9)]
    assert {
        (r["TRANS_CODE"], r["TRANS_ACQUIRED_DISP_CD"], r["TRANS_DATE"], r["SECURITY_TITLE_FN"])
        for r in trades
    } == {("S", "D", "04-MAY-2022", "F1")}
    assert (
        trades[0]["SHRS_OWND_FOLWNG_TRANS"] == "468198.0"
        and trades[-1]["SHRS_OWND_FOLWNG_TRANS"] == "452334.0"
    )
    notes = {
        r["FOOTNOTE_ID"]: r["FOOTNOTE_TXT"]
        for r in _tsv(archive, "FOOTNOTES")
        if r["ACCESSION_NUMBER"] == AAPL_SALE
    }
    assert notes["F1"].startswith("This transaction was made pursuant to a Rule 10b5-1 trading plan")


def test_softbanks_eight_owners_and_its_tables_field_by_field(real_zips):
    archive = real_zips[(2025, 1)]
    owners = [r for r in _tsv(archive, "REPORTINGOWNER") if r["ACCESSION_NUMBER"] == SOFTBANK]
    assert [r["RPTOWNERCIK"] for r in owners] == [
        "0001065521", "0001883884", "0001787613", "0001883559", "0001883900", "0001990707", "0001991269",
        "0001818296",
    ]  # fmt: skip
    assert owners[0]["RPTOWNERNAME"] == "SOFTBANK GROUP CORP."
    assert {r["RPTOWNER_RELATIONSHIP"] for r in owners} == {"TenPercentOwner"}
    (trade,) = [r for r in _tsv(archive, "NONDERIV_TRANS") if r["ACCESSION_NUMBER"] == SOFTBANK]
    assert (trade["SECURITY_TITLE"], trade["TRANS_CODE"], trade["TRANS_ACQUIRED_DISP_CD"]) == (
        "Class A Common Stock",
        "C",
        "A",
    )
    assert (trade["TRANS_SHARES"], trade["TRANS_SHARES_FN"]) == ("628553.0", "F1")
    assert (trade["TRANS_PRICEPERSHARE"], trade["TRANS_PRICEPERSHARE_FN"]) == ("", "F2")  # only a footnote
    assert (trade["DIRECT_INDIRECT_OWNERSHIP"], trade["NATURE_OF_OWNERSHIP"]) == (
        "I",
        "By SVF II Beaver (DE) LLC",
    )
    (derivative,) = [r for r in _tsv(archive, "DERIV_TRANS") if r["ACCESSION_NUMBER"] == SOFTBANK]
    assert (derivative["SECURITY_TITLE"], derivative["TRANS_CODE"], derivative["TRANS_ACQUIRED_DISP_CD"]) == (
        "Class B Common Stock",
        "C",
        "D",
    )
    assert derivative["TRANS_DATE"] == "09-DEC-2024" and derivative["UNDLYNG_SEC_SHARES"] == "628553.0"
    (submission,) = [r for r in _tsv(archive, "SUBMISSION") if r["ACCESSION_NUMBER"] == SOFTBANK]
    assert submission["FILING_DATE"] == "07-MAR-2025" and submission["PERIOD_OF_REPORT"] == "09-DEC-2024"


def test_the_data_set_files_have_the_secs_columns_and_number_spelling(real_zips):
    archive = real_zips[(2025, 1)]
    for table in ("SUBMISSION", "DERIV_TRANS"):
        sec_header = (FIXTURES / "sec_2024q3_form345_head" / f"{table}.tsv").read_text().splitlines()[0]
        assert archive.read(f"{table}.tsv").decode().splitlines()[0] == sec_header
    assert set(archive.namelist()) == {f"{t}.tsv" for t in DATASET_COLUMNS}
    sec_row = _tsv(zipfile.ZipFile(_zip_of(FIXTURES / "sec_2024q3_form345_head")), "DERIV_TRANS")[0]
    assert (sec_row["TRANS_SHARES"], sec_row["CONV_EXERCISE_PRICE"], sec_row["TRANS_DATE"]) == (
        sec_number("250000"),
        sec_number("4"),
        sec_date("2024-09-27"),
    )
    assert sec_number("216.50") == "216.5" and sec_number("289.408") == "289.41"  # cents, half up
    assert sec_number("0.005") == "0.01" and sec_number("-0.004") == "0.0"
    assert sec_number("F1") == "F1" and sec_date("2024-02-30") == "2024-02-30"


def _zip_of(folder: Path) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in folder.iterdir():
            archive.write(path, path.name)
    buffer.seek(0)
    return buffer


def test_per_filing_documents_are_the_ones_in_the_folder(real, tmp_path):
    with _client(real, tmp_path) as client:
        for row in _index_rows():
            if not row["filing_date"]:
                continue
            cik, acc = int(row["issuer_cik"]), row["accession"]
            recent = client.submissions(cik)["filings"]["recent"]
            document = raw_document_name(recent["primaryDocument"][recent["accessionNumber"].index(acc)])
            xml = client.archives_document(cik, acc, document)
            assert b"<ownershipDocument>" in xml and xml.rstrip().endswith(b"</ownershipDocument>")
            source = (FILINGS / row["file"]).read_bytes()
            assert xml.strip() in source  # the very bytes filed (inside the SGML, or the file itself)
            text = client.submission_text(cik, acc)
            assert f"FILED AS OF DATE:\t\t{row['filing_date'].replace('-', '')}".encode() in text
            assert xml.strip() in text
        idx = client.daily_form_index(date(2025, 3, 7))
    lines = [line for line in idx.splitlines() if line.startswith("4 ")]
    assert len(lines) == 1 + 8 + 1 + 1  # SoftBank's issuer and 8 owners, Workday's issuer and owner
    assert sum(SOFTBANK in line for line in lines) == 9
    assert re.match(
        r"^4\s+Better Home & Finance Holding Co\s+1835856\s+20250307\s+edgar/data/1835856/", lines[0]
    )


def test_a_padded_cik_in_an_archives_path_is_redirected_as_edgar_does(real):
    response = httpx.get(
        f"{real.url}/Archives/edgar/data/0000320193/{AAPL_SALE}.txt", headers={"User-Agent": UA}
    )
    assert response.status_code == 301
    assert response.headers["Location"] == f"/Archives/edgar/data/320193/{AAPL_SALE}.txt"
    named_by_the_daily_index = httpx.get(real.url + response.headers["Location"], headers={"User-Agent": UA})
    assert (
        named_by_the_daily_index.content
        == (FILINGS / "edgartools" / f"cassette__{AAPL_SALE}.txt").read_bytes()
    )
    assert (
        httpx.get(
            f"{real.url}/Archives/edgar/data/1835856/{AAPL_SALE}.txt", headers={"User-Agent": UA}
        ).status_code
        == 404
    )  # the filing is not in another issuer's folder


def test_nothing_is_served_before_it_was_public(tmp_path):
    with LocalEdgarServer(FILINGS, as_of=date(2022, 5, 5)) as early, _client(early, tmp_path) as client:
        assert client.submissions(320193) is None  # its only filing is not public yet
        assert "AAPL" not in {r["ticker"] for r in client.company_tickers().values()}
        assert client.insider_dataset(2022, 2) is None  # the quarter is not over
        assert client.daily_form_index(date(2022, 5, 6)) is None
        assert client.insider_dataset(2021, 2) is not None


def test_a_folder_without_an_index_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="INDEX.csv"):
        FilingsWorld(tmp_path)


# ---- the data set quarter of a late filing ----------------------------------------------------------------
def _filing(day: date, hour: int, minute: int) -> Filing:
    return Filing(
        accession="0000000001-24-000001",
        form="4",
        filing_date=day,
        acceptance=datetime(day.year, day.month, day.day, hour, minute, tzinfo=EASTERN),
        issuer_cik=1,
        issuer_name="X",
        ticker="X",
        owners=((2, "Y"),),
        period_of_report=day.isoformat(),
        document="x.xml",
        schema_version="X0508",
        load_xml=lambda: b"",
    )


def test_a_filing_accepted_after_1730_on_a_quarters_last_business_day_goes_into_the_next_data_set():
    assert last_business_day(2024, 2) == date(2024, 6, 28)  # 30 June 2024 was a Sunday
    assert last_business_day(2021, 4) == date(2021, 12, 30)  # 31 Dec 2021 was the observed New Year holiday
    assert dataset_quarter(_filing(date(2024, 6, 28), 17, 29)) == (2024, 2)
    assert dataset_quarter(_filing(date(2024, 6, 28), 17, 30)) == (2024, 3)
    assert dataset_quarter(_filing(date(2024, 12, 31), 21, 0)) == (2025, 1)
    assert dataset_quarter(_filing(date(2024, 6, 27), 21, 0)) == (2024, 2)


# ---- the synthetic world ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def synthetic():
    with LocalEdgarServer(config=SMALL) as running:
        yield running


def test_the_synthetic_world_serves_its_universe_facts_and_every_trade_once(synthetic, tmp_path):
    world = simulate_market(SMALL)
    as_of = synthetic.state.as_of
    assert as_of == SMALL.end
    with _client(synthetic, tmp_path) as client:
        tickers = client.company_tickers()
        assert sorted(r["ticker"] for r in tickers.values()) == sorted(world.universe["symbol"])
        facts = client.company_facts(9_000_001)["facts"]["dei"]["EntityCommonStockSharesOutstanding"]
        shares = facts["units"]["shares"]
        expected = float(world.universe.set_index("symbol").loc["SYN001", "shares_outstanding"])
        assert {f["val"] for f in shares} == {int(expected)}
        assert shares[0]["filed"] < SMALL.start.isoformat() and all(
            f["filed"] <= as_of.isoformat() for f in shares
        )
        subs = client.submissions(9_000_001)
        assert subs["tickers"] == ["SYN001"] and subs["sic"]
        # bulk: every published quarter; per filing: from the last business day of the newest published
        # quarter (a filing accepted after 17:30 that day is in the next, unpublished data set)
        bulk, bulk_accessions = 0, set()
        year, quarter = 2019, 1
        while (archive_path := client.insider_dataset(year, quarter)) is not None:
            archive = zipfile.ZipFile(archive_path)
            bulk += len(_tsv(archive, "NONDERIV_TRANS"))
            bulk_accessions |= {r["ACCESSION_NUMBER"] for r in _tsv(archive, "SUBMISSION")}
            year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
        assert (year, quarter) == (2025, 1)
        per_filing, seen, late = 0, set(), 0
        day = last_business_day(2024, 4)
        while day < as_of:
            for line in (client.daily_form_index(day) or "").splitlines():
                match = re.match(
                    r"^4\s+Synthetic Company.*?(\d+)\s+\d{8}\s+edgar/data/\d+/([\d-]+)\.txt$", line
                )
                if match and match.group(2) not in bulk_accessions | seen:
                    seen.add(match.group(2))
                    late += day == date(2024, 12, 31)
                    xml = client.archives_document(int(match.group(1)), match.group(2), "form4.xml")
                    per_filing += xml.count(b"<nonDerivativeTransaction>")
            day += timedelta(days=1)
    trades = world.insider_trades
    public = trades[trades["known_at"] < str(as_of)]  # the server's today: its index is not out yet
    assert bulk + per_filing == len(public)
    assert late == 1  # filed on 2024-12-31 after 17:30: only in 2025 Q1's data set, not yet published
    assert bulk >= int((public["known_at"] < "2024-12-31").sum())


def test_a_synthetic_filing_reads_the_same_in_its_xml_and_its_data_set_row(synthetic, tmp_path):
    world = simulate_market(SMALL)
    with _client(synthetic, tmp_path) as client:
        recent = client.submissions(9_000_002)["filings"]["recent"]
        i = next(k for k, d in enumerate(recent["filingDate"]) if d.startswith("2022-0"))
        acc, filed = recent["accessionNumber"][i], recent["filingDate"][i]
        xml = client.archives_document(
            9_000_002, acc, raw_document_name(recent["primaryDocument"][i])
        ).decode()
        day = date.fromisoformat(filed)
        archive = zipfile.ZipFile(client.insider_dataset(day.year, (day.month - 1) // 3 + 1))
    rows = [r for r in _tsv(archive, "NONDERIV_TRANS") if r["ACCESSION_NUMBER"] == acc]
    (owner,) = [r for r in _tsv(archive, "REPORTINGOWNER") if r["ACCESSION_NUMBER"] == acc]
    trades = world.insider_trades
    mine = trades[(trades["known_at"] == filed) & (trades["insider_name"] == owner["RPTOWNERNAME"])]
    assert len(rows) == len(mine) == xml.count("<nonDerivativeTransaction>") >= 1
    for row, trade in zip(rows, mine.itertuples(), strict=True):
        assert float(row["TRANS_SHARES"]) == trade.shares
        assert float(row["TRANS_PRICEPERSHARE"]) == pytest.approx(trade.price)
        assert (
            row["TRANS_CODE"] == trade.transaction_code
            and row["TRANS_ACQUIRED_DISP_CD"] == trade.acquired_disposed
        )
        assert row["TRANS_DATE"] == sec_date(trade.transaction_date.date().isoformat())
    assert recent["acceptanceDateTime"][i].startswith(filed[:4])


# ---- faults and checks ------------------------------------------------------------------------------------
def test_fault_rules_fire_every_nth_matching_request_up_to_their_limit():
    fault = Fault.parse("429:every=2:path=submissions:times=2:retry_after=3")
    assert (fault.kind, fault.every, fault.times, fault.retry_after) == ("429", 2, 2, "3")
    fired = [fault.fires(p) for p in ["/submissions/a", "/files/x", "/submissions/b", "/submissions/c"] * 3]
    assert fired.count(True) == 2 and fired[2] is True
    with pytest.raises(ValueError, match="fault kind"):
        Fault("418")
    with pytest.raises(ValueError, match="fault option"):
        Fault.parse("503:often=2")


def test_the_server_counts_requests_and_user_agents_and_resets(real):
    real.state.reset()
    httpx.get(real.url + "/files/company_tickers.json", headers={"User-Agent": UA})
    httpx.get(real.url + "/nope", headers={"User-Agent": UA})
    stats = httpx.get(real.url + "/_stats").json()
    assert stats["total"] == 2 and stats["counts"] == {"tickers": 1, "other": 1}
    assert stats["user_agents"] == {UA: 2} and stats["statuses"] == {"200": 1, "404": 1}
    assert stats["world"] == "REAL filings"
    httpx.post(real.url + "/_reset")
    assert httpx.get(real.url + "/_stats").json()["total"] == 0


def test_the_command_line_serves_a_folder_of_filings(tmp_path):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "smart_money.testing.edgar_server",
            "--port",
            str(port),
            "--filings",
            str(FILINGS),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        banner = process.stdout.readline()
        assert "serving REAL filings in EDGAR shapes" in banner and "1 documents skipped" in banner
        deadline = time.monotonic() + 10
        while True:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/files/company_tickers.json", headers={"User-Agent": UA}
                )
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert {r["ticker"] for r in response.json().values()} >= {"AAPL", "BETR"}
        assert json.loads(httpx.get(f"http://127.0.0.1:{port}/_stats").content)["total"] == 1
    finally:
        process.terminate()
        process.wait(timeout=10)
