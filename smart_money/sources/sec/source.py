"""The sec source: the universe and insider trades from SEC EDGAR, free and keyless (README: SEC EDGAR
source).

- **universe**: ``company_tickers.json`` (ticker → CIK) for the configured symbols; each issuer's name and
  SIC sector from its submissions JSON, and shares outstanding point in time from its XBRL company facts
  (NaN, with a count in the metadata, where the SEC has none). Issuers are keyed by CIK.
- **raw_insider_trades**, two paths to the same rows (:mod:`.normalize`):
  - *bulk*: the quarterly Insider Transactions Data Set of every quarter the window touches (one download a
    quarter, every issuer at once), plus the quarter after it, which holds the filings accepted after 17:30
    on the window's last business day of a quarter;
  - *per filing*: from the last business day of the newest published data set on, each issuer's
    submissions JSON lists its ownership filings and each document is fetched and parsed. Filings already
    in a data set are not fetched again.
  Rows are kept by ``known_at`` (the filing date) in the window.
- **raw_prices** and **raw_congress_trades** come from the sources named by ``SMART_MONEY_PRICES`` and
  ``SMART_MONEY_CONGRESS`` (the SEC publishes neither); with no Congress source the table is empty.
- **raw_institutional_holdings** and **raw_etf_holdings** are empty for now (13F and N-PORT are not read
  yet): the log says so, those features are NaN and the missing-data gate warns.

Every request goes through one :class:`~smart_money.sources.sec.client.SecClient` (fair access, retries,
disk cache), so a re-run makes no request at all.
"""

import logging
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from smart_money import tables
from smart_money.settings import SEC_DEFAULTS
from smart_money.sources.base import Source, Symbols
from smart_money.sources.sec import companies, datasets, ownership
from smart_money.sources.sec import normalize as sec_normalize
from smart_money.sources.sec.client import (
    RetryPolicy,
    SecClient,
    SecNotFound,
    quarter_after,
    quarter_of,
    raw_document_name,
)

logger = logging.getLogger(__name__)
QUARANTINE_COLUMNS = ["table", "symbol", "reason", "record"]
SEC_QUARANTINE_COLUMNS = [*QUARANTINE_COLUMNS, "accession_number", "is_derivative", "transaction_index"]
FIRST_DATASET = (2006, 1)  # the SEC's Insider Transactions Data Sets begin with 2006 Q1
UNIVERSE = "universe"
PROGRESS_FROM = 50  # log every tenth of a list this long or longer (and the end of every list)
COVERAGE = (  # the coverage figures in every raw asset's metadata (README: SEC EDGAR source)
    "datasets_read",
    "filings_from_datasets",
    "rows_from_datasets",
    "quarantined_from_datasets",
    "filings_from_documents",
    "rows_from_documents",
    "quarantined_from_documents",
    "universe_without_shares_outstanding",
)
INSIDER = "raw_insider_trades"


@dataclass(frozen=True)
class SecSettings:
    user_agent: str
    symbols: tuple[str, ...] | None  # None: every ticker the server lists
    top_n: int | None = None  # keep the first n of ``symbols`` in the SEC's company-tickers order
    www_url: str = SEC_DEFAULTS.www_url
    data_url: str = SEC_DEFAULTS.data_url
    rate_per_s: float = SEC_DEFAULTS.rate_per_s
    cache_dir: Path = Path("data") / SEC_DEFAULTS.cache_subdir
    cache_ttl_days: float = SEC_DEFAULTS.cache_ttl_days
    max_workers: int = SEC_DEFAULTS.max_workers
    as_of: date | None = None  # the source's "today" (None: the real date)

    def __repr__(self) -> str:  # never shows the User-Agent
        count = "all" if self.symbols is None else len(self.symbols)
        return f"SecSettings(www={self.www_url!r}, data={self.data_url!r}, symbols={count})"


def last_weekday(year: int, quarter: int) -> date:
    """The last weekday of a quarter (the SEC's quarter-end cut-off day; no quarter ends on a holiday)."""
    day = quarter_after(year, quarter) - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def quarters(start: pd.Timestamp, end: pd.Timestamp) -> list[tuple[int, int]]:
    """(year, quarter) of every quarter overlapping ``[start, end)``."""
    out: list[tuple[int, int]] = []
    day = pd.Timestamp(start).date()
    last = (pd.Timestamp(end) - pd.Timedelta(days=1)).date()
    while day <= last:
        out.append((day.year, quarter_of(day)))
        day = quarter_after(day.year, quarter_of(day))
    return out


def next_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year + 1, 1) if quarter == 4 else (year, quarter + 1)


class SecMarketSource(Source):
    name = "sec"

    def __init__(
        self,
        settings: SecSettings,
        *,
        prices: Source,
        congress: Source | None = None,
        client: SecClient | None = None,
        log: Callable[[str], None] | None = None,
    ):
        self.settings = settings
        self.price_source = prices
        self.congress_source = congress
        self.client = client or SecClient(
            settings.user_agent,
            cache_dir=settings.cache_dir,
            www_url=settings.www_url,
            data_url=settings.data_url,
            rate_per_s=settings.rate_per_s,
            cache_ttl_days=settings.cache_ttl_days,
            as_of=settings.as_of,
            retry=RetryPolicy(),
            max_connections=max(4, settings.max_workers),
        )
        self.log = log or logger.info
        self._lock = threading.Lock()
        self._quarantine: list[dict] = []
        self._tickers: pd.DataFrame | None = None
        self._universe: list[str] | None = None
        self._profiles: dict[str, dict | None] = {}
        self._facts: dict[str, pd.DataFrame | None] = {}
        self._bulk: dict[tuple[int, int], pd.DataFrame | None] = {}
        self._filings: dict[str, pd.DataFrame] = {}
        self.coverage: Counter = Counter({name: 0 for name in COVERAGE})
        self._warned: set[str] = set()

    # ---- plumbing -----------------------------------------------------------------------------------------
    def close(self) -> None:
        self.client.close()
        for other in (self.price_source, self.congress_source):
            client = getattr(other, "client", None)
            if client is not None and hasattr(client, "close"):
                client.close()

    def _quarantined(self, entries: list[dict]) -> None:
        with self._lock:
            self._quarantine.extend(entries)

    def take_quarantine(self, table: str | None = None) -> pd.DataFrame:
        """Records quarantined since the last call (for ``table``, or all), with their reasons; those of the
        price and Congress sources included."""
        with self._lock:
            taken = [q for q in self._quarantine if table is None or q["table"] == table]
            self._quarantine = [q for q in self._quarantine if not (table is None or q["table"] == table)]
        frames = [pd.DataFrame(taken, columns=SEC_QUARANTINE_COLUMNS)]
        for other in (self.price_source, self.congress_source):
            if other is not None and hasattr(other, "take_quarantine"):
                frames.append(other.take_quarantine(table))
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame(columns=QUARANTINE_COLUMNS)
        return pd.concat(frames, ignore_index=True)

    def stats(self) -> dict:
        """Request and cache figures of the SEC client, and the coverage counters (filings parsed by path,
        rows, documents missing, universe members without shares outstanding)."""
        out = self.client.stats()
        out.update({f"coverage_{k}": int(v) for k, v in sorted(self.coverage.items())})
        for label, other in (("prices", self.price_source), ("congress", self.congress_source)):
            if other is not None and hasattr(other, "stats"):
                out.update({f"{label}_{k}": v for k, v in other.stats().items()})
        return out

    def _each(self, items: list, work: Callable, what: str) -> list:
        """``work`` over ``items`` on ``max_workers`` threads (one shared rate limit), logging progress."""
        results = []
        step = max(1, len(items) // 10) if len(items) >= PROGRESS_FROM else len(items)
        before = self.client.requests.total()
        with ThreadPoolExecutor(max_workers=self.settings.max_workers) as pool:
            for done, result in enumerate(pool.map(work, items), start=1):
                results.append(result)
                fetched = self.client.requests.total() > before
                if (done % step == 0 and fetched) or (done == len(items) and (fetched or step == done)):
                    self.log(
                        f"sec {what}: {done}/{len(items)}, {self.client.requests.total()} requests, "
                        f"cache {self.client.cache.stats.as_dict()}"
                    )
        return results

    # ---- the universe -------------------------------------------------------------------------------------
    def tickers(self) -> pd.DataFrame:
        with self._lock:
            if self._tickers is None:
                self._tickers = companies.company_tickers(self.client.company_tickers())
            return self._tickers

    def universe_symbols(self) -> list[str]:
        """The configured symbols the SEC knows (the others are logged and quarantined), or with ``top_n``
        the first n of them in the order of the SEC's company tickers file (roughly by market value today:
        ranking today's index members by today's size is survivorship bias; README says so)."""
        if self._universe is not None:
            return self._universe
        tickers = self.tickers()
        _, missing = companies.cik_symbol_map(tickers, self.settings.symbols)
        if missing:
            self.log(
                f"sec universe: {len(missing)} symbol(s) are not in the SEC's company tickers and are left "
                f"out: "
                f"{', '.join(missing[:20])}{' …' if len(missing) > 20 else ''}"
            )
            self._quarantined(
                [
                    {
                        "table": UNIVERSE,
                        "symbol": s,
                        "reason": "symbol not in the SEC's company_tickers.json",
                        "record": "{}",
                    }
                    for s in missing
                ]
            )
        ordered = list(dict.fromkeys(tickers["ticker"]))
        if self.settings.symbols is not None:
            wanted = {s.strip().upper() for s in self.settings.symbols}
            ordered = [t for t in ordered if t in wanted]
        if self.settings.top_n:
            ordered = ordered[: self.settings.top_n]
        self._universe = sorted(ordered)
        return self._universe

    def cik_map(self, symbols: Symbols) -> dict[str, str]:
        """10-digit CIK → universe symbol for ``symbols`` (None: the universe)."""
        chosen = self.universe_symbols() if symbols is None else [s.upper() for s in symbols]
        mapping, _ = companies.cik_symbol_map(self.tickers(), chosen)
        return mapping

    def _profile(self, cik: str) -> dict | None:
        if cik not in self._profiles:
            document = self.client.submissions(cik)
            self._profiles[cik] = None if document is None else companies.company_profile(document)
            if document is not None:
                self._filings[cik] = companies.all_filings(document)
        return self._profiles[cik]

    def _shares(self, cik: str) -> pd.DataFrame | None:
        if cik not in self._facts:
            document = self.client.company_facts(cik)
            self._facts[cik] = None if document is None else companies.shares_outstanding_facts(document)
        return self._facts[cik]

    def _issuer(self, item: tuple[str, str]) -> tuple[str, str, dict | None, pd.DataFrame | None]:
        cik, symbol = item
        return cik, symbol, self._profile(cik), self._shares(cik)

    def universe(self, as_of: pd.Timestamp) -> pd.DataFrame:
        as_of = pd.Timestamp(as_of)
        mapping = self.cik_map(None)
        issuers = self._each(sorted(mapping.items(), key=lambda kv: kv[1]), self._issuer, "universe")
        rows, quarantined = [], []
        no_shares = 0
        for cik, symbol, profile, facts in issuers:
            if profile is None:
                quarantined.append(
                    {
                        "table": UNIVERSE,
                        "symbol": symbol,
                        "reason": f"no submissions JSON for CIK {cik}",
                        "record": "{}",
                    }
                )
                continue
            r, q = companies.universe_row(symbol, profile, facts, as_of)
            rows += r
            quarantined += q
            no_shares += sum(pd.isna(row["shares_outstanding"]) for row in r)
        self._quarantined(quarantined)
        if no_shares and "shares" not in self._warned:
            self._warned.add("shares")
            self.log(
                f"sec universe: {no_shares} of {len(rows)} issuers have no shares outstanding known at "
                f"{as_of:%Y-%m-%d} (no XBRL company facts): their ratio features are NaN"
            )
        self.coverage["universe_without_shares_outstanding"] = max(
            self.coverage["universe_without_shares_outstanding"], no_shares
        )
        frame = pd.DataFrame(rows, columns=list(dict.fromkeys([*tables.UNIVERSE.column_names, "cik"])))
        return frame.sort_values("symbol", ignore_index=True)

    # ---- insider trades -----------------------------------------------------------------------------------
    def _bulk_quarter(self, year: int, quarter: int, mapping: dict[str, str]) -> pd.DataFrame | None:
        """The rows of one quarterly data set for the universe's issuers (None: not published yet)."""
        if (year, quarter) < FIRST_DATASET:
            return None
        if (year, quarter) not in self._bulk:
            path = self.client.insider_dataset(year, quarter)
            if path is None:
                self._bulk[(year, quarter)] = None
            else:
                rows, quarantined = datasets.archive_rows(path, mapping)
                self._quarantined(quarantined)
                frame = sec_normalize.frame(rows)
                self.coverage["datasets_read"] += 1
                self.coverage["filings_from_datasets"] += frame["accession_number"].nunique()
                self.coverage["rows_from_datasets"] += len(frame)
                self.coverage["quarantined_from_datasets"] += len(quarantined)
                self.log(
                    f"sec insider data set {year}q{quarter}: {len(frame):,} rows of "
                    f"{frame['accession_number'].nunique():,} filings for {len(mapping)} issuers"
                )
                self._bulk[(year, quarter)] = frame
        return self._bulk[(year, quarter)]

    def _ownership_filings(self, cik: str, since: date) -> pd.DataFrame:
        """The issuer's ownership filings filed on or after ``since`` (older submissions pages only when
        the recent block does not reach back that far)."""
        self._profile(cik)
        filings = self._filings.get(cik)
        if filings is None:
            return pd.DataFrame(columns=list(companies.FILING_COLUMNS))
        oldest = filings["filing_date"].min()
        if len(filings) and pd.notna(oldest) and oldest.date() > since:
            document = self.client.submissions(cik)
            names = companies.filing_pages(document)
            if names:
                pages = [self.client.submissions_page(n) for n in names]
                filings = companies.all_filings(document, [p for p in pages if p is not None])
                self._filings[cik] = filings
        keep = filings["is_ownership"] & (filings["filing_date"] >= pd.Timestamp(since))
        return filings[keep]

    def _per_filing(
        self, mapping: dict[str, str], since: date, end: pd.Timestamp, skip: set[str]
    ) -> pd.DataFrame:
        """Rows of every ownership filing of the issuers filed in ``[since, end)``, document by document."""
        listed = self._each(
            sorted(mapping), lambda cik: (cik, self._ownership_filings(cik, since)), "filings lists"
        )
        todo = []
        for cik, filings in listed:
            for f in filings.itertuples(index=False):
                if f.filing_date < end and f.accession_number not in skip:
                    todo.append((cik, f))
        todo = list({f.accession_number: (cik, f) for cik, f in todo}.values())

        def parse(item) -> tuple[list[dict], list[dict]]:
            cik, f = item
            try:
                xml = self.client.archives_document(
                    cik, f.accession_number, raw_document_name(f.primary_document)
                )
            except SecNotFound as error:
                return [], [
                    {
                        "table": INSIDER,
                        "symbol": mapping.get(cik, ""),
                        "reason": f"ownership document not found: {error}",
                        "record": "{}",
                        "accession_number": f.accession_number,
                    }
                ]
            return ownership.document_rows(
                xml,
                mapping,
                accession_number=f.accession_number,
                filing_date=f.filing_date.date(),
                acceptance_time=None if pd.isna(f.acceptance_time) else f.acceptance_time.to_pydatetime(),
                form_type=f.form,
            )

        rows, quarantined = [], []
        for r, q in self._each(todo, parse, "ownership documents") if todo else []:
            rows += r
            quarantined += q
        self._quarantined(quarantined)
        frame = sec_normalize.frame(rows)
        self.coverage["filings_from_documents"] += len(todo)
        self.coverage["rows_from_documents"] += len(frame)
        self.coverage["quarantined_from_documents"] += len(quarantined)
        return frame

    def insider_trades(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Form 3/4/5 transactions (and amendments) filed in ``[start, end)``: bulk data sets where
        published, per-filing documents after the newest one."""
        start, end = pd.Timestamp(start), pd.Timestamp(end)
        mapping = self.cik_map(symbols)
        frames = []
        newest_published = None
        for year, quarter in [*quarters(start, end), next_quarter(*quarters(start, end)[-1])]:
            frame = self._bulk_quarter(year, quarter, mapping)
            if frame is None:
                break
            frames.append(frame)
            newest_published = (year, quarter)
        since = start.date() if newest_published is None else last_weekday(*newest_published)
        since = max(since, start.date())
        if pd.Timestamp(since) < end:
            skip = {a for f in frames for a in f["accession_number"]}
            self.log(
                f"sec insider trades: filings from {since:%Y-%m-%d} on come document by document "
                f"(newest published data set: "
                f"{'none' if newest_published is None else '{}q{}'.format(*newest_published)})"
            )
            frames.append(self._per_filing(mapping, since, end, skip))
        rows = (
            pd.concat([f for f in frames if len(f)], ignore_index=True)
            if any(len(f) for f in frames)
            else None
        )
        if rows is None:
            return sec_normalize.frame([])
        # a filing is in one data set or fetched as a document, never both, so no row is counted twice
        rows = rows[(rows["known_at"] >= start) & (rows["known_at"] < end)]
        return rows.sort_values(["known_at", "symbol", "accession_number"], kind="stable", ignore_index=True)

    # ---- tables from elsewhere ----------------------------------------------------------------------------
    def prices(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        return self.price_source.prices(self.universe_symbols() if symbols is None else symbols, start, end)

    def congress_trades(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        if self.congress_source is None:
            self._once(
                "congress", "raw_congress_trades is empty: no Congress source (SMART_MONEY_CONGRESS=none)"
            )
            return tables.spec("raw_congress_trades").empty()
        chosen = self.universe_symbols() if symbols is None else symbols
        return self.congress_source.congress_trades(chosen, start, end)

    def institutional_holdings(
        self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame:
        self._once("13f", "raw_institutional_holdings is empty: the sec source does not read 13F filings yet")
        return tables.spec("raw_institutional_holdings").empty()

    def etf_holdings(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        self._once("etf", "raw_etf_holdings is empty: the sec source does not read N-PORT filings yet")
        return tables.spec("raw_etf_holdings").empty()

    def _once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.log(f"sec: {message}; those features are NaN (README: SEC EDGAR source)")
