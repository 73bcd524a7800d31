"""The per-filing path: an EDGAR ownership document (Forms 3, 4, 5 and /A; schema versions X0101 … X0508)
→ ``raw_insider_trades`` rows, by way of :mod:`.normalize` (the contract is documented there).

Inputs seen on EDGAR and in ``../shared/realdata/form4_xml``:

* the bare XML (``…/Archives/edgar/data/<cik>/<accession>/<name>.xml``): it has no filing date and no
  accession number, so the caller passes both (from the submissions JSON, the daily index or the URL);
* a full submission text (``<accession>.txt``) whose SEC header (``FILED AS OF DATE:``,
  ``<ACCEPTANCE-DATETIME>``) gives the filing date and the acceptance time (Eastern);
* the compact SGML form of the same header (``<FILING-DATE>20250213<…``);
* a JSON rendering of the header (``metadata.json``: ``submission.FILING-DATE``).

The XML follows the Ownership XML Technical Specification: a value sits in a ``<value>`` child and may be
replaced or accompanied by ``<footnoteId id="Fn"/>`` references; ``transactionCoding`` holds
``transactionCode``; ``aff10b5One`` (X0407+) is a child of the root. Documents are parsed with the standard
library's ElementTree; a document with a DTD or entity declaration is refused. Tags are matched without
namespaces. Unknown elements are ignored, so the schema versions parse alike.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from smart_money.sources.sec import normalize
from smart_money.sources.sec import xml as sec_xml
from smart_money.sources.sec.normalize import Amount, Filing, Owner, Transaction


class OwnershipParseError(ValueError):
    """The bytes are not an ownership document (the message names what is wrong)."""


@dataclass(frozen=True)
class SecHeader:
    """What the SEC header of a submission says (any field may be None)."""

    accession_number: str | None = None
    form_type: str | None = None
    filing_date: date | None = None
    acceptance_time: datetime | None = None  # UTC
    period_of_report: date | None = None


# ---- headers -----------------------------------------------------------------------------------------------
_TEXT_HEADER = {
    "accession_number": re.compile(r"^ACCESSION NUMBER:\s*(\S+)", re.MULTILINE),
    "form_type": re.compile(r"^CONFORMED SUBMISSION TYPE:\s*(\S+)", re.MULTILINE),
    "filing_date": re.compile(r"^FILED AS OF DATE:\s*(\d{8})", re.MULTILINE),
    "period_of_report": re.compile(r"^CONFORMED PERIOD OF REPORT:\s*(\d{8})", re.MULTILINE),
}
_SGML_HEADER = {
    "accession_number": re.compile(r"<ACCESSION-NUMBER>\s*([0-9-]+)"),
    "form_type": re.compile(r"<TYPE>\s*([0-9A-Z/-]+)"),
    "filing_date": re.compile(r"<FILING-DATE>\s*(\d{8})"),
    "period_of_report": re.compile(r"<PERIOD>\s*(\d{8})"),
}
_ACCEPTANCE = re.compile(r"<ACCEPTANCE-DATETIME>\s*(\d{14})")


def parse_header(text: str | bytes) -> SecHeader:
    """The SEC header of a full submission (the ``.txt`` layout or the compact SGML one)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    head = text.split("<DOCUMENT>", 1)[0]
    found: dict[str, str] = {}
    for patterns in (_TEXT_HEADER, _SGML_HEADER):
        for name, pattern in patterns.items():
            if name not in found and (m := pattern.search(head)):
                found[name] = m.group(1)
    accepted = _ACCEPTANCE.search(head)
    return SecHeader(
        accession_number=found.get("accession_number"),
        form_type=found.get("form_type"),
        filing_date=normalize.parse_date(found.get("filing_date"), "FILED AS OF DATE"),
        acceptance_time=normalize.eastern_to_utc(accepted.group(1)) if accepted else None,
        period_of_report=normalize.parse_date(found.get("period_of_report"), "PERIOD OF REPORT"),
    )


def header_from_metadata(metadata: Mapping | str | bytes) -> SecHeader:
    """The header as JSON (``{"submission": {"ACCESSION-NUMBER", "TYPE", "FILING-DATE", "PERIOD", …}}``)."""
    if isinstance(metadata, (str, bytes)):
        metadata = json.loads(metadata)
    sub = metadata.get("submission", metadata) if isinstance(metadata, Mapping) else {}
    if not isinstance(sub, Mapping):
        raise OwnershipParseError("metadata: 'submission' is not an object")
    accepted = sub.get("ACCEPTANCE-DATETIME")
    return SecHeader(
        accession_number=sub.get("ACCESSION-NUMBER"),
        form_type=sub.get("TYPE"),
        filing_date=normalize.parse_date(sub.get("FILING-DATE"), "FILING-DATE"),
        acceptance_time=normalize.eastern_to_utc(accepted) if accepted else None,
        period_of_report=normalize.parse_date(sub.get("PERIOD"), "PERIOD"),
    )


_DOCUMENT = re.compile(rb"<ownershipDocument[\s>].*?</ownershipDocument>", re.DOTALL)


def extract_xml(text: str | bytes) -> bytes:
    """The ``<ownershipDocument>`` element of a bare XML file or of a full submission text."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    m = _DOCUMENT.search(data)
    if not m:
        raise OwnershipParseError("no <ownershipDocument> element: not an ownership (Form 3/4/5) document")
    return m.group(0)


# ---- XML ---------------------------------------------------------------------------------------------------


def _amount(element: ET.Element | None) -> Amount:
    """A ``<value>`` + ``<footnoteId>`` element (or, in old documents, a bare text element)."""
    if element is None:
        return Amount()
    notes = tuple(f.get("id", "").strip() for f in sec_xml.children(element, "footnoteId") if f.get("id"))
    value_el = sec_xml.child(element, "value")
    value = (
        sec_xml.text(value_el) if value_el is not None else (None if len(element) else sec_xml.text(element))
    )
    return Amount(value, notes)


def _flag(element: ET.Element | None) -> bool:
    return bool(normalize.parse_flag(sec_xml.text(element)))


def _owner(element: ET.Element) -> Owner:
    rel = sec_xml.child(element, "reportingOwnerRelationship")
    return Owner(
        cik=sec_xml.text(sec_xml.child(element, "reportingOwnerId", "rptOwnerCik")) or "",
        name=sec_xml.text(sec_xml.child(element, "reportingOwnerId", "rptOwnerName")) or "",
        is_director=_flag(sec_xml.child(rel, "isDirector")),
        is_officer=_flag(sec_xml.child(rel, "isOfficer")),
        is_ten_percent_owner=_flag(sec_xml.child(rel, "isTenPercentOwner")),
        is_other=_flag(sec_xml.child(rel, "isOther")),
        officer_title=sec_xml.text(sec_xml.child(rel, "officerTitle")) or "",
        other_text=sec_xml.text(sec_xml.child(rel, "otherText")) or "",
    )


def _transaction(element: ET.Element, is_derivative: bool, index: int) -> Transaction:
    amounts = sec_xml.child(element, "transactionAmounts")
    post = sec_xml.child(element, "postTransactionAmounts")
    return Transaction(
        is_derivative=is_derivative,
        index=index,
        security_title=_amount(sec_xml.child(element, "securityTitle")).value,
        transaction_date=_amount(sec_xml.child(element, "transactionDate")),
        transaction_code=sec_xml.text(sec_xml.child(element, "transactionCoding", "transactionCode")),
        acquired_disposed=_amount(sec_xml.child(amounts, "transactionAcquiredDisposedCode")),
        shares=_amount(sec_xml.child(amounts, "transactionShares")),
        total_value=_amount(sec_xml.child(amounts, "transactionTotalValue")),
        price=_amount(sec_xml.child(amounts, "transactionPricePerShare")),
        shares_owned_after=_amount(sec_xml.child(post, "sharesOwnedFollowingTransaction")),
        value_owned_after=_amount(sec_xml.child(post, "valueOwnedFollowingTransaction")),
        direct_or_indirect=_amount(
            sec_xml.child(element, "ownershipNature", "directOrIndirectOwnership")
        ).value,
    )


def parse_document(
    xml: str | bytes,
    *,
    accession_number: str | None = None,
    filing_date=None,
    acceptance_time=None,
    form_type: str | None = None,
) -> tuple[Filing, list[Transaction]]:
    """An ownership document → its :class:`Filing` (owners in filed order) and its transactions.

    ``accession_number``, ``filing_date`` (date or text) and ``acceptance_time`` (see
    :func:`.normalize.acceptance_utc`: the header's Eastern ``YYYYMMDDhhmmss``, the submissions JSON's
    UTC ISO text, or a datetime) come from the caller: the XML does not carry them. The form type
    is the XML's ``documentType``; ``form_type`` is used only when the XML has none. Raises
    :class:`OwnershipParseError` when the bytes are not a well-formed ownership document.
    """
    raw = xml.encode("utf-8") if isinstance(xml, str) else xml
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise OwnershipParseError("the document declares a DTD or entities; ownership XML never does")
    data = extract_xml(raw)
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise OwnershipParseError(f"the ownership XML is not well-formed: {error}") from None
    issuer = sec_xml.child(root, "issuer")
    filing = Filing(
        accession_number=accession_number,
        issuer_cik=sec_xml.text(sec_xml.child(issuer, "issuerCik")),
        form_type=sec_xml.text(sec_xml.child(root, "documentType")) or form_type,
        filing_date=filing_date,
        acceptance_time=acceptance_time,
        period_of_report=sec_xml.text(sec_xml.child(root, "periodOfReport")),
        date_of_original_submission=sec_xml.text(sec_xml.child(root, "dateOfOriginalSubmission")),
        aff10b5one=sec_xml.text(sec_xml.child(root, "aff10b5One")),
        remarks=sec_xml.text(sec_xml.child(root, "remarks")) or "",
        owners=tuple(_owner(o) for o in sec_xml.children(root, "reportingOwner")),
        schema_version=sec_xml.text(sec_xml.child(root, "schemaVersion")),
    )
    transactions = [
        _transaction(t, False, i)
        for i, t in enumerate(
            sec_xml.children(sec_xml.child(root, "nonDerivativeTable"), "nonDerivativeTransaction")
        )
    ] + [
        _transaction(t, True, i)
        for i, t in enumerate(
            sec_xml.children(sec_xml.child(root, "derivativeTable"), "derivativeTransaction")
        )
    ]
    return filing, transactions


def _unparsed(accession_number: str | None, reason: str, sample: bytes | str) -> dict:
    text = sample.decode("utf-8", errors="replace") if isinstance(sample, bytes) else sample
    return {
        "table": normalize.TABLE,
        "symbol": "",
        "accession_number": accession_number or "",
        "is_derivative": None,
        "transaction_index": None,
        "reason": reason,
        "record": text[:2000],
    }


def document_rows(
    xml: str | bytes,
    cik_to_symbol: Mapping,
    *,
    accession_number: str | None,
    filing_date,
    acceptance_time=None,
    form_type: str | None = None,
) -> tuple[list[dict], list[dict]]:
    """Rows of one bare ownership XML. ``filing_date`` is the filing's public date (submissions JSON
    ``filingDate``, the daily index, the header); None quarantines every transaction with the reason
    "no filing date". A document that does not parse is one quarantine entry (transaction_index None)."""
    try:
        filing, transactions = parse_document(
            xml,
            accession_number=accession_number,
            filing_date=filing_date,
            acceptance_time=acceptance_time,
            form_type=form_type,
        )
    except (OwnershipParseError, normalize.Rejected) as error:
        return [], [_unparsed(accession_number, str(error), xml)]
    return normalize.filing_rows(filing, transactions, normalize.cik_map(cik_to_symbol))


def submission_rows(
    text: str | bytes, cik_to_symbol: Mapping, *, header: SecHeader | None = None
) -> tuple[list[dict], list[dict]]:
    """Rows of a full submission text (SEC header + the XML), or of a bare XML with its ``header`` given
    (e.g. from :func:`header_from_metadata`). The header supplies the accession number, filing date and
    acceptance time; a header without a filing date quarantines the transactions."""
    try:
        found = header if header is not None else parse_header(text)
    except normalize.Rejected as error:
        return [], [_unparsed(None, f"SEC header: {error}", text)]
    return document_rows(
        text,
        cik_to_symbol,
        accession_number=found.accession_number,
        filing_date=found.filing_date,
        acceptance_time=found.acceptance_time,
        form_type=found.form_type,
    )
