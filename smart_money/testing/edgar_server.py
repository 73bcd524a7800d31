"""A local stand-in for SEC EDGAR: the paths and shapes the SEC client uses, from real filings or simulated.

    python -m smart_money.testing.edgar_server --port 8766 --filings ../shared/realdata/form4_xml
    python -m smart_money.testing.edgar_server --port 8766 --filings A --filings B   # several folders
    python -m smart_money.testing.edgar_server --port 8766 [--n-symbols 500 --seed 7 --nport-schedule monthly]

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
  published ``dataset_lag_days`` after it closes;
- 13F-HR / 13F-HR/A filings in their manager's folder: ``primary_doc.xml`` (the cover page,
  ``edgarSubmission`` in ``http://www.sec.gov/edgar/thirteenffiler``), the information table
  (``informationTable`` in ``http://www.sec.gov/edgar/document/thirteenf/informationtable``, under the name
  the filer chose), ``xslForm13F_X02/…`` renderings (HTML), ``<accession>.txt`` and ``index.json``; the
  manager's submissions list them (form, ``reportDate`` = the quarter end, ``primaryDocument``
  ``xslForm13F_X02/primary_doc.xml``, act 34), the daily index too (form type ``13F-HR``);
- ``/files/structureddata/data/form-13f-data-sets/<name>_form13f.zip``: the seven TSVs of the SEC's Form 13F
  Data Set (SUBMISSION, COVERPAGE, OTHERMANAGER, SIGNATURE, SUMMARYPAGE, OTHERMANAGER2, INFOTABLE with the
  columns of ``FORM13F_readme.htm``; dates DD-MON-YYYY, flags Y/N, VALUE as filed: thousands of dollars
  before 2023-01-03, dollars from then on), derived from the 13F XML. Names and filing-date windows as the
  SEC's (:func:`smart_money.sources.sec.client.form13f_dataset_name`: ``2013q2`` … ``2023q4``,
  ``01jan2024-29feb2024``, then ``01mar2024-31may2024``, ``01jun2024-31aug2024``, …), the 17:30 rule on a
  window's last business day, published ``dataset_lag_days`` after the window closes;
- NPORT-P filings in their registrant's (the trust's) folder: ``primary_doc.xml`` (``edgarSubmission`` in
  ``http://www.sec.gov/edgar/nport``: genInfo regCik / seriesId / repPdEnd / repPdDate, fundInfo, one
  ``invstOrSec`` per holding with name, lei, title, cusip, identifiers/isin, balance, units, curCd, valUSD,
  pctVal, payoffProfile, assetCat, issuerCat, invCountry), ``xslFormNPORT-P_X01/…``, the ``.txt`` (its header
  names the series and classes) and ``index.json``; the registrant's submissions list them (act 40);
- ``/files/company_tickers_mf.json``: ``{"fields": ["cik", "seriesId", "classId", "symbol"], "data": [...]}``,
  each share class whose series has a public N-PORT.

Nothing is served that is not public at the server's ``as_of`` date (filings by filing date; an entity whose
every filing is still to come is unknown).

**From a folder of real filings** (``--filings DIR``, laid out like ``shared/realdata/form4_xml/``: an
``INDEX.csv`` whose ``file`` column names each document, each with a ``metadata.json`` beside it or an SGML
header inside it): the filing date, accession and acceptance time come from the header (``INDEX.csv``'s
``accession`` / ``filing_date`` / ``acceptance_datetime`` only when the document has none); issuer, ticker
and owners from the XML. A document with no filing date anywhere is not served (``skipped`` in
``/_stats``): nothing says when it became public. There are no XBRL facts: company facts answer 404. Rows
whose ``form_type`` starts with ``13F`` are 13F filings: a complete submission (line-per-tag ``.txt`` or the
one-line ``.nc`` form) holding the cover page and the information table, or a cover page with the
``infotable_file`` column naming its table; the filer comes from the cover page's credentials, and a cover
page without a filing date or a table without a cover page is skipped.

**Synthetic** (no ``--filings``): the simulated market of
:func:`smart_money.sources.synthetic.market.simulate_market` (``SMART_MONEY_N_SYMBOLS`` /
``SMART_MONEY_SEED`` defaults): its universe becomes the tickers and submissions (issuer CIK 9000000 + n for
``SYNn``, SIC from :data:`SECTOR_SIC`), each insider's trades filed on one day become one Form 4 (owner CIK
9500000 + 20 n + seat; accession ``<owner cik>-<yy>-<day of year>``), shares outstanding the company facts
(``dei:EntityCommonStockSharesOutstanding``, one per 10-Q/10-K). Documents and data set ZIPs are rendered on
first request, ZIPs kept in memory.

- **13F**: each simulated filer (``institutional_holdings``) has CIK 9800000 + kk (``SYNHFkk``) or
  9800100 + kkk (``SYNINkkk``) and files one 13F-HR per quarter on its ``known_at`` day (accepted 06:00-17:29
  Eastern; accession ``<cik>-<yy>-<day of year>``): one infoTable per position with shares > 0 (CUSIP
  :func:`~smart_money.sources.synthetic.identifiers.synthetic_cusip`, VALUE = ``market_value`` in the unit of
  the filing date, rounded half up), none for a closed position. Hedge funds write the ``ns1:`` prefix,
  institutions the default namespace; the table is ``infotable.xml``, ``form13fInfoTable.xml`` or
  ``<number>.xml`` by CIK. Deterministic extras, counting quarters q = 0, 1, … from the first simulated report
  date: SYNHF01's 13F-HR of each quarter q % 4 == 1 reports its largest position with ten times the shares
  and value (a keying error), and a 13F-HR/A RESTATEMENT restates the whole table as simulated; SYNIN001's
  13F-HR of each quarter q % 4 == 2 leaves out its two smallest positions (isConfidentialOmitted), and a
  13F-HR/A NEW HOLDINGS lists just those two. Each amendment is filed 14 days later (next business day),
  amendment number 1; :attr:`SyntheticWorld.amendments` lists them. SYNHF02 adds a Call row and SYNHF03 a Put
  row (a tenth of the shares) on their largest position each quarter. So the newest 13F-HR or RESTATEMENT
  plus later NEW HOLDINGS, without option rows, equals the simulated positions exactly.
- **N-PORT**: the simulated ETFs (``etf_holdings``) are series of two registrants, "Synthetic ETF Trust"
  (CIK 9900001) and "Synthetic Sector ETF Trust" (9900002, the SYNETF-Snn funds), series ``S0009000nn`` with
  one class ``C0009000nn`` whose ticker is the ETF symbol. ``nport_schedule="quarterly"`` (the SEC's rule
  since 2019: all three monthly reports are filed within 60 days of the fiscal quarter's end, and only the
  third month's is public, as NPORT-P; the first two are NPORT-NP and never public): one NPORT-P per ETF per
  calendar quarter end, filed 47-59 days after it. ``"monthly"`` (the shape of the SEC's 2024 amendments,
  every month public): one per month, filed 17-29 days after it. The report period (repPdDate) is the
  simulated ``known_at`` (the month's last trading day); balance, valUSD are its shares and market value;
  pctVal is valUSD over the fund's net assets (the sum of its holdings).

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
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlparse
from xml.etree import ElementTree
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import numpy as np

from smart_money.sources.sec.client import form13f_dataset_name, form13f_dataset_window
from smart_money.testing.background import BackgroundServer, serve_until_interrupted

EASTERN = ZoneInfo("America/New_York")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DATASET_LATE_CUTOFF = (17, 30)  # accepted after 17:30 Eastern on a quarter's last business day: next quarter
SYNTHETIC_ISSUER_CIK = 9_000_000
SYNTHETIC_OWNER_CIK = 9_500_000
SYNTHETIC_MANAGER_CIK = 9_800_000  # 13F managers: SYNHFkk -> + kk, SYNINkkk -> + 100 + kkk
SYNTHETIC_TRUST_CIK = 9_900_000  # N-PORT registrants: + 1 and + 2 (SYNTHETIC_TRUSTS)
SYNTHETIC_TRUSTS = {9_900_001: "Synthetic ETF Trust", 9_900_002: "Synthetic Sector ETF Trust"}
# The synthetic 13F amendments and option rows (module docstring). Quarters are counted from the first
# simulated report date (q = 0, 1, ...).
RESTATEMENT_FILER = "SYNHF01"  # q % 4 == 1: the 13F-HR has a keying error, a RESTATEMENT fixes it
NEW_HOLDINGS_FILER = "SYNIN001"  # q % 4 == 2: the 13F-HR omits two positions, a NEW HOLDINGS adds them
AMENDMENT_LAG_DAYS = 14  # the 13F-HR/A is filed this many days after the 13F-HR (next weekday)
OPTION_FILERS = {"SYNHF02": "Call", "SYNHF03": "Put"}  # an option row on the largest position, each quarter
NPORT_SCHEDULES = ("quarterly", "monthly")
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

    @property
    def primary_document(self) -> str:
        return self.xsl_document

    @property
    def primary_description(self) -> str:
        return f"FORM {self.form}"

    @property
    def act(self) -> str:
        return "34"

    @property
    def size(self) -> int:
        """The complete submission's size in bytes (submissions JSON ``size``)."""
        return len(self.text())

    def index_names(self) -> list[tuple[int, str]]:
        """The filers the daily index lists for this filing: the issuer, then each reporting owner."""
        return list(dict([(self.issuer_cik, self.issuer_name), *self.owners]).items())

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


def last_business_day_of(day: date) -> date:
    """EDGAR's last business day on or before ``day``: a weekday, skipping 31 December when New Year's Day
    falls on a Saturday (the federal holiday is then observed on Friday 31 December)."""
    while day.weekday() >= 5 or (
        day.month == 12 and day.day == 31 and date(day.year + 1, 1, 1).weekday() == 5
    ):
        day -= timedelta(days=1)
    return day


def last_business_day(year: int, quarter: int) -> date:
    """EDGAR's last business day of a quarter (:func:`last_business_day_of` its last day)."""
    return last_business_day_of(date(year + (quarter == 4), quarter % 4 * 3 + 1, 1) - timedelta(days=1))


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


_BREAKS = re.compile(r"[\t\r\n]+")


def _clean(text: str | None) -> str:
    """``text`` stripped, with tabs and line breaks as one space (a data set value is one TSV field)."""
    if not text:
        return ""
    if "\t" in text or "\n" in text or "\r" in text:
        return _BREAKS.sub(" ", text).strip()
    return text.strip()


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


def form_index(day: date, filings: Iterable["Filing | FundFiling"]) -> bytes:
    """EDGAR's daily ``form.<yyyymmdd>.idx``: one line per filer of each filing (an ownership filing's
    issuer and each reporting owner; a 13F's manager; an N-PORT's registrant), sorted by form type and
    company name."""
    rows = []
    for f in filings:
        for cik, name in f.index_names():
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


def _columnar(filings: list["Filing | FundFiling"]) -> dict[str, list]:
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
            ("act", f.act),
            ("form", f.form),
            ("fileNumber", f.file_number),
            ("filmNumber", f.film_number),
            ("items", ""),
            ("size", f.size),
            ("isXBRL", 0),
            ("isInlineXBRL", 0),
            ("primaryDocument", f.primary_document),
            ("primaryDocDescription", f.primary_description),
        ):
            out[key].append(value)
    return out


# ==== 13F and N-PORT filings ===============================================================================
THIRTEENF_FILER_NS = "http://www.sec.gov/edgar/thirteenffiler"
THIRTEENF_TABLE_NS = "http://www.sec.gov/edgar/document/thirteenf/informationtable"
EDGAR_COMMON_NS = "http://www.sec.gov/edgar/common"
NPORT_NS = "http://www.sec.gov/edgar/nport"
NPORT_COMMON_NS = "http://www.sec.gov/edgar/nportcommon"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
# FORM13F_readme.htm: "Starting on January 3, 2023, market value is reported rounded to the nearest dollar.
# Previously, market value was reported in thousands."
VALUE_IN_DOLLARS_FROM = date(2023, 1, 3)
RENDERING_13F = "xslForm13F_X02"
RENDERING_NPORT = "xslFormNPORT-P_X01"
INFORMATION_TABLE = "INFORMATION TABLE"  # the SGML <TYPE> of a 13F information table document

# The Form 13F Data Set's tables, in the readme's order, with its columns (FORM13F_readme.htm, 5.1-5.7).
FORM13F_COLUMNS: dict[str, tuple[str, ...]] = {
    "SUBMISSION": ("ACCESSION_NUMBER", "FILING_DATE", "SUBMISSIONTYPE", "CIK", "PERIODOFREPORT"),
    "COVERPAGE": (
        "ACCESSION_NUMBER", "REPORTCALENDARORQUARTER", "ISAMENDMENT", "AMENDMENTNO", "AMENDMENTTYPE",
        "CONFDENIEDEXPIRED", "DATEDENIEDEXPIRED", "DATEREPORTED", "REASONFORNONCONFIDENTIALITY",
        "FILINGMANAGER_NAME", "FILINGMANAGER_STREET1", "FILINGMANAGER_STREET2", "FILINGMANAGER_CITY",
        "FILINGMANAGER_STATEORCOUNTRY", "FILINGMANAGER_ZIPCODE", "REPORTTYPE", "FORM13FFILENUMBER",
        "CRDNUMBER", "SECFILENUMBER", "PROVIDEINFOFORINSTRUCTION5", "ADDITIONALINFORMATION",
    ),
    "OTHERMANAGER": (
        "ACCESSION_NUMBER", "OTHERMANAGER_SK", "CIK", "FORM13FFILENUMBER", "CRDNUMBER", "SECFILENUMBER",
        "NAME",
    ),
    "SIGNATURE": (
        "ACCESSION_NUMBER", "NAME", "TITLE", "PHONE", "SIGNATURE", "CITY", "STATEORCOUNTRY", "SIGNATUREDATE",
    ),
    "SUMMARYPAGE": (
        "ACCESSION_NUMBER", "OTHERINCLUDEDMANAGERSCOUNT", "TABLEENTRYTOTAL", "TABLEVALUETOTAL",
        "ISCONFIDENTIALOMITTED",
    ),
    "OTHERMANAGER2": (
        "ACCESSION_NUMBER", "SEQUENCENUMBER", "CIK", "FORM13FFILENUMBER", "CRDNUMBER", "SECFILENUMBER",
        "NAME",
    ),
    "INFOTABLE": (
        "ACCESSION_NUMBER", "INFOTABLE_SK", "NAMEOFISSUER", "TITLEOFCLASS", "CUSIP", "FIGI", "VALUE",
        "SSHPRNAMT", "SSHPRNAMTTYPE", "PUTCALL", "INVESTMENTDISCRETION", "OTHERMANAGER", "VOTING_AUTH_SOLE",
        "VOTING_AUTH_SHARED", "VOTING_AUTH_NONE",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class FundFiling:
    """One 13F (13F-HR, 13F-HR/A, 13F-NT) or N-PORT (NPORT-P) filing as the stand-in serves it: header facts,
    the documents in submission order (the primary document first) and a loader for their bytes."""

    accession: str
    form: str
    filing_date: date
    acceptance: datetime | None  # aware, Eastern; None where the source does not say
    filer_cik: int  # the 13F manager, or the N-PORT registrant (the trust)
    filer_name: str
    period_of_report: str  # YYYY-MM-DD (13F: the quarter end; N-PORT: repPdDate)
    documents: tuple[tuple[str, str], ...]  # (file name, SGML <TYPE>)
    load_documents: Callable[[], dict[str, bytes]] = field(compare=False, repr=False)
    load_text: Callable[[], bytes] | None = field(default=None, compare=False, repr=False)
    file_number: str = ""
    film_number: str = ""
    # N-PORT: ((series id, series name, ((class id, class name, ticker), ...)), ...)
    series: tuple[tuple[str, str, tuple[tuple[str, str, str], ...]], ...] = ()
    address: tuple[str, str, str, str] = ()  # street, city, state, ZIP (the SGML header's business address)
    filing_date_source: str = ""
    load_size: Callable[[], int] | None = field(default=None, compare=False, repr=False)

    @property
    def folder(self) -> str:
        return self.accession.replace("-", "")

    @property
    def ciks(self) -> set[int]:
        return {self.filer_cik}

    @property
    def is_13f(self) -> bool:
        return self.form.startswith("13F")

    @property
    def rendering(self) -> str:
        """The folder of the SEC's HTML renderings of the XML documents."""
        return RENDERING_13F if self.is_13f else RENDERING_NPORT

    @property
    def primary_document(self) -> str:
        """The path EDGAR's submissions JSON gives as ``primaryDocument``: the cover page's rendering."""
        return f"{self.rendering}/{self.documents[0][0]}"

    @property
    def primary_description(self) -> str:
        return ""

    @property
    def act(self) -> str:
        return "34" if self.is_13f else "40"

    @property
    def information_table(self) -> str | None:
        return next((name for name, kind in self.documents if kind == INFORMATION_TABLE), None)

    @property
    def size(self) -> int:
        """The complete submission's size in bytes (submissions JSON ``size``)."""
        return self.load_size() if self.load_size is not None else len(self.text())

    def index_names(self) -> list[tuple[int, str]]:
        return [(self.filer_cik, self.filer_name)]

    def text(self) -> bytes:
        """The complete submission: the original when the source had one, else built from the facts."""
        if self.load_text is not None:
            return self.load_text()
        return fund_submission_text(self, self.load_documents())


def fund_submission_text(filing: FundFiling, documents: Mapping[str, bytes]) -> bytes:
    """An EDGAR complete submission of a 13F or N-PORT filing: SGML header (a FILER block; N-PORT adds the
    series and classes), then each XML document in its ``<DOCUMENT>``."""
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
        f"PUBLIC DOCUMENT COUNT:\t\t{len(filing.documents)}",
    ]
    if filing.period_of_report:
        lines.append(f"CONFORMED PERIOD OF REPORT:\t{filing.period_of_report.replace('-', '')}")
    lines += [f"FILED AS OF DATE:\t\t{day}", f"DATE AS OF CHANGE:\t\t{day}"]
    if filing.is_13f:
        lines.append(f"EFFECTIVENESS DATE:\t\t{day}")
    lines += [
        "",
        "FILER:",
        "",
        "\tCOMPANY DATA:\t",
        f"\t\tCOMPANY CONFORMED NAME:\t\t\t{filing.filer_name}",
        f"\t\tCENTRAL INDEX KEY:\t\t\t{filing.filer_cik:010d}",
        "",
        "\tFILING VALUES:",
        f"\t\tFORM TYPE:\t\t{filing.form}",
        f"\t\tSEC ACT:\t\t{'1934' if filing.is_13f else '1940'} Act",
        *([f"\t\tSEC FILE NUMBER:\t{filing.file_number}"] if filing.file_number else []),
        *([f"\t\tFILM NUMBER:\t\t{filing.film_number}"] if filing.film_number else []),
    ]
    if filing.address:
        street, city, state, zipcode = filing.address
        lines += [
            "",
            "\tBUSINESS ADDRESS:\t",
            f"\t\tSTREET 1:\t\t{street}",
            f"\t\tCITY:\t\t\t{city}",
            f"\t\tSTATE:\t\t\t{state}",
            f"\t\tZIP:\t\t\t{zipcode}",
        ]
    if filing.series:
        lines += ["<SERIES-AND-CLASSES-CONTRACTS-DATA>", "<EXISTING-SERIES-AND-CLASSES-CONTRACTS>"]
        for series_id, series_name, classes in filing.series:
            lines += [
                "<SERIES>",
                f"<OWNER-CIK>{filing.filer_cik:010d}",
                f"<SERIES-ID>{series_id}",
                f"<SERIES-NAME>{series_name}",
            ]
            for class_id, class_name, ticker in classes:
                lines += [
                    "<CLASS-CONTRACT>",
                    f"<CLASS-CONTRACT-ID>{class_id}",
                    f"<CLASS-CONTRACT-NAME>{class_name}",
                    f"<CLASS-CONTRACT-TICKER-SYMBOL>{ticker}",
                    "</CLASS-CONTRACT>",
                ]
            lines.append("</SERIES>")
        lines += ["</EXISTING-SERIES-AND-CLASSES-CONTRACTS>", "</SERIES-AND-CLASSES-CONTRACTS-DATA>"]
    lines.append("</SEC-HEADER>")
    out = "\n".join(lines).encode("utf-8") + b"\n"
    for sequence, (name, kind) in enumerate(filing.documents, start=1):
        head = f"<DOCUMENT>\n<TYPE>{kind}\n<SEQUENCE>{sequence}\n<FILENAME>{name}\n<TEXT>\n<XML>\n"
        out += head.encode() + documents[name].strip() + b"\n</XML>\n</TEXT>\n</DOCUMENT>\n"
    return out + b"</SEC-DOCUMENT>\n"


# ---- reading 13F XML into data set rows (the SEC's role) --------------------------------------------------
def parse_local_xml(xml: bytes) -> ElementTree.Element:
    """An XML document with every element's namespace dropped (13F and N-PORT documents come with a default
    namespace, an ``ns1:`` prefix or none)."""
    root = ElementTree.fromstring(xml)
    for element in root.iter():
        element.tag = _local(element.tag)
    return root


def _plain(node: ElementTree.Element | None, path: str) -> str:
    found = node.find(path) if node is not None else None
    return _clean(found.text) if found is not None else ""


def _yes_no(text: str) -> str:
    """A 13F flag as the data sets write it: ``Y``/``N`` (the XML says true/false, Y/N or 1/0)."""
    value = (text or "").strip().lower()
    return "Y" if value in ("true", "y", "1", "yes") else "N" if value in ("false", "n", "0", "no") else ""


def sec_date_mdy(text: str) -> str:
    """A 13F XML date (``09-30-2023``, MM-DD-YYYY) as the data sets write it (``30-SEP-2023``); anything else
    as given."""
    match = re.match(r"^(\d{2})-(\d{2})-(\d{4})$", (text or "").strip())
    if not match:
        return sec_date(text)
    month, day, year = (int(g) for g in match.groups())
    try:
        date(year, month, day)
    except ValueError:
        return text
    return f"{day:02d}-{MONTHS[month - 1]}-{year:04d}"


def mdy_to_iso(text: str) -> str:
    """``09-30-2023`` -> ``2023-09-30`` ("" when it is not a MM-DD-YYYY date)."""
    match = re.match(r"^(\d{2})-(\d{2})-(\d{4})$", (text or "").strip())
    return f"{match.group(3)}-{match.group(1)}-{match.group(2)}" if match else ""


def _manager_rows(nodes: Iterable[ElementTree.Element], acc: str, key_column: str, keys) -> list[dict]:
    rows = []
    for node, key in zip(nodes, keys, strict=False):
        manager = node.find("otherManager") if node.find("otherManager") is not None else node
        rows.append(
            {
                "ACCESSION_NUMBER": acc,
                key_column: str(key),
                "CIK": _plain(manager, "cik"),
                "FORM13FFILENUMBER": _plain(manager, "form13FFileNumber"),
                "CRDNUMBER": _plain(manager, "crdNumber"),
                "SECFILENUMBER": _plain(manager, "secFileNumber"),
                "NAME": _plain(manager, "name"),
            }
        )
    return rows


def thirteenf_rows(
    filing: FundFiling, documents: Mapping[str, bytes], next_key: Callable[[], int]
) -> dict[str, list[dict]]:
    """The Form 13F Data Set rows of one filing, read from its cover page (``primary_doc.xml``) and
    information table XML: one SUBMISSION, COVERPAGE and SIGNATURE row, a SUMMARYPAGE row when the cover has
    a summary page, one OTHERMANAGER / OTHERMANAGER2 row per other manager and one INFOTABLE row per
    ``infoTable`` element, in document order. Values as filed (VALUE in the filing's unit); dates
    DD-MON-YYYY; flags Y/N. ``next_key`` hands out the surrogate keys."""
    acc = filing.accession
    root = parse_local_xml(documents[filing.documents[0][0]])
    if root.tag != "edgarSubmission":
        raise ValueError(f"{acc}: the cover page's root is <{root.tag}>, not <edgarSubmission>")
    cover = root.find("formData/coverPage")
    amendment = cover.find("amendmentInfo") if cover is not None else None
    manager = cover.find("filingManager") if cover is not None else None
    out: dict[str, list[dict]] = {table: [] for table in FORM13F_COLUMNS}
    out["SUBMISSION"].append(
        {
            "ACCESSION_NUMBER": acc,
            "FILING_DATE": sec_date(filing.filing_date.isoformat()),
            "SUBMISSIONTYPE": _plain(root, "headerData/submissionType") or filing.form,
            "CIK": f"{filing.filer_cik:010d}",
            "PERIODOFREPORT": sec_date_mdy(_plain(root, "headerData/filerInfo/periodOfReport")),
        }
    )
    if cover is not None:
        out["COVERPAGE"].append(
            {
                "ACCESSION_NUMBER": acc,
                "REPORTCALENDARORQUARTER": sec_date_mdy(_plain(cover, "reportCalendarOrQuarter")),
                "ISAMENDMENT": _yes_no(_plain(cover, "isAmendment")),
                "AMENDMENTNO": _plain(cover, "amendmentNo"),
                "AMENDMENTTYPE": _plain(amendment, "amendmentType"),
                "CONFDENIEDEXPIRED": _yes_no(_plain(amendment, "confDeniedExpired")),
                "DATEDENIEDEXPIRED": sec_date_mdy(_plain(amendment, "dateDeniedExpired")),
                "DATEREPORTED": sec_date_mdy(_plain(amendment, "dateReported")),
                "REASONFORNONCONFIDENTIALITY": _plain(amendment, "reasonForNonConfidentiality"),
                "FILINGMANAGER_NAME": _plain(manager, "name"),
                "FILINGMANAGER_STREET1": _plain(manager, "address/street1"),
                "FILINGMANAGER_STREET2": _plain(manager, "address/street2"),
                "FILINGMANAGER_CITY": _plain(manager, "address/city"),
                "FILINGMANAGER_STATEORCOUNTRY": _plain(manager, "address/stateOrCountry"),
                "FILINGMANAGER_ZIPCODE": _plain(manager, "address/zipCode"),
                "REPORTTYPE": _plain(cover, "reportType"),
                "FORM13FFILENUMBER": _plain(cover, "form13FFileNumber"),
                "CRDNUMBER": _plain(cover, "crdNumber"),
                "SECFILENUMBER": _plain(cover, "secFileNumber"),
                "PROVIDEINFOFORINSTRUCTION5": _plain(cover, "provideInfoForInstruction5"),
                "ADDITIONALINFORMATION": _plain(cover, "additionalInformation"),
            }
        )
        others = cover.findall("otherManagersInfo/otherManager")
        out["OTHERMANAGER"] = _manager_rows(others, acc, "OTHERMANAGER_SK", (next_key() for _ in others))
    signature = root.find("formData/signatureBlock")
    if signature is not None:
        out["SIGNATURE"].append(
            {
                "ACCESSION_NUMBER": acc,
                **{column.upper(): _plain(signature, column) for column in ("name", "title", "phone")},
                "SIGNATURE": _plain(signature, "signature"),
                "CITY": _plain(signature, "city"),
                "STATEORCOUNTRY": _plain(signature, "stateOrCountry"),
                "SIGNATUREDATE": sec_date_mdy(_plain(signature, "signatureDate")),
            }
        )
    summary = root.find("formData/summaryPage")
    if summary is not None:
        out["SUMMARYPAGE"].append(
            {
                "ACCESSION_NUMBER": acc,
                "OTHERINCLUDEDMANAGERSCOUNT": _plain(summary, "otherIncludedManagersCount"),
                "TABLEENTRYTOTAL": _plain(summary, "tableEntryTotal"),
                "TABLEVALUETOTAL": _plain(summary, "tableValueTotal"),
                "ISCONFIDENTIALOMITTED": _yes_no(_plain(summary, "isConfidentialOmitted")),
            }
        )
        included = summary.findall("otherManagers2Info/otherManager2")
        out["OTHERMANAGER2"] = _manager_rows(
            included, acc, "SEQUENCENUMBER", (_plain(m, "sequenceNumber") for m in included)
        )
    table_name = filing.information_table
    if table_name is not None:
        table = parse_local_xml(documents[table_name])
        if table.tag != "informationTable":
            raise ValueError(f"{acc}: {table_name}'s root is <{table.tag}>, not <informationTable>")
        for entry in table.findall("infoTable"):
            out["INFOTABLE"].append(
                {
                    "ACCESSION_NUMBER": acc,
                    "INFOTABLE_SK": str(next_key()),
                    "NAMEOFISSUER": _plain(entry, "nameOfIssuer"),
                    "TITLEOFCLASS": _plain(entry, "titleOfClass"),
                    "CUSIP": _plain(entry, "cusip"),
                    "FIGI": _plain(entry, "figi"),
                    "VALUE": _plain(entry, "value"),
                    "SSHPRNAMT": _plain(entry, "shrsOrPrnAmt/sshPrnamt"),
                    "SSHPRNAMTTYPE": _plain(entry, "shrsOrPrnAmt/sshPrnamtType"),
                    "PUTCALL": _plain(entry, "putCall"),
                    "INVESTMENTDISCRETION": _plain(entry, "investmentDiscretion"),
                    "OTHERMANAGER": _plain(entry, "otherManager"),
                    "VOTING_AUTH_SOLE": _plain(entry, "votingAuthority/Sole"),
                    "VOTING_AUTH_SHARED": _plain(entry, "votingAuthority/Shared"),
                    "VOTING_AUTH_NONE": _plain(entry, "votingAuthority/None"),
                }
            )
    return out


def form13f_dataset_zip(filings: Iterable[FundFiling]) -> bytes:
    """The seven TSVs of a Form 13F Data Set for ``filings`` (in accession order), zipped (UTF-8,
    tab-separated, a header row, no quoting; tabs and line breaks inside a value become spaces)."""
    rows: dict[str, list[dict]] = {table: [] for table in FORM13F_COLUMNS}
    counter = iter(range(1, 10**12))
    for filing in sorted(filings, key=lambda f: f.accession):
        for table, table_rows in thirteenf_rows(
            filing, filing.load_documents(), lambda: next(counter)
        ).items():
            rows[table].extend(table_rows)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table, columns in FORM13F_COLUMNS.items():
            lines = ["\t".join(columns)]
            lines += ["\t".join(_clean(row.get(c, "")) for c in columns) for row in rows[table]]
            archive.writestr(f"{table}.tsv", ("\n".join(lines) + "\n").encode("utf-8"))
    return buffer.getvalue()


def form13f_dataset_of(filing: FundFiling) -> str:
    """The Form 13F data set a filing appears in: the one of its filing date, or the next one when accepted
    after 17:30 Eastern on that set's last business day (FORM13F_readme.htm)."""
    name = form13f_dataset_name(filing.filing_date)
    last = form13f_dataset_window(name)[1]
    accepted = filing.acceptance.astimezone(EASTERN) if filing.acceptance is not None else None
    if (
        accepted is not None
        and filing.filing_date == last_business_day_of(last)
        and accepted.date() == filing.filing_date
        and (accepted.hour, accepted.minute) >= DATASET_LATE_CUTOFF
    ):
        return form13f_dataset_name(last + timedelta(days=1))
    return name


# ---- rendering 13F and N-PORT XML (the filer's role) ------------------------------------------------------
@dataclass(frozen=True)
class Holding13F:
    """One information table entry as a filer writes it (``value`` already in the filing's unit)."""

    name: str
    title: str
    cusip: str
    value: int
    shares: int
    put_call: str = ""  # "", "Put" or "Call"


def value_in_filing_unit(dollars: float, filing_date: date) -> int:
    """A market value as a 13F filed on ``filing_date`` reports it: whole dollars from 2023-01-03, thousands
    of dollars before (both rounded half up)."""
    amount = Decimal(repr(round(float(dollars), 2)))
    if filing_date < VALUE_IN_DOLLARS_FROM:
        amount = amount / 1000
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _mdy(day: date) -> str:
    return f"{day:%m-%d-%Y}"


def render_13f_cover(
    *,
    form: str,
    cik: int,
    period: date,
    manager: str,
    address: tuple[str, str, str, str],
    file_number: str,
    signer: str,
    signed: date,
    entries: int,
    total: int,
    amendment: tuple[int, str] | None = None,
    confidential_omitted: bool = False,
) -> bytes:
    """A 13F cover page (``primary_doc.xml``: ``edgarSubmission`` in the 13F filer schema, X0202), as the
    SEC's XML technical specification orders it. ``amendment``: (number, RESTATEMENT or NEW HOLDINGS)."""
    street, city, state, zipcode = (escape(part) for part in address)
    amended = (
        f"<isAmendment>true</isAmendment><amendmentNo>{amendment[0]}</amendmentNo>"
        f"<amendmentInfo><amendmentType>{escape(amendment[1])}</amendmentType></amendmentInfo>"
        if amendment
        else "<isAmendment>false</isAmendment>"
    )
    name = escape(manager)
    doc = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<edgarSubmission xmlns="{THIRTEENF_FILER_NS}" xmlns:com="{EDGAR_COMMON_NS}">\n'
        "  <schemaVersion>X0202</schemaVersion>\n"
        f"  <headerData><submissionType>{form}</submissionType><filerInfo><liveTestFlag>LIVE</liveTestFlag>"
        "<flags><confirmingCopyFlag>false</confirmingCopyFlag><returnCopyFlag>false</returnCopyFlag>"
        "<overrideInternetFlag>false</overrideInternetFlag></flags>"
        f"<filer><credentials><cik>{cik:010d}</cik><ccc>XXXXXXXX</ccc></credentials></filer>"
        f"<periodOfReport>{_mdy(period)}</periodOfReport></filerInfo></headerData>\n"
        f"  <formData>\n    <coverPage><reportCalendarOrQuarter>{_mdy(period)}</reportCalendarOrQuarter>"
        f"{amended}<filingManager><name>{name}</name><address><com:street1>{street}</com:street1>"
        f"<com:city>{city}</com:city><com:stateOrCountry>{state}</com:stateOrCountry>"
        f"<com:zipCode>{zipcode}</com:zipCode></address></filingManager>"
        f"<reportType>13F HOLDINGS REPORT</reportType><form13FFileNumber>{file_number}</form13FFileNumber>"
        "<provideInfoForInstruction5>N</provideInfoForInstruction5></coverPage>\n"
        f"    <signatureBlock><name>{escape(signer)}</name><title>Chief Compliance Officer</title>"
        f"<phone>212-555-0100</phone><signature>/s/ {escape(signer)}</signature><city>{city}</city>"
        f"<stateOrCountry>{state}</stateOrCountry><signatureDate>{_mdy(signed)}</signatureDate>"
        "</signatureBlock>\n"
        "    <summaryPage><otherIncludedManagersCount>0</otherIncludedManagersCount>"
        f"<tableEntryTotal>{entries}</tableEntryTotal><tableValueTotal>{total}</tableValueTotal>"
        f"<isConfidentialOmitted>{'true' if confidential_omitted else 'false'}</isConfidentialOmitted>"
        "</summaryPage>\n  </formData>\n</edgarSubmission>\n"
    )
    return doc.encode("utf-8")


def render_13f_table(holdings: Iterable[Holding13F], prefix: str = "") -> bytes:
    """A 13F information table (``informationTable`` in its own namespace), elements prefixed ``prefix:``
    (as many filers write ``ns1:``) or in the default namespace."""
    p = f"{prefix}:" if prefix else ""
    parts = []
    for h in holdings:
        put_call = f"<{p}putCall>{h.put_call}</{p}putCall>" if h.put_call else ""
        parts.append(
            f"<{p}infoTable><{p}nameOfIssuer>{escape(h.name)}</{p}nameOfIssuer>"
            f"<{p}titleOfClass>{escape(h.title)}</{p}titleOfClass><{p}cusip>{h.cusip}</{p}cusip>"
            f"<{p}value>{h.value}</{p}value><{p}shrsOrPrnAmt><{p}sshPrnamt>{h.shares}</{p}sshPrnamt>"
            f"<{p}sshPrnamtType>SH</{p}sshPrnamtType></{p}shrsOrPrnAmt>{put_call}"
            f"<{p}investmentDiscretion>SOLE</{p}investmentDiscretion><{p}votingAuthority>"
            f"<{p}Sole>{h.shares}</{p}Sole><{p}Shared>0</{p}Shared><{p}None>0</{p}None></{p}votingAuthority>"
            f"</{p}infoTable>"
        )
    xmlns = f"xmlns:{prefix}" if prefix else "xmlns"
    head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<{p}informationTable {xmlns}="{THIRTEENF_TABLE_NS}">\n'
    )
    return (head + "\n".join(parts) + f"\n</{p}informationTable>\n").encode("utf-8")


@dataclass(frozen=True)
class HoldingNport:
    """One N-PORT ``invstOrSec`` of an equity fund (a long common stock position, in shares)."""

    name: str
    lei: str
    cusip: str
    isin: str
    balance: float
    value_usd: float


def render_nport(
    *,
    registrant: str,
    reg_cik: int,
    file_number: str,
    series_id: str,
    series_name: str,
    class_ids: Iterable[str],
    period: date,
    fiscal_year_end: date,
    signed: date,
    holdings: list[HoldingNport],
    form: str = "NPORT-P",
) -> bytes:
    """An N-PORT report (``primary_doc.xml``: ``edgarSubmission`` in the N-PORT schema) of an equity fund:
    header (registrant credentials, series and classes), genInfo (regCik, seriesId, repPdEnd, repPdDate),
    fundInfo (assets, net assets), one ``invstOrSec`` per holding (name, lei, title, cusip, identifiers/isin,
    balance, units NS, curCd USD, valUSD, pctVal = value / net assets in percent, payoffProfile Long,
    assetCat EC, issuerCat CORP, invCountry US) and the signature, in the order of the SEC's samples. The
    items a holdings reader needs, not every optional item of the form."""
    net = sum((_cents(h.value_usd) for h in holdings), Decimal(0))
    classes = "".join(f"<classId>{c}</classId>" for c in class_ids)
    zeros = "".join(
        f"<{name}>0.00000000</{name}>"
        for name in (
            "assetsAttrMiscSec", "assetsInvested", "amtPayOneYrBanksBorr", "amtPayOneYrCtrldComp",
            "amtPayOneYrOthAffil", "amtPayOneYrOther", "amtPayAftOneYrBanksBorr", "amtPayAftOneYrCtrldComp",
            "amtPayAftOneYrOthAffil", "amtPayAftOneYrOther", "delayDeliv", "standByCommit", "liquidPref",
            "cshNotRptdInCorD",
        )
    )  # fmt: skip
    securities = []
    for h in holdings:
        pct = 100 * _cents(h.value_usd) / net if net else Decimal(0)
        securities.append(
            f"<invstOrSec><name>{escape(h.name)}</name><lei>{h.lei}</lei><title>{escape(h.name)}</title>"
            f'<cusip>{h.cusip}</cusip><identifiers><isin value="{h.isin}"/></identifiers>'
            f"<balance>{Decimal(repr(float(h.balance))):.8f}</balance><units>NS</units><curCd>USD</curCd>"
            f"<valUSD>{_cents(h.value_usd):.8f}</valUSD><pctVal>{pct:.12f}</pctVal>"
            "<payoffProfile>Long</payoffProfile><assetCat>EC</assetCat><issuerCat>CORP</issuerCat>"
            "<invCountry>US</invCountry><isRestrictedSec>N</isRestrictedSec><fairValLevel>1</fairValLevel>"
            "<securityLending><isCashCollateral>N</isCashCollateral><isNonCashCollateral>N"
            "</isNonCashCollateral><isLoanByFund>N</isLoanByFund></securityLending></invstOrSec>"
        )
    name = escape(registrant)
    doc = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<edgarSubmission xmlns="{NPORT_NS}" xmlns:com="{EDGAR_COMMON_NS}" xmlns:ncom="{NPORT_COMMON_NS}" '
        f'xmlns:xsi="{XSI_NS}" xsi:schemaLocation="{NPORT_NS} eis_NPORT_Filer.xsd">\n'
        f"  <headerData><submissionType>{form}</submissionType><isConfidential>false</isConfidential>"
        f"<filerInfo><filer><issuerCredentials><cik>{reg_cik:010d}</cik><ccc>XXXXXXXX</ccc>"
        f"</issuerCredentials></filer><seriesClassInfo><seriesId>{series_id}</seriesId>{classes}"
        "</seriesClassInfo></filerInfo></headerData>\n"
        f"  <formData>\n    <genInfo><regName>{name}</regName><regFileNumber>{file_number}</regFileNumber>"
        f"<regCik>{reg_cik:010d}</regCik><regLei>{synthetic_lei(f'TRUST{reg_cik}')}</regLei>"
        "<regStreet1>1 Synthetic Plaza</regStreet1><regCity>NEW YORK</regCity>"
        '<regStateConditional regCountry="US" regState="US-NY"/><regZipOrPostalCode>10001'
        "</regZipOrPostalCode><regPhone>212-555-0100</regPhone>"
        f"<seriesName>{escape(series_name)}</seriesName><seriesId>{series_id}</seriesId>"
        f"<seriesLei>{synthetic_lei(series_id)}</seriesLei><repPdEnd>{fiscal_year_end.isoformat()}</repPdEnd>"
        f"<repPdDate>{period.isoformat()}</repPdDate><isFinalFiling>N</isFinalFiling></genInfo>\n"
        f"    <fundInfo><totAssets>{net:.2f}</totAssets><totLiabs>0.00</totLiabs><netAssets>{net:.2f}"
        f"</netAssets>{zeros}<isNonCashCollateral>N</isNonCashCollateral></fundInfo>\n"
        "    <invstOrSecs>\n" + "\n".join(securities) + "\n    </invstOrSecs>\n"
        f"    <signature><ncom:dateSigned>{signed.isoformat()}</ncom:dateSigned><ncom:nameOfApplicant>{name}"
        "</ncom:nameOfApplicant><ncom:signature>Synthetic Treasurer</ncom:signature><ncom:signerName>"
        "Synthetic Treasurer</ncom:signerName><ncom:title>Treasurer</ncom:title></signature>\n"
        "  </formData>\n</edgarSubmission>\n"
    )
    return doc.encode("utf-8")


def _cents(value: float) -> Decimal:
    return Decimal(repr(round(float(value), 2))).quantize(_CENT, rounding=ROUND_HALF_UP)


def _iso7064_check(text: str) -> str:
    """The two check digits of ISO 7064 MOD 97-10 (LEI, ISO 17442) for ``text`` + "00"."""
    digits = "".join(str(int(c, 36)) for c in text.upper()) + "00"
    return f"{98 - int(digits) % 97:02d}"


def synthetic_lei(seed: str) -> str:
    """A well-formed made-up LEI (20 characters, valid MOD 97-10 check digits) for a synthetic entity."""
    body = ("5493SY" + f"{zlib.crc32(seed.encode()):012d}")[:18]
    return body + _iso7064_check(body)


def isin_of_cusip(cusip: str, country: str = "US") -> str:
    """The ISIN of a CUSIP: country, CUSIP, and the Luhn check digit over their letters as numbers."""
    base = country + cusip.upper()
    digits = "".join(str(int(c, 36)) for c in base)
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n // 10 + n % 10
    return base + str((10 - total % 10) % 10)


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
    role: str = ""  # "" (issuer or reporting owner), "manager" (a 13F filer) or "fund" (an N-PORT registrant)


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
        """Filings with ``first <= filing_date <= last`` (ownership, 13F and N-PORT)."""
        raise NotImplementedError

    def company_facts(self, cik: int, as_of: date) -> dict | None:
        return None

    def fund_classes(self) -> list[tuple[int, str, str, str]]:
        """(registrant CIK, series id, class id, ticker) of each fund share class, for
        ``company_tickers_mf.json``."""
        return []


def _split_sgml_documents(text: str) -> list[tuple[str, str]]:
    """(file name, XML text) of each ``<DOCUMENT>`` holding an ownership XML."""
    out = []
    for block in text.split("<DOCUMENT>")[1:]:
        name = re.search(r"<FILENAME>\s*([^<\s]+)", block)
        xml = re.search(r"<XML>\s*(.*?)\s*</XML>", block, flags=re.S)
        if xml and "ownershipDocument" in xml.group(1):
            out.append((name.group(1) if name else "form4.xml", xml.group(1)))
    return out


def sgml_xml_documents(text: str) -> list[tuple[str, str, str]]:
    """(SGML ``<TYPE>``, file name, XML text) of each ``<DOCUMENT>`` of a submission that holds XML, in
    either spelling (line-per-tag complete submission, or the one-line ``.nc`` dissemination form)."""
    out = []
    for block in text.split("<DOCUMENT>")[1:]:
        kind = re.search(r"<TYPE>\s*([^<\r\n]+)", block)
        name = re.search(r"<FILENAME>\s*([^<\s]+)", block)
        xml = re.search(r"<XML>\s*(.*?)\s*</XML>", block, flags=re.S)
        if xml:
            out.append((kind.group(1).strip() if kind else "", name.group(1) if name else "", xml.group(1)))
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
    """Real filings from one or more folders laid out like ``shared/realdata/form4_xml/`` (module
    docstring): ownership documents, and 13F filings (rows whose ``form_type`` starts with 13F)."""

    description = "REAL filings"

    def __init__(self, folder: Path | str | Iterable[Path | str], tickers: Path | str | None = None):
        self.folders = [Path(folder)] if isinstance(folder, str | Path) else [Path(f) for f in folder]
        self.skipped: list[dict] = []
        self.problems: list[dict] = []
        self._by_accession: dict[str, Filing | FundFiling] = {}
        for folder_path in self.folders:
            self.folder = folder_path  # the folder whose INDEX.csv is being read
            index = self.folder / "INDEX.csv"
            if not index.is_file():
                raise FileNotFoundError(
                    f"{index} not found: --filings needs a folder with an INDEX.csv whose 'file' column "
                    "names each document (like shared/realdata/form4_xml/)"
                )
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
        form = (row.get("form_type") or "").strip().upper()
        if form.startswith("13F") or (not form and ("thirteenf" in text[:5000])):
            return self._load_13f(row, name, raw, text)
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

    def _load_13f(self, row: dict, name: str, raw: bytes, text: str) -> None:
        """A 13F filing: a complete submission (SGML header, cover page and information table), or a cover
        page XML with ``infotable_file`` naming its information table (then the accession and filing date
        come from INDEX.csv)."""
        full_text = None
        if "<SEC-HEADER>" in text or "<SUBMISSION>" in text or "<SEC-DOCUMENT>" in text:
            header, source = sgml_header(text), "SGML header"
            blocks = [(kind.upper(), file, xml) for kind, file, xml in sgml_xml_documents(text)]
            if "FILED AS OF DATE:" in text:
                full_text = raw  # an EDGAR complete submission: served as it is
        else:
            header, source = {}, ""
            blocks = [("", Path(name).name, text)]
            table_file = (row.get("infotable_file") or "").strip()
            if table_file:
                table_path = self.folder / table_file
                if not table_path.is_file():
                    return self._skip(name, f"infotable_file {table_file} named in INDEX.csv not found")
                blocks.append((INFORMATION_TABLE, Path(table_file).name, _decode(table_path.read_bytes())))
        cover = table = None
        for _, file, xml in blocks:
            try:
                root = parse_local_xml(xml.strip().encode("utf-8"))
            except ElementTree.ParseError as exc:
                return self._skip(name, f"{file}: XML does not parse: {exc}")
            if root.tag == "edgarSubmission" and cover is None:
                cover = (file or "primary_doc.xml", xml.strip().encode("utf-8"), root)
            elif root.tag == "informationTable" and table is None:
                table = (file or "infotable.xml", xml.strip().encode("utf-8"))
        if cover is None:
            return self._skip(
                name, "an information table without its cover page: nothing names the filer or says when it "
                "became public"
            )  # fmt: skip
        file, cover_xml, root = cover
        cik_text = _plain(root, "headerData/filerInfo/filer/credentials/cik")
        if not cik_text.isdigit() or int(cik_text) == 0:
            return self._skip(name, f"the cover page names no filer CIK (got {cik_text!r})")
        accession = header.get("accession") or (row.get("accession") or "").strip()
        filing_date = _yyyymmdd(header.get("filing_date", ""))
        if filing_date is None and _yyyymmdd(row.get("filing_date", "")):
            filing_date, source = _yyyymmdd(row.get("filing_date", "")), "INDEX.csv"
        if filing_date is None:
            return self._skip(name, "no filing date in the document, its header or INDEX.csv: nothing says "
                              "when it became public")  # fmt: skip
        if not re.fullmatch(r"\d{10}-\d{2}-\d{6}", accession):
            return self._skip(name, f"no accession number (got {accession!r})")
        if accession in self._by_accession:
            return self._skip(name, f"duplicate accession {accession}")
        documents = {file: cover_xml}
        kinds = [(file, _plain(root, "headerData/submissionType") or header.get("form", "13F-HR"))]
        if table is not None:
            documents[table[0]] = table[1]
            kinds.append((table[0], INFORMATION_TABLE))
        manager = root.find("formData/coverPage/filingManager")
        self._by_accession[accession] = FundFiling(
            accession=accession,
            form=header.get("form") or kinds[0][1],
            filing_date=filing_date,
            acceptance=_eastern(header.get("acceptance", "")) or _eastern(row.get("acceptance_datetime", "")),
            filer_cik=int(cik_text),
            filer_name=_plain(manager, "name"),
            period_of_report=mdy_to_iso(_plain(root, "headerData/filerInfo/periodOfReport")),
            documents=tuple(kinds),
            load_documents=lambda: documents,
            load_text=(lambda: full_text) if full_text is not None else None,
            file_number=header.get("file_number") or _plain(root, "formData/coverPage/form13FFileNumber"),
            film_number=header.get("film_number", ""),
            address=(
                _plain(manager, "address/street1"),
                _plain(manager, "address/city"),
                _plain(manager, "address/stateOrCountry"),
                _plain(manager, "address/zipCode"),
            ),
            filing_date_source=source,
        )

    def _derive_entities(self) -> dict[int, Entity]:
        entities: dict[int, Entity] = {}
        for cik, all_filings in self._by_cik.items():
            managed = [f for f in all_filings if isinstance(f, FundFiling)]
            filings = [f for f in all_filings if isinstance(f, Filing)]
            if managed and not any(f.issuer_cik == cik for f in filings):
                entities[cik] = Entity(cik, managed[0].filer_name, is_issuer=False, role="manager")
                continue
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

    def __init__(self, config=None, nport_schedule: str = "quarterly"):
        from smart_money.sources.synthetic.market import MarketConfig, simulate_market

        if nport_schedule not in NPORT_SCHEDULES:
            raise ValueError(f"nport_schedule {nport_schedule!r}: use one of {', '.join(NPORT_SCHEDULES)}")
        self.config = config or MarketConfig()
        self.nport_schedule = nport_schedule
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
        self._rendered: dict[str, dict[str, bytes]] = {}
        self._sizes: dict[str, int] = {}
        self._init_funds(world)

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

    # ---- 13F managers and N-PORT funds ---------------------------------------------------------------------
    def _init_funds(self, world) -> None:
        """Each simulated 13F filer files one 13F-HR per quarter on its ``known_at`` day, plus the documented
        amendments (module docstring); each simulated ETF files NPORT-P reports on the schedule."""
        import pandas as pd

        from smart_money import timeline
        from smart_money.sources.synthetic.identifiers import synthetic_cusip

        days = timeline.trading_days(self.config.start, self.config.end + timedelta(days=120))
        self._business_days = {d.date() for d in days}
        uni = world.universe
        self._issuer_name = dict(zip(uni["symbol"], uni["name"], strict=True))
        self._cusip = {symbol: synthetic_cusip(symbol) for symbol in uni["symbol"]}
        self._fund_specs: dict[str, dict] = {}
        self._fund_by_cik: dict[int, list[str]] = defaultdict(list)
        self._fund_by_day: dict[date, list[str]] = defaultdict(list)
        self._fund_filings: dict[str, FundFiling] = {}
        self.amendments: list[dict] = []  # the 13F-HR/A filed, for tests and the lead's checks

        h = world.institutional_holdings
        self._h = {c: h[c].to_numpy() for c in ("symbol", "shares", "market_value")}
        known = h["known_at"].dt.date.to_numpy()
        names = dict(zip(h["filer_id"], h["filer_name"], strict=True))
        quarter_of_report = {pd.Timestamp(d): i for i, d in enumerate(sorted(h["report_date"].unique()))}
        groups = h.groupby(["filer_id", "report_date"], sort=True).indices
        for (filer_id, report_date), rows in groups.items():
            cik = synthetic_manager_cik(filer_id)
            if cik not in self._entities:
                self._entities[cik] = Entity(cik, names[filer_id], is_issuer=False, role="manager")
            held = rows[self._h["shares"][rows] > 0]
            q = quarter_of_report[pd.Timestamp(report_date)]
            day = known[rows[0]]
            base = {
                "kind": "13F",
                "filer_id": filer_id,
                "cik": cik,
                "period": pd.Timestamp(report_date).date(),
            }
            amendment = None
            if filer_id == RESTATEMENT_FILER and q % 4 == 1 and len(held) >= 1:
                variant, amendment = "typo", "RESTATEMENT"
            elif filer_id == NEW_HOLDINGS_FILER and q % 4 == 2 and len(held) >= 3:
                variant, amendment = "omitting", "NEW HOLDINGS"
            else:
                variant = "as simulated"
            original = self._add_fund_spec(day, rows=held, variant=variant, form="13F-HR", **base)
            if amendment is not None:
                filed = self._business_day(day + timedelta(days=AMENDMENT_LAG_DAYS), forward=True)
                amended = self._add_fund_spec(filed, rows=held, variant=amendment, form="13F-HR/A", **base)
                self.amendments.append(
                    {
                        "filer_id": filer_id,
                        "cik": cik,
                        "period": base["period"],
                        "amendment_type": amendment,
                        "original": original,
                        "original_filed": day,
                        "amendment": amended,
                        "amendment_filed": filed,
                    }
                )

        e = world.etf_holdings
        self._e = {c: e[c].to_numpy() for c in ("symbol", "shares", "market_value")}
        self._etfs: dict[str, tuple[int, str, str, int]] = {}  # symbol -> (trust CIK, series, class, number)
        for number, etf in enumerate(dict.fromkeys(e["etf_symbol"]), start=1):
            trust = SYNTHETIC_TRUST_CIK + (2 if etf.startswith("SYNETF-S") else 1)
            self._etfs[etf] = (trust, f"S{900_000 + number:09d}", f"C{900_000 + number:09d}", number)
            if trust not in self._entities:
                self._entities[trust] = Entity(trust, SYNTHETIC_TRUSTS[trust], is_issuer=False, role="fund")
        for (etf, as_of), rows in e.groupby(["etf_symbol", e["known_at"].dt.date], sort=True).indices.items():
            if self.nport_schedule == "quarterly" and as_of.month % 3:
                continue  # months 1 and 2 of a fiscal quarter are filed NPORT-NP: never public
            lag = (50 if self.nport_schedule == "quarterly" else 20) + zlib.crc32(
                f"{etf}{as_of}".encode()
            ) % 10
            filed = self._business_day(as_of + timedelta(days=lag), forward=False)
            trust, series_id, class_id, number = self._etfs[etf]
            self._add_fund_spec(
                filed,
                kind="NPORT",
                cik=trust,
                etf=etf,
                period=as_of,
                rows=rows,
                form="NPORT-P",
                number=number,
            )

    def _business_day(self, day: date, forward: bool) -> date:
        """The nearest day EDGAR takes filings (a trading day of the simulated market's calendar)."""
        step = timedelta(days=1 if forward else -1)
        while day not in self._business_days:
            day += step
        return day

    def _add_fund_spec(self, day: date, **spec) -> str:
        sequence = day.timetuple().tm_yday * (100 if spec["kind"] == "NPORT" else 1) + spec.get("number", 0)
        accession = f"{spec['cik']:010d}-{day.year % 100:02d}-{sequence:06d}"
        if accession in self._fund_specs:
            raise RuntimeError(f"synthetic accession {accession} given twice: a stand-in bug")
        self._fund_specs[accession] = {**spec, "day": day}
        self._fund_by_cik[spec["cik"]].append(accession)
        self._fund_by_day[day].append(accession)
        return accession

    def _fund_filing(self, accession: str) -> FundFiling:
        with self._lock:
            cached = self._fund_filings.get(accession)
        if cached is not None:
            return cached
        spec = self._fund_specs[accession]
        day, cik = spec["day"], spec["cik"]
        crc = zlib.crc32(accession.encode())
        minutes = 6 * 60 + crc % (11 * 60 + 30)  # accepted 06:00-17:29 Eastern: filed that day
        acceptance = datetime(
            day.year, day.month, day.day, minutes // 60, minutes % 60, (crc >> 10) % 60, tzinfo=EASTERN
        )
        entity = self._entities[cik]
        if spec["kind"] == "13F":
            number = cik - SYNTHETIC_MANAGER_CIK
            table = ("infotable.xml", "form13fInfoTable.xml", f"{number * 7919 % 90_000 + 10_000}.xml")[
                number % 3
            ]
            documents = (("primary_doc.xml", spec["form"]), (table, INFORMATION_TABLE))
            file_number, series = f"028-{90_000 + number:05d}", ()
        else:
            trust, series_id, class_id, _ = self._etfs[spec["etf"]]
            name = f"Synthetic {spec['etf'].split('-', 1)[1]} ETF"
            documents = (("primary_doc.xml", spec["form"]),)
            file_number, series = (
                f"811-{90_000 + trust - SYNTHETIC_TRUST_CIK:05d}",
                ((series_id, name, ((class_id, name, spec["etf"]),)),),
            )
        filing = FundFiling(
            accession=accession,
            form=spec["form"],
            filing_date=day,
            acceptance=acceptance,
            filer_cik=cik,
            filer_name=entity.name,
            period_of_report=spec["period"].isoformat(),
            documents=documents,
            load_documents=partial(self._render_fund, accession),
            load_size=partial(self._fund_size, accession),
            file_number=file_number,
            series=series,
            address=("1 SYNTHETIC PLAZA", "NEW YORK", "NY", "10001"),
            filing_date_source="synthetic",
        )
        with self._lock:
            self._fund_filings[accession] = filing
        return filing

    def _fund_size(self, accession: str) -> int:
        with self._lock:
            size = self._sizes.get(accession)
        if size is None:
            size = len(self._fund_filing(accession).text())
            with self._lock:
                self._sizes[accession] = size
        return size

    def _render_fund(self, accession: str) -> dict[str, bytes]:
        with self._lock:
            cached = self._rendered.get(accession)
        if cached is not None:
            return cached
        filing = self._fund_filing(accession)
        spec = self._fund_specs[accession]
        if spec["kind"] == "13F":
            documents = self._render_13f(filing, spec)
        else:
            documents = self._render_nport(filing, spec)
        with self._lock:
            self._rendered[accession] = documents
            while len(self._rendered) > 256:
                self._rendered.pop(next(iter(self._rendered)))
        return documents

    def _render_13f(self, filing: FundFiling, spec: dict) -> dict[str, bytes]:
        """The cover page and information table of a synthetic 13F (variants: module docstring)."""
        rows = spec["rows"]
        shares, values, symbols = (
            self._h["shares"][rows],
            self._h["market_value"][rows],
            self._h["symbol"][rows],
        )
        order = np.argsort(values, kind="stable")
        variant = spec["variant"]
        if variant == "omitting":
            keep = order[2:]  # the two smallest positions are left for the NEW HOLDINGS amendment
        elif variant == "NEW HOLDINGS":
            keep = order[:2]
        else:
            keep = order
        largest = order[-1] if len(order) else None
        day = filing.filing_date
        entries = []
        for i in sorted(keep, key=lambda k: symbols[k]):
            n, dollars = int(shares[i]), float(values[i])
            if variant == "typo" and i == largest:
                n, dollars = n * 10, dollars * 10  # a keying error: one digit too many
            name = self._issuer_name[symbols[i]].upper()
            entries.append(
                Holding13F(name, "COM", self._cusip[symbols[i]], value_in_filing_unit(dollars, day), n)
            )
            put_call = OPTION_FILERS.get(spec["filer_id"])
            if put_call and i == largest and variant != "NEW HOLDINGS":
                option_shares = max(10, int(round(n / 10, -1)))
                option_value = value_in_filing_unit(dollars * option_shares / n, day)
                entries.append(Holding13F(name, "COM", self._cusip[symbols[i]], option_value, option_shares,
                                          put_call))  # fmt: skip
        amendment = (1, variant) if variant in ("RESTATEMENT", "NEW HOLDINGS") else None
        cover = render_13f_cover(
            form=filing.form,
            cik=filing.filer_cik,
            period=spec["period"],
            manager=filing.filer_name,
            address=filing.address,
            file_number=filing.file_number,
            signer="Synthetic Compliance Officer",
            signed=day,
            entries=len(entries),
            total=sum(entry.value for entry in entries),
            amendment=amendment,
            confidential_omitted=variant == "omitting",
        )
        prefix = "ns1" if spec["filer_id"].startswith("SYNHF") else ""
        return {filing.documents[0][0]: cover, filing.documents[1][0]: render_13f_table(entries, prefix)}

    def _render_nport(self, filing: FundFiling, spec: dict) -> dict[str, bytes]:
        rows = spec["rows"]
        holdings = [
            HoldingNport(
                name=self._issuer_name[symbol],
                lei=synthetic_lei(symbol),
                cusip=self._cusip[symbol],
                isin=isin_of_cusip(self._cusip[symbol]),
                balance=float(balance),
                value_usd=float(value),
            )
            for symbol, balance, value in zip(
                self._e["symbol"][rows], self._e["shares"][rows], self._e["market_value"][rows], strict=True
            )
        ]
        ((series_id, series_name, classes),) = filing.series
        xml = render_nport(
            registrant=filing.filer_name,
            reg_cik=filing.filer_cik,
            file_number=filing.file_number,
            series_id=series_id,
            series_name=series_name,
            class_ids=[c[0] for c in classes],
            period=spec["period"],
            fiscal_year_end=date(spec["period"].year, 12, 31),
            signed=filing.filing_date,
            holdings=holdings,
        )
        return {"primary_doc.xml": xml}

    def fund_classes(self) -> list[tuple[int, str, str, str]]:
        return [(trust, series, cls, etf) for etf, (trust, series, cls, _) in self._etfs.items()]

    # ---- the EdgarWorld interface -------------------------------------------------------------------------
    def entity(self, cik: int) -> Entity | None:
        return self._entities.get(cik)

    def issuers(self) -> list[Entity]:
        return sorted((e for e in self._entities.values() if e.is_issuer), key=lambda e: e.cik)

    def filings_of(self, cik: int) -> list[Filing]:
        if cik in self._fund_by_cik:
            funds = [self._fund_filing(accession) for accession in self._fund_by_cik[cik]]
            return sorted(funds, key=lambda f: (f.filing_date, f.accession), reverse=True)
        filings = [self._filing(key) for key in self._by_cik.get(cik, [])]
        return sorted(filings, key=lambda f: (f.filing_date, f.accession), reverse=True)

    def filing(self, accession: str) -> Filing | None:
        if accession in self._fund_specs:
            return self._fund_filing(accession)
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
            out.extend(self._fund_filing(accession) for accession in self._fund_by_day.get(day, []))
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


def synthetic_manager_cik(filer_id: str) -> int:
    """The CIK of a simulated 13F filer: ``SYNHF01`` -> 9800001, ``SYNIN001`` -> 9800101."""
    match = re.fullmatch(r"SYN(HF|IN)(\d+)", filer_id)
    if not match:
        raise ValueError(f"{filer_id!r} is not a simulated 13F filer id (SYNHF01, SYNIN001, ...)")
    return SYNTHETIC_MANAGER_CIK + (100 if match.group(1) == "IN" else 0) + int(match.group(2))


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
        self._form13f_zips: dict[str, bytes] = {}
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
                members = [
                    f
                    for f in self.public(candidates)
                    if isinstance(f, Filing) and dataset_quarter(f) == (year, quarter)
                ]
                self._zips[(year, quarter)] = dataset_zip(members)
                with self.lock:
                    self.zip_build_s += time.perf_counter() - began
            return self._zips[(year, quarter)]

    def form13f_dataset(self, name: str) -> bytes | None:
        """The Form 13F data set ``name`` (``2023q4``, ``01mar2024-31may2024``), once published
        ``dataset_lag_days`` after its filing-date window closed; None before, or for a name the SEC does not
        use."""
        try:
            first, last = form13f_dataset_window(name)
        except ValueError:
            return None
        if self.as_of < last + timedelta(days=1 + self.dataset_lag_days):
            return None
        with self._zip_lock:
            if name not in self._form13f_zips:
                began = time.perf_counter()
                candidates = self.world.filings_between(first - timedelta(days=7), last)
                members = [
                    f
                    for f in self.public(candidates)
                    if isinstance(f, FundFiling) and f.is_13f and form13f_dataset_of(f) == name
                ]
                self._form13f_zips[name] = form13f_dataset_zip(members)
                with self.lock:
                    self.zip_build_s += time.perf_counter() - began
            return self._form13f_zips[name]

    def fund_tickers(self) -> dict:
        """``company_tickers_mf.json``: each share class whose series has a public N-PORT filing."""
        rows = []
        for cik, series_id, class_id, symbol in self.world.fund_classes():
            filed = any(
                any(series_id == s[0] for s in getattr(f, "series", ()))
                for f in self.public(self.world.filings_of(cik))
            )
            if filed:
                rows.append([cik, series_id, class_id, symbol])
        return {"fields": ["cik", "seriesId", "classId", "symbol"], "data": rows}

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
            "insiderTransactionForOwnerExists": int(not entity.is_issuer and not entity.role),
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
_DATASET_13F = re.compile(r"^/files/structureddata/data/form-13f-data-sets/([0-9a-z-]+)_form13f\.zip$")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def _kind(path: str) -> str:
    if path == "/files/company_tickers.json":
        return "tickers"
    if path == "/files/company_tickers_mf.json":
        return "fund_tickers"
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
    if path == "/files/company_tickers_mf.json":
        return 200, _json_bytes(state.fund_tickers()), "application/json", {}
    if match := _DATASET.match(path):
        data = state.dataset(int(match.group(1)), int(match.group(2)))
        return (200, data, "application/zip", {}) if data is not None else NOT_FOUND
    if match := _DATASET_13F.match(path):
        data = state.form13f_dataset(match.group(1))
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
    if isinstance(filing, FundFiling):
        return _fund_archive(filing, cik, accession, name)
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


def _fund_archive(filing: FundFiling, cik: int, accession: str, name: str) -> Answer:
    """A 13F or N-PORT filing folder: the XML documents, their HTML renderings under ``xslForm13F_X02/`` or
    ``xslFormNPORT-P_X01/``, the complete submission and ``index.json``."""
    if name == f"{accession}.txt":
        return 200, filing.text(), "text/plain", {}
    documents = filing.load_documents()
    if name in documents:
        return 200, documents[name], "text/xml", {}
    folder, _, inner = name.partition("/")
    if folder == filing.rendering and inner in documents:
        title = f"SEC FORM {escape(filing.form)}"
        body = f"<html><head><title>{title}</title></head><body><h1>{title}</h1>"
        body += f"<p>{escape(filing.filer_name)}</p><p>{escape(inner)}</p></body></html>"
        return 200, body.encode(), "text/html", {}
    if name == "index.json":
        stamp = (filing.acceptance or datetime.combine(filing.filing_date, datetime.min.time())).strftime(
            "%Y-%m-%d %H:%M:%S"
        )
        items = [
            {"last-modified": stamp, "name": doc, "type": "text.gif", "size": str(len(documents[doc]))}
            for doc, _ in filing.documents
        ]
        items.append(
            {
                "last-modified": stamp,
                "name": f"{accession}.txt",
                "type": "text.gif",
                "size": str(len(filing.text())),
            }
        )
        items.append({"last-modified": stamp, "name": filing.rendering, "type": "folder.gif", "size": ""})
        folder_path = f"/Archives/edgar/data/{cik}/{filing.folder}"
        body = {
            "directory": {"item": items, "name": folder_path, "parent-dir": f"/Archives/edgar/data/{cik}"}
        }
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


def _world(
    filings: Path | str | Iterable[Path | str] | None,
    config,
    tickers: Path | str | None = None,
    nport_schedule: str = "quarterly",
) -> EdgarWorld:
    if tickers is not None and filings is None:
        raise ValueError("--tickers adds companies to a folder of real filings: give --filings too")
    return FilingsWorld(filings, tickers) if filings is not None else SyntheticWorld(config, nport_schedule)


class LocalEdgarServer(BackgroundServer):
    """The stand-in on a background thread (tests, benchmarks): ``with LocalEdgarServer(...) as server:``."""

    def __init__(
        self,
        filings: Path | str | Iterable[Path | str] | None = None,
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
        nport_schedule: str = "quarterly",
    ):
        world = _world(filings, config, tickers, nport_schedule)
        default_as_of = world.config.end if isinstance(world, SyntheticWorld) else date.today()
        self.state = EdgarServerState(
            world, as_of or default_as_of, recent_limit, page_size, dataset_lag_days, faults, enforce_rate
        )
        self._serve(make_handler(self.state), port)


def main(argv: list[str] | None = None) -> int:
    from smart_money import settings
    from smart_money.sources.synthetic.market import MarketConfig

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument(
        "--filings",
        action="append",
        help="a folder of real filings with an INDEX.csv (repeat for more; default: synthetic)",
    )
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
        "--nport-schedule",
        choices=NPORT_SCHEDULES,
        default="quarterly",
        help="synthetic NPORT-P: each fiscal quarter's third month (the SEC's rule) or every month",
    )
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
        nport_schedule=args.nport_schedule,
    )
    skipped = len(getattr(server.state.world, "skipped", []))
    return serve_until_interrupted(
        server.httpd,
        f"serving {server.state.world.description} in EDGAR shapes on {server.url}, "
        f"as of {server.state.as_of}, ready in {time.perf_counter() - began:.1f} s"
        f"{f', {skipped} documents skipped: see /_stats' if skipped else ''}",
    )


if __name__ == "__main__":
    raise SystemExit(main())
