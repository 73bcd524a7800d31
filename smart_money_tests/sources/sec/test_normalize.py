"""The normalization contract: roles, the C-suite rule on every real officer title, values as filed,
amendments in point-in-time order, and the column contract."""

import math
import re
import xml.etree.ElementTree as ET
from datetime import date

import pandas as pd
import pyarrow as pa
import pytest

from smart_money import gates, tables
from smart_money.sources.sec import datasets, normalize, ownership
from smart_money.testing import edgar_server
from smart_money.warehouse import to_arrow
from smart_money_tests.sources.sec import realdata

# Every officer title in the shared filings (the 150 of INDEX.csv and the five SEC-served AAPL XMLs), with
# the rule's answer. The shared data set has no REPORTINGOWNER.tsv (too large to copy), so it adds no title.
OFFICER_TITLES = {
    "CEO": True,
    "COO": True,
    "President": True,
    "Chief Financial Officer": True,
    "Chief Operating Officer": True,
    "Chief Technology Officer": True,
    "Chief Legal Officer": True,
    "Chief Digital & Tech Officer": True,
    "Senior VP, GC, CAO & Secretary": True,  # CAO: chief accounting officer
    "SVP, CLO & Secretary": True,  # CLO: chief legal officer
    "SVP, GC and Secretary": False,
    "Principal Accounting Officer": False,
    "See Remarks": False,  # remarks: "Title: Senior Vice President of Quality and Enabling Functions"
}


def _all_documents():
    for entry in realdata.index():
        yield entry["file"], realdata.form4_bytes(entry["file"])
    yield from realdata.sec_api_documents().items()


def test_the_c_suite_rule_on_every_officer_title_in_the_shared_filings():
    seen: dict[str, bool] = {}
    for _name, data in _all_documents():
        filing, _ = ownership.parse_document(data)
        for owner in filing.owners:
            if owner.officer_title:
                seen[owner.officer_title] = normalize.is_c_suite(owner.officer_title, filing.remarks)
    assert set(seen) == set(OFFICER_TITLES), "a new title appeared: add it to OFFICER_TITLES with its answer"
    assert seen == OFFICER_TITLES


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Chairman and Chief Executive Officer", True),
        ("Co-CEO", True),
        ("President and CEO", True),
        ("EVP & CFO", True),
        ("Principal Executive Officer", True),
        ("Principal Financial Officer", True),
        ("Chief of Staff", False),
        ("Vice President, Finance", False),
        ("Senior Vice President", False),
        ("Vice-President", False),
        ("EVP, General Counsel", False),
        ("Controller", False),
        ("", False),
    ],
)
def test_the_c_suite_rule_on_common_spellings(title, expected):
    assert normalize.is_c_suite(title) is expected


def test_see_remarks_reads_the_title_from_the_remarks():
    relative = "edgartools/localstorage__filings__20250108__0001562180-25-000280.nc"
    filing, _ = ownership.parse_document(realdata.form4_bytes(relative))
    assert filing.owners[0].officer_title == "See Remarks"
    assert filing.remarks.startswith("Title: Senior Vice President")
    assert normalize.is_c_suite("See Remarks", "Title: Chief Quality Officer") is True
    assert normalize.is_c_suite("See Remarks", filing.remarks) is False


def test_insider_role_takes_the_first_flag_of_officer_director_ten_percent_owner_other():
    rows, _ = realdata.document_rows("syeo1_secform4project/workday_standard_disposal.xml")
    assert {(r["insider_role"], r["is_c_suite"]) for r in rows} == {("officer", True)}  # director + CEO
    roles = set()
    for entry in realdata.index():
        rows, _ = realdata.document_rows(entry["file"])
        roles |= {r["insider_role"] for r in rows}
    assert roles == {"officer", "director", "ten_percent_owner"}
    assert roles <= set(tables.INSIDER_ROLES)
    assert normalize.insider_role(normalize.Owner(cik="1", name="x")) == "other"
    assert normalize.insider_role(normalize.Owner(cik="1", name="x", is_other=True, is_director=True)) == (
        "director"
    )


# ---- values as filed ---------------------------------------------------------------------------------------
def test_dates_in_every_format_the_sec_writes():
    assert normalize.parse_date("31-JUL-2024") == date(2024, 7, 31)
    assert normalize.parse_date("2022-05-04") == date(2022, 5, 4)
    assert normalize.parse_date("2022-05-04-05:00") == date(2022, 5, 4)  # xs:date with a zone
    assert normalize.parse_date("20220506") == date(2022, 5, 6)
    assert normalize.parse_date("23-AUG-2026") == date(2026, 8, 23)  # a typo is kept as filed
    assert normalize.parse_date("") is None
    with pytest.raises(normalize.Rejected, match="not a valid date"):
        normalize.parse_date("31-FEB-2024", "transaction date")
    with pytest.raises(normalize.Rejected, match="is not a date"):
        normalize.parse_date("yesterday", "transaction date")


def test_numbers_are_rounded_half_up_to_the_data_sets_cents():
    # 0001062993-22-002044 files 289.408 deferred stock units; the data set stores 289.41.
    rows, _ = realdata.document_rows("datamule_paypal/000106299322002044/form4.xml")
    assert [(r["shares"], r["shares_owned_after"]) for r in rows] == [(289.41, 12126.68)]
    assert edgar_server.sec_number("289.408") == "289.41"
    assert edgar_server.sec_number("250000") == "250000.0"


def _filing(**changes):
    base = normalize.Filing(
        accession_number="0000000000-24-000001",
        issuer_cik="320193",
        form_type="4",
        filing_date="2024-08-07",
        owners=(normalize.Owner(cik="1462356", name="Adams Katherine L.", is_officer=True),),
    )
    return normalize.Filing(**{**base.__dict__, **changes})


def _transaction(**changes):
    A = normalize.Amount
    base = dict(
        is_derivative=False,
        index=0,
        transaction_date=A("2024-08-05"),
        transaction_code="S",
        acquired_disposed=A("D"),
        shares=A("100"),
        price=A("206.42"),
        shares_owned_after=A("1000"),
    )
    return normalize.Transaction(**{**base, **changes})


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"shares": normalize.Amount(None, ("F1",))}, "shares is given only as a footnote reference (F1)"),
        ({"shares": normalize.Amount()}, "shares is missing"),
        (
            {"shares": normalize.Amount(), "total_value": normalize.Amount("5000")},
            "shares are not reported, only the transaction's total value",
        ),
        ({"shares": normalize.Amount("-5")}, "shares -5 is negative"),
        ({"shares": normalize.Amount("1,000")}, "shares '1,000' is not a number"),
        ({"transaction_code": "Q"}, "transaction code 'Q' is not a Form 4 code"),
        ({"acquired_disposed": normalize.Amount("X")}, "acquired/disposed code 'X' is not A or D"),
        (
            {"transaction_date": normalize.Amount(None, ("F3",))},
            "transaction date is given only as a footnote",
        ),
    ],
)
def test_unusable_values_are_quarantined_with_a_reason(changes, reason):
    rows, quarantined = normalize.filing_rows(_filing(), [_transaction(**changes)], {"0000320193": "AAPL"})
    assert rows == []
    assert quarantined[0]["reason"].startswith(reason)
    assert quarantined[0]["symbol"] == "AAPL"


def test_missing_or_footnoted_prices_are_nan_and_a_zero_price_stays_zero():
    cases = [
        (normalize.Amount(), True),
        (normalize.Amount(None, ("F2",)), True),
        (normalize.Amount("0"), False),
    ]
    for price, is_nan in cases:
        rows, _ = normalize.filing_rows(_filing(), [_transaction(price=price)], {"0000320193": "AAPL"})
        assert math.isnan(rows[0]["price"]) is is_nan
    rows, _ = normalize.filing_rows(
        _filing(),
        [_transaction(shares_owned_after=normalize.Amount(), value_owned_after=normalize.Amount("9"))],
        {"0000320193": "AAPL"},
    )
    assert math.isnan(rows[0]["shares_owned_after"])


def test_a_filing_without_a_filing_date_is_never_placed_in_time():
    rows, quarantined = normalize.filing_rows(
        _filing(filing_date=None), [_transaction(), _transaction(index=1)], {"0000320193": "AAPL"}
    )
    assert rows == [] and len(quarantined) == 2
    assert all(q["reason"].startswith("no filing date") for q in quarantined)


def test_cik_map_accepts_every_spelling_and_refuses_garbage():
    assert normalize.cik_map({320193: "AAPL", "0000789019": "MSFT"}) == {
        "0000320193": "AAPL",
        "0000789019": "MSFT",
    }
    with pytest.raises(ValueError, match="cik_to_symbol: CIK 'AAPL' is not 1-10 digits"):
        normalize.cik_map({"AAPL": "AAPL"})


# ---- the column contract -----------------------------------------------------------------------------------
def test_rows_have_the_table_columns_the_filing_columns_last_with_their_arrow_types():
    rows, _ = realdata.document_rows(realdata.SOFTBANK)
    frame = normalize.frame(rows)
    assert list(frame.columns) == tables.RAW_INSIDER_TRADES.column_names
    assert tables.RAW_INSIDER_TRADES.column_names[-len(normalize.EXTRA_COLUMN_NAMES) :] == list(
        normalize.EXTRA_COLUMN_NAMES
    )
    assert normalize.EXTRA_COLUMN_NAMES == (
        "issuer_cik",
        "accession_number",
        "acceptance_time",
        "form_type",
        "is_amendment",
        "aff10b5one",
        "direct_or_indirect",
        "security_title",
        "is_derivative",
        "other_owner_ciks",
        "period_of_report",
        "date_of_original_submission",
    )
    table = pa.Table.from_pandas(frame, schema=normalize.SCHEMA, preserve_index=False)
    assert table.schema.field("acceptance_time").type == pa.timestamp("ms", tz="UTC")
    assert table.schema.field("aff10b5one").type == pa.bool_()
    assert normalize.frame([]).columns.tolist() == list(normalize.COLUMNS)
    # The warehouse's raw_insider_trades schema accepts real rows as stored and read back; every SEC row
    # fills the filing columns the other sources leave null.
    stored = to_arrow(frame, tables.RAW_INSIDER_TRADES).to_pandas()
    result = gates.schema_gate("raw_insider_trades", stored, gates.table_schema("raw_insider_trades"))
    assert result.passed, result.failures
    for name in ("issuer_cik", "accession_number", "form_type", "is_amendment", "is_derivative"):
        assert stored[name].notna().all(), name
    assert (frame["known_at"] >= frame["transaction_date"]).all()


# ---- amendments --------------------------------------------------------------------------------------------
AMENDMENT_ACCESSION = "0000320193-22-999061"  # made up: no real 4/A is among the shared filings
AMENDMENT_FILED = date(2022, 5, 20)


def _amend(xml: bytes, *, period: str | None = None) -> bytes:
    """A 4/A built from the real AAPL sale: documentType 4/A, dateOfOriginalSubmission 2022-05-06, the first
    sale's shares corrected from 9136 to 9163 and the last sale withdrawn."""
    text = ownership.extract_xml(xml).decode()
    text = text.replace("<documentType>4</documentType>", "<documentType>4/A</documentType>")
    text = re.sub(
        r"(<periodOfReport>)([^<]*)(</periodOfReport>)",
        lambda m: (
            f"{m.group(1)}{period or m.group(2)}{m.group(3)}"
            "\n    <dateOfOriginalSubmission>2022-05-06</dateOfOriginalSubmission>"
        ),
        text,
    )
    text = text.replace("<value>9136</value>", "<value>9163</value>", 1)
    root = ET.fromstring(text)
    table = root.find("nonDerivativeTable")
    table.remove(table.findall("nonDerivativeTransaction")[-1])
    return ET.tostring(root)


def _original_and_amendment(period: str | None = None):
    original, _ = realdata.document_rows(realdata.AAPL_SALE)
    amended = _amend(realdata.form4_bytes(realdata.AAPL_SALE), period=period)
    amendment, quarantined = ownership.document_rows(
        amended, realdata.universe(), accession_number=AMENDMENT_ACCESSION, filing_date=AMENDMENT_FILED
    )
    assert quarantined == []
    return normalize.frame(original + amendment)


def test_an_amendment_is_public_on_its_own_filing_date_and_replaces_the_original_from_then_on():
    rows = _original_and_amendment()
    amendment = rows[rows["accession_number"] == AMENDMENT_ACCESSION]
    assert len(amendment) == 6
    assert set(amendment["form_type"]) == {"4/A"} and amendment["is_amendment"].all()
    assert set(amendment["known_at"]) == {pd.Timestamp(AMENDMENT_FILED)}
    assert set(amendment["date_of_original_submission"]) == {pd.Timestamp("2022-05-06")}

    supersessions = normalize.amendment_supersessions(rows)
    assert supersessions.to_dict("records") == [
        {
            "accession_number": "0000320193-22-000061",
            "superseded_by": AMENDMENT_ACCESSION,
            "superseded_at": pd.Timestamp(AMENDMENT_FILED),
        }
    ]
    # A feature for sample date t reads the slice as of t.
    assert normalize.as_of(rows, "2022-05-05").empty
    before = normalize.as_of(rows, "2022-05-19")
    assert set(before["accession_number"]) == {"0000320193-22-000061"}
    assert len(before) == 7 and before["shares"].sum() == 25000
    after = normalize.as_of(rows, "2022-05-20")
    assert set(after["accession_number"]) == {AMENDMENT_ACCESSION}
    assert len(after) == 6 and after["shares"].iloc[0] == 9163 and after["shares"].sum() == 25000 + 27 - 2292
    # A feature-style aggregate moves on the amendment's filing date, not on the trade date.
    sold = {t: normalize.as_of(rows, t)["shares"].sum() for t in ("2022-05-06", "2022-05-19", "2022-05-20")}
    assert sold == {"2022-05-06": 25000, "2022-05-19": 25000, "2022-05-20": 22735}


def test_an_amendment_with_another_period_matches_on_the_original_submission_date():
    rows = _original_and_amendment(period="2022-05-05")
    replaced = normalize.amendment_supersessions(rows)
    assert list(replaced["accession_number"]) == ["0000320193-22-000061"]
    assert set(normalize.as_of(rows, "2022-06-01")["accession_number"]) == {AMENDMENT_ACCESSION}


def test_an_amendment_by_another_owner_replaces_nothing():
    rows = _original_and_amendment()
    other = rows.assign(
        insider_id=rows["insider_id"].where(rows["accession_number"] != AMENDMENT_ACCESSION, "0000000001")
    )
    assert normalize.amendment_supersessions(other).empty
    assert len(normalize.as_of(other, "2022-06-01")) == 13


def test_the_bulk_path_carries_the_amendment_the_same_way(tmp_path):
    amended = _amend(realdata.form4_bytes(realdata.AAPL_SALE))
    filings = [
        edgar_server.ownership_filing(
            ownership.extract_xml(realdata.form4_bytes(realdata.AAPL_SALE)),
            accession="0000320193-22-000061",
            filing_date=date(2022, 5, 6),
        ),
        edgar_server.ownership_filing(amended, accession=AMENDMENT_ACCESSION, filing_date=AMENDMENT_FILED),
    ]
    archive = edgar_server.dataset_zip(filings)
    submission = datasets.read_table(archive, "SUBMISSION")
    assert list(submission["FILING_DATE"]) == ["06-MAY-2022", "20-MAY-2022"]
    assert list(submission["DATE_OF_ORIG_SUB"]) == ["", "06-MAY-2022"]
    assert list(submission["DOCUMENT_TYPE"]) == ["4", "4/A"]
    rows, quarantined = datasets.archive_rows(archive, realdata.universe())
    assert quarantined == []
    frame = normalize.frame(rows)
    after = normalize.as_of(frame, "2022-05-20")
    assert set(after["accession_number"]) == {AMENDMENT_ACCESSION} and len(after) == 6
    assert len(normalize.as_of(frame, "2022-05-19")) == 7


def test_acceptance_times_in_every_form_the_sec_gives_them():
    utc = pd.Timestamp("2022-05-06 22:30:57", tz="UTC")
    assert normalize.acceptance_utc("20220506183057") == utc  # SEC header, Eastern (EDT)
    assert normalize.acceptance_utc("2022-05-06T22:30:57.000Z") == utc  # submissions JSON
    assert normalize.acceptance_utc(utc) == utc
    assert normalize.acceptance_utc(pd.Timestamp("2022-05-06 18:30:57")) == utc  # naive: Eastern
    assert normalize.acceptance_utc("20250110160730") == pd.Timestamp("2025-01-10 21:07:30", tz="UTC")  # EST
    assert normalize.acceptance_utc(None) is None and normalize.acceptance_utc(pd.NaT) is None
    with pytest.raises(normalize.Rejected, match="neither YYYYMMDDhhmmss nor ISO"):
        normalize.acceptance_utc("at half past six")
    xml = realdata.form4_bytes(realdata.AAPL_SALE)
    rows, _ = ownership.document_rows(
        xml,
        realdata.universe(),
        accession_number="0000320193-22-000061",
        filing_date="2022-05-06",
        acceptance_time="2022-05-06T22:30:57.000Z",
    )
    assert {r["acceptance_time"] for r in rows} == {utc}


def test_supersessions_computed_once_give_the_same_slices_as_computed_at_each_date():
    rows = _original_and_amendment()
    once = normalize.amendment_supersessions(rows)
    for t in pd.date_range("2022-05-01", "2022-06-01"):
        pd.testing.assert_frame_equal(normalize.as_of(rows, t, once), normalize.as_of(rows, t))


def test_a_later_amendment_of_the_same_filing_replaces_the_earlier_amendment_too():
    rows = _original_and_amendment()
    second = rows[rows["accession_number"] == AMENDMENT_ACCESSION].assign(
        accession_number="0000320193-22-999062", shares=1.0
    )
    both = pd.concat([rows, second], ignore_index=True)
    replaced = normalize.amendment_supersessions(both)
    assert sorted(map(tuple, replaced[["accession_number", "superseded_by"]].values.tolist())) == [
        ("0000320193-22-000061", AMENDMENT_ACCESSION),
        ("0000320193-22-000061", "0000320193-22-999062"),
        (AMENDMENT_ACCESSION, "0000320193-22-999062"),
    ]
    assert set(normalize.as_of(both, "2022-05-20")["accession_number"]) == {"0000320193-22-999062"}
