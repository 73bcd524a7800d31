"""The per-filing path on the real ownership documents of ``fixtures/sec`` (150 documents listed in
INDEX.csv, and five AAPL Form 4 XMLs served by the SEC in 2024)."""

import math
import re
from collections import Counter
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from smart_money.sources.sec import normalize, ownership
from smart_money_tests.sources.sec import realdata


def _expected(entry: dict) -> int:
    return int(entry["n_nonderiv_trans"]) + int(entry["n_deriv_trans"])


# ---- every shared document ---------------------------------------------------------------------------------
def test_every_shared_document_parses_with_one_outcome_per_transaction_element():
    undated_with_transactions = 0
    total_rows = 0
    for entry in realdata.index():
        rows, quarantined = realdata.document_rows(entry["file"])
        # Each transaction element ends as a row or as a quarantine entry; holdings give neither.
        assert len(rows) + len(quarantined) == _expected(entry), entry["file"]
        assert all(q["transaction_index"] is not None for q in quarantined), entry["file"]
        if entry["filing_date"]:
            assert quarantined == [], (entry["file"], quarantined[:1])
            assert {r["known_at"] for r in rows} <= {pd.Timestamp(entry["filing_date"])}
            assert {r["accession_number"] for r in rows} <= {entry["accession"]}
            codes = Counter(r["transaction_code"] for r in rows if not r["is_derivative"])
            deriv_codes = Counter(r["transaction_code"] for r in rows if r["is_derivative"])
            assert "".join(sorted(codes)) == entry["nonderiv_codes"], entry["file"]
            assert "".join(sorted(deriv_codes)) == entry["deriv_codes"], entry["file"]
            assert sum(not r["is_derivative"] for r in rows) == int(entry["n_nonderiv_trans"])
            owners = int(entry["n_reporting_owners"])
            assert all(len(r["other_owner_ciks"].split(",")) == owners - 1 for r in rows if owners > 1)
            form = entry["document_type"]
            assert all(r["form_type"] == form and not r["is_amendment"] for r in rows)
        else:
            # No filing date: nothing says when the document became public, so it is never placed in time.
            assert rows == []
            assert {q["reason"].split(":")[0] for q in quarantined} <= {"no filing date"}
            undated_with_transactions += bool(quarantined)
        total_rows += len(rows)
    assert len(realdata.index()) == 150
    # form4.snow (7 transactions), 374Water (2) and form5.snow (1); the three undated Form 3s have none.
    assert undated_with_transactions == 3
    assert total_rows == 527


def test_schema_versions_x0203_to_x0508_all_parse():
    versions = Counter()
    for entry in realdata.index():
        filing, transactions = ownership.parse_document(realdata.form4_bytes(entry["file"]))
        versions[filing.schema_version] += 1
        assert filing.schema_version == entry["schema_version"]
        assert len(filing.owners) == int(entry["n_reporting_owners"])
        assert len(transactions) == _expected(entry)
    assert set(versions) == {"X0203", "X0204", "X0206", "X0303", "X0304", "X0305", "X0306", "X0407", "X0508"}


def test_headers_give_the_filing_date_accession_and_acceptance_time_of_each_document():
    for entry in realdata.index():
        header = realdata.header(entry["file"])
        assert (header.filing_date.isoformat() if header.filing_date else "") == entry["filing_date"]
        assert (header.accession_number or "") == entry["accession"]
        if entry["acceptance_datetime"]:
            # Eastern in the header, UTC in the row: EDT (UTC-4) in May, EST (UTC-5) in January.
            eastern = datetime.strptime(entry["acceptance_datetime"], "%Y%m%d%H%M%S")
            offset = header.acceptance_time.replace(tzinfo=None) - eastern
            assert offset.total_seconds() / 3600 in (4, 5)
    aapl = realdata.header(realdata.AAPL_SALE)
    assert aapl.acceptance_time == datetime(2022, 5, 6, 22, 30, 57, tzinfo=UTC)  # 18:30:57 EDT
    arrow = realdata.header("edgartools/sgml__0001127602-25-001055.txt")
    assert arrow.acceptance_time == datetime(2025, 1, 10, 21, 7, 30, tzinfo=UTC)  # 16:07:30 EST
    compact = realdata.header("edgartools/sgml__0001127602-25-004598.nc")  # the <FILING-DATE>… layout
    assert (compact.accession_number, compact.form_type, compact.filing_date) == (
        "0001127602-25-004598",
        "4",
        date(2025, 2, 13),
    )


def test_acceptance_time_matches_the_submissions_json_utc_value():
    # Katherine Adams's submissions JSON lists the AAPL sale accepted 2022-05-06T22:30:57.000Z.
    from smart_money.sources.sec import companies

    filings = companies.all_filings(realdata.submissions_json("edgartools_cassette__CIK0001462356.json"))
    listed = filings.set_index("accession_number").loc["0000320193-22-000061"]
    rows, _ = realdata.document_rows(realdata.AAPL_SALE)
    assert rows[0]["acceptance_time"] == listed["acceptance_time"]
    assert rows[0]["known_at"] == listed["filing_date"]


# ---- field by field, read by hand --------------------------------------------------------------------------
def test_aapl_sale_0000320193_22_000061_field_by_field():
    rows, quarantined = realdata.document_rows(realdata.AAPL_SALE)
    assert quarantined == []
    frame = normalize.frame(rows)
    assert list(frame["shares"]) == [9136, 5316, 4006, 900, 1550, 1800, 2292]
    assert list(frame["price"]) == [159.94, 160.82, 161.93, 162.77, 163.94, 165.06, 165.95]
    assert list(frame["shares_owned_after"]) == [468198, 462882, 458876, 457976, 456426, 454626, 452334]
    first = rows[0]
    assert first["symbol"] == "AAPL"
    assert first["known_at"] == pd.Timestamp("2022-05-06")  # FILED AS OF DATE, not the trade or period
    assert first["transaction_date"] == pd.Timestamp("2022-05-04")
    assert first["period_of_report"] == pd.Timestamp("2022-05-04")
    assert first["acceptance_time"] == pd.Timestamp("2022-05-06 22:30:57", tz="UTC")
    assert first["insider_id"] == "0001462356"
    assert first["insider_name"] == "Adams Katherine L."
    assert first["insider_role"] == "officer"
    assert first["is_c_suite"] is False  # "SVP, GC and Secretary"
    assert {r["transaction_code"] for r in rows} == {"S"}
    assert {r["acquired_disposed"] for r in rows} == {"D"}
    assert {r["direct_or_indirect"] for r in rows} == {"D"}
    assert {r["security_title"] for r in rows} == {"Common Stock"}
    assert first["issuer_cik"] == "0000320193"
    assert first["accession_number"] == "0000320193-22-000061"
    assert first["form_type"] == "4" and first["is_amendment"] is False
    # X0306 has no aff10b5One element: null, although footnote F1 mentions a 10b5-1 plan.
    assert first["aff10b5one"] is None
    assert first["other_owner_ciks"] == ""
    assert pd.isna(first["date_of_original_submission"])
    assert frame["is_derivative"].eq(False).all()
    assert (frame["source"] == "sec").all()


def test_softbank_filing_with_eight_owners_counts_each_transaction_once():
    entry = realdata.entry(realdata.SOFTBANK)
    assert entry["n_reporting_owners"] == "8"
    rows, quarantined = realdata.document_rows(realdata.SOFTBANK)
    assert quarantined == []
    assert len(rows) == 2  # one Table I and one Table II transaction, not 16
    stock, option = rows
    assert stock["symbol"] == "BETR" and stock["issuer_cik"] == "0001835856"
    assert stock["insider_id"] == "0001065521" and stock["insider_name"] == "SOFTBANK GROUP CORP."
    assert stock["insider_role"] == "ten_percent_owner" and stock["is_c_suite"] is False
    assert stock["other_owner_ciks"] == ",".join(
        [
            "0001883884",  # SB Global Advisers Ltd
            "0001787613",  # SoftBank Vision Fund II-2 L.P.
            "0001883559",  # SVF II Aggregator (Jersey) L.P.
            "0001883900",  # SVF II Holdings (DE) LLC
            "0001990707",  # SVF II Beaver (DE) LLC
            "0001991269",  # Silver Brick Management PTE. LTD.
            "0001818296",  # SB Management Ltd
        ]
    )
    assert stock["known_at"] == pd.Timestamp("2025-03-07")
    assert stock["transaction_date"] == pd.Timestamp("2024-12-09")  # three months before it was public
    assert stock["acceptance_time"] == pd.Timestamp("2025-03-08 02:00:08", tz="UTC")  # 21:00:08 EST
    assert (stock["transaction_code"], stock["acquired_disposed"], stock["shares"]) == ("C", "A", 628553.0)
    assert math.isnan(stock["price"])  # <transactionPricePerShare><footnoteId id="F2"/>: no value
    assert stock["shares_owned_after"] == 628553.0
    assert stock["security_title"] == "Class A Common Stock" and stock["direct_or_indirect"] == "I"
    assert stock["aff10b5one"] is False and stock["is_derivative"] is False
    assert option["is_derivative"] is True and option["security_title"] == "Class B Common Stock"
    assert (option["transaction_code"], option["acquired_disposed"], option["shares"]) == ("C", "D", 628553.0)
    assert option["price"] == 0.0  # reported as <value>0</value>: a zero stays zero
    assert option["shares_owned_after"] == 137545.0


def test_linkedin_filing_whose_prices_and_dates_are_footnotes():
    # 0001181431-11-033001 (LinkedIn's IPO, Reid Hoffman and his living trust): three Table I prices and
    # every Table II conversion price and exercise/expiration date are given only as footnote references.
    rows, quarantined = realdata.document_rows(realdata.LNKD_FOOTNOTES)
    assert quarantined == []
    frame = normalize.frame(rows)
    assert list(frame["transaction_code"]) == ["C", "J", "C", "S", "C", "J", "C"]
    assert list(frame["acquired_disposed"]) == ["A", "D", "A", "D", "D", "A", "D"]
    assert list(frame["shares"]) == [2028942, 19066032, 115335, 115335, 2028942, 19066032, 115335]
    assert frame["price"].iloc[:3].isna().all()  # F2, F5, F7+F8: footnotes only
    assert frame["price"].iloc[3] == 41.85  # the IPO sale
    assert list(frame["price"].iloc[4:]) == [0.0, 0.0, 0.0]
    assert list(frame["shares_owned_after"]) == [19066032, 0, 115335, 0, 0, 19066032, 18950697]
    assert list(frame["security_title"]) == [
        "Common Stock",
        "Common Stock",
        "Class A Common Stock",
        "Class A Common Stock",
        "Series A Convertible Preferred Stock",
        "Class B Common Stock",
        "Class B Common Stock",
    ]
    assert list(frame["is_derivative"]) == [False] * 4 + [True] * 3
    assert set(frame["insider_id"]) == {"0001519339"} and set(frame["insider_name"]) == {"Hoffman Reid"}
    assert set(frame["insider_role"]) == {"director"}  # isDirector and isTenPercentOwner: director first
    assert set(frame["other_owner_ciks"]) == {"0001521103"}  # Reid Hoffman & Michelle Yee Living Trust
    assert set(frame["known_at"]) == {pd.Timestamp("2011-05-26")}
    assert set(frame["direct_or_indirect"]) == {"I"}
    assert frame["acceptance_time"].isna().all()  # metadata.json has no acceptance time
    assert frame["aff10b5one"].isna().all()  # X0303


def test_aff10b5one_spellings_as_filed():
    seen = Counter()
    for entry in realdata.index():
        rows, _ = realdata.document_rows(entry["file"])
        expected = normalize.parse_flag(entry["aff10b5one"]) if entry["aff10b5one"] else None
        for row in rows:
            assert row["aff10b5one"] is expected, entry["file"]
        if rows:
            seen[entry["aff10b5one"]] += 1
    # "0" and "false" are both false, "1" true, a missing element null.
    assert set(seen) == {"", "0", "false", "1"}
    draftkings = realdata.document_rows("syeo1_secform4project/draftking_multi_disposal.xml")[0]
    assert {r["aff10b5one"] for r in draftkings} == {True}


def test_symbol_comes_from_the_cik_map_not_the_filings_ticker():
    # Facebook's filings say issuerTradingSymbol FB; its CIK 1326801 is META in company_tickers.json.
    fb = [e for e in realdata.index() if e["ticker"] == "FB" and e["filing_date"]]
    assert fb
    for entry in fb:
        rows, _ = realdata.document_rows(entry["file"])
        assert {r["symbol"] for r in rows} <= {"META"}
    # An issuer missing from the map is quarantined, not given the filing's ticker.
    rows, quarantined = realdata.document_rows(realdata.AAPL_SALE, cik_to_symbol={"789019": "MSFT"})
    assert rows == [] and len(quarantined) == 7
    assert quarantined[0]["reason"] == "issuer CIK 0000320193 is not in the CIK → symbol map of the universe"


def test_gift_dated_after_the_period_of_report_is_kept():
    # 0000320193-24-000084: period 2024-08-05, a G (gift) dated 2024-08-07, filed 2024-08-07.
    xml = realdata.sec_api_documents()["0000320193-24-000084"]
    rows, quarantined = ownership.document_rows(
        xml, realdata.universe(), accession_number="0000320193-24-000084", filing_date="2024-08-07"
    )
    assert quarantined == []
    assert [(r["transaction_code"], r["shares"], r["price"]) for r in rows] == [
        ("S", 97600.0, 206.42),
        ("S", 2400.0, 207.05),
        ("G", 4500.0, 0.0),
    ]
    assert rows[2]["transaction_date"] == pd.Timestamp("2024-08-07") > rows[2]["period_of_report"]


# ---- the SEC's own XML files (no header: the filing date comes from the caller) ----------------------------
def test_sec_api_xmls_parse_and_are_placed_in_time_only_with_a_filing_date():
    from smart_money.sources.sec import companies

    listed = companies.all_filings(realdata.submissions_json("edgartools_cassette__CIK0001462356.json"))
    filed = dict(zip(listed["accession_number"], listed["filing_date"], strict=True))
    accepted = dict(zip(listed["accession_number"], listed["acceptance_time"], strict=True))
    placed = 0
    for accession, xml in realdata.sec_api_documents().items():
        elements = len(re.findall(rb"<(?:nonDerivative|derivative)Transaction>", xml))
        rows, quarantined = ownership.document_rows(
            xml,
            realdata.universe(),
            accession_number=accession,
            filing_date=filed.get(accession),
            acceptance_time=accepted.get(accession),
        )
        assert len(rows) + len(quarantined) == elements, accession
        if accession in filed:  # Adams's filings are in her submissions JSON
            placed += 1
            assert quarantined == []
            assert {r["known_at"] for r in rows} == {filed[accession]}
            assert {r["aff10b5one"] for r in rows} == {False}
        else:  # Kondo's and Williams's are not: no filing date, no row
            assert rows == [] and {q["reason"].split(":")[0] for q in quarantined} == {"no filing date"}
    assert placed == 2


def test_rsu_awards_in_the_derivative_table_are_rows_flagged_derivative():
    xml = realdata.sec_api_documents()["0000320193-24-000099"]
    rows, _ = ownership.document_rows(
        xml, realdata.universe(), accession_number="0000320193-24-000099", filing_date=date(2024, 10, 1)
    )
    assert len(rows) == 2 and all(r["is_derivative"] for r in rows)
    assert {r["price"] for r in rows} == {0.0}


# ---- bad input ---------------------------------------------------------------------------------------------
def test_a_document_that_does_not_parse_is_one_quarantine_entry():
    broken = realdata.form4_bytes(realdata.SOFTBANK).replace(b"</issuer>", b"", 1)
    rows, quarantined = ownership.submission_rows(broken, realdata.universe())
    assert rows == [] and len(quarantined) == 1
    assert quarantined[0]["reason"].startswith("the ownership XML is not well-formed")
    assert quarantined[0]["accession_number"] == "0001493152-25-009612"
    rows, quarantined = ownership.document_rows(
        b"<html>403</html>", {}, accession_number=None, filing_date=None
    )
    assert quarantined[0]["reason"].startswith("no <ownershipDocument> element")


def test_entity_declarations_are_refused():
    xml = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><ownershipDocument></ownershipDocument>'
    with pytest.raises(ownership.OwnershipParseError, match="DTD or entities"):
        ownership.parse_document(xml)


def test_transaction_date_after_the_filing_date_is_quarantined_not_corrected():
    xml = realdata.form4_bytes(realdata.AAPL_SALE).replace(
        b"<value>2022-05-04</value>", b"<value>2026-05-04</value>", 1
    )
    rows, quarantined = ownership.submission_rows(xml, realdata.universe())
    assert len(rows) == 6 and len(quarantined) == 1
    assert quarantined[0]["reason"].startswith(
        "transaction date 2026-05-04 is after the filing date 2022-05-06"
    )
