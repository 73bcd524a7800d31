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
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import httpx
import pytest

from smart_money.sources.sec.client import RateLimiter, RetryPolicy, SecClient, SecNotFound, raw_document_name
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


# ==== 13F and N-PORT ========================================================================================
FORM13F = FIXTURES / "form13f"
LTS_ONE, ACORN, NVIDIA_13F = "0001894188-23-000007", "0001951757-25-000093", "0001045810-24-000108"
# The columns of each Form 13F data set table, typed from FORM13F_readme.htm (sections 5.1-5.7).
README_13F_COLUMNS = {
    "SUBMISSION": "ACCESSION_NUMBER FILING_DATE SUBMISSIONTYPE CIK PERIODOFREPORT",
    "COVERPAGE": "ACCESSION_NUMBER REPORTCALENDARORQUARTER ISAMENDMENT AMENDMENTNO AMENDMENTTYPE "
    "CONFDENIEDEXPIRED DATEDENIEDEXPIRED DATEREPORTED REASONFORNONCONFIDENTIALITY FILINGMANAGER_NAME "
    "FILINGMANAGER_STREET1 FILINGMANAGER_STREET2 FILINGMANAGER_CITY FILINGMANAGER_STATEORCOUNTRY "
    "FILINGMANAGER_ZIPCODE REPORTTYPE FORM13FFILENUMBER CRDNUMBER SECFILENUMBER PROVIDEINFOFORINSTRUCTION5 "
    "ADDITIONALINFORMATION",
    "OTHERMANAGER": "ACCESSION_NUMBER OTHERMANAGER_SK CIK FORM13FFILENUMBER CRDNUMBER SECFILENUMBER NAME",
    "SIGNATURE": "ACCESSION_NUMBER NAME TITLE PHONE SIGNATURE CITY STATEORCOUNTRY SIGNATUREDATE",
    "SUMMARYPAGE": "ACCESSION_NUMBER OTHERINCLUDEDMANAGERSCOUNT TABLEENTRYTOTAL TABLEVALUETOTAL "
    "ISCONFIDENTIALOMITTED",
    "OTHERMANAGER2": "ACCESSION_NUMBER SEQUENCENUMBER CIK FORM13FFILENUMBER CRDNUMBER SECFILENUMBER NAME",
    "INFOTABLE": "ACCESSION_NUMBER INFOTABLE_SK NAMEOFISSUER TITLEOFCLASS CUSIP FIGI VALUE SSHPRNAMT "
    "SSHPRNAMTTYPE PUTCALL INVESTMENTDISCRETION OTHERMANAGER VOTING_AUTH_SOLE VOTING_AUTH_SHARED "
    "VOTING_AUTH_NONE",
}
NS_13F_COVER = "{http://www.sec.gov/edgar/thirteenffiler}"
NS_13F_TABLE = "{http://www.sec.gov/edgar/document/thirteenf/informationtable}"
NS_NPORT = "{http://www.sec.gov/edgar/nport}"


def _13f_index_rows() -> list[dict]:
    with open(FORM13F / "INDEX.csv", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def real13f():
    """The Form 4 folder and the 13F folder served together, as ``--filings A --filings B`` does."""
    with LocalEdgarServer([FILINGS, FORM13F], as_of=AS_OF) as running:
        yield running


def test_real_13f_filings_are_served_in_their_edgar_shapes(real13f, tmp_path):
    from xml.etree import ElementTree

    from smart_money.sources.sec.client import information_table_name

    expected = {  # read by hand from each filing
        LTS_ONE: (1894188, "2023-11-14", "2023-09-30", "2023-11-14T14:38:54.000Z", "index.xml", 14),
        ACORN: (1994827, "2025-01-22", "2024-12-31", "", "F_13F_AcornCreek_Q42024.xml", 77),
        NVIDIA_13F: (
            1045810,
            "2024-05-15",
            "2024-03-31",
            "2024-05-15T20:07:20.000Z",
            "information_table.xml",
            4,
        ),
    }
    with _client(real13f, tmp_path) as client:
        assert "AAPL" in {r["ticker"] for r in client.company_tickers().values()}  # the Form 4 folder too
        for accession, (cik, filed, period, accepted, table_name, n) in expected.items():
            recent = client.submissions(cik)["filings"]["recent"]
            assert recent["accessionNumber"] == [accession] and recent["form"] == ["13F-HR"]
            assert (recent["filingDate"], recent["reportDate"]) == ([filed], [period])
            assert recent["acceptanceDateTime"] == [accepted] and recent["act"] == ["34"]
            assert recent["primaryDocument"] == ["xslForm13F_X02/primary_doc.xml"]
            index = client.filing_index(cik, accession)
            assert information_table_name(index) == table_name
            cover = ElementTree.fromstring(client.archives_document(cik, accession, "primary_doc.xml"))
            table = ElementTree.fromstring(client.archives_document(cik, accession, table_name))
            assert (
                cover.tag == f"{NS_13F_COVER}edgarSubmission"
                and table.tag == f"{NS_13F_TABLE}informationTable"
            )
            assert len(table.findall(f"{NS_13F_TABLE}infoTable")) == n
            html = client.archives_document(cik, accession, recent["primaryDocument"][0])
            assert b"<html>" in html and b"edgarSubmission" not in html
            text = client.submission_text(cik, accession)
            assert f"FILED AS OF DATE:\t\t{filed.replace('-', '')}".encode() in text
            assert client.archives_document(cik, accession, table_name) in text
        # a complete submission is served verbatim; the one-line .nc form is rebuilt as one
        assert (
            client.submission_text(1894188, LTS_ONE)
            == (FORM13F / "edgartools" / f"13F.{LTS_ONE}.txt").read_bytes()
        )
        assert b"<SEC-HEADER>" in client.submission_text(1994827, ACORN)
        idx = client.daily_form_index(date(2025, 1, 22))
    (line,) = [row for row in idx.splitlines() if row.startswith("13F-HR")]
    assert re.match(
        r"^13F-HR\s+ACORN CREEK CAPITAL LLC\s+1994827\s+20250122\s+edgar/data/1994827/" + ACORN, line
    )


def test_13f_documents_that_name_no_filer_or_no_filing_date_are_not_served(real13f):
    skipped = {row["file"]: row["reason"] for row in real13f.state.stats()["skipped"]}
    assert "nothing says when it became public" in skipped["edgartools/metlife.13F-HR.primarydoc.xml"]
    assert "without its cover page" in skipped["edgartools/xml__13F-HR.infotable.xml"]
    assert real13f.state.world.entity(1099219) is None  # MetLife: not placed in time by guessing


@pytest.fixture(scope="module")
def real13f_zips(real13f, tmp_path_factory):
    cache = tmp_path_factory.mktemp("real13f_cache")
    with _client(real13f, cache) as client:
        names = ("2023q4", "01mar2024-31may2024", "01dec2024-28feb2025")
        return {name: zipfile.ZipFile(client.form13f_dataset(name)) for name in names}


def test_the_13f_data_sets_hold_the_real_filings_with_the_readmes_columns(real13f_zips):
    rows = {table: [] for table in README_13F_COLUMNS}
    for archive in real13f_zips.values():
        assert sorted(archive.namelist()) == sorted(f"{t}.tsv" for t in README_13F_COLUMNS)
        for table, columns in README_13F_COLUMNS.items():
            assert archive.read(f"{table}.tsv").decode().splitlines()[0] == columns.replace(" ", "\t")
            rows[table] += _tsv(archive, table)
    where = {LTS_ONE: "2023q4", NVIDIA_13F: "01mar2024-31may2024", ACORN: "01dec2024-28feb2025"}
    for accession, name in where.items():
        assert [r["ACCESSION_NUMBER"] for r in _tsv(real13f_zips[name], "SUBMISSION")] == [accession]
    for r in [r for r in _13f_index_rows() if r["filing_date"]]:
        acc = r["accession"]
        table = [row for row in rows["INFOTABLE"] if row["ACCESSION_NUMBER"] == acc]
        assert len(table) == int(r["n_holdings"]), acc
        assert sum(int(row["VALUE"]) for row in table) == int(r["table_value_total"]), (
            acc
        )  # dollars, as filed
        (summary,) = [s for s in rows["SUMMARYPAGE"] if s["ACCESSION_NUMBER"] == acc]
        assert (summary["TABLEENTRYTOTAL"], summary["TABLEVALUETOTAL"]) == (
            r["n_holdings"],
            r["table_value_total"],
        )
        (submission,) = [s for s in rows["SUBMISSION"] if s["ACCESSION_NUMBER"] == acc]
        assert submission["FILING_DATE"] == sec_date(r["filing_date"])
        assert submission["PERIODOFREPORT"] == sec_date(r["period_of_report"])
        assert submission["CIK"] == r["filer_cik"] and submission["SUBMISSIONTYPE"] == "13F-HR"


def test_the_lts_one_nvidia_and_acorn_creek_filings_in_the_data_sets_field_by_field(real13f_zips):
    lts = {t: _tsv(real13f_zips["2023q4"], t) for t in README_13F_COLUMNS}
    assert lts["SUBMISSION"] == [
        {"ACCESSION_NUMBER": LTS_ONE, "FILING_DATE": "14-NOV-2023", "SUBMISSIONTYPE": "13F-HR",
         "CIK": "0001894188", "PERIODOFREPORT": "30-SEP-2023"}
    ]  # fmt: skip
    (cover,) = lts["COVERPAGE"]
    assert [cover[c] for c in ("REPORTCALENDARORQUARTER", "FILINGMANAGER_NAME", "FILINGMANAGER_STREET1")] == [
        "30-SEP-2023", "LTS One Management LP", "650 MADISON AVENUE, 15TH FLOOR",
    ]  # fmt: skip
    assert (cover["FORM13FFILENUMBER"], cover["CRDNUMBER"], cover["SECFILENUMBER"]) == (
        "028-22111", "000317572", "801-123373",
    )  # fmt: skip
    assert cover["REPORTTYPE"] == "13F HOLDINGS REPORT" and cover["ISAMENDMENT"] == ""  # not in the XML
    (signature,) = lts["SIGNATURE"]
    assert (signature["NAME"], signature["SIGNATUREDATE"]) == ("James P Gallagher", "14-NOV-2023")
    first = lts["INFOTABLE"][0]
    assert {k: v for k, v in first.items() if k not in ("ACCESSION_NUMBER", "INFOTABLE_SK")} == {
        "NAMEOFISSUER": "AMAZON COM INC", "TITLEOFCLASS": "COM", "CUSIP": "023135106", "FIGI": "",
        "VALUE": "17479000", "SSHPRNAMT": "137500", "SSHPRNAMTTYPE": "SH", "PUTCALL": "",
        "INVESTMENTDISCRETION": "SOLE", "OTHERMANAGER": "", "VOTING_AUTH_SOLE": "137500",
        "VOTING_AUTH_SHARED": "0", "VOTING_AUTH_NONE": "0",
    }  # fmt: skip
    nvidia = _tsv(real13f_zips["01mar2024-31may2024"], "INFOTABLE")
    assert [(r["NAMEOFISSUER"], r["INVESTMENTDISCRETION"], r["VALUE"]) for r in nvidia] == [
        ("ARM HOLDINGS PLC", "SOLE", "245078392"), ("NANO X IMAGING LTD", "DFND", "582605"),
        ("RECURSION PHARMACEUTICALS IN", "SOLE", "76832439"), ("SOUNDHOUND AI INC", "SOLE", "10194901"),
    ]  # fmt: skip
    acorn = _tsv(real13f_zips["01dec2024-28feb2025"], "INFOTABLE")
    assert (acorn[0]["NAMEOFISSUER"], acorn[0]["CUSIP"], acorn[0]["VALUE"], acorn[0]["SSHPRNAMT"]) == (
        "ABBVIE INC", "00287Y109", "406755", "2289",
    )  # fmt: skip
    assert (acorn[0]["VOTING_AUTH_SOLE"], acorn[0]["VOTING_AUTH_NONE"]) == ("0", "2289")
    assert [int(r["INFOTABLE_SK"]) for r in acorn] == sorted({int(r["INFOTABLE_SK"]) for r in acorn})


def test_other_managers_and_a_multi_line_note_of_a_real_cover_page_become_data_set_rows():
    from smart_money.testing.edgar_server import FundFiling, thirteenf_rows

    cover = (FORM13F / "edgartools" / "metlife.13F-HR.primarydoc.xml").read_bytes()
    filing = FundFiling(
        accession="0001099219-23-000001",  # made up: the document comes without one
        form="13F-HR",
        filing_date=date(2023, 3, 22),
        acceptance=None,
        filer_cik=1099219,
        filer_name="METLIFE INC",
        period_of_report="2021-12-31",
        documents=(("primary_doc.xml", "13F-HR"),),
        load_documents=lambda: {"primary_doc.xml": cover},
    )
    keys = iter(range(1, 100))
    rows = thirteenf_rows(filing, {"primary_doc.xml": cover}, lambda: next(keys))
    assert [(r["CIK"], r["FORM13FFILENUMBER"], r["NAME"]) for r in rows["OTHERMANAGER"]] == [
        ("0000931588", "028-16107", "PROVIDA PENSION FUND ADMINISTRATOR"),
        ("0000728618", "028-00491", "METROPOLITAN LIFE INSURANCE CO/NY"),
        ("0001529735", "028-18628", "MetLife Investment Management, LLC"),
    ]
    assert rows["OTHERMANAGER"][2]["CRDNUMBER"] == "000142463"
    assert [r["OTHERMANAGER_SK"] for r in rows["OTHERMANAGER"]] == ["1", "2", "3"]
    (cover_row,) = rows["COVERPAGE"]
    assert cover_row["REPORTTYPE"] == "13F COMBINATION REPORT" and cover_row["ISAMENDMENT"] == "N"
    assert cover_row["PROVIDEINFOFORINSTRUCTION5"] == "Y"
    assert cover_row["ADDITIONALINFORMATION"].startswith("MetLife, Inc. is the parent holding company")
    assert "\n" not in cover_row["ADDITIONALINFORMATION"]  # one TSV field
    assert rows["SIGNATURE"][0]["TITLE"] == "EVP & Chief Investment Officer"
    assert rows["SUMMARYPAGE"][0]["TABLEVALUETOTAL"] == "11019796"
    assert rows["SUMMARYPAGE"][0]["ISCONFIDENTIALOMITTED"] == ""  # absent from this cover page
    assert rows["INFOTABLE"] == []


def test_no_13f_is_public_before_its_filing_date_and_no_data_set_before_its_window_closed(tmp_path):
    with LocalEdgarServer(FORM13F, as_of=date(2024, 5, 14)) as early, _client(early, tmp_path) as client:
        assert client.submissions(1045810) is None  # NVIDIA files on 2024-05-15
        with pytest.raises(SecNotFound):
            client.archives_document(1045810, NVIDIA_13F, "primary_doc.xml")
        assert client.form13f_dataset("01mar2024-31may2024") is None  # the window is still open
        assert client.form13f_dataset("2023q4") is not None  # closed 2023-12-31, published 10 days later
        assert client.daily_form_index(date(2024, 5, 15)) is None
    with (
        LocalEdgarServer(FORM13F, as_of=date(2024, 1, 10)) as earlier,
        _client(earlier, tmp_path / "b") as client,
    ):
        assert client.form13f_dataset("2023q4") is None  # dataset_lag_days = 10 after the window closed


def _fund_filing(day: date, hour: int, minute: int):
    from smart_money.testing.edgar_server import FundFiling

    return FundFiling(
        accession="0000000001-24-000001",
        form="13F-HR",
        filing_date=day,
        acceptance=datetime(day.year, day.month, day.day, hour, minute, tzinfo=EASTERN),
        filer_cik=1,
        filer_name="X",
        period_of_report="2024-03-31",
        documents=(("primary_doc.xml", "13F-HR"),),
        load_documents=dict,
    )


def test_a_13f_accepted_after_1730_on_a_data_sets_last_business_day_goes_into_the_next_set():
    from smart_money.testing.edgar_server import form13f_dataset_of

    assert form13f_dataset_of(_fund_filing(date(2024, 5, 31), 17, 29)) == "01mar2024-31may2024"
    assert form13f_dataset_of(_fund_filing(date(2024, 5, 31), 17, 30)) == "01jun2024-31aug2024"
    assert form13f_dataset_of(_fund_filing(date(2023, 12, 29), 18, 0)) == "01jan2024-29feb2024"
    assert form13f_dataset_of(_fund_filing(date(2023, 12, 28), 18, 0)) == "2023q4"  # not the last day


# ---- the synthetic world's 13F and N-PORT filings ---------------------------------------------------------
MID = MarketConfig(seed=3, n_symbols=40)


@pytest.fixture(scope="module")
def synthetic_mid():
    with LocalEdgarServer(config=MID) as running:
        yield running


def _infotable_rows(client, cik: int, accession: str) -> list[dict]:
    """An information table read from the filing's documents (not the data set), as a source would."""
    from xml.etree import ElementTree

    from smart_money.sources.sec.client import information_table_name

    name = information_table_name(client.filing_index(cik, accession))
    table = ElementTree.fromstring(client.archives_document(cik, accession, name))
    assert table.tag == f"{NS_13F_TABLE}informationTable"
    text = lambda node, tag: node.find(f"{NS_13F_TABLE}{tag}").text  # noqa: E731
    return [
        {
            "CUSIP": text(entry, "cusip"),
            "VALUE": text(entry, "value"),
            "SSHPRNAMT": entry.find(f"{NS_13F_TABLE}shrsOrPrnAmt/{NS_13F_TABLE}sshPrnamt").text,
            "PUTCALL": getattr(entry.find(f"{NS_13F_TABLE}putCall"), "text", "") or "",
        }
        for entry in table.findall(f"{NS_13F_TABLE}infoTable")
    ]


def test_the_synthetic_13f_holdings_equal_the_simulated_ones_through_data_sets_and_documents(
    synthetic_mid, tmp_path
):
    from smart_money.sources.sec.client import form13f_dataset_names
    from smart_money.sources.synthetic.identifiers import synthetic_cusip
    from smart_money.testing.edgar_server import synthetic_manager_cik

    holdings = simulate_market(MID).institutional_holdings
    held = holdings[holdings["shares"] > 0]
    as_of = synthetic_mid.state.as_of
    filings = {}  # accession -> (cik, period, form, amendment type, filed, rows)
    with _client(synthetic_mid, tmp_path) as client:
        newest_published = None
        for name in form13f_dataset_names(MID.start, as_of):
            path = client.form13f_dataset(name)
            if path is None:
                break
            newest_published = name
            archive = zipfile.ZipFile(path)
            covers = {r["ACCESSION_NUMBER"]: r for r in _tsv(archive, "COVERPAGE")}
            table = defaultdict(list)
            for row in _tsv(archive, "INFOTABLE"):
                table[row["ACCESSION_NUMBER"]].append(row)
            for s in _tsv(archive, "SUBMISSION"):
                acc = s["ACCESSION_NUMBER"]
                period = datetime.strptime(s["PERIODOFREPORT"], "%d-%b-%Y").date()
                filed = datetime.strptime(s["FILING_DATE"], "%d-%b-%Y").date()
                kind = covers[acc]["AMENDMENTTYPE"]
                filings[acc] = (int(s["CIK"]), period, s["SUBMISSIONTYPE"], kind, filed, table[acc])
        assert newest_published == "01sep2024-30nov2024"  # 01dec2024-28feb2025 is still open at 2025-01-31
        # after the newest published set: each manager's submissions and the filing documents
        managers = {synthetic_manager_cik(f) for f in holdings["filer_id"].unique()}
        for cik in managers:
            recent = client.submissions(cik)["filings"]["recent"]
            for i, acc in enumerate(recent["accessionNumber"]):
                if recent["filingDate"][i] >= "2024-12-01" and acc not in filings:
                    assert recent["form"][i] == "13F-HR" and recent["filingDate"][i] <= as_of.isoformat()
                    filings[acc] = (cik, date.fromisoformat(recent["reportDate"][i]), "13F-HR", "",
                                    date.fromisoformat(recent["filingDate"][i]),
                                    _infotable_rows(client, cik, acc))  # fmt: skip
    # the holdings as amended: the newest 13F-HR or RESTATEMENT replaces, a NEW HOLDINGS adds
    state = defaultdict(dict)
    for cik, period, form, kind, filed, rows in sorted(filings.values(), key=lambda f: f[4]):
        if form == "13F-HR" or kind == "RESTATEMENT":
            state[(cik, period)] = {}
        for row in rows:
            if not row["PUTCALL"]:  # option rows are not shares held
                state[(cik, period)][row["CUSIP"]] = (int(row["SSHPRNAMT"]), int(row["VALUE"]), filed)
    served = {(key, cusip): value for key, by_cusip in state.items() for cusip, value in by_cusip.items()}
    assert len(served) == len(held)  # every simulated position, once
    for row in held.sample(200, random_state=0).itertuples():
        key = ((synthetic_manager_cik(row.filer_id), row.report_date.date()), synthetic_cusip(row.symbol))
        shares, value, filed = served[key]
        assert shares == row.shares
        unit = 1 if filed >= date(2023, 1, 3) else 1000
        assert abs(value * unit - row.market_value) <= unit / 2 + 0.01
    first = held.sort_values(["known_at", "filer_id", "symbol"]).iloc[0]  # checked against the frame
    assert (
        served[
            ((synthetic_manager_cik(first.filer_id), first.report_date.date()), synthetic_cusip(first.symbol))
        ][2]
        == first.known_at.date()
    )


def test_the_13f_value_unit_follows_the_filing_date_not_the_period(synthetic_mid, tmp_path):
    holdings = simulate_market(MID).institutional_holdings
    mine = holdings[(holdings["filer_id"] == "SYNIN002") & (holdings["shares"] > 0)]
    with _client(synthetic_mid, tmp_path) as client:
        recent = client.submissions(9_800_102)["filings"]["recent"]
        for period, unit in (("2022-09-30", 1000), ("2022-12-31", 1)):  # filed 2022-10/11 and 2023-01/02
            i = recent["reportDate"].index(period)
            filed = recent["filingDate"][i]
            rows = {
                r["CUSIP"]: int(r["VALUE"])
                for r in _infotable_rows(client, 9_800_102, recent["accessionNumber"][i])
            }
            sim = mine[mine["report_date"] == period]
            assert (filed >= "2023-01-03") == (unit == 1) and len(rows) == len(sim)
            for row in sim.itertuples():
                from smart_money.sources.synthetic.identifiers import synthetic_cusip

                expected = int(
                    (Decimal(repr(round(row.market_value, 2))) / unit).quantize(Decimal(1), ROUND_HALF_UP)
                )
                assert rows[synthetic_cusip(row.symbol)] == expected


def test_the_synthetic_13f_amendments_and_option_rows_are_as_documented(synthetic_mid, tmp_path):
    from smart_money.sources.synthetic.identifiers import synthetic_cusip

    world = synthetic_mid.state.world
    holdings = simulate_market(MID).institutional_holdings
    kinds = [(a["filer_id"], a["amendment_type"]) for a in world.amendments]
    assert set(kinds) == {("SYNHF01", "RESTATEMENT"), ("SYNIN001", "NEW HOLDINGS")}
    assert len(kinds) == 12  # quarters 1, 5, ..., 21 and 2, 6, ..., 22 of the 25 simulated report dates
    with _client(synthetic_mid, tmp_path) as client:
        for amendment in world.amendments[:4]:
            cik, period = amendment["cik"], amendment["period"]
            sim = holdings[
                (holdings["filer_id"] == amendment["filer_id"]) & (holdings["report_date"] == str(period))
            ]
            sim = sim[sim["shares"] > 0].sort_values("market_value")
            truth = {synthetic_cusip(s): int(n) for s, n in zip(sim["symbol"], sim["shares"], strict=True)}
            original = {
                r["CUSIP"]: int(r["SSHPRNAMT"]) for r in _infotable_rows(client, cik, amendment["original"])
            }
            amended = {
                r["CUSIP"]: int(r["SSHPRNAMT"]) for r in _infotable_rows(client, cik, amendment["amendment"])
            }
            cover = client.archives_document(cik, amendment["amendment"], "primary_doc.xml").decode()
            assert "<isAmendment>true</isAmendment><amendmentNo>1</amendmentNo>" in cover
            assert f"<amendmentType>{amendment['amendment_type']}</amendmentType>" in cover
            assert "<submissionType>13F-HR/A</submissionType>" in cover
            assert amendment["amendment_filed"] >= amendment["original_filed"] + timedelta(days=14)
            largest, smallest = (
                synthetic_cusip(sim["symbol"].iloc[-1]),
                [synthetic_cusip(s) for s in sim["symbol"][:2]],
            )
            if amendment["amendment_type"] == "RESTATEMENT":
                assert original[largest] == 10 * truth[largest]  # the keying error
                assert {c: n for c, n in original.items() if c != largest} == {
                    c: n for c, n in truth.items() if c != largest
                }
                assert amended == truth
            else:
                assert set(original) == set(truth) - set(smallest) and set(amended) == set(smallest)
                original_cover = client.archives_document(cik, amendment["original"], "primary_doc.xml")
                assert b"<isConfidentialOmitted>true</isConfidentialOmitted>" in original_cover
        recent = client.submissions(9_800_002)["filings"]["recent"]  # SYNHF02 files a Call row each quarter
        rows = _infotable_rows(client, 9_800_002, recent["accessionNumber"][0])
        (call,) = [r for r in rows if r["PUTCALL"]]
        assert call["PUTCALL"] == "Call" and call["CUSIP"] in {r["CUSIP"] for r in rows if not r["PUTCALL"]}
        rows = _infotable_rows(
            client, 9_800_003, client.submissions(9_800_003)["filings"]["recent"]["accessionNumber"][0]
        )
        assert [r["PUTCALL"] for r in rows if r["PUTCALL"]] == ["Put"]


def _nport(client, cik: int, accession: str):
    from xml.etree import ElementTree

    root = ElementTree.fromstring(client.archives_document(cik, accession, "primary_doc.xml"))
    assert root.tag == f"{NS_NPORT}edgarSubmission"
    return root


def _n(tag: str) -> str:
    return "/".join(f"{NS_NPORT}{part}" for part in tag.split("/"))


@pytest.mark.parametrize("schedule", ["quarterly", "monthly"])
def test_each_synthetic_etf_files_an_nport_per_public_month(schedule, tmp_path):
    from smart_money.sources.synthetic.identifiers import synthetic_cusip
    from smart_money.testing.edgar_server import isin_of_cusip

    etf = simulate_market(MID).etf_holdings
    with LocalEdgarServer(config=MID, nport_schedule=schedule) as server, _client(server, tmp_path) as client:
        as_of = server.state.as_of
        tickers = client.fund_tickers()
        assert tickers["fields"] == ["cik", "seriesId", "classId", "symbol"]
        classes = {row[3]: row for row in tickers["data"]}
        assert set(classes) == set(etf["etf_symbol"])
        by_etf = defaultdict(list)
        for cik in {row[0] for row in tickers["data"]}:
            recent = client.submissions(cik)["filings"]["recent"]
            assert set(recent["form"]) == {"NPORT-P"} and set(recent["act"]) == {"40"}
            assert set(recent["primaryDocument"]) == {"xslFormNPORT-P_X01/primary_doc.xml"}
            for acc, filed, period in zip(
                recent["accessionNumber"], recent["filingDate"], recent["reportDate"], strict=True
            ):
                by_etf[(cik, acc)] = (date.fromisoformat(filed), date.fromisoformat(period))
        months = {}
        for (cik, acc), (filed, period) in by_etf.items():
            root = _nport(client, cik, acc)
            series = root.find(_n("formData/genInfo/seriesId")).text
            (symbol,) = [s for s, row in classes.items() if row[1] == series]
            assert root.find(_n("formData/genInfo/regCik")).text == f"{cik:010d}"
            assert root.find(_n("formData/genInfo/repPdDate")).text == period.isoformat()
            assert root.find(_n("headerData/submissionType")).text == "NPORT-P"
            lag = (filed - period).days
            assert (45 <= lag <= 60) if schedule == "quarterly" else (15 <= lag <= 30)  # 60 days: the rule
            months[(symbol, period)] = (filed, root)
    scheduled = {
        (symbol, day.date())
        for symbol, day in etf[["etf_symbol", "known_at"]].drop_duplicates().itertuples(index=False)
        if schedule == "monthly" or day.month % 3 == 0  # months 1 and 2 of a quarter are never public
    }
    assert set(months) <= scheduled
    assert all(filed <= as_of for filed, _ in months.values())
    per_etf = defaultdict(int)
    for symbol, _ in months:
        per_etf[symbol] += 1
    # report months 2019-01 .. 2024-12 (72) or their quarter ends (24), less December 2024's quarterly
    # report, which is filed in February 2025, after the server's as_of
    assert set(per_etf.values()) == {23 if schedule == "quarterly" else 72}
    symbol, period = sorted(months)[5]
    filed, root = months[(symbol, period)]
    sim = etf[(etf["etf_symbol"] == symbol) & (etf["known_at"] == str(period))]
    holdings = root.findall(_n("formData/invstOrSecs/invstOrSec"))
    assert len(holdings) == len(sim)
    for node, row in zip(holdings, sim.itertuples(), strict=True):
        cusip = synthetic_cusip(row.symbol)
        assert node.find(_n("cusip")).text == cusip
        assert node.find(_n("identifiers/isin")).get("value") == isin_of_cusip(cusip)
        assert float(node.find(_n("balance")).text) == row.shares
        assert float(node.find(_n("valUSD")).text) == pytest.approx(row.market_value, abs=0.006)
        assert float(node.find(_n("pctVal")).text) == pytest.approx(100 * row.weight, rel=0.01, abs=1e-4)
        kinds = ("units", "curCd", "assetCat", "issuerCat", "payoffProfile")
        assert [node.find(_n(t)).text for t in kinds] == ["NS", "USD", "EC", "CORP", "Long"]
    total = sum(float(n.find(_n("pctVal")).text) for n in holdings)
    assert total == pytest.approx(100.0, abs=1e-6)


def test_no_fund_filing_or_fund_ticker_is_public_before_its_filing_date(tmp_path):
    with LocalEdgarServer(config=MID, as_of=date(2019, 5, 1)) as early, _client(early, tmp_path) as client:
        assert client.fund_tickers()["data"] == []  # the first NPORT-P (March 2019) is filed in May
        world = early.state.world
        (trust,) = {row[0] for row in world.fund_classes() if row[3] == "SYNETF-MKT"}
        assert client.submissions(trust) is None
        first = min(world.filings_of(trust), key=lambda f: f.filing_date)
        with pytest.raises(SecNotFound):
            client.archives_document(trust, first.accession, "primary_doc.xml")
        recent = client.submissions(9_800_001)["filings"]["recent"]
        assert recent["filingDate"] and max(recent["filingDate"]) <= "2019-05-01"


def test_the_full_scale_world_serves_a_13f_data_set_equal_to_its_holdings(tmp_path):
    """The default market (500 symbols, 160 managers): one data set, checked against the simulation."""
    from smart_money.sources.synthetic.identifiers import synthetic_cusip
    from smart_money.testing.edgar_server import synthetic_manager_cik

    config = MarketConfig()
    holdings = simulate_market(config).institutional_holdings
    with LocalEdgarServer(config=config) as server, _client(server, tmp_path) as client:
        archive = zipfile.ZipFile(client.form13f_dataset("2022q3"))  # filings of Jul-Sep 2022: thousands
    submissions = _tsv(archive, "SUBMISSION")
    rows = _tsv(archive, "INFOTABLE")
    # 160 managers' 13F-HR, and SYNIN001's NEW HOLDINGS amendment (quarter 14): two positions left out of
    # its 13F-HR, so the stock rows are the simulated positions exactly once
    assert Counter(s["SUBMISSIONTYPE"] for s in submissions) == {"13F-HR": 160, "13F-HR/A": 1}
    sim = holdings[(holdings["report_date"] == "2022-06-30") & (holdings["shares"] > 0)]
    stocks = [r for r in rows if not r["PUTCALL"]]
    assert len(stocks) == len(sim) and len(rows) - len(stocks) == 2  # the Call and the Put rows
    by_key = {(r["ACCESSION_NUMBER"][:10], r["CUSIP"]): r for r in stocks}
    for row in sim.sample(50, random_state=1).itertuples():
        found = by_key[(f"{synthetic_manager_cik(row.filer_id):010d}", synthetic_cusip(row.symbol))]
        assert int(found["SSHPRNAMT"]) == row.shares
        assert int(found["VALUE"]) == int(
            (Decimal(repr(round(row.market_value, 2))) / 1000).quantize(Decimal(1), ROUND_HALF_UP)
        )
