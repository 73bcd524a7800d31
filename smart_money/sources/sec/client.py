"""HTTP client for SEC EDGAR that follows the SEC's fair-access rules, with a disk cache.

Fair access (https://www.sec.gov/os/accessing-edgar-data):

- **A declared User-Agent** (``SEC_USER_AGENT``: a name and an email) is mandatory. Without one the client
  refuses to start, before any request (:class:`SecUserAgentMissing`). It is sent as the ``User-Agent``
  header and never logged or put in an error message.
- **At most 10 requests a second** (default 8) for the whole process: every client pointed at the SEC shares
  one limiter (:func:`shared_limiter`), whatever thread it runs on. Only a stand-in on loopback may go faster.
- **Retries** (tenacity) on 429, 5xx, timeouts and connection errors, with exponential back-off and jitter,
  honouring ``Retry-After`` (seconds or an HTTP date, capped at ``RetryPolicy.retry_after_cap_s``); a 429
  also pauses every thread of the limiter.
- **The SEC's 403 page** ("Your Request Originates from an Undeclared Automated Tool" / "Request Rate
  Threshold Exceeded") is never retried: it raises :class:`SecAccessDenied` saying what it means and what to
  check. Retrying would only extend the block.

Paths (``www`` = https://www.sec.gov, ``data`` = https://data.sec.gov, both configurable so a local
stand-in such as :mod:`smart_money.testing.edgar_server` can serve them):

===========================  ====  ==============================================================  =========
method                       host  path                                                            cache
===========================  ====  ==============================================================  =========
company_tickers              www   /files/company_tickers.json                                     TTL
submissions                  data  /submissions/CIK##########.json                                 TTL
submissions_page             data  /submissions/CIK##########-submissions-001.json                 TTL
company_facts                data  /api/xbrl/companyfacts/CIK##########.json                       TTL
filing_index                 www   /Archives/edgar/data/<cik>/<acc-no-dashes>/index.json           final
archives_document            www   /Archives/edgar/data/<cik>/<acc-no-dashes>/<document>           final
submission_text              www   /Archives/edgar/data/<cik>/<acc-no-dashes>/<accession>.txt      final
daily_form_index             www   /Archives/edgar/daily-index/<yyyy>/QTR<q>/form.<yyyymmdd>.idx   period
insider_dataset              www   /files/structureddata/data/insider-transactions-data-sets/      period
                                   <yyyy>q<q>_form345.zip (streamed to disk, verified)
form13f_dataset              www   /files/structureddata/data/form-13f-data-sets/                  period
                                   <name>_form13f.zip (streamed, verified; :func:`form13f_dataset_name`)
fund_tickers                 www   /files/company_tickers_mf.json                                  TTL
===========================  ====  ==============================================================  =========

13F-HR and NPORT-P documents come through ``submissions`` (``form`` 13F-HR / 13F-HR/A / NPORT-P,
``reportDate`` = the period), ``filing_index`` (which names the information table: see
:func:`information_table_name`), ``archives_document`` (``primary_doc.xml``, the information table) and
``submission_text``; their ``primaryDocument`` (``xslForm13F_X02/primary_doc.xml``,
``xslFormNPORT-P_X01/primary_doc.xml``) is the SEC's HTML rendering, the XML sits beside it
(:func:`raw_document_name`).

**Form 13F data set names.** The SEC published one ZIP per calendar quarter of *filing* dates from 2013q2
to 2023q4 (``2023q4_form13f.zip``: filings of 1 Oct - 31 Dec 2023), then one for January-February 2024
(``01jan2024-29feb2024_form13f.zip``), then one per three months of filing dates, March-May, June-August,
September-November and December-February (``01mar2024-31may2024_form13f.zip``,
``01dec2024-28feb2025_form13f.zip``), so that each set closes soon after a 13F due date (45 days after a
quarter). A filing accepted after 17:30 Eastern on a set's last business day is in the next set
(``FORM13F_readme.htm``). A source finds the sets for a range of filing dates with
:func:`form13f_dataset_names`, and takes filings after the newest published set from the documents.

"final": Archives documents never change once filed. "period": final once the day / quarter has closed
(:mod:`smart_money.sources.sec.cache`). Absent answers (404) are cached too, so a weekend's daily index or
a quarter not yet published is not asked again within the TTL.
"""

import json
import logging
import re
import threading
import zipfile
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from smart_money.settings import SEC_DEFAULTS
from smart_money.sources.http import (
    RateLimiter,
    Retryable,
    RetryPolicy,
    is_loopback,
    retry_after_seconds,
    with_retries,
)
from smart_money.sources.sec.cache import DEFAULT_TTL_DAYS, Cached, SecCache, server_folder

log = logging.getLogger(__name__)

SEC_USER_AGENT_ENV = "SEC_USER_AGENT"
USER_AGENT_HINT = 'export SEC_USER_AGENT="Your Name you@example.com"'
WWW_URL = SEC_DEFAULTS.www_url
DATA_URL = SEC_DEFAULTS.data_url
DEFAULT_RATE_PER_S = SEC_DEFAULTS.rate_per_s
DEFAULT_RETRY = RetryPolicy()  # 6 attempts, 0.5 s doubling to 30 s, Retry-After honoured up to 120 s
MAX_RATE_PER_S = SEC_DEFAULTS.max_rate_per_s  # the SEC's published limit, per user, across www and data
DATASET_MEMBERS = ("SUBMISSION.tsv", "REPORTINGOWNER.tsv", "NONDERIV_TRANS.tsv", "DERIV_TRANS.tsv")
DATASET_DIR = "/files/structureddata/data/insider-transactions-data-sets"
FORM13F_DATASET_DIR = "/files/structureddata/data/form-13f-data-sets"
# The tables every Form 13F data set holds (OTHERMANAGER, OTHERMANAGER2 and SIGNATURE may be empty).
FORM13F_DATASET_MEMBERS = ("SUBMISSION.tsv", "COVERPAGE.tsv", "SUMMARYPAGE.tsv", "INFOTABLE.tsv")
FORM13F_FIRST_QUARTER = (2013, 2)  # the first data set: XML 13F filings began in May 2013
FORM13F_LAST_QUARTERLY = (2023, 4)  # the last calendar-quarter set; then 01jan2024-29feb2024
FORM13F_WINDOWS_FROM = date(2024, 3, 1)  # three-month sets from here: Mar-May, Jun-Aug, Sep-Nov, Dec-Feb
DENIED_MARKERS = ("Undeclared Automated Tool", "Request Rate Threshold Exceeded")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_ACCESSION = re.compile(r"^(\d{10})-?(\d{2})-?(\d{6})$")
_PAGE_NAME = re.compile(r"^CIK\d{10}-submissions-\d{3}\.json$")
_DOCUMENT = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)?$")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_QUARTER_NAME = re.compile(r"^(\d{4})q([1-4])$")
_RANGE_NAME = re.compile(r"^(\d{2})([a-z]{3})(\d{4})-(\d{2})([a-z]{3})(\d{4})$")


class SecError(RuntimeError):
    """A request to EDGAR failed (after retries, or for a reason retrying cannot fix)."""


class SecUserAgentMissing(SecError):
    """``SEC_USER_AGENT`` is missing or does not declare a name and an email (the build exits with 2)."""


class SecAccessDenied(SecError):
    """HTTP 403: the SEC refused this client (undeclared tool or too fast). Never retried."""


class SecNotFound(SecError):
    """HTTP 404 for a document that should exist (a filing named by an index)."""


class SecCorruptArchive(SecError):
    """A downloaded data set ZIP is not a valid archive with the expected TSV members."""


def check_user_agent(value: str | None) -> str:
    """``value`` stripped, if it declares a name and an email as the SEC requires; else a clear error."""
    text = (value or "").strip()
    if not text:
        raise SecUserAgentMissing(
            f"{SEC_USER_AGENT_ENV} is not set: the SEC requires every automated tool to declare who runs it. "
            f"Set it to your name and email, for example: {USER_AGENT_HINT}"
        )
    problem = None
    if not text.isascii() or not text.isprintable():
        problem = "holds control or non-ASCII characters"
    elif not (match := _EMAIL.search(text)):
        problem = "has no email address"
    elif not text.replace(match.group(0), "").strip(" <>()[],;:-"):
        problem = "has an email but no name"
    elif match.group(0).lower() == "you@example.com":
        problem = "is the example from this message, not your own name and email"
    if problem:
        # the value itself is not repeated: it may be half an email someone pasted
        raise SecUserAgentMissing(
            f"{SEC_USER_AGENT_ENV} {problem} ({len(text)} characters); the SEC requires a name and an email. "
            f"Set it like this: {USER_AGENT_HINT}"
        )
    return text


_LIMITERS: dict[tuple[str, float], RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def shared_limiter(www_url: str, data_url: str, rate_per_s: float) -> RateLimiter:
    """The process-wide limiter for these servers: one for the real SEC (its limit spans www and data),
    one per local stand-in, so every client and thread of the process counts against the same budget."""
    local = is_loopback(www_url) and is_loopback(data_url)
    group = f"{www_url}|{data_url}" if local else "sec.gov"
    with _LIMITERS_LOCK:
        key = (group, float(rate_per_s))
        if key not in _LIMITERS:
            _LIMITERS[key] = RateLimiter(rate_per_s)
        return _LIMITERS[key]


def cik10(cik: int | str) -> str:
    """The zero-padded 10-digit CIK used by data.sec.gov paths."""
    text = str(cik).strip()
    if not text.isdigit() or len(text) > 10 or int(text) == 0:
        raise ValueError(f"CIK {cik!r} is not a number of at most 10 digits; use e.g. 320193 or 0000320193")
    return f"{int(text):010d}"


def accession_dashed(accession: str) -> str:
    """``0000320193-22-000061`` from either spelling (with or without dashes)."""
    match = _ACCESSION.match(str(accession).strip())
    if not match:
        raise ValueError(
            f"accession number {accession!r} is not 18 digits "
            "(e.g. 0000320193-22-000061 or 000032019322000061)"
        )
    return "-".join(match.groups())


def raw_document_name(primary_document: str) -> str:
    """The raw XML behind a submissions ``primaryDocument``: ``xslF345X05/form4.xml`` names the SEC's HTML
    rendering of ``form4.xml``; the XML itself sits in the filing folder without the ``xsl…/`` prefix."""
    return primary_document.rsplit("/", 1)[-1]


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def quarter_after(year: int, quarter: int) -> date:
    """The first day after ``year`` Q``quarter``."""
    return date(year + (quarter == 4), quarter % 4 * 3 + 1, 1)


def _month_end(year: int, month: int) -> date:
    return date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)


def _range_name(first: date, last: date) -> str:
    def spelled(day: date) -> str:
        return f"{day.day:02d}{_MONTHS[day.month - 1]}{day.year}"

    return f"{spelled(first)}-{spelled(last)}"


def _form13f_window_of(day: date) -> tuple[date, date, str]:
    if (day.year, quarter_of(day)) < FORM13F_FIRST_QUARTER:
        raise ValueError(
            f"no Form 13F data set covers filings of {day}: the SEC's sets start with 2013q2 "
            "(XML 13F filings began in May 2013)"
        )
    if day < date(2024, 1, 1):
        q = quarter_of(day)
        return date(day.year, 3 * q - 2, 1), quarter_after(day.year, q) - timedelta(days=1), f"{day.year}q{q}"
    if day < FORM13F_WINDOWS_FROM:
        first, last = date(2024, 1, 1), date(2024, 2, 29)
        return first, last, _range_name(first, last)
    start_month = 12 if day.month in (12, 1, 2) else (day.month - 3) // 3 * 3 + 3
    start_year = day.year - (day.month in (1, 2))
    first = date(start_year, start_month, 1)
    end_month = (start_month + 1) % 12 + 1
    last = _month_end(start_year + (end_month < start_month), end_month)
    return first, last, _range_name(first, last)


def form13f_dataset_name(filing_day: date) -> str:
    """The Form 13F data set holding filings of ``filing_day`` (by filing date; a filing accepted after
    17:30 Eastern on the set's last business day is in the next one): ``2023q4``,
    ``01jan2024-29feb2024``, ``01mar2024-31may2024``. The ZIP is ``<name>_form13f.zip``."""
    return _form13f_window_of(filing_day)[2]


def form13f_dataset_window(name: str) -> tuple[date, date]:
    """The first and last filing date a Form 13F data set covers, from its name (``2023q4``,
    ``01jun2024-31aug2024``, with or without ``_form13f.zip``). Raises ValueError for a name the SEC does not
    use."""
    text = str(name or "").strip().lower()
    for suffix in (".zip", "_form13f"):
        text = text.removesuffix(suffix)
    first = None
    if match := _QUARTER_NAME.match(text):
        year, quarter = int(match.group(1)), int(match.group(2))
        if FORM13F_FIRST_QUARTER <= (year, quarter) <= FORM13F_LAST_QUARTERLY:
            first = date(year, 3 * quarter - 2, 1)
    elif (match := _RANGE_NAME.match(text)) and match.group(2) in _MONTHS:
        try:
            first = date(int(match.group(3)), _MONTHS.index(match.group(2)) + 1, int(match.group(1)))
        except ValueError:
            first = None
    if first is not None:
        window_first, window_last, canonical = _form13f_window_of(first)
        if canonical == text and window_first == first:
            return window_first, window_last
    raise ValueError(
        f"Form 13F data set {name!r} is not one the SEC publishes: the names are 2013q2 ... 2023q4, then "
        "01jan2024-29feb2024, then three months each from 01mar2024-31may2024 (Mar-May, Jun-Aug, Sep-Nov, "
        "Dec-Feb); use form13f_dataset_name(filing_date) to find one"
    )


def form13f_dataset_names(first: date, last: date) -> list[str]:
    """The Form 13F data sets holding filings of ``first`` .. ``last`` (filing dates), oldest first. Days
    before 2013q2 have none and are skipped."""
    if last < first:
        return []
    year, quarter = FORM13F_FIRST_QUARTER
    day = max(first, date(year, 3 * quarter - 2, 1))
    names = []
    while day <= last:
        window_first, window_last, name = _form13f_window_of(day)
        names.append(name)
        day = window_last + timedelta(days=1)
    return names


def information_table_name(index: dict) -> str | None:
    """The information table of a 13F-HR filing, from its folder's ``index.json``: the XML document that is
    not the cover page (``primary_doc.xml``). Filers name it as they like (``infotable.xml``, ``index.xml``,
    ``F_13F_AcornCreek_Q42024.xml``); None for a filing without one (13F-NT)."""
    items = (index or {}).get("directory", {}).get("item", [])
    names = [
        str(item.get("name", ""))
        for item in items
        if str(item.get("name", "")).lower().endswith(".xml") and item.get("type") != "folder.gif"
    ]
    tables = [n for n in names if n.lower() != "primary_doc.xml"]
    return tables[0] if tables else None


class SecClient:
    """GET from EDGAR with fair access, retries, clear errors and a disk cache. Thread-safe."""

    def __init__(
        self,
        user_agent: str | None,
        *,
        cache_dir: Path | str,
        www_url: str = WWW_URL,
        data_url: str = DATA_URL,
        rate_per_s: float = DEFAULT_RATE_PER_S,
        cache_ttl_days: float = DEFAULT_TTL_DAYS,
        as_of: date | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        timeout_s: float = 30.0,
        max_connections: int = 8,
        limiter: RateLimiter | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self._user_agent = check_user_agent(user_agent)
        self.www_url = _base_url(www_url, "www")
        self.data_url = _base_url(data_url, "data")
        local = is_loopback(self.www_url) and is_loopback(self.data_url)
        if not rate_per_s > 0 or (rate_per_s > MAX_RATE_PER_S and not local):
            raise SecError(
                f"SEC request rate {rate_per_s}/s is not allowed: the SEC permits at most {MAX_RATE_PER_S:g} "
                f"requests a second (default {DEFAULT_RATE_PER_S:g}); only a local stand-in may go faster"
            )
        self.rate_per_s = float(rate_per_s)
        self.limiter = limiter or shared_limiter(self.www_url, self.data_url, self.rate_per_s)
        self.retry = retry
        self._as_of = as_of
        self.cache = SecCache(cache_dir, cache_ttl_days, today=self.today)
        self._http = httpx.Client(
            headers={"User-Agent": self._user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=timeout_s,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            transport=transport,
            follow_redirects=False,
        )
        self.requests: Counter = Counter()  # attempts sent, by kind
        self.retries: Counter = Counter()
        self.bytes_downloaded = 0
        self._counter_lock = threading.Lock()

    def __repr__(self) -> str:  # never shows the User-Agent
        return f"SecClient(www={self.www_url!r}, data={self.data_url!r}, rate={self.rate_per_s}/s)"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "SecClient":
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def today(self) -> date:
        return self._as_of or date.today()

    # ---- the paths ----------------------------------------------------------------------------------------
    def company_tickers(self) -> dict:
        """``company_tickers.json``: ``{"0": {"cik_str": 320193, "ticker": "AAPL", "title": ...}, ...}``."""
        return self._json("tickers", self.www_url, "/files/company_tickers.json", missing_ok=False)

    def submissions(self, cik: int | str) -> dict | None:
        """An entity's submissions JSON (``filings.recent`` plus ``filings.files`` pages); None if unknown."""
        return self._json("submissions", self.data_url, f"/submissions/CIK{cik10(cik)}.json")

    def submissions_page(self, name: str) -> dict | None:
        """An older submissions page named in ``filings.files[].name``, e.g.
        ``CIK0000789019-submissions-001.json`` (the same columns as ``filings.recent``)."""
        if not _PAGE_NAME.match(name or ""):
            raise ValueError(
                f"submissions page {name!r} is not a name like CIK0000789019-submissions-001.json "
                "(take it from filings.files[].name)"
            )
        return self._json("submissions", self.data_url, f"/submissions/{name}")

    def company_facts(self, cik: int | str) -> dict | None:
        """XBRL company facts; None when the SEC has none for this CIK (funds, people, foreign issuers)."""
        return self._json("companyfacts", self.data_url, f"/api/xbrl/companyfacts/CIK{cik10(cik)}.json")

    def filing_index(self, cik: int | str, accession: str) -> dict:
        """The filing folder's ``index.json`` (``{"directory": {"item": [{"name": ...}, ...]}}``)."""
        body = self._bytes("archives", self.www_url, self._folder(cik, accession) + "/index.json", True)
        return _parse_json(body, self._folder(cik, accession) + "/index.json")

    def archives_document(self, cik: int | str, accession: str, document: str) -> bytes:
        """One document of a filing (``form4.xml``; a ``primaryDocument`` with an ``xsl…/`` prefix is the
        SEC's HTML rendering: see :func:`raw_document_name`)."""
        if not _DOCUMENT.match(document or "") or ".." in document:
            raise ValueError(f"document name {document!r} is not a file name inside a filing folder")
        return self._bytes("archives", self.www_url, f"{self._folder(cik, accession)}/{document}", True)

    def submission_text(self, cik: int | str, accession: str) -> bytes:
        """The complete submission (SGML header with FILED AS OF DATE and ACCEPTANCE-DATETIME, then the
        documents)."""
        path = f"{self._folder(cik, accession)}/{accession_dashed(accession)}.txt"
        return self._bytes("archives", self.www_url, path, True)

    def daily_form_index(self, day: date) -> str | None:
        """``form.<yyyymmdd>.idx``: every filing disseminated that day, one line per filer; None when the SEC
        has no index for the day (weekends, holidays, a day not yet closed)."""
        path = f"/Archives/edgar/daily-index/{day.year}/QTR{quarter_of(day)}/form.{day:%Y%m%d}.idx"
        cached = self._cached("daily_index", self.www_url, path, closes_on=day + timedelta(days=1))
        if cached.status == 404:
            return None
        return cached.body.decode("latin-1")  # EDGAR's indexes are ASCII; latin-1 never fails

    def insider_dataset(self, year: int, quarter: int) -> Path | None:
        """The Insider Transactions Data Set ZIP for ``year`` Q``quarter``, streamed to the cache and verified
        (a valid ZIP holding SUBMISSION, REPORTINGOWNER, NONDERIV_TRANS and DERIV_TRANS ``.tsv``). None when
        the SEC has not published it. A corrupt archive raises :class:`SecCorruptArchive` and leaves no file.
        Kept for good once fetched after its quarter closed."""
        if quarter not in (1, 2, 3, 4) or not 2003 <= year <= 2100:
            raise ValueError(
                f"data set quarter {year}q{quarter} does not exist: years from 2003, quarters 1-4"
            )
        path = f"{DATASET_DIR}/{year}q{quarter}_form345.zip"
        return self.cache.get_or_download(
            server_folder(self.www_url),
            path,
            lambda tmp: self._download(path, tmp),
            closes_on=quarter_after(year, quarter),
        )

    def form13f_dataset(self, name_or_period: str | date) -> Path | None:
        """A Form 13F data set ZIP, by name (``2023q4``, ``01mar2024-31may2024``, with or without
        ``_form13f.zip``) or by a filing date it covers, streamed to the cache and verified (a valid ZIP
        holding SUBMISSION, COVERPAGE, SUMMARYPAGE and INFOTABLE ``.tsv``). None when the SEC has not
        published it. A corrupt archive raises :class:`SecCorruptArchive` and leaves no file. Kept for good
        once fetched after its filing-date window closed. INFOTABLE ``VALUE`` is as filed: thousands of
        dollars before 2023-01-03, dollars from then on."""
        if isinstance(name_or_period, date):
            name = form13f_dataset_name(name_or_period)
        else:
            name = str(name_or_period or "").strip().lower().removesuffix(".zip").removesuffix("_form13f")
        _, last = form13f_dataset_window(name)
        path = f"{FORM13F_DATASET_DIR}/{name}_form13f.zip"
        return self.cache.get_or_download(
            server_folder(self.www_url),
            path,
            lambda tmp: self._download(path, tmp, FORM13F_DATASET_MEMBERS, "a Form 13F Data Set"),
            closes_on=last + timedelta(days=1),
        )

    def fund_tickers(self) -> dict:
        """``company_tickers_mf.json``, the SEC's mutual fund and ETF share classes:
        ``{"fields": ["cik", "seriesId", "classId", "symbol"], "data": [[1100663, "S000004354",
        "C000012084", "SOXX"], ...]}`` (``cik`` the registrant's, an unpadded integer)."""
        return self._json("fund_tickers", self.www_url, "/files/company_tickers_mf.json", missing_ok=False)

    def stats(self) -> dict:
        """Requests, bytes, retries and cache counters, for the assets' metadata."""
        return {
            "requests": int(self.requests.total()),
            "requests_by_kind": dict(self.requests),
            "bytes_downloaded": int(self.bytes_downloaded),
            "retries": int(self.retries.total()),
            "retries_by_kind": dict(self.retries),
            "rate_limit_wait_s": round(self.limiter.waited_s, 2),
            **{f"cache_{k}": v for k, v in self.cache.stats.as_dict().items()},
        }

    # ---- plumbing -----------------------------------------------------------------------------------------
    @staticmethod
    def _folder(cik: int | str, accession: str) -> str:
        return f"/Archives/edgar/data/{int(cik10(cik))}/{accession_dashed(accession).replace('-', '')}"

    def _json(self, kind: str, base: str, path: str, missing_ok: bool = True) -> dict | None:
        cached = self._cached(kind, base, path)
        if cached.status == 404:
            if missing_ok:
                return None
            raise SecNotFound(f"SEC {base}{path}: HTTP 404; check SEC_WWW_URL / SEC_DATA_URL")
        return _parse_json(cached.body, path)

    def _bytes(self, kind: str, base: str, path: str, immutable: bool) -> bytes:
        cached = self._cached(kind, base, path, immutable=immutable)
        if cached.status == 404:
            raise SecNotFound(f"SEC {base}{path}: HTTP 404 (no such document)")
        return cached.body

    def _cached(
        self, kind: str, base: str, path: str, immutable: bool = False, closes_on: date | None = None
    ) -> Cached:
        return self.cache.get_or_fetch(
            server_folder(base),
            path,
            lambda: self._with_retries(kind, base + path, lambda: self._get_once(kind, base + path)),
            immutable=immutable,
            closes_on=closes_on,
        )

    def _with_retries(self, kind: str, url: str, attempt: Callable[[], object]):
        def on_retry(error: BaseException, attempt_number: int) -> None:
            with self._counter_lock:
                self.retries[kind] += 1
            log.warning("SEC %s: %s; retry %d of %d", url, error, attempt_number, self.retry.attempts - 1)

        try:
            return with_retries(self.retry, attempt, on_retry)
        except Retryable as exc:
            unreachable = "ConnectError" in str(exc) or "ConnectTimeout" in str(exc)
            hint = (
                "check the network and SEC_WWW_URL / SEC_DATA_URL"
                if unreachable
                else "EDGAR may be busy or down: try again later or lower the request rate"
            )
            raise SecError(
                f"SEC {url} still failing after {self.retry.attempts} attempts: {exc}; {hint}"
            ) from None

    def _send(self, kind: str, url: str, stream: bool = False) -> httpx.Response:
        self.limiter.acquire()
        with self._counter_lock:
            self.requests[kind] += 1
        try:
            request = self._http.build_request("GET", url)
            return self._http.send(request, stream=stream)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise Retryable(f"{type(exc).__name__}: {exc}") from None

    def _check(self, response: httpx.Response, url: str) -> None:
        """Raise for any status but 200 and 404 (the body must have been read)."""
        status = response.status_code
        if status in (200, 404):
            return
        if status == 403:
            text = response.text
            if any(marker.lower() in text.lower() for marker in DENIED_MARKERS):
                raise SecAccessDenied(
                    f"SEC refused {url} with its 403 page for undeclared or too-fast tools "
                    f"({_denied_title(text)}). EDGAR blocks a client that does not declare itself or goes "
                    f"over {MAX_RATE_PER_S:g} requests a second, usually for about 10 minutes. Check that "
                    f"{SEC_USER_AGENT_ENV} holds your real name and email ({USER_AGENT_HINT}), that the rate "
                    f"is at most {MAX_RATE_PER_S:g}/s and that no other tool on this network is downloading "
                    "from the SEC; then wait before running again (retrying now would extend the block)"
                )
            raise SecAccessDenied(
                f"SEC {url}: HTTP 403 {_snippet(text)}; EDGAR refused the request: check "
                f"{SEC_USER_AGENT_ENV} and SEC_WWW_URL / SEC_DATA_URL"
            )
        if 300 <= status < 400:
            location = response.headers.get("Location", "?")
            raise SecError(
                f"SEC {url}: HTTP {status} redirect to {location}; check SEC_WWW_URL / SEC_DATA_URL"
            )
        if status == 429 or status >= 500:
            retry_after = retry_after_seconds(
                response.headers.get("Retry-After"), self.retry.retry_after_cap_s
            )
            if status == 429:
                self.limiter.pause(retry_after if retry_after is not None else self.retry.initial_s)
            raise Retryable(f"HTTP {status} {_snippet(response.text)}", retry_after)
        raise SecError(f"SEC {url}: HTTP {status} {_snippet(response.text)}")

    def _get_once(self, kind: str, url: str) -> Cached:
        response = self._send(kind, url)
        try:
            with self._counter_lock:
                self.bytes_downloaded += response.num_bytes_downloaded
            self._check(response, url)
            return Cached(response.status_code, response.content if response.status_code == 200 else b"")
        finally:
            response.close()

    def _download(
        self,
        path: str,
        tmp: Path,
        members: tuple[str, ...] = DATASET_MEMBERS,
        what: str = "an Insider Transactions Data Set",
    ) -> int:
        url = self.www_url + path

        def attempt() -> int:
            response = self._send("dataset", url, stream=True)
            try:
                if response.status_code != 200:
                    response.read()
                    with self._counter_lock:
                        self.bytes_downloaded += response.num_bytes_downloaded
                    self._check(response, url)
                    return 404
                counted = 0
                try:
                    with open(tmp, "wb") as fh:
                        for chunk in response.iter_bytes(1 << 20):
                            fh.write(chunk)
                            with self._counter_lock:
                                self.bytes_downloaded += response.num_bytes_downloaded - counted
                            counted = response.num_bytes_downloaded
                except (httpx.TimeoutException, httpx.TransportError) as exc:
                    raise Retryable(f"download cut short: {type(exc).__name__}: {exc}") from None
                return 200
            finally:
                response.close()

        status = self._with_retries("dataset", url, attempt)
        if status == 200:
            verify_dataset_zip(tmp, url, members, what)
        return status


def verify_dataset_zip(
    path: Path,
    origin: str = "",
    members: tuple[str, ...] = DATASET_MEMBERS,
    what: str = "an Insider Transactions Data Set",
) -> None:
    """Raise :class:`SecCorruptArchive` unless ``path`` is a readable ZIP holding ``members`` (by default
    the Insider Transactions Data Set's TSVs; :data:`FORM13F_DATASET_MEMBERS` for a Form 13F one)."""
    where = origin or str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
            names = {Path(n).name for n in archive.namelist()}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise SecCorruptArchive(
            f"SEC data set {where} is not a valid ZIP ({exc}); nothing was kept: run again to download it "
            "afresh, and if it fails again the file on the server is damaged"
        ) from None
    if bad is not None:
        raise SecCorruptArchive(
            f"SEC data set {where}: member {bad} fails its CRC check; nothing was kept: "
            "run again to download it"
        )
    missing = [m for m in members if m not in names]
    if missing:
        raise SecCorruptArchive(
            f"SEC data set {where} lacks {', '.join(missing)} "
            f"(holds {', '.join(sorted(names)) or 'nothing'}); "
            f"nothing was kept: this is not {what}"
        )


def _parse_json(body: bytes, path: str):
    try:
        return json.loads(body)
    except ValueError:
        raise SecError(
            f"SEC {path}: the answer is not JSON ({len(body)} bytes: {_snippet(body.decode('latin-1'))})"
        ) from None


def _base_url(url: str, name: str) -> str:
    url = (url or "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SecError(
            f"SEC {name} base URL {url!r} is not an http(s) URL; use e.g. "
            f"{WWW_URL if name == 'www' else DATA_URL} or http://127.0.0.1:8766 for a local stand-in"
        )
    return url


def _denied_title(text: str) -> str:
    for marker in DENIED_MARKERS:
        if marker.lower() in text.lower():
            return marker
    return "403"


def _snippet(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text or "")).strip()[:160]
