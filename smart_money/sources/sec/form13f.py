"""13F institutional holdings: the filings of managers with $100 million or more in 13(f) securities, read
into two plain frames, one row per filing (:data:`FILING_COLUMNS`) and one per information-table line
(:data:`LINE_COLUMNS`), from either path:

* **per filing**: the 13F-HR primary document (``edgarSubmission``: cover page, summary page) and the
  information table (``informationTable``, one ``infoTable`` element per line), as bare XML or inside a
  full submission text (``<accession>.txt`` or the compact SGML form). The XML carries no filing date and
  no accession number: the caller passes them, or the submission's SEC header gives them.
* **bulk**: the SEC's Form 13F data sets (a ZIP of tab-separated UTF-8 files ``SUBMISSION``,
  ``COVERPAGE``, ``INFOTABLE``, ``OTHERMANAGER``, ``OTHERMANAGER2``, ``SIGNATURE``, ``SUMMARYPAGE``;
  columns in :data:`DATASET_COLUMNS`, from the SEC's ``FORM13F_readme.htm``). A data set holds the
  filings *filed* in its period, every filer at once.

What makes a record public is the filing date (``filing_date``), never ``period_of_report`` (the quarter
end the holdings are reported for). A line whose filing has no usable filing date is quarantined: nothing
says when it became public, and its value's unit is unknown.

**Value units.** The readme: "Starting on January 3, 2023, market value is reported rounded to the nearest
dollar. Previously, market value was reported in thousands." ``value_usd`` is always dollars:
:func:`value_in_dollars` multiplies by 1,000 for filings filed before :data:`DOLLARS_FROM`. The rule goes
by the filing date, so a late filing or an amendment filed in 2023 for a 2021 quarter is in dollars. (A
filer that used the wrong unit is not detected here.)

**Data set text.** The files are tab-separated with one record a line. A cell that contains a double quote
is written CSV style, wrapped in quotes with the inner quotes doubled (``"Newton (""NIMNA"")"``; the same
writer's Form 345 files show it in 361 cells). INFOTABLE is parsed line by line with quoting off, so a
stray quote can never swallow the lines after it, and its text cells are unquoted afterwards;
SUBMISSION and COVERPAGE are small and are parsed quote-aware, since ``ADDITIONALINFORMATION`` may span
lines. A line with the wrong number of cells is quarantined.

Unusable records are quarantined, never dropped: the frames' ``attrs["quarantined"]`` is a list of dicts
with ``table``, ``symbol`` (empty: a line is not mapped to a symbol yet), ``accession_number``, ``reason``
and ``record`` (JSON text, at most 2,000 characters).
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from smart_money.sources.sec import normalize, ownership
from smart_money.sources.sec import xml as sec_xml

TABLE = "raw_institutional_holdings"

FILING_COLUMNS = (
    "accession_number",  # 0000000000-00-000000
    "filer_cik",  # 10 digits, zero padded
    "filer_name",
    "form_type",  # 13F-HR or 13F-HR/A
    "filing_date",  # datetime64[ms]: the public date
    "period_of_report",  # datetime64[ms]: the quarter end (not public)
    "report_type",  # one of REPORT_TYPES
    "amendment_type",  # RESTATEMENT, NEW HOLDINGS or None
)
LINE_COLUMNS = (
    "accession_number",
    "cusip",  # 9 letters or digits, upper case
    "issuer_name",
    "title_of_class",
    "value_usd",  # float, dollars
    "shares",  # float: sshPrnamt, shares or principal amount
    "shares_type",  # SH or PRN
    "put_call",  # None, PUT or CALL
    "investment_discretion",  # SOLE, DFND or OTR as filed
    "other_manager",  # text or None
    "voting_sole",
    "voting_shared",
    "voting_none",
)
FILING_SCHEMA = pa.schema(
    [
        ("accession_number", pa.string()),
        ("filer_cik", pa.string()),
        ("filer_name", pa.string()),
        ("form_type", pa.string()),
        ("filing_date", pa.timestamp("ms")),
        ("period_of_report", pa.timestamp("ms")),
        ("report_type", pa.string()),
        ("amendment_type", pa.string()),
    ]
)
LINE_SCHEMA = pa.schema(
    [
        (c, pa.float64() if c in ("value_usd", "shares") or c.startswith("voting_") else pa.string())
        for c in LINE_COLUMNS
    ]
)
HOLDINGS_FORMS = ("13F-HR", "13F-HR/A")
REPORT_TYPES = ("13F HOLDINGS REPORT", "13F NOTICE", "13F COMBINATION REPORT")
AMENDMENT_TYPES = ("RESTATEMENT", "NEW HOLDINGS")
SHARES_TYPES = ("SH", "PRN")
PUT_CALL = ("PUT", "CALL")
DOLLARS_FROM = date(2023, 1, 3)  # filings filed on or after this date report value in dollars
THOUSAND = 1000.0

# The data set's tables and columns, from FORM13F_readme.htm (section 5). Older data sets lack FIGI.
DATASET_COLUMNS = {
    "SUBMISSION": ("ACCESSION_NUMBER", "FILING_DATE", "SUBMISSIONTYPE", "CIK", "PERIODOFREPORT"),
    "COVERPAGE": (
        "ACCESSION_NUMBER",
        "REPORTCALENDARORQUARTER",
        "ISAMENDMENT",
        "AMENDMENTNO",
        "AMENDMENTTYPE",
        "CONFDENIEDEXPIRED",
        "DATEDENIEDEXPIRED",
        "DATEREPORTED",
        "REASONFORNONCONFIDENTIALITY",
        "FILINGMANAGER_NAME",
        "FILINGMANAGER_STREET1",
        "FILINGMANAGER_STREET2",
        "FILINGMANAGER_CITY",
        "FILINGMANAGER_STATEORCOUNTRY",
        "FILINGMANAGER_ZIPCODE",
        "REPORTTYPE",
        "FORM13FFILENUMBER",
        "CRDNUMBER",
        "SECFILENUMBER",
        "PROVIDEINFOFORINSTRUCTION5",
        "ADDITIONALINFORMATION",
    ),
    "OTHERMANAGER": (
        "ACCESSION_NUMBER",
        "OTHERMANAGER_SK",
        "CIK",
        "FORM13FFILENUMBER",
        "CRDNUMBER",
        "SECFILENUMBER",
        "NAME",
    ),
    "SIGNATURE": (
        "ACCESSION_NUMBER",
        "NAME",
        "TITLE",
        "PHONE",
        "SIGNATURE",
        "CITY",
        "STATEORCOUNTRY",
        "SIGNATUREDATE",
    ),
    "SUMMARYPAGE": (
        "ACCESSION_NUMBER",
        "OTHERINCLUDEDMANAGERSCOUNT",
        "TABLEENTRYTOTAL",
        "TABLEVALUETOTAL",
        "ISCONFIDENTIALOMITTED",
    ),
    "OTHERMANAGER2": (
        "ACCESSION_NUMBER",
        "SEQUENCENUMBER",
        "CIK",
        "FORM13FFILENUMBER",
        "CRDNUMBER",
        "SECFILENUMBER",
        "NAME",
    ),
    "INFOTABLE": (
        "ACCESSION_NUMBER",
        "INFOTABLE_SK",
        "NAMEOFISSUER",
        "TITLEOFCLASS",
        "CUSIP",
        "FIGI",
        "VALUE",
        "SSHPRNAMT",
        "SSHPRNAMTTYPE",
        "PUTCALL",
        "INVESTMENTDISCRETION",
        "OTHERMANAGER",
        "VOTING_AUTH_SOLE",
        "VOTING_AUTH_SHARED",
        "VOTING_AUTH_NONE",
    ),
}
# The columns each table must have to be read (the rest are optional or not read).
_REQUIRED = {
    "SUBMISSION": ("ACCESSION_NUMBER", "FILING_DATE", "SUBMISSIONTYPE", "CIK"),
    "COVERPAGE": ("ACCESSION_NUMBER", "FILINGMANAGER_NAME", "REPORTTYPE"),
    "INFOTABLE": ("ACCESSION_NUMBER", "CUSIP", "VALUE", "SSHPRNAMT", "SSHPRNAMTTYPE"),
}
_OPTIONAL = {
    "SUBMISSION": ("PERIODOFREPORT",),
    "COVERPAGE": ("REPORTCALENDARORQUARTER", "ISAMENDMENT", "AMENDMENTNO", "AMENDMENTTYPE"),
    "INFOTABLE": (
        "INFOTABLE_SK",
        "NAMEOFISSUER",
        "TITLEOFCLASS",
        "PUTCALL",
        "INVESTMENTDISCRETION",
        "OTHERMANAGER",
        "VOTING_AUTH_SOLE",
        "VOTING_AUTH_SHARED",
        "VOTING_AUTH_NONE",
    ),
}
_INFOTABLE_TEXT = ("NAMEOFISSUER", "TITLEOFCLASS", "OTHERMANAGER")  # cells that may carry quotes

# infoTable child path → the data set's INFOTABLE column: both paths share one normalization.
_XML_FIELDS = {
    "NAMEOFISSUER": ("nameOfIssuer",),
    "TITLEOFCLASS": ("titleOfClass",),
    "CUSIP": ("cusip",),
    "VALUE": ("value",),
    "SSHPRNAMT": ("shrsOrPrnAmt", "sshPrnamt"),
    "SSHPRNAMTTYPE": ("shrsOrPrnAmt", "sshPrnamtType"),
    "PUTCALL": ("putCall",),
    "INVESTMENTDISCRETION": ("investmentDiscretion",),
    "OTHERMANAGER": ("otherManager",),
    "VOTING_AUTH_SOLE": ("votingAuthority", "Sole"),
    "VOTING_AUTH_SHARED": ("votingAuthority", "Shared"),
    "VOTING_AUTH_NONE": ("votingAuthority", "None"),
}


class Form13FError(ValueError):
    """A 13F document or data set is unusable as a whole (the message names the input, the value and the
    fix)."""


# ---- small parsers -----------------------------------------------------------------------------------------
_ACCESSION = re.compile(r"(\d{10})-?(\d{2})-?(\d{6})")
_MDY = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")


def accession(value) -> str:
    """An accession number, dashed (``0001894188-23-000007``) or as 18 digits → the dashed form."""
    m = _ACCESSION.fullmatch(str(value or "").strip())
    if not m:
        raise Form13FError(
            f"accession number {value!r} is not 0000000000-00-000000; give it as the SEC writes it"
        )
    return "-".join(m.groups())


def _day(value, field_name: str) -> pd.Timestamp:
    """A filing date in any form the SEC gives it (date, ISO, YYYYMMDD, DD-MON-YYYY) → Timestamp or NaT."""
    try:
        day = normalize.parse_date(value, field_name)
    except normalize.Rejected as error:
        raise Form13FError(str(error)) from None
    return pd.NaT if day is None else pd.Timestamp(day)


def _xml_date(text: str | None, field_name: str) -> pd.Timestamp:
    """A 13F XML date (``MM-DD-YYYY``) → Timestamp; NaT when absent."""
    if text is None:
        return pd.NaT
    m = _MDY.fullmatch(text.strip())
    try:
        if not m:
            raise ValueError("expected MM-DD-YYYY")
        return pd.Timestamp(date(int(m.group(3)), int(m.group(1)), int(m.group(2))))
    except ValueError as error:
        raise Form13FError(f"{field_name} {text!r} is not a valid date ({error})") from None


def value_in_dollars(value, filing_date) -> float:
    """A 13F ``value`` as filed → dollars: thousands for filings filed before 2023-01-03, dollars from
    then on (the readme's rule). ``filing_date`` is required: without it the unit is unknown."""
    filed = _day(filing_date, "filing date")
    if pd.isna(filed):
        raise Form13FError(
            "value_in_dollars needs the filing date: 13F value is in thousands before 2023-01-03 and in "
            "dollars from then on"
        )
    number = float(value)
    return number * THOUSAND if filed < pd.Timestamp(DOLLARS_FROM) else number


def _amendment_type(form_type: str | None, is_amendment: bool | None, text: str | None) -> str | None:
    """The amendment type of an amendment (upper case, as filed); None for an original filing."""
    amended = bool(is_amendment) or str(form_type or "").upper().endswith("/A")
    cleaned = (text or "").strip().upper()
    return cleaned if amended and cleaned else None


def _quarantine_entry(accession_number: str | None, reason: str, record: Mapping) -> dict:
    return {
        "table": TABLE,
        "symbol": "",
        "accession_number": accession_number or "",
        "reason": reason,
        "record": json.dumps(dict(record), sort_keys=True, default=str)[:2000],
    }


# ---- XML ---------------------------------------------------------------------------------------------------


def _root(xml: bytes | str, expected: str, label: str) -> ET.Element:
    raw = xml.encode("utf-8") if isinstance(xml, str) else bytes(xml)
    raw = raw.lstrip(b"\xef\xbb\xbf \t\r\n")  # a BOM or blank lines before the declaration (seen on EDGAR)
    if b"<!DOCTYPE" in raw[:4096] or b"<!ENTITY" in raw[:4096]:
        raise Form13FError(f"{label}: the document declares a DTD or entities; 13F XML never does")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as error:
        raise Form13FError(f"{label} is not well-formed XML ({error})") from None
    if sec_xml.local(root.tag) != expected:
        raise Form13FError(f"{label}: the root element is <{sec_xml.local(root.tag)}>, not <{expected}>")
    return root


def _integer(text: str | None, field_name: str) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise Form13FError(f"cover page: {field_name} {text!r} is not a whole number") from None


def parse_cover(xml: bytes | str, *, accession_number: str | None = None, filing_date=None) -> dict:
    """The 13F primary document (``edgarSubmission``) → one filing record: the keys of
    :data:`FILING_COLUMNS` plus ``is_amendment``, ``amendment_number``, ``table_entry_total``,
    ``table_value_total`` (as filed, in the filing's unit), ``other_included_managers`` and
    ``schema_version``.

    The document has neither the filing date nor the accession number; give them (submissions JSON
    ``filingDate``, the daily index, the header's ``FILED AS OF DATE``). Without a filing date the record's
    ``filing_date`` is NaT and it must not be placed in time. Raises :class:`Form13FError`."""
    root = _root(xml, "edgarSubmission", "13F primary document")
    header = sec_xml.child(root, "headerData")
    filer_info = sec_xml.child(header, "filerInfo")
    cover = sec_xml.child(root, "formData", "coverPage")
    summary = sec_xml.child(root, "formData", "summaryPage")
    form_type = (sec_xml.text(sec_xml.child(header, "submissionType")) or "").upper()
    if not form_type:
        raise Form13FError("13F primary document has no headerData/submissionType")
    cik = sec_xml.text(sec_xml.descendant(sec_xml.child(filer_info, "filer"), "cik"))
    try:
        filer_cik = normalize.cik(cik)
    except normalize.Rejected:
        raise Form13FError(f"13F primary document: filer CIK {cik!r} is not 1-10 digits") from None
    is_amendment = normalize.parse_flag(sec_xml.text(sec_xml.child(cover, "isAmendment")))
    period = sec_xml.text(sec_xml.child(filer_info, "periodOfReport")) or sec_xml.text(
        sec_xml.child(cover, "reportCalendarOrQuarter")
    )
    report_type = sec_xml.text(sec_xml.child(cover, "reportType"))
    return {
        "accession_number": None if accession_number is None else accession(accession_number),
        "filer_cik": filer_cik,
        "filer_name": sec_xml.text(sec_xml.child(cover, "filingManager", "name")),
        "form_type": form_type,
        "filing_date": _day(filing_date, "filing date"),
        "period_of_report": _xml_date(period, "periodOfReport"),
        "report_type": None if report_type is None else report_type.upper(),
        "amendment_type": _amendment_type(
            form_type, is_amendment, sec_xml.text(sec_xml.descendant(cover, "amendmentType"))
        ),
        "is_amendment": bool(is_amendment) or form_type.endswith("/A"),
        "amendment_number": _integer(sec_xml.text(sec_xml.child(cover, "amendmentNo")), "amendmentNo"),
        "table_entry_total": _integer(
            sec_xml.text(sec_xml.child(summary, "tableEntryTotal")), "tableEntryTotal"
        ),
        "table_value_total": _integer(
            sec_xml.text(sec_xml.child(summary, "tableValueTotal")), "tableValueTotal"
        ),
        "other_included_managers": _integer(
            sec_xml.text(sec_xml.child(summary, "otherIncludedManagersCount")), "otherIncludedManagersCount"
        ),
        "schema_version": sec_xml.text(sec_xml.child(root, "schemaVersion")),
    }


def filing_frame(records: Iterable[Mapping]) -> pd.DataFrame:
    """Filing records (:func:`parse_cover` dicts) → a frame of :data:`FILING_COLUMNS` with the types of
    :data:`FILING_SCHEMA` (text missing as NA)."""
    rows = [{c: _missing_as_none(r.get(c)) for c in FILING_COLUMNS} for r in records]
    return pa.Table.from_pylist(rows, schema=FILING_SCHEMA).to_pandas()


def _missing_as_none(value):
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _info_rows(root: ET.Element) -> list[dict]:
    rows = []
    for element in root:
        if sec_xml.local(element.tag) != "infoTable":
            continue
        rows.append(
            {
                column: sec_xml.text(sec_xml.child(element, *path)) or ""
                for column, path in _XML_FIELDS.items()
            }
        )
    return rows


def parse_information_table(xml: bytes | str, accession_number: str, filing_date) -> pd.DataFrame:
    """A 13F information table (``informationTable``) → one row per ``infoTable`` element, in document
    order (:data:`LINE_COLUMNS`; ``value_usd`` in dollars by :func:`value_in_dollars`). Lines that cannot
    be used (a CUSIP that is not 9 letters or digits, a value or share count that is not a number, ...) are
    in ``attrs["quarantined"]`` instead. ``filing_date`` is required: it decides the unit of value."""
    number = accession(accession_number)
    filed = _day(filing_date, "filing date")
    if pd.isna(filed):
        raise Form13FError(
            f"information table of {number}: the filing date is required (the unit of value depends on it, "
            "and a line with no public date must not be placed in time)"
        )
    rows = _info_rows(_root(xml, "informationTable", f"information table of {number}"))
    text = pa.table(
        {"ACCESSION_NUMBER": pa.array([number] * len(rows), pa.string())}
        | {c: pa.array([r[c] for r in rows], pa.string()) for c in _XML_FIELDS}
    )
    return _lines(text, {number: filed})


def _documents(text: bytes) -> list[bytes]:
    """The XML documents of a full submission: each ``<XML>…</XML>`` block (both header layouts)."""
    return re.findall(rb"<XML>\s*(.*?)\s*</XML>", text, flags=re.DOTALL | re.IGNORECASE)


def _root_name(document: bytes) -> str | None:
    m = re.search(rb"<(?!\?|!)(?:[\w.-]+:)?([\w.-]+)[\s>/]", document)
    return m.group(1).decode("ascii", "replace") if m else None


def parse_submission(text: bytes | str) -> tuple[dict, pd.DataFrame]:
    """A full 13F submission (SEC header + the primary document + the information table) → the filing
    record (:func:`parse_cover`, with the header's accession number, filing date and ``acceptance_time``)
    and its lines (:func:`parse_information_table`). A notice (``13F NOTICE``) has no lines."""
    raw = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    try:
        header = ownership.parse_header(raw)
    except normalize.Rejected as error:
        raise Form13FError(f"13F submission: SEC header: {error}") from None
    if header.accession_number is None:
        raise Form13FError("13F submission: the SEC header has no ACCESSION NUMBER / <ACCESSION-NUMBER>")
    documents = {_root_name(d): d for d in reversed(_documents(raw))}  # the first of each kind wins
    if "edgarSubmission" not in documents:
        raise Form13FError(
            f"13F submission {header.accession_number} has no 13F primary document (no <XML> block with "
            "an <edgarSubmission>)"
        )
    filing = parse_cover(
        documents["edgarSubmission"],
        accession_number=header.accession_number,
        filing_date=header.filing_date,
    )
    filing["acceptance_time"] = header.acceptance_time
    if "informationTable" not in documents:
        if filing["report_type"] == "13F NOTICE":
            return filing, _lines(pa.table({"ACCESSION_NUMBER": pa.array([], pa.string())}), {})
        raise Form13FError(
            f"13F submission {filing['accession_number']} ({filing['report_type']}) has no information table"
        )
    if pd.isna(filing["filing_date"]):
        raise Form13FError(
            f"13F submission {filing['accession_number']}: the SEC header has no FILED AS OF DATE / "
            "<FILING-DATE>, so nothing says when it became public"
        )
    lines = parse_information_table(
        documents["informationTable"], filing["accession_number"], filing["filing_date"]
    )
    return filing, lines


# ---- lines (both paths) ------------------------------------------------------------------------------------
_NUMBER = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"
_NULL_TEXT = pa.scalar(None, pa.string())


def _unquote(values: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Undo the data set's CSV-style quoting of cells that contain a quote: the cell is wrapped in quotes
    and its own quotes are doubled."""
    quoted = pc.and_(
        pc.greater_equal(pc.utf8_length(values), 2),
        pc.and_(pc.starts_with(values, '"'), pc.ends_with(values, '"')),
    )
    if not pc.any(quoted).as_py():
        return values
    inner = pc.replace_substring(pc.utf8_slice_codeunits(values, 1, -1), '""', '"')
    return pc.if_else(quoted, inner, values)


def _text_cells(values) -> pa.ChunkedArray | pa.Array:
    """Trimmed text; null for an empty cell."""
    trimmed = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(pc.utf8_length(trimmed), 0), _NULL_TEXT, trimmed)


def _numbers(values) -> pa.ChunkedArray | pa.Array:
    """Numbers; null where the cell is empty or not a number."""
    trimmed = pc.utf8_trim_whitespace(values)
    return pc.cast(pc.if_else(pc.match_substring_regex(trimmed, _NUMBER), trimmed, _NULL_TEXT), pa.float64())


def _lines(
    text: pa.Table, filing_dates: Mapping[str, pd.Timestamp], unusable: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Text cells named like the data set's INFOTABLE (one row a line) → :data:`LINE_COLUMNS`; the unusable
    lines in ``attrs["quarantined"]``. ``filing_dates`` gives each usable filing's date; ``unusable`` says
    why a known filing's lines cannot be used (any other accession: "not in SUBMISSION")."""
    n = text.num_rows

    def cells(name: str):
        if name in text.column_names:
            return pc.fill_null(text.column(name), "")
        return pa.array([""] * n, pa.string())

    numbers = pc.utf8_trim_whitespace(cells("ACCESSION_NUMBER"))
    known = pa.array(list(filing_dates), pa.string())
    dates = pa.array([pd.Timestamp(d) for d in filing_dates.values()], pa.timestamp("ms"))
    filed = pc.take(dates, pc.index_in(numbers, value_set=known))
    cusip = pc.utf8_upper(pc.utf8_trim_whitespace(cells("CUSIP")))
    value, shares = _numbers(cells("VALUE")), _numbers(cells("SSHPRNAMT"))
    shares_type = pc.utf8_upper(pc.utf8_trim_whitespace(cells("SSHPRNAMTTYPE")))
    put_call = pc.utf8_upper(_text_cells(cells("PUTCALL")))
    # The rules a line must pass, in order; a line is quarantined with the message of the first it fails.
    rules = (
        (pc.is_null(filed), None),
        (
            pc.invert(pc.match_substring_regex(cusip, "^[A-Z0-9]{9}$")),
            "CUSIP {CUSIP!r} is not 9 letters or digits",
        ),
        (pc.is_null(value), "value {VALUE!r} is not a number"),
        (pc.less(value, 0), "value {VALUE!r} is negative"),
        (pc.is_null(shares), "sshPrnamt {SSHPRNAMT!r} is not a number"),
        (pc.less(shares, 0), "sshPrnamt {SSHPRNAMT!r} is negative"),
        (
            pc.invert(pc.is_in(shares_type, pa.array(SHARES_TYPES))),
            "sshPrnamtType {SSHPRNAMTTYPE!r} is not SH or PRN",
        ),
        (
            pc.and_(pc.is_valid(put_call), pc.invert(pc.is_in(put_call, pa.array(PUT_CALL)))),
            "putCall {PUTCALL!r} is not Put or Call",
        ),
    )
    masks = [np.asarray(pc.fill_null(mask, False)) for mask, _ in rules] if n else []
    bad = np.logical_or.reduce(masks) if masks else np.zeros(0, dtype=bool)
    quarantined = []
    unusable = unusable or {}
    for i, record in zip(np.flatnonzero(bad), text.take(np.flatnonzero(bad)).to_pylist(), strict=True):
        number = str(record.get("ACCESSION_NUMBER") or "").strip()
        message = next(m for mask, (_, m) in zip(masks, rules, strict=True) if mask[i])
        if message is None:
            reason = unusable.get(number, f"accession {number or '(empty)'} is not in SUBMISSION")
        else:
            reason = message.format_map({c: record.get(c) or "" for c in ("CUSIP", *_XML_FIELDS)})
        quarantined.append(_quarantine_entry(number, reason, record))
    factor = pc.if_else(
        pc.less(filed, pa.scalar(pd.Timestamp(DOLLARS_FROM), pa.timestamp("ms"))), THOUSAND, 1.0
    )
    lines = pa.table(
        {
            "accession_number": numbers,
            "cusip": cusip,
            "issuer_name": _text_cells(cells("NAMEOFISSUER")),
            "title_of_class": _text_cells(cells("TITLEOFCLASS")),
            "value_usd": pc.multiply(value, factor),
            "shares": shares,
            "shares_type": shares_type,
            "put_call": put_call,
            "investment_discretion": pc.utf8_upper(_text_cells(cells("INVESTMENTDISCRETION"))),
            "other_manager": _text_cells(cells("OTHERMANAGER")),
            "voting_sole": _numbers(cells("VOTING_AUTH_SOLE")),
            "voting_shared": _numbers(cells("VOTING_AUTH_SHARED")),
            "voting_none": _numbers(cells("VOTING_AUTH_NONE")),
        }
    )
    if bad.any():
        lines = lines.filter(pa.array(~bad))
    out = lines.cast(LINE_SCHEMA).to_pandas()
    out.attrs["quarantined"] = quarantined
    return out


# ---- data sets ---------------------------------------------------------------------------------------------
class _Member:
    """One table of a data set: a ZIP member or a file of a folder."""

    def __init__(
        self, label: str, name: str, archive: zipfile.ZipFile | None = None, path: Path | None = None
    ):
        self.label, self.name, self.archive, self.path = label, name, archive, path

    def open(self) -> IO[bytes]:
        if self.archive is not None:
            return self.archive.open(self.name)
        return open(self.path, "rb")  # the caller closes it

    def error(self, error: BaseException) -> Form13FError:
        return Form13FError(
            f"data set {self.label}: member {self.name} could not be read ({type(error).__name__}: {error}); "
            "the file is damaged or truncated: delete it and download it again"
        )


_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, pa.ArrowInvalid, UnicodeDecodeError)


def _members(path: Path) -> dict[str, _Member]:
    """Table name (``INFOTABLE``) → its member, for a data set ZIP or a folder of its .tsv files."""
    path = Path(path)
    if path.is_dir():
        return {p.stem.upper(): _Member(str(path), p.name, path=p) for p in path.iterdir() if _is_tsv(p.name)}
    if not path.exists():
        raise Form13FError(f"data set {path} does not exist; give the Form 13F data set ZIP or its folder")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise Form13FError(
            f"data set {path} is not a readable ZIP archive ({error}); it is damaged or truncated: "
            "delete it and download it again"
        ) from None
    return {
        Path(n).stem.upper(): _Member(str(path), n, archive=archive) for n in archive.namelist() if _is_tsv(n)
    }


def _is_tsv(name: str) -> bool:
    return name.lower().endswith(".tsv") and not Path(name).name.startswith(".")


def _member(members: Mapping[str, _Member], name: str, label: str) -> _Member:
    if name not in members:
        raise Form13FError(
            f"data set {label} has no {name}.tsv (it has {', '.join(sorted(members)) or 'no .tsv file'}); "
            "it is not a complete Form 13F data set: download it again"
        )
    return members[name]


def _check_header(member: _Member, name: str, header: list[str]) -> None:
    missing = [c for c in _REQUIRED[name] if c not in header]
    if missing:
        raise Form13FError(
            f"data set {member.label}: member {member.name} has no column {', '.join(missing)} "
            f"(its header: {', '.join(header[:20])}); the readme's names are expected"
        )


def _read_small(member: _Member, name: str) -> tuple[pd.DataFrame, list[dict]]:
    """A small table (SUBMISSION, COVERPAGE), quote-aware: (the needed columns as text, rows quarantined
    for the wrong number of cells)."""
    try:
        with member.open() as handle:
            text = handle.read().decode("utf-8")
    except _READ_ERRORS as error:
        raise member.error(error) from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", quotechar='"', doublequote=True)
    header = [h.strip().upper() for h in next(reader, [])]
    _check_header(member, name, header)
    wanted = [c for c in (*_REQUIRED[name], *_OPTIONAL[name]) if c in header]
    positions = [header.index(c) for c in wanted]
    rows, quarantined = [], []
    for number, cells in enumerate(reader, start=2):
        if not cells:
            continue
        if len(cells) != len(header):
            quarantined.append(
                _quarantine_entry(
                    cells[0].strip() if cells else None,
                    f"{member.name} row {number} has {len(cells)} cells, the header {len(header)}",
                    {"cells": cells},
                )
            )
            continue
        rows.append([cells[p] for p in positions])
    frame = pd.DataFrame(rows, columns=wanted, dtype=object)
    for column in (*_REQUIRED[name], *_OPTIONAL[name]):
        if column not in frame:
            frame[column] = ""
    return frame, quarantined


def _dmy(values: pd.Series) -> pd.Series:
    """Data set dates (``DD-MON-YYYY``) → timestamps; NaT where empty or not a date."""
    text = values.fillna("").astype(str).str.strip()
    return pd.to_datetime(text, format="%d-%b-%Y", errors="coerce").astype("datetime64[ms]")


def _cell(value) -> str | None:
    text = str(value or "").strip()
    return text or None


def _dataset_filings(
    submission: pd.DataFrame, coverpage: pd.DataFrame
) -> tuple[pd.DataFrame, list[dict], dict[str, str]]:
    """SUBMISSION ⋈ COVERPAGE → (the 13F-HR and 13F-HR/A filings, quarantined filings, accession → why its
    lines cannot be used). A filing without a COVERPAGE row keeps null name, report and amendment types."""
    cover = coverpage.assign(ACCESSION_NUMBER=coverpage["ACCESSION_NUMBER"].str.strip())
    merged = submission.assign(ACCESSION_NUMBER=submission["ACCESSION_NUMBER"].str.strip()).merge(
        cover.drop_duplicates("ACCESSION_NUMBER"), on="ACCESSION_NUMBER", how="left", suffixes=("", "_COVER")
    )
    merged = merged.fillna("")
    merged["FILED"] = _dmy(merged["FILING_DATE"])
    merged["PERIOD"] = _dmy(merged["PERIODOFREPORT"]).fillna(_dmy(merged["REPORTCALENDARORQUARTER"]))
    records, quarantined, unusable = [], [], {}
    for row in merged.to_dict("records"):
        number = row["ACCESSION_NUMBER"]
        form = row["SUBMISSIONTYPE"].strip().upper()
        cik = row["CIK"].strip()
        if form not in HOLDINGS_FORMS:
            unusable[number] = f"the filing is a {form or '(no type)'}, not a 13F-HR or 13F-HR/A"
            continue
        if not re.fullmatch(r"\d{10}-\d{2}-\d{6}", number):
            reason = f"ACCESSION_NUMBER {number!r} is not 0000000000-00-000000"
        elif pd.isna(row["FILED"]):
            reason = (
                f"FILING_DATE {row['FILING_DATE']!r} is not DD-MON-YYYY: "
                "nothing says when the filing became public"
            )
        elif not (cik.isdigit() and len(cik) <= 10):
            reason = f"CIK {row['CIK']!r} is not 1-10 digits"
        else:
            amended = row["ISAMENDMENT"].strip().upper() in ("Y", "TRUE", "1")
            records.append(
                {
                    "accession_number": number,
                    "filer_cik": cik.zfill(10),
                    "filer_name": _cell(row["FILINGMANAGER_NAME"]),
                    "form_type": form,
                    "filing_date": row["FILED"],
                    "period_of_report": row["PERIOD"],
                    "report_type": (_cell(row["REPORTTYPE"]) or "").upper() or None,
                    "amendment_type": _amendment_type(form, amended, row["AMENDMENTTYPE"]),
                }
            )
            continue
        record = {k: v for k, v in row.items() if k not in ("FILED", "PERIOD")}
        quarantined.append(_quarantine_entry(number, reason, record))
        unusable[number] = f"its filing is quarantined: {reason}"
    return filing_frame(records), quarantined, unusable


def _infotable_header(member: _Member) -> list[str]:
    """INFOTABLE's column names (upper case), checked against the SEC's readme."""
    try:
        with member.open() as handle:
            first = handle.readline().decode("utf-8")
    except _READ_ERRORS as error:
        raise member.error(error) from None
    header = [h.strip().upper() for h in first.rstrip("\r\n").split("\t")]
    _check_header(member, "INFOTABLE", header)
    return header


def _infotable_blocks(
    member: _Member, header: list[str], wanted: list[str], invalid: Callable
) -> Iterator[pa.RecordBatch]:
    """INFOTABLE's lines in 8 MB blocks of the ``wanted`` columns as text, straight out of the archive;
    ``invalid`` says what to do with a line of the wrong width. A read error is the member's error."""
    try:
        with member.open() as handle:
            yield from pa_csv.open_csv(
                handle,
                read_options=pa_csv.ReadOptions(column_names=header, skip_rows=1, block_size=8 << 20),
                parse_options=pa_csv.ParseOptions(
                    delimiter="\t", quote_char=False, invalid_row_handler=invalid
                ),
                convert_options=pa_csv.ConvertOptions(
                    include_columns=wanted,
                    column_types={c: pa.string() for c in header},
                    strings_can_be_null=False,
                ),
            )
    except _READ_ERRORS as error:
        raise member.error(error) from None


def _stream_infotable(member: _Member, cusips: set[str] | None) -> tuple[pa.Table, list[str]]:
    """INFOTABLE, streamed out of the archive in blocks, column-pruned, and per block only the lines of
    ``cusips`` kept (the whole file is never in memory). Returns (text cells in document order, the lines
    with the wrong number of cells that name one of ``cusips``, or all of them without ``cusips``)."""
    header = _infotable_header(member)
    wanted = [c for c in (*_REQUIRED["INFOTABLE"], *_OPTIONAL["INFOTABLE"]) if c in header]
    malformed: list[str] = []

    def invalid(row) -> str:
        cells = {c.strip().upper() for c in row.text.split("\t")}
        if cusips is None or cells & cusips:
            malformed.append(
                f"{row.actual_columns} cells, the header {row.expected_columns}: {row.text[:1500]}"
            )
        return "skip"

    keep = None if cusips is None else pa.array(sorted(cusips), type=pa.string())
    parts: list[pa.Table] = []
    for batch in _infotable_blocks(member, header, wanted, invalid):
        if keep is not None:
            cusip = pc.utf8_upper(pc.utf8_trim_whitespace(batch.column("CUSIP")))
            batch = batch.filter(pc.is_in(cusip, value_set=keep))
        if batch.num_rows:
            parts.append(pa.Table.from_batches([batch]))
    schema = pa.schema([(c, pa.string()) for c in wanted])
    table = pa.concat_tables(parts).combine_chunks() if parts else schema.empty_table()
    for name in _INFOTABLE_TEXT:
        if name in table.column_names:
            table = table.set_column(table.column_names.index(name), name, _unquote(table.column(name)))
    if "INFOTABLE_SK" in table.column_names and table.num_rows:  # the document's order
        sk = pc.cast(
            pc.if_else(
                pc.match_substring_regex(table.column("INFOTABLE_SK"), "^[0-9]{1,18}$"),
                table.column("INFOTABLE_SK"),
                _NULL_TEXT,
            ),
            pa.int64(),
        )
        order = pc.sort_indices(
            pa.table({"a": table.column("ACCESSION_NUMBER"), "sk": sk}),
            sort_keys=[("a", "ascending"), ("sk", "ascending")],
        )
        table = table.take(order)
    return table, malformed


def read_dataset(path: Path, cusips: set[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A Form 13F data set (the SEC's ZIP, or a folder of its .tsv files) → (filings, lines).

    ``filings`` (:data:`FILING_COLUMNS`): every 13F-HR and 13F-HR/A of the data set, whatever it holds
    (a filer that no longer holds a CUSIP still filed). ``lines`` (:data:`LINE_COLUMNS`): the INFOTABLE
    lines of those filings, only those whose CUSIP is in ``cusips`` when given (choosing the universe is
    not dropping data), grouped by filing in document (``INFOTABLE_SK``) order; ``value_usd`` in dollars by
    the filing's date. Both frames carry ``attrs["quarantined"]``. Pass the universe's CUSIPs for a whole
    quarter: without them every line becomes a row (3 million lines: about 1.8 GB at the peak). A damaged
    archive, or one without SUBMISSION, COVERPAGE or INFOTABLE, raises :class:`Form13FError` naming the
    file and the member."""
    members = _members(path)
    label = str(path)
    submission, bad_submission = _read_small(_member(members, "SUBMISSION", label), "SUBMISSION")
    coverpage, bad_cover = _read_small(_member(members, "COVERPAGE", label), "COVERPAGE")
    infotable = _member(members, "INFOTABLE", label)
    wanted = None if cusips is None else {str(c).strip().upper() for c in cusips}
    filings, bad_filings, unusable = _dataset_filings(submission, coverpage)
    text, malformed = _stream_infotable(infotable, wanted)
    dates = dict(zip(filings["accession_number"], filings["filing_date"], strict=True))
    lines = _lines(text, dates, unusable)
    lines.attrs["quarantined"] += [
        _quarantine_entry(None, f"{infotable.name}: a line with the wrong number of cells", {"line": m})
        for m in malformed
    ]
    filings.attrs["quarantined"] = [*bad_submission, *bad_cover, *bad_filings]
    return filings, lines


CUSIP_VALUE_COLUMNS = ("report_date", "cusip", "issuer_name", "value_usd")


def dataset_cusip_values(path: Path) -> pd.DataFrame:
    """Per (period of report, CUSIP) the dollar value of a data set's share positions (SH, no put/call) and
    the issuer's name as filed: what there is to map to symbols, largest first. INFOTABLE is streamed in
    blocks of five columns, so a whole quarter (millions of lines) is never in memory. The sec source maps
    these CUSIPs (once, cached) before it reads the lines of the universe's CUSIPs, and reports the share of
    value it could map."""
    members = _members(path)
    label = str(path)
    submission, _ = _read_small(_member(members, "SUBMISSION", label), "SUBMISSION")
    coverpage, _ = _read_small(_member(members, "COVERPAGE", label), "COVERPAGE")
    filings, _, _ = _dataset_filings(submission, coverpage)
    filed = filings.set_index("accession_number")
    period = filed["period_of_report"]
    scale = pd.Series(
        np.where(filed["filing_date"] < pd.Timestamp(DOLLARS_FROM), THOUSAND, 1.0), index=filed.index
    )
    member = _member(members, "INFOTABLE", label)
    header = _infotable_header(member)
    wanted = [
        c
        for c in ("ACCESSION_NUMBER", "CUSIP", "NAMEOFISSUER", "VALUE", "SSHPRNAMTTYPE", "PUTCALL")
        if c in header
    ]
    parts: list[pd.DataFrame] = []
    for batch in _infotable_blocks(member, header, wanted, lambda _: "skip"):
        block = batch.to_pandas()
        block = block[block["SSHPRNAMTTYPE"].str.strip().str.upper() == "SH"]
        if "PUTCALL" in block:
            block = block[block["PUTCALL"].str.strip() == ""]
        accession = block["ACCESSION_NUMBER"].str.strip()
        value = pd.to_numeric(block["VALUE"].str.strip(), errors="coerce") * accession.map(scale)
        part = pd.DataFrame(
            {
                "report_date": accession.map(period),
                "cusip": block["CUSIP"].str.strip().str.upper(),
                "issuer_name": block.get("NAMEOFISSUER", pd.Series("", index=block.index)).str.strip(),
                "value_usd": value,
            }
        ).dropna(subset=["report_date", "value_usd"])
        parts.append(
            part.groupby(["report_date", "cusip"], as_index=False).agg(
                issuer_name=("issuer_name", "first"), value_usd=("value_usd", "sum")
            )
        )
    if not parts:
        return pd.DataFrame(columns=list(CUSIP_VALUE_COLUMNS))
    out = (
        pd.concat(parts, ignore_index=True)
        .groupby(["report_date", "cusip"], as_index=False)
        .agg(issuer_name=("issuer_name", "first"), value_usd=("value_usd", "sum"))
    )
    return out.sort_values(["report_date", "value_usd"], ascending=[True, False], ignore_index=True)[
        list(CUSIP_VALUE_COLUMNS)
    ]
