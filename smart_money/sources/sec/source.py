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
- **raw_institutional_holdings**: the quarterly Form 13F data sets (every manager at once; INFOTABLE streamed
  and filtered to the universe's CUSIPs) for history, then the daily index's 13F-HR filings document by
  document; CUSIPs map to symbols through the override file and OpenFIGI; positions and amendments by
  :mod:`.holdings13f`.
- **raw_etf_holdings**: the configured ETFs' NPORT-P reports (:mod:`.nport`), found through the SEC's
  mutual fund and ETF tickers file and each registrant's submissions.

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
from smart_money.settings import OPENFIGI_URL, SEC_DEFAULTS
from smart_money.sources.base import Source, Symbols
from smart_money.sources.openfigi import CusipMapper, OpenFigiClient, read_cusip_map
from smart_money.sources.sec import companies, datasets, form13f, holdings13f, indexes, nport, ownership
from smart_money.sources.sec import normalize as sec_normalize
from smart_money.sources.sec.client import (
    RetryPolicy,
    SecClient,
    SecNotFound,
    form13f_dataset_names,
    form13f_dataset_window,
    information_table_name,
    quarter_after,
    quarter_of,
    raw_document_name,
)
from smart_money.sources.sec.hedge_funds import HedgeFundRule

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
    "form13f_datasets_read",
    "form13f_filings_from_datasets",
    "form13f_filings_from_documents",
    "form13f_rows",
    "nport_reports_read",
    "nport_rows",
    "etf_file_rows",
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
    etfs: tuple[str, ...] = nport.DEFAULT_ETFS  # whose N-PORT holdings are read
    openfigi_api_key: str | None = None  # never shown
    openfigi_url: str = OPENFIGI_URL
    cusip_map: Path | None = None  # CSV cusip,symbol taking precedence over OpenFIGI
    hedge_funds: Path | None = None  # CSV cik,name,source replacing the shipped hedge-fund list
    form13f_lookback_days: int = 400  # filings before the window read for the previous quarter's positions

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
        etf_file: Source | None = None,
        client: SecClient | None = None,
        log: Callable[[str], None] | None = None,
    ):
        self.settings = settings
        self.price_source = prices
        self.congress_source = congress
        self.etf_file = etf_file
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
        self.figi = OpenFigiClient(
            settings.openfigi_api_key,
            settings.openfigi_url,
            cache_dir=Path(settings.cache_dir).parent / "openfigi",
        )
        self.cusips = CusipMapper(self.figi, read_cusip_map(settings.cusip_map) if settings.cusip_map else {})
        self.hedge_funds = HedgeFundRule(settings.hedge_funds)
        self._cusip_symbols: dict[str, str] = {}
        self._form13f: dict[str, tuple[pd.DataFrame, pd.DataFrame] | None] = {}
        self._form13f_documents: dict[str, tuple[dict, pd.DataFrame] | None] = {}
        self._value_mapped: dict[str, pd.DataFrame] = {}
        self._nport: dict[str, tuple[dict, pd.DataFrame] | None] = {}
        self._series: dict[str, tuple[str, str]] | None = None

    # ---- plumbing -----------------------------------------------------------------------------------------
    def close(self) -> None:
        self.client.close()
        self.figi.close()
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
        for other in (self.price_source, self.congress_source, self.etf_file):
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
        out.update({f"openfigi_{k}": v for k, v in self.figi.stats().items() if isinstance(v, (int, float))})
        out.update({f"hedge_funds_by_{k}": v for k, v in self.hedge_funds.counts().items()})
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

    # ---- 13F holdings -------------------------------------------------------------------------------------
    def _symbols_of(self, cusips, universe: set[str]) -> dict[str, str]:
        """CUSIP → universe symbol (the override file, then OpenFIGI: each CUSIP asked once, ever)."""
        wanted = [
            c for c in dict.fromkeys(cusips) if isinstance(c, str) and c and c not in self._cusip_symbols
        ]
        if wanted:
            self._cusip_symbols.update(self.cusips.symbols(wanted, universe))
        return {c: s for c, s in self._cusip_symbols.items() if s in universe}

    def _form13f_set(self, name: str, universe: set[str]) -> tuple[pd.DataFrame, pd.DataFrame] | None:
        """A Form 13F data set's filings and the lines of the universe's CUSIPs (None: not published)."""
        if name not in self._form13f:
            path = self.client.form13f_dataset(name)
            if path is None:
                self._form13f[name] = None
                return None
            values = form13f.dataset_cusip_values(path)
            mapped = self._symbols_of(values["cusip"].tolist(), universe)
            filings, lines = form13f.read_dataset(path, cusips=set(mapped))
            self._quarantined([*filings.attrs.get("quarantined", []), *lines.attrs.get("quarantined", [])])
            self._value_mapped[name] = values.assign(mapped=values["cusip"].isin(set(mapped)))
            self.coverage["form13f_datasets_read"] += 1
            self.coverage["form13f_filings_from_datasets"] += len(filings)
            self.log(
                f"sec 13F data set {name}: {len(filings):,} filings, {len(lines):,} lines of "
                f"{len(mapped):,} universe CUSIPs"
            )
            self._form13f[name] = (filings, lines)
        return self._form13f[name]

    def _form13f_filing(
        self, cik: str, accession: str, filed: pd.Timestamp
    ) -> tuple[dict, pd.DataFrame] | None:
        """One 13F-HR document pair (cover page, information table), read once."""
        if accession not in self._form13f_documents:
            index = self.client.filing_index(cik, accession)
            table = information_table_name(index)
            cover = form13f.parse_cover(
                self.client.archives_document(cik, accession, "primary_doc.xml"),
                accession_number=accession,
                filing_date=filed,
            )
            lines = (
                form13f.parse_information_table(
                    self.client.archives_document(cik, accession, table), accession, filed
                )
                if table
                else pd.DataFrame(columns=list(form13f.LINE_COLUMNS))
            )
            self._form13f_documents[accession] = (cover, lines)
        return self._form13f_documents[accession]

    def _form13f_per_filing(self, first: date, last: date, universe: set[str]):
        """The 13F-HR filings of ``first`` .. ``last`` from the daily form index, document by document."""
        listed = []
        day = first
        while day <= last:
            text = self.client.daily_form_index(day) if day.weekday() < 5 else None
            if text:
                listed.append(indexes.parse_form_index(text, form13f.HOLDINGS_FORMS))
            day += timedelta(days=1)
        found = (
            pd.concat(listed, ignore_index=True) if listed else pd.DataFrame(columns=indexes.INDEX_COLUMNS)
        )
        found = found.drop_duplicates("accession_number")
        if len(found):
            self.log(f"sec 13F: {len(found):,} filings of {first} .. {last} come document by document")
        results = self._each(
            list(found.itertuples(index=False)),
            lambda f: self._form13f_filing(f.cik, f.accession_number, f.date_filed),
            "13F documents",
        )
        covers = [r[0] for r in results if r is not None]
        lines = [r[1] for r in results if r is not None and len(r[1])]
        filings = (
            form13f.filing_frame(covers) if covers else pd.DataFrame(columns=list(form13f.FILING_COLUMNS))
        )
        filings = filings[filings["form_type"].isin(form13f.HOLDINGS_FORMS)]
        lines = (
            pd.concat(lines, ignore_index=True) if lines else pd.DataFrame(columns=list(form13f.LINE_COLUMNS))
        )
        mapped = self._symbols_of(lines["cusip"].tolist(), universe)
        self.coverage["form13f_filings_from_documents"] += len(filings)
        values = lines.merge(filings[["accession_number", "period_of_report"]], on="accession_number")
        values = values[(values["shares_type"] == "SH") & values["put_call"].isna()]
        self._value_mapped[f"documents {first}..{last}"] = pd.DataFrame(
            {
                "report_date": values["period_of_report"],
                "cusip": values["cusip"],
                "issuer_name": values["issuer_name"],
                "value_usd": values["value_usd"],
                "mapped": values["cusip"].isin(set(mapped)),
            }
        )
        return filings, lines[lines["cusip"].isin(set(mapped))]

    def institutional_holdings(
        self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame:
        """13F-HR and 13F-HR/A positions filed in ``[start, end)``: the Form 13F data sets where published
        (with filings from ``form13f_lookback_days`` before, for the previous quarter's positions), then the
        daily index's filings document by document (holdings13f: the rules)."""
        start, end = pd.Timestamp(start), pd.Timestamp(end)
        universe = set(self.universe_symbols() if symbols is None else symbols)
        first = (start - pd.Timedelta(days=self.settings.form13f_lookback_days)).date()
        last = (end - pd.Timedelta(days=1)).date()
        filings, lines, newest = [], [], None
        for name in form13f_dataset_names(first, last):
            got = self._form13f_set(name, universe)
            if got is None:
                break
            filings.append(got[0])
            lines.append(got[1])
            newest = form13f_dataset_window(name)[1]
        since = first if newest is None else newest + timedelta(days=1)
        if since <= last:
            f, li = self._form13f_per_filing(max(since, first), last, universe)
            filings.append(f)
            lines.append(li)
        filings = (
            pd.concat([f for f in filings if len(f)], ignore_index=True)
            if any(len(f) for f in filings)
            else None
        )
        if filings is None:
            return tables.spec("raw_institutional_holdings").empty()
        filings = filings.drop_duplicates("accession_number")
        lines = (
            pd.concat([x for x in lines if len(x)], ignore_index=True)
            if any(len(x) for x in lines)
            else (pd.DataFrame(columns=list(form13f.LINE_COLUMNS)))
        )
        rows, quarantined = holdings13f.institutional_rows(
            filings, lines, self._symbols_of([], universe), self.hedge_funds.is_hedge_fund
        )
        self._quarantined(quarantined)
        rows = rows[(rows["known_at"] >= start) & (rows["known_at"] < end)]
        self.coverage["form13f_rows"] += len(rows)
        return rows.reset_index(drop=True)

    def value_mapped(self) -> pd.DataFrame:
        """Per 13F period of report: the share-position value read and the part whose CUSIP mapped to a
        universe symbol (for the mapped-value gate), and the largest unmapped CUSIPs."""
        parts = [v for v in self._value_mapped.values() if len(v)]
        if not parts:
            return pd.DataFrame(columns=["report_date", "value_total", "value_mapped"])
        values = pd.concat(parts, ignore_index=True)
        values["value_mapped"] = values["value_usd"].where(values["mapped"], 0.0)
        return values.groupby("report_date", as_index=False).agg(
            value_total=("value_usd", "sum"), value_mapped=("value_mapped", "sum")
        )

    def largest_unmapped(self, top: int = 10) -> pd.DataFrame:
        parts = [v for v in self._value_mapped.values() if len(v)]
        if not parts:
            return pd.DataFrame(columns=["cusip", "issuer_name", "value_usd"])
        values = pd.concat(parts, ignore_index=True)
        unmapped = (
            values[~values["mapped"]]
            .groupby("cusip", as_index=False)
            .agg(issuer_name=("issuer_name", "first"), value_usd=("value_usd", "sum"))
        )
        return unmapped.nlargest(top, "value_usd").reset_index(drop=True)

    # ---- ETF holdings (N-PORT) ----------------------------------------------------------------------------
    def etf_series(self) -> dict[str, tuple[str, str]]:
        """ETF symbol → (registrant CIK, series ID) from the SEC's mutual fund and ETF tickers file."""
        if self._series is None:
            self._series = nport.etf_series(
                nport.fund_tickers(self.client.fund_tickers()), self.settings.etfs
            )
        return self._series

    def _nport_filing(self, cik: str, f) -> tuple[dict, pd.DataFrame] | None:
        if f.accession_number not in self._nport:
            xml = self.client.archives_document(
                cik, f.accession_number, raw_document_name(f.primary_document)
            )
            try:
                self._nport[f.accession_number] = nport.parse_nport(xml, f.accession_number, f.filing_date)
            except nport.NportParseError as error:
                self._quarantined(
                    [
                        {
                            "table": "raw_etf_holdings",
                            "symbol": "",
                            "reason": f"N-PORT document: {error}",
                            "record": "{}",
                            "accession_number": f.accession_number,
                        }
                    ]
                )
                self._nport[f.accession_number] = None
        return self._nport[f.accession_number]

    def etf_holdings(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """The configured ETFs' N-PORT holdings public in ``[start, end)`` (nport: which reports are public
        and from when). Each registrant's submissions list its NPORT-P filings; a filing of another series
        of the same trust is read once and left out."""
        start, end = pd.Timestamp(start), pd.Timestamp(end)
        universe = set(self.universe_symbols() if symbols is None else symbols)
        frames = []
        from_file: set[str] = set()
        if self.etf_file is not None:
            from_file = self.etf_file.etf_funds()
            frames.append(self.etf_file.etf_holdings(sorted(universe), start, end))
        wanted_etfs = [e for e in self.settings.etfs if e not in from_file]
        if not wanted_etfs and not from_file:
            self._once("etf", "raw_etf_holdings is empty: no ETFs are configured (SMART_MONEY_ETFS=none)")
            return tables.spec("raw_etf_holdings").empty()
        if from_file & set(self.settings.etfs):
            self._once(
                "etf_file",
                f"ETF holdings of {', '.join(sorted(from_file & set(self.settings.etfs)))} come from "
                "SMART_MONEY_ETF_HOLDINGS, not N-PORT",
            )
        earliest = start - pd.Timedelta(days=nport.PUBLIC_DELAY_DAYS + 10)
        series = self.etf_series() if wanted_etfs else {}
        for etf, (cik, series_id) in sorted((e, v) for e, v in series.items() if e in wanted_etfs):
            self._profile(cik)
            listed = self._filings.get(cik)
            if listed is None:
                continue
            wanted = listed[
                listed["form"].isin(nport.PUBLIC_FORMS)
                & (listed["filing_date"] >= earliest)
                & (listed["filing_date"] < end)
            ]
            for filing, holdings in (
                r
                for r in self._each(
                    list(wanted.itertuples(index=False)),
                    lambda f, c=cik: self._nport_filing(c, f),
                    f"N-PORT filings of {etf}",
                )
                if r is not None
            ):
                if filing.get("series_id") != series_id:
                    continue
                mapped = self._symbols_of(nport.lookup_cusips(holdings).dropna().tolist(), universe)
                rows, quarantined = nport.etf_rows(filing, holdings, etf, mapped, series_id=series_id)
                self._quarantined(quarantined)
                frames.append(rows)
                self.coverage["nport_reports_read"] += 1
        frames = [f for f in frames if len(f)]
        if not frames:
            return tables.spec("raw_etf_holdings").empty()
        rows = pd.concat(frames, ignore_index=True)
        rows = rows[(rows["known_at"] >= start) & (rows["known_at"] < end)]
        self.coverage["nport_rows"] += int(rows["accession_number"].notna().sum())
        self.coverage["etf_file_rows"] += int(rows["accession_number"].isna().sum())
        return rows.sort_values(["known_at", "etf_symbol", "symbol"], ignore_index=True)

    def _once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.log(f"sec: {message}; those features are NaN (README: SEC EDGAR source)")
