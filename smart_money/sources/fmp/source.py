"""The FMP source: the warehouse tables from Financial Modeling Prep's stable API.

Every (symbol, endpoint, range) is fetched once per range and cached on disk, so a backfill over the whole
history fetches each symbol × endpoint once and the raw assets slice it by month of ``known_at``; a monthly
run asks only for its month (prices by date, 13F by quarter, Form 4 and congressional pages newest first
until the page is older than the month). Records that fail validation are quarantined (see
:mod:`smart_money.sources.fmp.normalize`) and can be collected with :meth:`FmpMarketSource.take_quarantine`.
"""

import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from smart_money.settings import FMP_DEFAULTS
from smart_money.sources.base import Source, Symbols
from smart_money.sources.fmp import normalize
from smart_money.sources.fmp.cache import ResponseCache, cache_key
from smart_money.sources.fmp.client import FmpClient, FmpError, RetryPolicy

logger = logging.getLogger(__name__)

INSIDER_PAGE = 500
HOLDERS_PAGE = 100
CONGRESS_PAGE = 250
PRICE_CHUNK_DAYS = 7000  # FMP returns at most 5000 bars a request: about 19 years of trading days
THIRTEEN_F_LOOKBACK_DAYS = 200  # a 13F filed in the window can be for a quarter that ended this long before
PATHS = {
    "profile": "/stable/profile",
    "shares_float": "/stable/shares-float",
    "prices": "/stable/historical-price-eod/dividend-adjusted",
    "insider": "/stable/insider-trading/search",
    "holders": "/stable/institutional-ownership/extract-analytics/holder",
    "senate": "/stable/senate-trades",
    "house": "/stable/house-trades",
    "etf": "/stable/etf/asset-exposure",
    "earnings": "/stable/earnings-calendar",
}


@dataclass(frozen=True)
class FmpSettings:
    api_key: str
    symbols: tuple[str, ...]
    base_url: str = FMP_DEFAULTS.base_url
    rate_per_minute: float = FMP_DEFAULTS.rate_per_minute
    cache_dir: Path = Path(FMP_DEFAULTS.cache_dir)
    cache_ttl_days: float = FMP_DEFAULTS.cache_ttl_days
    max_workers: int = FMP_DEFAULTS.max_workers
    as_of: date | None = None  # the source's "today" (None: the real date); lets a replay be deterministic
    retry_attempts: int = FMP_DEFAULTS.retry_attempts
    top_n: int | None = None  # keep the n largest of ``symbols`` by /stable/profile marketCap

    def __repr__(self) -> str:  # never show the key
        return (
            f"FmpSettings(base_url={self.base_url!r}, symbols={len(self.symbols)}, "
            f"rate={self.rate_per_minute})"
        )


class FmpMarketSource(Source):
    name = "fmp"

    def __init__(
        self, settings: FmpSettings, client: FmpClient | None = None, log: Callable[[str], None] | None = None
    ):
        self.settings = settings
        self.client = client or FmpClient(
            settings.api_key,
            settings.base_url,
            settings.rate_per_minute,
            retry=RetryPolicy(attempts=settings.retry_attempts),
            max_connections=max(4, settings.max_workers),
        )
        self.cache = ResponseCache(
            Path(settings.cache_dir) / cache_folder(settings.base_url),
            settings.cache_ttl_days,
            today=self.today,
        )
        self.log = log or logger.info
        self._quarantine: list[dict] = []
        self._lock = threading.Lock()
        self._universe: list[str] | None = None

    # ---- plumbing -------------------------------------------------------------------------------------
    def today(self) -> date:
        return self.settings.as_of or date.today()

    def _symbols(self, symbols: Symbols) -> list[str]:
        return sorted({s.upper() for s in (symbols if symbols is not None else self.universe_symbols())})

    def _profile(self, symbol: str):
        return self._fetch(
            "profile", cache_key(symbol, "latest", "latest", "profile"), None, {"symbol": symbol}, symbol
        )

    def universe_symbols(self) -> list[str]:
        """The configured symbols, or the ``top_n`` largest of them by current market cap (profiles are
        cached; ranking members of today's index by today's size is survivorship bias: README says so)."""
        if self._universe is None:
            symbols = list(dict.fromkeys(s.upper() for s in self.settings.symbols))
            if self.settings.top_n:
                with ThreadPoolExecutor(max_workers=self.settings.max_workers) as pool:
                    profiles = list(pool.map(self._profile, symbols))
                caps = {
                    s: float((p[0] if isinstance(p, list) and p else {}).get("marketCap") or 0.0)
                    for s, p in zip(symbols, profiles, strict=True)
                }
                symbols = sorted(symbols, key=lambda s: -caps[s])[: self.settings.top_n]
            self._universe = sorted(symbols)
        return self._universe

    def _fetch(self, kind: str, key: str, range_end: date | None, params: dict, symbol: str, final=False):
        return self.cache.get_or_fetch(
            kind, key, range_end, lambda: self._get_list(kind, params, symbol), final=final
        )

    def _get_list(self, kind: str, params: dict, symbol: str) -> list:
        """Every endpoint used answers a JSON list; anything else is an error and is never cached."""
        payload = self.client.get_json(PATHS[kind], params, symbol)
        if not isinstance(payload, list):
            raise FmpError(
                f"FMP {PATHS[kind]} for {symbol}: expected a JSON list, got {type(payload).__name__} "
                f"({str(payload)[:120]}); nothing was cached"
            )
        return payload

    def _pages(
        self,
        kind: str,
        symbol: str,
        start: pd.Timestamp,
        end: pd.Timestamp,
        params: dict,
        limit: int,
        date_field: str | None,
    ) -> list:
        """Pages until a short one; for newest-first endpoints stop once a sorted page is older than start."""
        rows: list = []
        page = 0
        while True:
            key = cache_key(symbol, f"{start:%Y-%m-%d}", f"{end:%Y-%m-%d}", kind, page)
            batch = self._fetch(kind, key, end.date(), {**params, "page": page, "limit": limit}, symbol)
            if not isinstance(batch, list):
                raise FmpError(f"FMP {PATHS[kind]} for {symbol}: expected a list, got {type(batch).__name__}")
            rows.extend(batch)
            if len(batch) < limit:
                return rows
            if date_field and _sorted_newest_first_before(batch, date_field, start):
                return rows
            page += 1

    def _each(self, symbols: list[str], work: Callable[[str], tuple[list, list]], what: str) -> list[dict]:
        rows: list[dict] = []
        done = 0
        step = max(1, len(symbols) // 10)
        with ThreadPoolExecutor(max_workers=self.settings.max_workers) as pool:
            for symbol_rows, quarantined in pool.map(work, symbols):
                rows.extend(symbol_rows)
                with self._lock:
                    self._quarantine.extend(quarantined)
                done += 1
                if done % step == 0 or done == len(symbols):
                    self.log(
                        f"fmp {what}: {done}/{len(symbols)} symbols, "
                        f"{self.client.requests.total()} requests, "
                        f"cache {self.cache.stats.as_dict()}"
                    )
        return rows

    def take_quarantine(self, table: str | None = None) -> pd.DataFrame:
        """Records quarantined since the last call (for ``table``, or all), with their reasons."""
        with self._lock:
            taken = [q for q in self._quarantine if table is None or q["table"] == table]
            self._quarantine = [q for q in self._quarantine if not (table is None or q["table"] == table)]
        return pd.DataFrame(taken, columns=normalize.QUARANTINE_COLUMNS)

    def stats(self) -> dict:
        return {
            "requests": int(self.client.requests.total()),
            "requests_by_endpoint": dict(self.client.requests),
            "retries": int(self.client.retries.total()),
            "rate_limit_wait_s": round(self.client.limiter.waited_s, 2),
            **{f"cache_{k}": v for k, v in self.cache.stats.as_dict().items()},
        }

    @staticmethod
    def _window(frame: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        if frame.empty:
            return frame
        keep = (frame["known_at"] >= start) & (frame["known_at"] < end)
        return frame[keep].sort_values(["known_at", "symbol"], kind="stable").reset_index(drop=True)

    # ---- tables ---------------------------------------------------------------------------------------
    def universe(self, as_of: pd.Timestamp) -> pd.DataFrame:
        as_of = pd.Timestamp(as_of)

        def one(symbol: str):
            profile = self._profile(symbol)
            floats = self._fetch(
                "shares_float",
                cache_key(symbol, "latest", "latest", "shares_float"),
                None,
                {"symbol": symbol},
                symbol,
            )
            return normalize.universe_row(symbol, profile, floats, as_of)

        return normalize.frame("universe", self._each(self._symbols(None), one, "universe")).assign(
            source="fmp"
        )

    def prices(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        start, end = pd.Timestamp(start), pd.Timestamp(end)

        def one(symbol: str):
            records = []
            chunk_start = start
            while chunk_start < end:
                chunk_end = min(end, chunk_start + pd.Timedelta(days=PRICE_CHUNK_DAYS))
                key = cache_key(symbol, f"{chunk_start:%Y-%m-%d}", f"{chunk_end:%Y-%m-%d}", "prices")
                params = {
                    "symbol": symbol,
                    "from": f"{chunk_start:%Y-%m-%d}",
                    "to": f"{chunk_end - pd.Timedelta(days=1):%Y-%m-%d}",
                }
                payload = self._fetch("prices", key, chunk_end.date(), params, symbol)
                records.extend(payload if isinstance(payload, list) else [])
                chunk_start = chunk_end
            return normalize.prices(records, symbol)

        frame = normalize.frame("raw_prices", self._each(self._symbols(symbols), one, "prices"))
        return self._window(frame.drop_duplicates(["symbol", "date"]), start, end)

    def insider_trades(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        start, end = pd.Timestamp(start), pd.Timestamp(end)

        def one(symbol: str):
            records = self._pages(
                "insider", symbol, start, end, {"symbol": symbol}, INSIDER_PAGE, "filingDate"
            )
            return normalize.insider_trades(records, symbol)

        frame = normalize.frame(
            "raw_insider_trades", self._each(self._symbols(symbols), one, "insider trades")
        )
        return self._window(frame, start, end)

    def institutional_holdings(
        self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame:
        start, end = pd.Timestamp(start), pd.Timestamp(end)
        quarters = quarter_ends(start - pd.Timedelta(days=THIRTEEN_F_LOOKBACK_DAYS), end)

        def one(symbol: str):
            rows, quarantined = [], []
            for quarter_end in quarters:
                params = {
                    "symbol": symbol,
                    "year": quarter_end.year,
                    "quarter": (quarter_end.month - 1) // 3 + 1,
                }
                span_start = quarter_end - pd.offsets.QuarterBegin(startingMonth=1)
                records = []
                page = 0
                while True:
                    key = cache_key(
                        symbol, f"{span_start:%Y-%m-%d}", f"{quarter_end:%Y-%m-%d}", "holders", page
                    )
                    # filings for a quarter keep arriving for ~45 days after it ends
                    open_until = (
                        quarter_end + pd.Timedelta(days=normalize.THIRTEEN_F_FILING_LAG_DAYS + 1)
                    ).date()
                    batch = self._fetch(
                        "holders", key, open_until, {**params, "page": page, "limit": HOLDERS_PAGE}, symbol
                    )
                    batch = batch if isinstance(batch, list) else []
                    records.extend(batch)
                    if len(batch) < HOLDERS_PAGE:
                        break
                    page += 1
                r, q = normalize.institutional_holdings(records, symbol)
                rows.extend(r)
                quarantined.extend(q)
            return rows, quarantined

        frame = normalize.frame(
            "raw_institutional_holdings", self._each(self._symbols(symbols), one, "13F holders")
        )
        frame = frame.drop_duplicates(["filer_id", "symbol", "report_date"], keep="last")
        return self._window(frame, start, end)

    def congress_trades(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        start, end = pd.Timestamp(start), pd.Timestamp(end)

        def one(symbol: str):
            rows, quarantined = [], []
            for chamber in ("senate", "house"):
                records = self._pages(
                    chamber, symbol, start, end, {"symbol": symbol}, CONGRESS_PAGE, "disclosureDate"
                )
                r, q = normalize.congress_trades(records, chamber, symbol)
                rows.extend(r)
                quarantined.extend(q)
            return rows, quarantined

        frame = normalize.frame("raw_congress_trades", self._each(self._symbols(symbols), one, "congress"))
        return self._window(frame, start, end)

    def corporate_events(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """FMP's earnings calendar for events dated in ``[start, end)``: one request per calendar month (all
        symbols at once), cached like every other response, then kept for the universe's symbols."""
        start, end = pd.Timestamp(start), pd.Timestamp(end)
        wanted = set(self._symbols(symbols))
        rows, quarantined = [], []
        chunk = start
        while chunk < end:
            chunk_end = min(chunk + pd.offsets.MonthBegin(1), end)
            last_day = chunk_end - pd.Timedelta(days=1)
            key = cache_key("ALL", f"{chunk:%Y-%m-%d}", f"{chunk_end:%Y-%m-%d}", "earnings")
            params = {"from": f"{chunk:%Y-%m-%d}", "to": f"{last_day:%Y-%m-%d}"}
            payload = self._fetch("earnings", key, chunk_end.date(), params, "earnings calendar")
            r, q = normalize.earnings(payload)
            rows.extend(row for row in r if row["symbol"] in wanted)
            quarantined.extend(x for x in q if x.get("symbol") in wanted)
            chunk = chunk_end
        with self._lock:
            self._quarantine.extend(quarantined)
        frame = normalize.frame("raw_corporate_events", rows)
        frame = frame[(frame["event_date"] >= start) & (frame["event_date"] < end)]
        return frame.drop_duplicates(["symbol", "event_date"]).sort_values(
            ["event_date", "symbol"], ignore_index=True
        )

    def etf_holdings(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """FMP has no history of ETF exposure, only today's snapshot, kept in the cache under its date.

        - ``today`` inside the window: the snapshot is fetched with ``known_at`` = today;
        - the window ends with the last finished month (today is in the month after it, which is how the
          monthly partitions run): fetched and filed at that month's last day, a few days before the fetch.
          Features read it from the next sample date (the 15th) on, which is after the fetch: no look-ahead;
        - an older window gets the snapshot stored for it earlier, if any, and otherwise no rows: a
          re-run never replaces a month's snapshot by today's, and no past is invented.
        """
        start, end = pd.Timestamp(start), pd.Timestamp(end)
        today = pd.Timestamp(self.today())
        month_after = end + pd.offsets.MonthBegin(1)
        if start <= today < end:
            as_of, live = today, True
        else:
            as_of, live = end - pd.Timedelta(days=1), end <= today < month_after

        def one(symbol: str):
            if live:
                key = cache_key(symbol, "snapshot", f"{as_of:%Y-%m-%d}", "etf")
                payload = self._fetch("etf", key, None, {"symbol": symbol}, symbol, final=True)
                return normalize.etf_holdings(payload, symbol, as_of.date())
            for day in pd.date_range(start, end - pd.Timedelta(days=1))[::-1]:  # the newest stored one
                payload = self.cache.peek("etf", cache_key(symbol, "snapshot", f"{day:%Y-%m-%d}", "etf"))
                if payload is not None:
                    return normalize.etf_holdings(payload, symbol, day.date())
            return [], []

        frame = normalize.frame("raw_etf_holdings", self._each(self._symbols(symbols), one, "ETF exposure"))
        return self._window(frame, start, end)


def cache_folder(base_url: str) -> str:
    """One cache folder per server (``financialmodelingprep.com``, ``127.0.0.1-8765``): answers from a local
    test server must never be read back as the real FMP's, nor the other way round."""
    netloc = urlsplit(base_url).netloc or base_url
    return re.sub(r"[^A-Za-z0-9._-]", "-", netloc.rsplit("@", 1)[-1]) or "default"


def quarter_ends(start: pd.Timestamp, end: pd.Timestamp) -> list[pd.Timestamp]:
    """Quarter-end dates q with start <= q < end."""
    first = pd.Timestamp(start).to_period("Q").end_time.normalize()
    out = []
    q = first
    while q < end:
        if q >= start:
            out.append(q)
        q = (q + pd.Timedelta(days=1)).to_period("Q").end_time.normalize()
    return out


def _sorted_newest_first_before(batch: list, field_name: str, start: pd.Timestamp) -> bool:
    """True when ``batch`` is sorted newest first by ``field_name`` and its last row is before ``start``."""
    try:
        dates = [pd.Timestamp(str(r.get(field_name))[:10]) for r in batch]
    except (ValueError, AttributeError):
        return False
    ordered = all(a >= b for a, b in zip(dates, dates[1:], strict=False))
    return ordered and bool(dates) and dates[-1] < start


SP500_FILE = Path(__file__).parent / "data" / "sp500_2024-06-24.txt"
