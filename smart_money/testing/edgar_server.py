"""A local stand-in for SEC EDGAR: the paths and shapes the SEC client uses, from real filings or simulated.

    python -m smart_money.testing.edgar_server --port 8766 --filings ../shared/realdata/form4_xml
    python -m smart_money.testing.edgar_server --port 8766 [--n-symbols 500 --seed 7]

One server answers for both hosts (point ``SEC_WWW_URL`` and ``SEC_DATA_URL`` at it):

- ``/files/company_tickers.json``; ``/submissions/CIK##########.json`` (``filings.recent`` newest first, older
  filings on ``/submissions/CIK##########-submissions-001.json`` pages once past ``recent_limit``);
  ``/api/xbrl/companyfacts/CIK##########.json``;
- ``/Archives/edgar/data/<cik>/<acc-no-dashes>/``: ``index.json``, ``<accession>.txt`` (the complete
  submission with its SGML header), the ownership XML and its ``xslF345X0n/`` HTML rendering; also
  ``/Archives/edgar/data/<cik>/<accession>.txt`` as the daily index names it. A zero-padded CIK answers 301
  to the unpadded path, as EDGAR does;
- ``/Archives/edgar/daily-index/<yyyy>/QTR<q>/form.<yyyymmdd>.idx`` (one line per filer of each filing;
  weekdays only, 404 on weekends);
- ``/files/structureddata/data/insider-transactions-data-sets/<yyyy>q<q>_form345.zip``: the eight TSVs of the
  SEC's Insider Transactions Data Set (columns of ``FORM_345_readme.htm`` as in the SEC's 2024q3 files),
  derived here from the ownership XML the way the SEC derives them. A filing accepted after 17:30 Eastern on
  the last business day of a quarter goes into the next quarter's set, as the SEC's readme says. A quarter is
  published ``dataset_lag_days`` after it closes.

Nothing is served that is not public at the server's ``as_of`` date (filings by filing date).

**From a folder of real filings** (``--filings DIR``, laid out like ``shared/realdata/form4_xml/``: an
``INDEX.csv`` whose ``file`` column names each document, each with a ``metadata.json`` beside it or an SGML
header inside it): the filing date, accession and acceptance time come from the header (``INDEX.csv``'s
``accession`` / ``filing_date`` / ``acceptance_datetime`` only when the document has none); issuer, ticker
and owners from the XML. A document with no filing date anywhere is not served (``skipped`` in
``/_stats``): nothing says when it became public. There are no XBRL facts: company facts answer 404.

**Synthetic** (no ``--filings``): the simulated market of
:func:`smart_money.sources.synthetic.market.simulate_market` (``SMART_MONEY_N_SYMBOLS`` /
``SMART_MONEY_SEED`` defaults): its universe becomes the tickers and submissions (issuer CIK 9000000 + n for
``SYNn``, SIC from :data:`SECTOR_SIC`), each insider's trades filed on one day become one Form 4 (owner CIK
9500000 + 20 n + seat; accession ``<owner cik>-<yy>-<day of year>``), shares outstanding the company facts
(``dei:EntityCommonStockSharesOutstanding``, one per 10-Q/10-K). Documents and data set ZIPs are rendered on
first request, ZIPs kept in memory.

**Checks and faults for tests:** a request without a User-Agent holding an email gets the SEC's 403
"Undeclared Automated Tool" page; ``enforce_rate`` (requests/s over any one second) answers the 403 page
past it; :class:`Fault` rules inject 429 (with ``Retry-After``), 503, the 403 page, a corrupt body or a delay,
every Nth matching request or for a path pattern. ``GET /_stats``: counts by kind and path, request times,
User-Agents seen, skipped documents; ``POST /_reset`` clears the counters.
"""

import argparse
import csv
import io
import json
import re
import socket
import threading
import time
import zipfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse
from xml.etree import ElementTree
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DATASET_LATE_CUTOFF = (17, 30)  # accepted after 17:30 Eastern on a quarter's last business day: next quarter
SYNTHETIC_ISSUER_CIK = 9_000_000
SYNTHETIC_OWNER_CIK = 9_500_000
# A representative SIC code per synthetic sector (the sec source maps SIC codes back to sectors).
SECTOR_SIC = {
    "Communication Services": ("4813", "TELEPHONE COMMUNICATIONS (NO RADIOTELEPHONE)"),
    "Consumer Discretionary": ("3711", "MOTOR VEHICLES & PASSENGER CAR BODIES"),
    "Consumer Staples": ("2080", "BEVERAGES"),
    "Energy": ("1311", "CRUDE PETROLEUM & NATURAL GAS"),
    "Financials": ("6022", "STATE COMMERCIAL BANKS"),
    "Health Care": ("2834", "PHARMACEUTICAL PREPARATIONS"),
    "Industrials": ("3560", "GENERAL INDUSTRIAL MACHINERY & EQUIPMENT"),
    "Information Technology": ("7372", "SERVICES-PREPACKAGED SOFTWARE"),
    "Materials": ("2800", "CHEMICALS & ALLIED PRODUCTS"),
    "Real Estate": ("6798", "REAL ESTATE INVESTMENT TRUSTS"),
    "Utilities": ("4911", "ELECTRIC SERVICES"),
}

# The Insider Transactions Data Set's tables, with the columns of the SEC's files (SUBMISSION and DERIV_TRANS
# exactly as in the 2024q3 files; the others as FORM_345_readme.htm lists them).
DATASET_COLUMNS: dict[str, tuple[str, ...]] = {
    "SUBMISSION": (
        "ACCESSION_NUMBER", "FILING_DATE", "PERIOD_OF_REPORT", "DATE_OF_ORIG_SUB", "NO_SECURITIES_OWNED",
        "NOT_SUBJECT_SEC16", "FORM3_HOLDINGS_REPORTED", "FORM4_TRANS_REPORTED", "DOCUMENT_TYPE", "ISSUERCIK",
        "ISSUERNAME", "ISSUERTRADINGSYMBOL", "REMARKS",
    ),
    "REPORTINGOWNER": (
        "ACCESSION_NUMBER", "RPTOWNERCIK", "RPTOWNERNAME", "RPTOWNER_RELATIONSHIP", "RPTOWNER_TITLE",
        "RPTOWNER_TXT", "RPTOWNER_STREET1", "RPTOWNER_STREET2", "RPTOWNER_CITY", "RPTOWNER_STATE",
        "RPTOWNER_ZIPCODE", "RPTOWNER_STATE_DESC", "FILE_NUMBER",
    ),
    "NONDERIV_TRANS": (
        "ACCESSION_NUMBER", "NONDERIV_TRANS_SK", "SECURITY_TITLE", "SECURITY_TITLE_FN", "TRANS_DATE",
        "TRANS_DATE_FN", "DEEMED_EXECUTION_DATE", "DEEMED_EXECUTION_DATE_FN", "TRANS_FORM_TYPE", "TRANS_CODE",
        "EQUITY_SWAP_INVOLVED", "EQUITY_SWAP_TRANS_CD_FN", "TRANS_TIMELINESS", "TRANS_TIMELINESS_FN",
        "TRANS_SHARES", "TRANS_SHARES_FN", "TRANS_PRICEPERSHARE", "TRANS_PRICEPERSHARE_FN",
        "TRANS_ACQUIRED_DISP_CD", "TRANS_ACQUIRED_DISP_CD_FN", "SHRS_OWND_FOLWNG_TRANS",
        "SHRS_OWND_FOLWNG_TRANS_FN", "VALU_OWND_FOLWNG_TRANS", "VALU_OWND_FOLWNG_TRANS_FN",
        "DIRECT_INDIRECT_OWNERSHIP", "DIRECT_INDIRECT_OWNERSHIP_FN", "NATURE_OF_OWNERSHIP",
        "NATURE_OF_OWNERSHIP_FN",
    ),
    "NONDERIV_HOLDING": (
        "ACCESSION_NUMBER", "NONDERIV_HOLDING_SK", "SECURITY_TITLE", "SECURITY_TITLE_FN", "TRANS_FORM_TYPE",
        "TRANS_FORM_TYPE_FN", "SHRS_OWND_FOLWNG_TRANS", "SHRS_OWND_FOLWNG_TRANS_FN", "VALU_OWND_FOLWNG_TRANS",
        "VALU_OWND_FOLWNG_TRANS_FN", "DIRECT_INDIRECT_OWNERSHIP", "DIRECT_INDIRECT_OWNERSHIP_FN",
        "NATURE_OF_OWNERSHIP", "NATURE_OF_OWNERSHIP_FN",
    ),
    "DERIV_TRANS": (
        "ACCESSION_NUMBER", "DERIV_TRANS_SK", "SECURITY_TITLE", "SECURITY_TITLE_FN", "CONV_EXERCISE_PRICE",
        "CONV_EXERCISE_PRICE_FN", "TRANS_DATE", "TRANS_DATE_FN", "DEEMED_EXECUTION_DATE",
        "DEEMED_EXECUTION_DATE_FN", "TRANS_FORM_TYPE", "TRANS_CODE", "EQUITY_SWAP_INVOLVED",
        "EQUITY_SWAP_TRANS_CD_FN", "TRANS_TIMELINESS", "TRANS_TIMELINESS_FN", "TRANS_SHARES",
        "TRANS_SHARES_FN",
        "TRANS_TOTAL_VALUE", "TRANS_TOTAL_VALUE_FN", "TRANS_PRICEPERSHARE", "TRANS_PRICEPERSHARE_FN",
        "TRANS_ACQUIRED_DISP_CD", "TRANS_ACQUIRED_DISP_CD_FN", "EXCERCISE_DATE", "EXCERCISE_DATE_FN",
        "EXPIRATION_DATE", "EXPIRATION_DATE_FN", "UNDLYNG_SEC_TITLE", "UNDLYNG_SEC_TITLE_FN",
        "UNDLYNG_SEC_SHARES", "UNDLYNG_SEC_SHARES_FN", "UNDLYNG_SEC_VALUE", "UNDLYNG_SEC_VALUE_FN",
        "SHRS_OWND_FOLWNG_TRANS", "SHRS_OWND_FOLWNG_TRANS_FN", "VALU_OWND_FOLWNG_TRANS",
        "VALU_OWND_FOLWNG_TRANS_FN", "DIRECT_INDIRECT_OWNERSHIP", "DIRECT_INDIRECT_OWNERSHIP_FN",
        "NATURE_OF_OWNERSHIP", "NATURE_OF_OWNERSHIP_FN",
    ),
    "DERIV_HOLDING": (
        "ACCESSION_NUMBER", "DERIV_HOLDING_SK", "SECURITY_TITLE", "SECURITY_TITLE_FN", "CONV_EXERCISE_PRICE",
        "CONV_EXERCISE_PRICE_FN", "TRANS_FORM_TYPE", "TRANS_FORM_TYPE_FN", "EXERCISE_DATE",
        "EXERCISE_DATE_FN",
        "EXPIRATION_DATE", "EXPIRATION_DATE_FN", "UNDLYNG_SEC_TITLE", "UNDLYNG_SEC_TITLE_FN",
        "UNDLYNG_SEC_SHARES", "UNDLYNG_SEC_SHARES_FN", "UNDLYNG_SEC_VALUE", "UNDLYNG_SEC_VALUE_FN",
        "SHRS_OWND_FOLWNG_TRANS", "SHRS_OWND_FOLWNG_TRANS_FN", "VALU_OWND_FOLWNG_TRANS",
        "VALU_OWND_FOLWNG_TRANS_FN", "DIRECT_INDIRECT_OWNERSHIP", "DIRECT_INDIRECT_OWNERSHIP_FN",
        "NATURE_OF_OWNERSHIP", "NATURE_OF_OWNERSHIP_FN",
    ),
    "FOOTNOTES": ("ACCESSION_NUMBER", "FOOTNOTE_ID", "FOOTNOTE_TXT"),
    "OWNER_SIGNATURE": ("ACCESSION_NUMBER", "OWNERSIGNATURENAME", "OWNERSIGNATUREDATE"),
}  # fmt: skip

# XML element (path under a transaction or holding) -> data set column (its footnotes go to <column>_FN).
_COMMON_FIELDS = (
    ("securityTitle", "SECURITY_TITLE"),
    ("postTransactionAmounts/sharesOwnedFollowingTransaction", "SHRS_OWND_FOLWNG_TRANS"),
    ("postTransactionAmounts/valueOwnedFollowingTransaction", "VALU_OWND_FOLWNG_TRANS"),
    ("ownershipNature/directOrIndirectOwnership", "DIRECT_INDIRECT_OWNERSHIP"),
    ("ownershipNature/natureOfOwnership", "NATURE_OF_OWNERSHIP"),
)
_TRANSACTION_FIELDS = (
    ("transactionDate", "TRANS_DATE"),
    ("deemedExecutionDate", "DEEMED_EXECUTION_DATE"),
    ("transactionTimeliness", "TRANS_TIMELINESS"),
    ("transactionAmounts/transactionShares", "TRANS_SHARES"),
    ("transactionAmounts/transactionPricePerShare", "TRANS_PRICEPERSHARE"),
    ("transactionAmounts/transactionAcquiredDisposedCode", "TRANS_ACQUIRED_DISP_CD"),
)
_DERIVATIVE_FIELDS = (
    ("conversionOrExercisePrice", "CONV_EXERCISE_PRICE"),
    ("transactionAmounts/transactionTotalValue", "TRANS_TOTAL_VALUE"),
    ("underlyingSecurity/underlyingSecurityTitle", "UNDLYNG_SEC_TITLE"),
    ("underlyingSecurity/underlyingSecurityShares", "UNDLYNG_SEC_SHARES"),
    ("underlyingSecurity/underlyingSecurityValue", "UNDLYNG_SEC_VALUE"),
)
_DATE_COLUMNS = {"TRANS_DATE", "DEEMED_EXECUTION_DATE", "EXCERCISE_DATE", "EXERCISE_DATE", "EXPIRATION_DATE"}
_NUMBER_COLUMNS = {
    "CONV_EXERCISE_PRICE", "TRANS_SHARES", "TRANS_TOTAL_VALUE", "TRANS_PRICEPERSHARE", "UNDLYNG_SEC_SHARES",
    "UNDLYNG_SEC_VALUE", "SHRS_OWND_FOLWNG_TRANS", "VALU_OWND_FOLWNG_TRANS",
}  # fmt: skip

DENIED_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>SEC.gov | Request Rate Threshold Exceeded</title></head>
<body>
<h1>Your Request Originates from an Undeclared Automated Tool</h1>
<p>To keep access fair for everyone, requests from automated tools that do not declare who runs them, or that
go over the published request rate, are limited. Declare your traffic by putting your company or name and an
email address in the User-Agent header, and stay within the published rate.</p>
<p>(smart-money local EDGAR stand-in: {reason})</p>
</body></html>
"""


# ==== filings ==============================================================================================
@dataclass(frozen=True)
class Filing:
    """One ownership filing as the stand-in serves it: header facts, plus loaders for its documents."""

    accession: str  # 0000320193-22-000061
    form: str  # 3, 4, 5, 3/A, 4/A, 5/A
    filing_date: date
    acceptance: datetime | None  # aware, Eastern; None where the source does not say
    issuer_cik: int
    issuer_name: str
    ticker: str
    owners: tuple[tuple[int, str], ...]  # (CIK, name) in document order
    period_of_report: str  # YYYY-MM-DD or ""
    document: str  # the ownership XML's file name in the filing folder
    schema_version: str
    load_xml: Callable[[], bytes] = field(compare=False, repr=False)
    load_text: Callable[[], bytes] | None = field(default=None, compare=False, repr=False)
    sic: str = ""
    sic_description: str = ""
    file_number: str = ""
    film_number: str = ""
    filing_date_source: str = ""

    @property
    def folder(self) -> str:
        return self.accession.replace("-", "")

    @property
    def ciks(self) -> set[int]:
        return {self.issuer_cik, *(cik for cik, _ in self.owners)}

    @property
    def xsl_document(self) -> str:
        """The path EDGAR's submissions JSON gives as ``primaryDocument``: its HTML rendering."""
        version = self.schema_version[1:3] if re.fullmatch(r"X\d{4}", self.schema_version) else "05"
        return f"xslF345X{version}/{self.document}"

    def text(self) -> bytes:
        """The complete submission: the original when the source had one, else built from the facts."""
        return self.load_text() if self.load_text is not None else submission_text(self, self.load_xml())


def submission_text(filing: Filing, xml: bytes) -> bytes:
    """An EDGAR complete submission (``<accession>.txt``): SGML header then the ownership document."""
    day = f"{filing.filing_date:%Y%m%d}"
    lines = [
        f"<SEC-DOCUMENT>{filing.accession}.txt : {day}",
        f"<SEC-HEADER>{filing.accession}.hdr.sgml : {day}",
    ]
    if filing.acceptance is not None:
        lines.append(f"<ACCEPTANCE-DATETIME>{filing.acceptance:%Y%m%d%H%M%S}")
    lines += [
        f"ACCESSION NUMBER:\t\t{filing.accession}",
        f"CONFORMED SUBMISSION TYPE:\t{filing.form}",
        "PUBLIC DOCUMENT COUNT:\t\t1",
    ]
    if filing.period_of_report:
        lines.append(f"CONFORMED PERIOD OF REPORT:\t{filing.period_of_report.replace('-', '')}")
    lines += [f"FILED AS OF DATE:\t\t{day}", f"DATE AS OF CHANGE:\t\t{day}", ""]
    for cik, name in filing.owners:
        lines += [
            "REPORTING-OWNER:\t",
            "",
            "\tOWNER DATA:\t",
            f"\t\tCOMPANY CONFORMED NAME:\t\t\t{name}",
            f"\t\tCENTRAL INDEX KEY:\t\t\t{cik:010d}",
            "",
            "\tFILING VALUES:",
            f"\t\tFORM TYPE:\t\t{filing.form}",
            "\t\tSEC ACT:\t\t1934 Act",
            *([f"\t\tSEC FILE NUMBER:\t{filing.file_number}"] if filing.file_number else []),
            *([f"\t\tFILM NUMBER:\t\t{filing.film_number}"] if filing.film_number else []),
            "",
        ]
    lines += [
        "ISSUER:\t\t",
        "",
        "\tCOMPANY DATA:\t",
        f"\t\tCOMPANY CONFORMED NAME:\t\t\t{filing.issuer_name}",
        f"\t\tCENTRAL INDEX KEY:\t\t\t{filing.issuer_cik:010d}",
    ]
    if filing.sic:
        lines.append(f"\t\tSTANDARD INDUSTRIAL CLASSIFICATION:\t{filing.sic_description} [{filing.sic}]")
    lines += [
        "</SEC-HEADER>",
        "<DOCUMENT>",
        f"<TYPE>{filing.form}",
        "<SEQUENCE>1",
        f"<FILENAME>{filing.document}",
        f"<DESCRIPTION>FORM {filing.form}",
        "<TEXT>",
        "<XML>",
    ]
    head = "\n".join(lines).encode("utf-8")
    return head + b"\n" + xml.strip() + b"\n</XML>\n</TEXT>\n</DOCUMENT>\n</SEC-DOCUMENT>\n"


def last_business_day(year: int, quarter: int) -> date:
    """EDGAR's last business day of a quarter: the last weekday, skipping 31 December when New Year's Day
    falls on a Saturday (the federal holiday is then observed on Friday 31 December)."""
    day = date(year + (quarter == 4), quarter % 4 * 3 + 1, 1) - timedelta(days=1)
    while day.weekday() >= 5 or (day.month == 12 and day.day == 31 and date(year + 1, 1, 1).weekday() == 5):
        day -= timedelta(days=1)
    return day


def dataset_quarter(filing: Filing) -> tuple[int, int]:
    """The quarterly data set a filing appears in: its filing date's quarter, or the next one when accepted
    after 17:30 Eastern on that quarter's last business day (FORM_345_readme.htm)."""
    year, quarter = filing.filing_date.year, (filing.filing_date.month - 1) // 3 + 1
    accepted = filing.acceptance
    if (
        accepted is not None
        and filing.filing_date == last_business_day(year, quarter)
        and accepted.astimezone(EASTERN).date() == filing.filing_date
        and (accepted.astimezone(EASTERN).hour, accepted.astimezone(EASTERN).minute) >= DATASET_LATE_CUTOFF
    ):
        return (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return year, quarter


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    first = date(year, 3 * quarter - 2, 1)
    return first, date(year + (quarter == 4), quarter % 4 * 3 + 1, 1) - timedelta(days=1)


# ==== reading ownership XML into data set rows (the SEC's role) ============================================
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_ownership_xml(xml: bytes) -> ElementTree.Element:
    root = ElementTree.fromstring(xml)
    for element in root.iter():
        element.tag = _local(element.tag)
    if root.tag != "ownershipDocument":
        raise ValueError(f"root element is <{root.tag}>, not <ownershipDocument>")
    return root


def _clean(text: str | None) -> str:
    return re.sub(r"[\t\r\n]+", " ", text or "").strip()


def _text(node: ElementTree.Element | None, path: str) -> str:
    found = node.find(path) if node is not None else None
    if found is None:
        return ""
    value = found.find("value")
    return _clean((value if value is not None else found).text)


def _footnotes(node: ElementTree.Element | None) -> str:
    if node is None:
        return ""
    ids = [f.get("id", "") for f in node.findall("footnoteId")]
    value = node.find("value")
    if value is not None:
        ids += [f.get("id", "") for f in value.findall("footnoteId")]
    return ", ".join(i for i in ids if i)


def sec_date(text: str) -> str:
    """``2022-05-04`` as the data sets write it (``04-MAY-2022``); anything else as given."""
    match = re.match(r"^(\d{4})-(\d{2})-(\d{2})", text or "")
    if not match:
        return text or ""
    year, month, day = (int(g) for g in match.groups())
    try:
        date(year, month, day)
    except ValueError:
        return text
    return f"{day:02d}-{MONTHS[month - 1]}-{year:04d}"


_CENT = Decimal("0.01")


def sec_number(text: str) -> str:
    """A number as the data sets write it: rounded half-up to cents (the readme's ``NUMBER(16,2)``; no value
    in the 2024q3 files has more decimals), at least one decimal (``250000`` -> ``250000.0``, ``216.50`` ->
    ``216.5``, ``289.408`` -> ``289.41``). Anything else as given."""
    try:
        value = Decimal(text.strip())
        if not value.is_finite():
            return text
        value = value.quantize(_CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError, AttributeError):
        return text or ""
    if value == 0:
        value = abs(value)  # -0.004 is written 0.0, not -0.0
    digits = f"{value:f}".rstrip("0")
    return digits + "0" if digits.endswith(".") else digits


def _columns(node: ElementTree.Element, fields: Iterable[tuple[str, str]], row: dict) -> None:
    for path, column in fields:
        found = node.find(path)
        value = _text(node, path)
        if column in _DATE_COLUMNS:
            value = sec_date(value)
        elif column in _NUMBER_COLUMNS:
            value = sec_number(value)
        row[column] = value
        row[f"{column}_FN"] = _footnotes(found)


def dataset_columns(aff10b5one: bool = False) -> dict[str, tuple[str, ...]]:
    """:data:`DATASET_COLUMNS`, with ``SUBMISSION.AFF10B5ONE`` appended when ``aff10b5one`` (the column a
    data set may add for the Rule 10b5-1 box; the 2024q3 files have none)."""
    if not aff10b5one:
        return DATASET_COLUMNS
    return {**DATASET_COLUMNS, "SUBMISSION": (*DATASET_COLUMNS["SUBMISSION"], "AFF10B5ONE")}


def ownership_rows(
    filing: Filing, xml: bytes, next_key: Callable[[], int], *, aff10b5one: bool = False
) -> dict[str, list[dict]]:
    """The data set rows of one filing, read from its ownership XML (one row per transaction, holding, owner,
    footnote and signature, in document order). ``next_key`` hands out the surrogate keys; ``aff10b5one``
    adds ``SUBMISSION.AFF10B5ONE``."""
    root = parse_ownership_xml(xml)
    acc = filing.accession
    out: dict[str, list[dict]] = {table: [] for table in DATASET_COLUMNS}
    submission = {
        "ACCESSION_NUMBER": acc,
        "FILING_DATE": sec_date(filing.filing_date.isoformat()),
        "PERIOD_OF_REPORT": sec_date(_text(root, "periodOfReport")),
        "DATE_OF_ORIG_SUB": sec_date(_text(root, "dateOfOriginalSubmission")),
        "NO_SECURITIES_OWNED": _text(root, "noSecuritiesOwned"),
        "NOT_SUBJECT_SEC16": _text(root, "notSubjectToSection16"),
        "FORM3_HOLDINGS_REPORTED": _text(root, "form3HoldingsReported"),
        "FORM4_TRANS_REPORTED": _text(root, "form4TransactionsReported"),
        "DOCUMENT_TYPE": _text(root, "documentType"),
        "ISSUERCIK": _text(root, "issuer/issuerCik"),
        "ISSUERNAME": _text(root, "issuer/issuerName"),
        "ISSUERTRADINGSYMBOL": _text(root, "issuer/issuerTradingSymbol"),
        "REMARKS": _text(root, "remarks"),
    }
    if aff10b5one:
        submission["AFF10B5ONE"] = _text(root, "aff10b5One")
    out["SUBMISSION"].append(submission)
    for owner in root.findall("reportingOwner"):
        rel = owner.find("reportingOwnerRelationship")
        flags = [
            label
            for tag, label in (
                ("isDirector", "Director"),
                ("isOfficer", "Officer"),
                ("isTenPercentOwner", "TenPercentOwner"),
                ("isOther", "Other"),
            )
            if _text(rel, tag).lower() in ("1", "true")
        ]
        out["REPORTINGOWNER"].append(
            {
                "ACCESSION_NUMBER": acc,
                "RPTOWNERCIK": _text(owner, "reportingOwnerId/rptOwnerCik"),
                "RPTOWNERNAME": _text(owner, "reportingOwnerId/rptOwnerName"),
                "RPTOWNER_RELATIONSHIP": ",".join(flags),
                "RPTOWNER_TITLE": _text(rel, "officerTitle"),
                "RPTOWNER_TXT": _text(rel, "otherText"),
                "RPTOWNER_STREET1": _text(owner, "reportingOwnerAddress/rptOwnerStreet1"),
                "RPTOWNER_STREET2": _text(owner, "reportingOwnerAddress/rptOwnerStreet2"),
                "RPTOWNER_CITY": _text(owner, "reportingOwnerAddress/rptOwnerCity"),
                "RPTOWNER_STATE": _text(owner, "reportingOwnerAddress/rptOwnerState"),
                "RPTOWNER_ZIPCODE": _text(owner, "reportingOwnerAddress/rptOwnerZipCode"),
                "RPTOWNER_STATE_DESC": _text(owner, "reportingOwnerAddress/rptOwnerStateDescription"),
                "FILE_NUMBER": filing.file_number,
            }
        )
    tables = (
        ("nonDerivativeTable/nonDerivativeTransaction", "NONDERIV_TRANS", True, False),
        ("nonDerivativeTable/nonDerivativeHolding", "NONDERIV_HOLDING", False, False),
        ("derivativeTable/derivativeTransaction", "DERIV_TRANS", True, True),
        ("derivativeTable/derivativeHolding", "DERIV_HOLDING", False, True),
    )
    for path, table, is_transaction, is_derivative in tables:
        for node in root.findall(path):
            row = {"ACCESSION_NUMBER": acc, f"{table}_SK": str(next_key())}
            coding = node.find("transactionCoding")
            _columns(node, _COMMON_FIELDS, row)
            if is_transaction:
                _columns(node, _TRANSACTION_FIELDS, row)
                row["TRANS_FORM_TYPE"] = _text(coding, "transactionFormType")
                row["TRANS_CODE"] = _text(coding, "transactionCode")
                row["EQUITY_SWAP_INVOLVED"] = _text(coding, "equitySwapInvolved")
                row["EQUITY_SWAP_TRANS_CD_FN"] = _footnotes(coding)
            else:
                row["TRANS_FORM_TYPE"] = _text(coding, "transactionFormType")
                row["TRANS_FORM_TYPE_FN"] = _footnotes(coding)
            if is_derivative:
                _columns(node, _DERIVATIVE_FIELDS, row)
                exercise = "EXCERCISE_DATE" if is_transaction else "EXERCISE_DATE"  # the SEC's spellings
                _columns(node, (("exerciseDate", exercise), ("expirationDate", "EXPIRATION_DATE")), row)
            out[table].append({c: row.get(c, "") for c in DATASET_COLUMNS[table]})
    for note in root.findall("footnotes/footnote"):
        out["FOOTNOTES"].append(
            {
                "ACCESSION_NUMBER": acc,
                "FOOTNOTE_ID": note.get("id", ""),
                "FOOTNOTE_TXT": _clean("".join(note.itertext())),
            }
        )
    for signature in root.findall("ownerSignature"):
        out["OWNER_SIGNATURE"].append(
            {
                "ACCESSION_NUMBER": acc,
                "OWNERSIGNATURENAME": _text(signature, "signatureName"),
                "OWNERSIGNATUREDATE": sec_date(_text(signature, "signatureDate")),
            }
        )
    return out


def dataset_zip(filings: Iterable[Filing], *, aff10b5one: bool = False) -> bytes:
    """The eight TSVs of an Insider Transactions Data Set for ``filings`` (in accession order), zipped
    (UTF-8, tab-separated, a header row, no quoting); ``aff10b5one`` adds ``SUBMISSION.AFF10B5ONE``."""
    rows: dict[str, list[dict]] = {table: [] for table in DATASET_COLUMNS}
    counter = iter(range(1, 10**12))
    for filing in sorted(filings, key=lambda f: f.accession):
        found = ownership_rows(filing, filing.load_xml(), lambda: next(counter), aff10b5one=aff10b5one)
        for table, table_rows in found.items():
            rows[table].extend(table_rows)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table, columns in dataset_columns(aff10b5one).items():
            lines = ["\t".join(columns)]
            lines += ["\t".join(_clean(row.get(c, "")) for c in columns) for row in rows[table]]
            text = "\n".join(lines) + "\n"
            archive.writestr(f"{table}.tsv", text.encode("utf-8"))
    return buffer.getvalue()


def form_index(day: date, filings: Iterable[Filing]) -> bytes:
    """EDGAR's daily ``form.<yyyymmdd>.idx``: one line per filer (issuer and each reporting owner) of each
    filing, sorted by form type and company name."""
    rows = []
    for f in filings:
        names = [(f.issuer_cik, f.issuer_name), *f.owners]
        for cik, name in dict(names).items():
            rows.append((f.form, name, cik, f.accession))
    rows.sort(key=lambda r: (r[0], r[1].upper(), r[2]))
    head = [
        "Description:           Daily Index of EDGAR Dissemination Feed by Form Type",
        f"Last Data Received:    {day:%B} {day.day}, {day.year}",
        "Comments:              webmaster@sec.gov",
        "Anonymous FTP:         ftp://ftp.sec.gov/edgar/",
        " ",
        " ",
        " ",
        f"{'Form Type':<12}{'Company Name':<62}{'CIK':<12}{'Date Filed':<12}File Name",
        "-" * 141,
    ]
    body = [
        f"{form:<12}{name[:61]:<62}{cik:<12}{day:%Y%m%d}    edgar/data/{cik}/{accession}.txt"
        for form, name, cik, accession in rows
    ]
    return ("\n".join(head + body) + "\n").encode("latin-1", "replace")


def _utc(accepted: datetime | None) -> str:
    return accepted.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z") if accepted else ""


def _columnar(filings: list[Filing]) -> dict[str, list]:
    keys = (
        "accessionNumber", "filingDate", "reportDate", "acceptanceDateTime", "act", "form", "fileNumber",
        "filmNumber", "items", "size", "isXBRL", "isInlineXBRL", "primaryDocument", "primaryDocDescription",
    )  # fmt: skip
    out: dict[str, list] = {k: [] for k in keys}
    for f in filings:
        for key, value in (
            ("accessionNumber", f.accession),
            ("filingDate", f.filing_date.isoformat()),
            ("reportDate", f.period_of_report),
            ("acceptanceDateTime", _utc(f.acceptance)),
            ("act", "34"),
            ("form", f.form),
            ("fileNumber", f.file_number),
            ("filmNumber", f.film_number),
            ("items", ""),
            ("size", len(f.text())),
            ("isXBRL", 0),
            ("isInlineXBRL", 0),
            ("primaryDocument", f.xsl_document),
            ("primaryDocDescription", f"FORM {f.form}"),
        ):
            out[key].append(value)
    return out


# ==== the two worlds =======================================================================================
@dataclass(frozen=True)
class Entity:
    cik: int
    name: str
    ticker: str = ""  # issuers only
    sic: str = ""
    sic_description: str = ""
    is_issuer: bool = True
    shares_outstanding: float | None = None  # synthetic issuers only


class EdgarWorld:
    """What the stand-in serves; subclasses say where filings come from."""

    description = "abstract"

    def entity(self, cik: int) -> Entity | None:
        raise NotImplementedError

    def issuers(self) -> list[Entity]:
        raise NotImplementedError

    def filings_of(self, cik: int) -> list[Filing]:
        raise NotImplementedError

    def filing(self, accession: str) -> Filing | None:
        raise NotImplementedError

    def filings_between(self, first: date, last: date) -> list[Filing]:
        """Filings with ``first <= filing_date <= last``."""
        raise NotImplementedError

    def company_facts(self, cik: int, as_of: date) -> dict | None:
        return None


def _split_sgml_documents(text: str) -> list[tuple[str, str]]:
    """(file name, XML text) of each ``<DOCUMENT>`` holding an ownership XML."""
    out = []
    for block in text.split("<DOCUMENT>")[1:]:
        name = re.search(r"<FILENAME>\s*([^<\s]+)", block)
        xml = re.search(r"<XML>\s*(.*?)\s*</XML>", block, flags=re.S)
        if xml and "ownershipDocument" in xml.group(1):
            out.append((name.group(1) if name else "form4.xml", xml.group(1)))
    return out


def _first(text: str, *patterns: str) -> str:
    for pattern in patterns:
        match = re.search(pattern, text)
        if match:
            return match.group(1).strip()
    return ""


def sgml_header(text: str) -> dict[str, str]:
    """The facts of an EDGAR SGML header, in either spelling (``FILED AS OF DATE:`` lines of a complete
    submission, or ``<FILING-DATE>`` tags)."""
    head = text.split("<DOCUMENT>", 1)[0]
    issuer = re.split(r"\nISSUER:|<ISSUER>", head, maxsplit=1)
    issuer_part = issuer[1] if len(issuer) > 1 else ""
    sic = re.search(r"STANDARD INDUSTRIAL CLASSIFICATION:\s*(.*?)\s*\[(\d{4})\]", issuer_part)
    return {
        "accession": _first(head, r"ACCESSION NUMBER:\s*([\d-]+)", r"<ACCESSION-NUMBER>\s*([\d-]+)"),
        "form": _first(head, r"CONFORMED SUBMISSION TYPE:\s*(\S+)", r"<TYPE>\s*([^<\s]+)"),
        "filing_date": _first(head, r"FILED AS OF DATE:\s*(\d{8})", r"<FILING-DATE>\s*(\d{8})"),
        "acceptance": _first(head, r"<ACCEPTANCE-DATETIME>\s*(\d{14})"),
        "period": _first(head, r"CONFORMED PERIOD OF REPORT:\s*(\d{8})", r"<PERIOD>\s*(\d{8})"),
        "sic": sic.group(2) if sic else _first(issuer_part, r"<ASSIGNED-SIC>\s*(\d+)"),
        "sic_description": sic.group(1) if sic else "",
        "file_number": _first(head, r"SEC FILE NUMBER:\s*(\S+)", r"<FILE-NUMBER>\s*([^<\s]+)"),
        "film_number": _first(head, r"FILM NUMBER:\s*(\S+)", r"<FILM-NUMBER>\s*([^<\s]+)"),
    }


def _find_key(value, key: str) -> str:
    """The first value of ``key`` anywhere in nested JSON (header JSON nests owner and issuer blocks in more
    than one way)."""
    if isinstance(value, dict):
        if isinstance(value.get(key), str):
            return value[key]
        children = list(value.values())
    elif isinstance(value, list):
        children = value
    else:
        return ""
    for child in children:
        found = _find_key(child, key)
        if found:
            return found
    return ""


def _metadata_header(path: Path) -> dict[str, str]:
    """The same facts from a ``metadata.json`` (the SEC header as JSON, beside the document)."""
    meta = json.loads(path.read_text(encoding="utf-8"))
    sub = meta.get("submission", meta)
    return {
        "accession": str(sub.get("ACCESSION-NUMBER", "")),
        "form": str(sub.get("TYPE", "")),
        "filing_date": str(sub.get("FILING-DATE", "")),
        "acceptance": str(sub.get("ACCEPTANCE-DATETIME", "")),
        "period": str(sub.get("PERIOD", "")),
        "sic": _find_key(sub.get("ISSUER"), "ASSIGNED-SIC"),
        "sic_description": "",
        "file_number": _find_key(sub.get("REPORTING-OWNER"), "FILE-NUMBER"),
        "film_number": _find_key(sub.get("REPORTING-OWNER"), "FILM-NUMBER"),
    }


def _yyyymmdd(text: str) -> date | None:
    text = (text or "").strip().replace("-", "")
    try:
        return datetime.strptime(text[:8], "%Y%m%d").date() if len(text) >= 8 else None
    except ValueError:
        return None


def _eastern(text: str) -> datetime | None:
    digits = re.sub(r"\D", "", text or "")
    if len(digits) < 14:
        return None
    try:
        return datetime.strptime(digits[:14], "%Y%m%d%H%M%S").replace(tzinfo=EASTERN)
    except ValueError:
        return None


def ownership_filing(
    xml: bytes,
    *,
    accession: str,
    filing_date: date,
    acceptance: datetime | None = None,
    document: str = "form4.xml",
    header: Mapping[str, str] | None = None,
) -> Filing:
    """A filing as the stand-in serves it, from its ownership XML and what EDGAR's header says of it: the
    accession, the filing date, the acceptance time and (``header``, as :func:`sgml_header` gives it) form,
    SIC, file and film numbers. Issuer, ticker and owners come from the XML. Raises ValueError when the XML
    is not an ownership document or names no issuer CIK."""
    try:
        root = parse_ownership_xml(xml)
    except (ElementTree.ParseError, ValueError) as exc:
        raise ValueError(f"ownership XML does not parse: {exc}") from None
    return _filing_of(
        root,
        xml.strip(),
        accession=accession,
        filing_date=filing_date,
        acceptance=acceptance,
        document=document,
        header=header or {},
    )


def _filing_of(
    root: ElementTree.Element,
    xml: bytes,
    *,
    accession: str,
    filing_date: date,
    acceptance: datetime | None,
    document: str,
    header: Mapping[str, str],
    full_text: bytes | None = None,
    filing_date_source: str = "",
) -> Filing:
    issuer_cik = _text(root, "issuer/issuerCik")
    if not issuer_cik.isdigit() or int(issuer_cik) == 0:
        raise ValueError(f"issuerCik {issuer_cik!r} is not a CIK")
    owners = []
    for owner in root.findall("reportingOwner"):
        cik = _text(owner, "reportingOwnerId/rptOwnerCik")
        if cik.isdigit():
            owners.append((int(cik), _text(owner, "reportingOwnerId/rptOwnerName")))
    return Filing(
        accession=accession,
        form=_text(root, "documentType") or header.get("form", ""),
        filing_date=filing_date,
        acceptance=acceptance,
        issuer_cik=int(issuer_cik),
        issuer_name=_text(root, "issuer/issuerName"),
        ticker=_text(root, "issuer/issuerTradingSymbol").upper(),
        owners=tuple(owners),
        period_of_report=_text(root, "periodOfReport")[:10],
        document=document,
        schema_version=_text(root, "schemaVersion"),
        load_xml=lambda: xml,
        load_text=(lambda: full_text) if full_text is not None else None,
        sic=header.get("sic", ""),
        sic_description=header.get("sic_description", ""),
        file_number=header.get("file_number", ""),
        film_number=header.get("film_number", ""),
        filing_date_source=filing_date_source,
    )


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class FilingsWorld(EdgarWorld):
    """Real filings from a folder laid out like ``shared/realdata/form4_xml/``."""

    description = "REAL filings"

    def __init__(self, folder: Path | str, tickers: Path | str | None = None):
        self.folder = Path(folder)
        index = self.folder / "INDEX.csv"
        if not index.is_file():
            raise FileNotFoundError(
                f"{index} not found: --filings needs a folder with an INDEX.csv whose 'file' column names "
                "each "
                "document (like shared/realdata/form4_xml/)"
            )
        self.skipped: list[dict] = []
        self.problems: list[dict] = []
        self._by_accession: dict[str, Filing] = {}
        with open(index, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if "file" not in (reader.fieldnames or []):
                raise ValueError(f"{index} has no 'file' column (columns: {reader.fieldnames})")
            for row in reader:
                self._load(row)
        self._by_cik: dict[int, list[Filing]] = defaultdict(list)
        for f in self._by_accession.values():
            for cik in f.ciks:
                self._by_cik[cik].append(f)
        for filings in self._by_cik.values():
            filings.sort(key=lambda f: (f.filing_date, f.accession), reverse=True)
        self._entities = self._derive_entities()
        if tickers is not None:
            self._add_tickers(Path(tickers))

    def _add_tickers(self, path: Path) -> None:
        """Companies of a real ``company_tickers.json`` (e.g. the SEC's own, or part of it) listed beside the
        filings' issuers: they have a ticker and a name, and no filings here."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = list(data.values())
        except (OSError, ValueError, AttributeError) as exc:
            raise ValueError(f"--tickers {path}: not a company_tickers.json object ({exc})") from None
        added = 0
        for entry in entries:
            try:
                cik, ticker, name = int(entry["cik_str"]), str(entry["ticker"]).upper(), str(entry["title"])
            except (KeyError, TypeError, ValueError):
                raise ValueError(
                    f"--tickers {path}: an entry lacks cik_str / ticker / title: {entry!r}"
                ) from None
            known = self._entities.get(cik)
            if known is None or not known.is_issuer:
                self._entities[cik] = Entity(cik, name, ticker)
                added += 1
            elif not known.ticker:
                self._entities[cik] = Entity(cik, known.name, ticker, known.sic, known.sic_description)
        self.description = f"{self.description} + {added} companies from {path.name}"

    def _skip(self, file: str, reason: str) -> None:
        self.skipped.append({"file": file, "reason": reason})

    def _load(self, row: dict) -> None:
        name = (row.get("file") or "").strip()
        path = self.folder / name
        if not name or not path.is_file():
            return self._skip(name, "file named in INDEX.csv not found")
        raw = path.read_bytes()
        text = _decode(raw)
        meta = path.parent / "metadata.json"
        full_text = None
        if meta.is_file():
            header, xml, document, source = _metadata_header(meta), text, path.name, "metadata.json"
        elif "<SEC-HEADER>" in text or "<SUBMISSION>" in text or "<SEC-DOCUMENT>" in text:
            documents = _split_sgml_documents(text)
            if not documents:
                return self._skip(name, "SGML submission without an ownership XML document")
            document, xml = documents[0]
            header, source = sgml_header(text), "SGML header"
            if "FILED AS OF DATE:" in text:
                full_text = raw  # an EDGAR complete submission: served as it is
        else:
            header, xml, document, source = {}, text, path.name, ""
        try:
            root = parse_ownership_xml(xml.encode("utf-8"))
        except (ElementTree.ParseError, ValueError) as exc:
            return self._skip(name, f"ownership XML does not parse: {exc}")
        accession = header.get("accession") or (row.get("accession") or "").strip()
        filing_date = _yyyymmdd(header.get("filing_date", ""))
        if filing_date is None and _yyyymmdd(row.get("filing_date", "")):
            filing_date, source = _yyyymmdd(row.get("filing_date", "")), "INDEX.csv"
        elif filing_date is not None and _yyyymmdd(row.get("filing_date", "")) not in (None, filing_date):
            self.problems.append(
                {"file": name, "problem": f"INDEX.csv filing_date {row.get('filing_date')} differs from the "
                 f"header's {filing_date}; the header wins"}
            )  # fmt: skip
        if filing_date is None:
            return self._skip(name, "no filing date in the document, its header or INDEX.csv: nothing says "
                              "when it became public")  # fmt: skip
        if not re.fullmatch(r"\d{10}-\d{2}-\d{6}", accession):
            return self._skip(name, f"no accession number (got {accession!r})")
        if accession in self._by_accession:
            return self._skip(name, f"duplicate accession {accession}")
        acceptance = _eastern(header.get("acceptance", "")) or _eastern(row.get("acceptance_datetime", ""))
        try:
            self._by_accession[accession] = _filing_of(
                root,
                xml.strip().encode("utf-8"),
                accession=accession,
                filing_date=filing_date,
                acceptance=acceptance,
                document=document,
                header=header,
                full_text=full_text,
                filing_date_source=source,
            )
        except ValueError as exc:
            return self._skip(name, str(exc))

    def _derive_entities(self) -> dict[int, Entity]:
        entities: dict[int, Entity] = {}
        for cik, filings in self._by_cik.items():
            as_issuer = [f for f in filings if f.issuer_cik == cik]  # newest first
            if as_issuer:
                newest = as_issuer[0]
                ticker = next((f.ticker for f in as_issuer if f.ticker not in ("", "NONE", "N/A", "NA")), "")
                with_sic = next((f for f in as_issuer if f.sic), None)
                entities[cik] = Entity(
                    cik,
                    newest.issuer_name,
                    ticker,
                    with_sic.sic if with_sic else "",
                    with_sic.sic_description if with_sic else "",
                )
            else:
                name = next(n for f in filings for c, n in f.owners if c == cik)
                entities[cik] = Entity(cik, name, is_issuer=False)
        return entities

    def entity(self, cik: int) -> Entity | None:
        return self._entities.get(cik)

    def issuers(self) -> list[Entity]:
        return sorted((e for e in self._entities.values() if e.is_issuer), key=lambda e: e.cik)

    def filings_of(self, cik: int) -> list[Filing]:
        return list(self._by_cik.get(cik, []))

    def filing(self, accession: str) -> Filing | None:
        return self._by_accession.get(accession)

    def filings_between(self, first: date, last: date) -> list[Filing]:
        return [f for f in self._by_accession.values() if first <= f.filing_date <= last]


_GIFT_NOTE = "Bona fide gift; no consideration was received."
_AWARD_NOTE = "Shares granted under the company's equity incentive plan; no price was paid."


class SyntheticWorld(EdgarWorld):
    """The simulated market as EDGAR would publish it (module docstring: CIKs, accessions, facts)."""

    description = "SYNTHETIC market"

    def __init__(self, config=None):
        from smart_money.sources.synthetic.market import MarketConfig, simulate_market

        self.config = config or MarketConfig()
        world = simulate_market(self.config)
        self.width = max(3, len(str(self.config.n_symbols)))
        uni = world.universe
        self._entities: dict[int, Entity] = {}
        self._symbol_cik: dict[str, int] = {}
        for row in uni.itertuples(index=False):
            cik = SYNTHETIC_ISSUER_CIK + int(row.symbol[3:])
            sic, description = SECTOR_SIC.get(row.sector, ("9999", "NONCLASSIFIABLE ESTABLISHMENTS"))
            self._entities[cik] = Entity(
                cik, row.name, row.symbol, sic, description, shares_outstanding=float(row.shares_outstanding)
            )
            self._symbol_cik[row.symbol] = cik
        trades = world.insider_trades
        self._cols = {c: trades[c].to_numpy() for c in trades.columns}
        self._known = trades["known_at"].dt.date.to_numpy()
        self._tx_dates = trades["transaction_date"].dt.strftime("%Y-%m-%d").to_numpy()
        groups = trades.groupby([trades["insider_id"], trades["known_at"].dt.date], sort=True).indices
        self._groups: dict[tuple[str, date], object] = dict(groups)
        self._by_day: dict[date, list[tuple[str, date]]] = defaultdict(list)
        self._by_cik: dict[int, list[tuple[str, date]]] = defaultdict(list)
        for key in self._groups:
            insider_id, day = key
            self._by_day[day].append(key)
            symbol = insider_id.split("-I", 1)[0]
            self._by_cik[self._symbol_cik[symbol]].append(key)
            owner_cik = self._owner_cik(insider_id)
            self._by_cik[owner_cik].append(key)
            if owner_cik not in self._entities:
                first = self._groups[key][0]
                self._entities[owner_cik] = Entity(
                    owner_cik, str(self._cols["insider_name"][first]), is_issuer=False
                )
        self._filings: dict[tuple[str, date], Filing] = {}
        self._lock = threading.Lock()

    # ---- identities ---------------------------------------------------------------------------------------
    def _owner_cik(self, insider_id: str) -> int:
        symbol, seat = insider_id.split("-I", 1)
        return SYNTHETIC_OWNER_CIK + 20 * int(symbol[3:]) + int(seat) - 1

    def _insider_id(self, owner_cik: int) -> str | None:
        number, seat = divmod(owner_cik - SYNTHETIC_OWNER_CIK, 20)
        if owner_cik < SYNTHETIC_OWNER_CIK or number < 1:
            return None
        return f"SYN{number:0{self.width}d}-I{seat + 1:02d}"

    @staticmethod
    def _accession(owner_cik: int, day: date) -> str:
        return f"{owner_cik:010d}-{day.year % 100:02d}-{day.timetuple().tm_yday:06d}"

    # ---- filings ------------------------------------------------------------------------------------------
    def _filing(self, key: tuple[str, date]) -> Filing:
        with self._lock:
            cached = self._filings.get(key)
        if cached is not None:
            return cached
        insider_id, day = key
        rows = self._groups[key]
        c = self._cols
        symbol = str(c["symbol"][rows[0]])
        issuer = self._entities[self._symbol_cik[symbol]]
        owner_cik = self._owner_cik(insider_id)
        accession = self._accession(owner_cik, day)
        crc = zlib.crc32(accession.encode())
        minutes = 6 * 60 + crc % (16 * 60)  # accepted 06:00-21:59 Eastern, deterministic per filing
        acceptance = datetime(
            day.year, day.month, day.day, minutes // 60, minutes % 60, (crc >> 10) % 60, tzinfo=EASTERN
        )
        schema = "X0508" if day >= date(2023, 4, 1) else "X0306"
        filing = Filing(
            accession=accession,
            form="4",
            filing_date=day,
            acceptance=acceptance,
            issuer_cik=issuer.cik,
            issuer_name=issuer.name,
            ticker=symbol,
            owners=((owner_cik, str(c["insider_name"][rows[0]])),),
            period_of_report=min(self._tx_dates[rows]),
            document="form4.xml",
            schema_version=schema,
            load_xml=partial(self._render_xml, key, schema),
            sic=issuer.sic,
            sic_description=issuer.sic_description,
            filing_date_source="synthetic",
        )
        with self._lock:
            self._filings[key] = filing
        return filing

    def _render_xml(self, key: tuple[str, date], schema: str) -> bytes:
        insider_id, day = key
        rows = self._groups[key]
        c = self._cols
        first = rows[0]
        symbol = str(c["symbol"][first])
        issuer = self._entities[self._symbol_cik[symbol]]
        seat = int(insider_id.split("-I", 1)[1]) - 1
        role = str(c["insider_role"][first])
        title = ""
        if role == "officer":
            title = (
                ("Chief Executive Officer", "Chief Financial Officer")[seat]
                if seat <= 1
                else "Chief Operating Officer"
                if bool(c["is_c_suite"][first])
                else "Vice President, Operations"
            )
        relationship = [
            f"<isDirector>{int(role == 'director')}</isDirector>",
            f"<isOfficer>{int(role == 'officer')}</isOfficer>",
            f"<isTenPercentOwner>{int(role == 'ten_percent_owner')}</isTenPercentOwner>",
            f"<isOther>{int(role == 'other')}</isOther>",
        ]
        if title:
            relationship.append(f"<officerTitle>{escape(title)}</officerTitle>")
        if role == "other":
            relationship.append("<otherText>Trustee</otherText>")
        notes: dict[str, str] = {}
        transactions = []
        for i in rows:
            code = str(c["transaction_code"][i])
            price_note = ""
            if code == "G":
                notes.setdefault("F1", _GIFT_NOTE)
                price_note = '<footnoteId id="F1"/>'
            elif code == "A":
                notes.setdefault("F2", _AWARD_NOTE)
                price_note = '<footnoteId id="F2"/>'
            transactions.append(
                "<nonDerivativeTransaction>"
                "<securityTitle><value>Common Stock</value></securityTitle>"
                f"<transactionDate><value>{self._tx_dates[i]}</value></transactionDate>"
                f"<transactionCoding><transactionFormType>4</transactionFormType><transactionCode>{code}"
                "</transactionCode><equitySwapInvolved>0</equitySwapInvolved></transactionCoding>"
                f"<transactionAmounts><transactionShares><value>{_xml_number(c['shares'][i])}</value>"
                f"</transactionShares><transactionPricePerShare><value>{_xml_number(c['price'][i])}</value>"
                f"{price_note}</transactionPricePerShare><transactionAcquiredDisposedCode><value>"
                f"{c['acquired_disposed'][i]}</value></transactionAcquiredDisposedCode></transactionAmounts>"
                "<postTransactionAmounts><sharesOwnedFollowingTransaction><value>"
                f"{_xml_number(c['shares_owned_after'][i])}</value></sharesOwnedFollowingTransaction>"
                "</postTransactionAmounts><ownershipNature><directOrIndirectOwnership><value>D</value>"
                "</directOrIndirectOwnership></ownershipNature></nonDerivativeTransaction>"
            )
        footnotes = "".join(f'<footnote id="{k}">{escape(v)}</footnote>' for k, v in sorted(notes.items()))
        name = escape(str(c["insider_name"][first]))
        doc = (
            '<?xml version="1.0"?>\n<ownershipDocument>'
            f"<schemaVersion>{schema}</schemaVersion><documentType>4</documentType>"
            f"<periodOfReport>{min(self._tx_dates[rows])}</periodOfReport>"
            "<notSubjectToSection16>0</notSubjectToSection16>"
            f"<issuer><issuerCik>{issuer.cik:010d}</issuerCik><issuerName>{escape(issuer.name)}</issuerName>"
            f"<issuerTradingSymbol>{symbol}</issuerTradingSymbol></issuer>"
            f"<reportingOwner><reportingOwnerId><rptOwnerCik>{self._owner_cik(insider_id):010d}</rptOwnerCik>"
            f"<rptOwnerName>{name}</rptOwnerName></reportingOwnerId>"
            "<reportingOwnerAddress><rptOwnerStreet1>1 Synthetic Way</rptOwnerStreet1><rptOwnerStreet2/>"
            "<rptOwnerCity>Nowhere</rptOwnerCity><rptOwnerState>ZZ</rptOwnerState>"
            "<rptOwnerZipCode>00000</rptOwnerZipCode><rptOwnerStateDescription/></reportingOwnerAddress>"
            f"<reportingOwnerRelationship>{''.join(relationship)}</reportingOwnerRelationship></reportingOwner>"
            f"<nonDerivativeTable>{''.join(transactions)}</nonDerivativeTable>"
            + (f"<footnotes>{footnotes}</footnotes>" if footnotes else "")
            + "<remarks>Synthetic filing served by the smart-money EDGAR stand-in; not an SEC record."
            "</remarks>"
            f"<ownerSignature><signatureName>/s/ {name}</signatureName>"
            f"<signatureDate>{day.isoformat()}</signatureDate></ownerSignature></ownershipDocument>\n"
        )
        return doc.encode("utf-8")

    # ---- the EdgarWorld interface -------------------------------------------------------------------------
    def entity(self, cik: int) -> Entity | None:
        return self._entities.get(cik)

    def issuers(self) -> list[Entity]:
        return sorted((e for e in self._entities.values() if e.is_issuer), key=lambda e: e.cik)

    def filings_of(self, cik: int) -> list[Filing]:
        filings = [self._filing(key) for key in self._by_cik.get(cik, [])]
        return sorted(filings, key=lambda f: (f.filing_date, f.accession), reverse=True)

    def filing(self, accession: str) -> Filing | None:
        match = re.fullmatch(r"(\d{10})-(\d{2})-(\d{6})", accession)
        if not match:
            return None
        insider_id = self._insider_id(int(match.group(1)))
        try:
            day = date(2000 + int(match.group(2)), 1, 1) + timedelta(days=int(match.group(3)) - 1)
        except (ValueError, OverflowError):
            return None
        key = (insider_id, day)
        return self._filing(key) if key in self._groups else None

    def filings_between(self, first: date, last: date) -> list[Filing]:
        out = []
        day = first
        while day <= last:
            out.extend(self._filing(key) for key in self._by_day.get(day, []))
            day += timedelta(days=1)
        return out

    def company_facts(self, cik: int, as_of: date) -> dict | None:
        """``dei:EntityCommonStockSharesOutstanding`` as reported on each 10-Q / 10-K cover, known from its
        ``filed`` date (10-Q 40 days after the quarter, 10-K 60 days)."""
        entity = self._entities.get(cik)
        if entity is None or not entity.is_issuer:
            return None
        start = self.config.start  # from two quarters back, so the first months have a known value
        index = start.year * 4 + (start.month - 1) // 3 - 2
        year, quarter = index // 4, index % 4 + 1
        facts = []
        while True:
            quarter_end = quarter_bounds(year, quarter)[1]
            annual = quarter == 4
            filed = quarter_end + timedelta(days=60 if annual else 40)
            if filed > as_of:
                break
            seq = 900_000 + (year % 100) * 4 + quarter
            facts.append(
                {
                    "end": (filed - timedelta(days=7)).isoformat(),
                    "val": int(entity.shares_outstanding or 0),
                    "accn": f"{cik:010d}-{filed.year % 100:02d}-{seq:06d}",
                    "fy": year,
                    "fp": "FY" if annual else f"Q{quarter}",
                    "form": "10-K" if annual else "10-Q",
                    "filed": filed.isoformat(),
                }
            )
            year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
        return {
            "cik": cik,
            "entityName": entity.name,
            "facts": {
                "dei": {
                    "EntityCommonStockSharesOutstanding": {
                        "label": "Entity Common Stock, Shares Outstanding",
                        "description": "Number of shares of common stock outstanding, as on the cover page.",
                        "units": {"shares": facts},
                    }
                }
            },
        }


def _xml_number(value) -> str:
    number = float(value)
    if number.is_integer():
        return str(int(number))
    return f"{number:.4f}".rstrip("0").rstrip(".")


# ==== faults ===============================================================================================
FAULT_KINDS = ("429", "503", "403", "corrupt", "delay")


@dataclass
class Fault:
    """Inject ``kind`` into every ``every``-th request whose path matches ``path`` (a regular expression,
    searched), at most ``times`` times. ``429`` carries ``Retry-After: retry_after``; ``403`` is the SEC's
    undeclared-tool page; ``corrupt`` serves the real answer cut to half its length; ``delay`` waits
    ``delay_s`` before answering normally."""

    kind: str
    every: int = 1
    path: str | None = None
    times: int | None = None
    retry_after: str | None = "1"
    delay_s: float = 0.0
    seen: int = 0
    injected: int = 0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind {self.kind!r}: use one of {', '.join(FAULT_KINDS)}")
        if self.every < 1:
            raise ValueError(f"fault every={self.every}: use 1 (each matching request) or more")

    def fires(self, path: str) -> bool:
        if self.path is not None and not re.search(self.path, path):
            return False
        if self.times is not None and self.injected >= self.times:
            return False
        self.seen += 1
        if self.seen % self.every:
            return False
        self.injected += 1
        return True

    @classmethod
    def parse(cls, spec: str) -> "Fault":
        """``KIND[:every=N][:path=REGEX][:times=K][:retry_after=S][:delay=S]``, e.g. ``429:every=5``."""
        kind, *options = spec.split(":")
        kwargs: dict = {}
        for option in options:
            name, _, value = option.partition("=")
            if name == "every":
                kwargs["every"] = int(value)
            elif name == "times":
                kwargs["times"] = int(value)
            elif name == "path":
                kwargs["path"] = value
            elif name == "retry_after":
                kwargs["retry_after"] = value
            elif name == "delay":
                kwargs["delay_s"] = float(value)
            else:
                raise ValueError(
                    f"fault option {name!r} in {spec!r}: use every, times, path, retry_after, delay"
                )
        return cls(kind, **kwargs)


# ==== the server ===========================================================================================
class EdgarServerState:
    """What the handler serves and counts (shared by its threads)."""

    def __init__(
        self,
        world: EdgarWorld,
        as_of: date,
        recent_limit: int = 1000,
        page_size: int = 2000,
        dataset_lag_days: int = 10,
        faults: Iterable[Fault] = (),
        enforce_rate: float | None = None,
    ):
        if recent_limit < 1 or page_size < 1:
            raise ValueError("recent_limit and page_size must be at least 1")
        self.world = world
        self.as_of = as_of
        self.recent_limit = recent_limit
        self.page_size = page_size
        self.dataset_lag_days = dataset_lag_days
        self.faults: list[Fault] = list(faults)
        self.enforce_rate = enforce_rate
        self.lock = threading.Lock()
        self._zips: dict[tuple[int, int], bytes] = {}
        self._zip_lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.total = 0
            self.counts: Counter = Counter()
            self.paths: Counter = Counter()
            self.statuses: Counter = Counter()
            self.times: list[float] = []
            self.user_agents: Counter = Counter()
            self.bytes_sent = 0
            self.zip_build_s = 0.0

    def stats(self) -> dict:
        with self.lock:
            return {
                "world": self.world.description,
                "as_of": self.as_of.isoformat(),
                "total": self.total,
                "counts": dict(self.counts),
                "paths": dict(self.paths),
                "statuses": {str(k): v for k, v in self.statuses.items()},
                "times": list(self.times),
                "user_agents": dict(self.user_agents),
                "bytes_sent": self.bytes_sent,
                "zip_build_s": round(self.zip_build_s, 3),
                "skipped": list(getattr(self.world, "skipped", [])),
                "problems": list(getattr(self.world, "problems", [])),
            }

    # ---- what is public at as_of --------------------------------------------------------------------------
    def public(self, filings: Iterable[Filing]) -> list[Filing]:
        return [f for f in filings if f.filing_date <= self.as_of]

    def published(self, year: int, quarter: int) -> bool:
        closes = quarter_bounds(year, quarter)[1] + timedelta(days=1)
        return self.as_of >= closes + timedelta(days=self.dataset_lag_days)

    def dataset(self, year: int, quarter: int) -> bytes | None:
        if not self.published(year, quarter):
            return None
        with self._zip_lock:
            if (year, quarter) not in self._zips:
                began = time.perf_counter()
                first, last = quarter_bounds(year, quarter)
                candidates = self.world.filings_between(first - timedelta(days=7), last)
                members = [f for f in self.public(candidates) if dataset_quarter(f) == (year, quarter)]
                self._zips[(year, quarter)] = dataset_zip(members)
                with self.lock:
                    self.zip_build_s += time.perf_counter() - began
            return self._zips[(year, quarter)]

    def submissions(self, cik: int) -> tuple[dict, list[list[Filing]]] | None:
        entity = self.world.entity(cik)
        every = self.world.filings_of(cik) if entity else []
        filings = self.public(every)
        # an entity is known once one of its filings is public; a company listed from --tickers has none here
        if entity is None or (every and not filings):
            return None
        recent, older = filings[: self.recent_limit], filings[self.recent_limit :]
        pages = [older[i : i + self.page_size] for i in range(0, len(older), self.page_size)]
        files = [
            {
                "name": f"CIK{cik:010d}-submissions-{n:03d}.json",
                "filingCount": len(page),
                "filingFrom": page[-1].filing_date.isoformat(),
                "filingTo": page[0].filing_date.isoformat(),
            }
            for n, page in enumerate(pages, start=1)
        ]
        body = {
            "cik": str(cik),
            "entityType": "operating" if entity.is_issuer else "other",
            "sic": entity.sic,
            "sicDescription": entity.sic_description,
            "insiderTransactionForOwnerExists": int(not entity.is_issuer),
            "insiderTransactionForIssuerExists": int(entity.is_issuer),
            "name": entity.name,
            "tickers": [entity.ticker] if entity.ticker else [],
            "exchanges": [None] if entity.ticker else [],
            "description": f"served by the smart-money EDGAR stand-in ({self.world.description})",
            "fiscalYearEnd": "1231" if entity.is_issuer else None,
            "formerNames": [],
            "filings": {"recent": _columnar(recent), "files": files},
        }
        return body, pages


def _json_bytes(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


_SUBMISSIONS = re.compile(r"^/submissions/CIK(\d{10})\.json$")
_SUBMISSIONS_PAGE = re.compile(r"^/submissions/CIK(\d{10})-submissions-(\d{3})\.json$")
_FACTS = re.compile(r"^/api/xbrl/companyfacts/CIK(\d{10})\.json$")
_ARCHIVE = re.compile(r"^/Archives/edgar/data/(\d{1,10})/(\d{18})/(.+)$")
_ARCHIVE_TEXT = re.compile(r"^/Archives/edgar/data/(\d{1,10})/(\d{10}-\d{2}-\d{6})\.txt$")
_DAILY = re.compile(r"^/Archives/edgar/daily-index/(\d{4})/QTR([1-4])/form\.(\d{8})\.idx$")
_DATASET = re.compile(
    r"^/files/structureddata/data/insider-transactions-data-sets/(\d{4})q([1-4])_form345\.zip$"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def _kind(path: str) -> str:
    if path == "/files/company_tickers.json":
        return "tickers"
    if path.startswith("/submissions/"):
        return "submissions"
    if path.startswith("/api/xbrl/companyfacts/"):
        return "companyfacts"
    if path.startswith("/Archives/edgar/daily-index/"):
        return "daily_index"
    if path.startswith("/Archives/"):
        return "archives"
    if path.startswith("/files/structureddata/"):
        return "dataset"
    return "other"


Answer = tuple[int, bytes, str, dict]
NOT_FOUND: Answer = (404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html", {})


def route(state: EdgarServerState, path: str) -> Answer:
    """The answer to ``GET path`` (status, body, content type, extra headers)."""
    world = state.world
    if path == "/files/company_tickers.json":
        # an issuer is listed once one of its filings is public; a company listed from --tickers has none here
        issuers = [
            e
            for e in world.issuers()
            if e.ticker and (state.public(world.filings_of(e.cik)) or not world.filings_of(e.cik))
        ]
        body = {
            str(i): {"cik_str": e.cik, "ticker": e.ticker, "title": e.name} for i, e in enumerate(issuers)
        }
        return 200, _json_bytes(body), "application/json", {}
    if match := _SUBMISSIONS.match(path):
        found = state.submissions(int(match.group(1)))
        return (200, _json_bytes(found[0]), "application/json", {}) if found else NOT_FOUND
    if match := _SUBMISSIONS_PAGE.match(path):
        found = state.submissions(int(match.group(1)))
        n = int(match.group(2))
        if not found or not 1 <= n <= len(found[1]):
            return NOT_FOUND
        return 200, _json_bytes(_columnar(found[1][n - 1])), "application/json", {}
    if match := _FACTS.match(path):
        facts = world.company_facts(int(match.group(1)), state.as_of)
        return (200, _json_bytes(facts), "application/json", {}) if facts else NOT_FOUND
    if match := _DAILY.match(path):
        try:
            day = datetime.strptime(match.group(3), "%Y%m%d").date()
        except ValueError:
            return NOT_FOUND
        if int(match.group(1)) != day.year or int(match.group(2)) != (day.month - 1) // 3 + 1:
            return NOT_FOUND
        if day.weekday() >= 5 or day >= state.as_of:  # today's index is published tonight
            return NOT_FOUND
        return 200, form_index(day, state.public(world.filings_between(day, day))), "text/plain", {}
    if match := _DATASET.match(path):
        data = state.dataset(int(match.group(1)), int(match.group(2)))
        return (200, data, "application/zip", {}) if data is not None else NOT_FOUND
    if match := (_ARCHIVE.match(path) or _ARCHIVE_TEXT.match(path)):
        cik_text = match.group(1)
        if cik_text.startswith("0"):
            return (
                301,
                b"",
                "text/html",
                {"Location": path.replace(f"/data/{cik_text}/", f"/data/{int(cik_text)}/")},
            )
        return _archive(state, int(cik_text), match)
    return NOT_FOUND


def _archive(state: EdgarServerState, cik: int, match: re.Match) -> Answer:
    accession = match.group(2)
    if "-" not in accession:
        accession = f"{accession[:10]}-{accession[10:12]}-{accession[12:]}"
    filing = state.world.filing(accession)
    if filing is None or cik not in filing.ciks or filing.filing_date > state.as_of:
        return NOT_FOUND
    name = match.group(3) if match.re is _ARCHIVE else f"{accession}.txt"
    if name == f"{accession}.txt":
        return 200, filing.text(), "text/plain", {}
    if name == filing.document:
        return 200, filing.load_xml(), "text/xml", {}
    if name == filing.xsl_document:
        return 200, _rendering(filing), "text/html", {}
    if name == "index.json":
        stamp = (filing.acceptance or datetime.combine(filing.filing_date, datetime.min.time())).strftime(
            "%Y-%m-%d %H:%M:%S"
        )
        items = [
            {
                "last-modified": stamp,
                "name": filing.document,
                "type": "text.gif",
                "size": str(len(filing.load_xml())),
            },
            {
                "last-modified": stamp,
                "name": f"{accession}.txt",
                "type": "text.gif",
                "size": str(len(filing.text())),
            },
            {
                "last-modified": stamp,
                "name": filing.xsl_document.split("/")[0],
                "type": "folder.gif",
                "size": "",
            },
        ]
        folder = f"/Archives/edgar/data/{cik}/{filing.folder}"
        body = {"directory": {"item": items, "name": folder, "parent-dir": f"/Archives/edgar/data/{cik}"}}
        return 200, _json_bytes(body), "application/json", {}
    return NOT_FOUND


def _rendering(filing: Filing) -> bytes:
    """A stand-in for the SEC's XSL rendering: HTML, not the XML a parser wants."""
    owners = ", ".join(escape(name) for _, name in filing.owners)
    return (
        f"<html><head><title>SEC FORM {escape(filing.form)}</title></head><body>"
        f"<h1>FORM {escape(filing.form)}</h1><p>{escape(filing.issuer_name)} ({escape(filing.ticker)})</p>"
        f"<p>{owners}</p></body></html>"
    ).encode()


def make_handler(state: EdgarServerState):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):  # quiet; counts are in /_stats
            return

        def setup(self):
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            try:
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                self.close_connection = True
            with state.lock:
                state.statuses[status] += 1
                state.bytes_sent += len(body)

        def do_POST(self):  # noqa: N802
            if urlparse(self.path).path == "/_reset":
                state.reset()
                return self._send(200, b'{"ok":true}', "application/json")
            return self._send(404, b"not found", "text/plain")

        def do_GET(self):  # noqa: N802
            path = urlparse(self.path).path
            if path == "/_stats":
                return self._send(200, _json_bytes(state.stats()), "application/json")
            agent = self.headers.get("User-Agent", "")
            now = time.monotonic()
            with state.lock:
                state.total += 1
                state.counts[_kind(path)] += 1
                state.paths[path] += 1
                state.times.append(now)
                state.user_agents[agent] += 1
                recent = sum(1 for t in state.times[-int(state.enforce_rate or 0) - 1 :] if t > now - 1.0)
                fault = next((f for f in state.faults if f.fires(path)), None)
            if not _EMAIL.search(agent):
                return self._denied("no User-Agent declaring an email")
            if state.enforce_rate is not None and recent > state.enforce_rate:
                return self._denied(f"more than {state.enforce_rate:g} requests in one second")
            if fault is not None and fault.kind != "corrupt":
                if fault.kind == "429":
                    headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                    return self._send(429, b"Too Many Requests", "text/plain", headers)
                if fault.kind == "503":
                    return self._send(503, b"Service Unavailable", "text/plain")
                if fault.kind == "403":
                    return self._denied("injected fault")
                time.sleep(fault.delay_s)
            try:
                status, body, content_type, headers = route(state, path)
            except Exception as exc:  # a stand-in bug must show up as a 500, not a hung connection
                return self._send(500, f"stand-in error: {type(exc).__name__}: {exc}".encode(), "text/plain")
            if fault is not None and fault.kind == "corrupt" and status == 200:
                body = body[: len(body) // 2]
            return self._send(status, body, content_type, headers)

        def _denied(self, reason: str) -> None:
            return self._send(403, DENIED_PAGE.format(reason=escape(reason)).encode(), "text/html")

    return Handler


def _world(filings: Path | str | None, config, tickers: Path | str | None = None) -> EdgarWorld:
    if tickers is not None and filings is None:
        raise ValueError("--tickers adds companies to a folder of real filings: give --filings too")
    return FilingsWorld(filings, tickers) if filings is not None else SyntheticWorld(config)


class LocalEdgarServer:
    """The stand-in on a background thread (tests, benchmarks): ``with LocalEdgarServer(...) as server:``."""

    def __init__(
        self,
        filings: Path | str | None = None,
        config=None,
        *,
        as_of: date | None = None,
        port: int = 0,
        recent_limit: int = 1000,
        page_size: int = 2000,
        dataset_lag_days: int = 10,
        faults: Iterable[Fault] = (),
        enforce_rate: float | None = None,
        tickers: Path | str | None = None,
    ):
        world = _world(filings, config, tickers)
        default_as_of = world.config.end if isinstance(world, SyntheticWorld) else date.today()
        self.state = EdgarServerState(
            world, as_of or default_as_of, recent_limit, page_size, dataset_lag_days, faults, enforce_rate
        )
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), make_handler(self.state))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> "LocalEdgarServer":
        self.thread.start()
        return self

    def __exit__(self, *_) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main(argv: list[str] | None = None) -> int:
    from smart_money import settings
    from smart_money.sources.synthetic.market import MarketConfig

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--filings", help="a folder of real filings with an INDEX.csv (default: synthetic)")
    parser.add_argument(
        "--tickers",
        help="with --filings: a company_tickers.json whose companies are listed too (with no filings)",
    )
    parser.add_argument("--n-symbols", type=int, default=None, help="default: SMART_MONEY_N_SYMBOLS or 500")
    parser.add_argument("--seed", type=int, default=None, help="default: SMART_MONEY_SEED or 7")
    parser.add_argument(
        "--as-of", default=None, help="the server's today (default: the world's end, or today)"
    )
    parser.add_argument("--recent-limit", type=int, default=1000, help="filings in submissions' recent block")
    parser.add_argument(
        "--dataset-lag-days", type=int, default=10, help="days after a quarter its ZIP appears"
    )
    parser.add_argument("--enforce-rate", type=float, default=None, help="403 page past this many requests/s")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        help="KIND[:every=N][:path=RE][:times=K][:retry_after=S][:delay=S]",
    )
    args = parser.parse_args(argv)
    began = time.perf_counter()
    config = None
    if args.filings is None:
        config = MarketConfig(
            seed=args.seed if args.seed is not None else settings.seed(),
            n_symbols=args.n_symbols if args.n_symbols is not None else settings.n_symbols(),
            signal_strength=settings.signal_strength(),
        )
    server = LocalEdgarServer(
        args.filings,
        config,
        as_of=date.fromisoformat(args.as_of) if args.as_of else None,
        port=args.port,
        recent_limit=args.recent_limit,
        dataset_lag_days=args.dataset_lag_days,
        faults=[Fault.parse(spec) for spec in args.fault],
        enforce_rate=args.enforce_rate,
        tickers=args.tickers,
    )
    skipped = len(getattr(server.state.world, "skipped", []))
    print(
        f"serving {server.state.world.description} in EDGAR shapes on {server.url} "
        f"(as of {server.state.as_of}, ready in {time.perf_counter() - began:.1f} s"
        f"{f', {skipped} documents skipped: see /_stats' if skipped else ''}; Ctrl-C stops)",
        flush=True,
    )
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
