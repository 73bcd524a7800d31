"""Raw tables read from files a user supplies: prices, and Congress trades (README: SEC EDGAR source).

The SEC publishes neither prices nor congressional trades, so the sec source takes those two tables from
another source; this one reads them from files with :mod:`smart_money.sources.imports`. Each file is read
and validated once, then sliced by ``known_at`` for every window. Tables it has no file for are empty.
"""

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from smart_money import tables
from smart_money.sources.base import Source, Symbols
from smart_money.sources.imports import congress as congress_import
from smart_money.sources.imports import prices as price_import

logger = logging.getLogger(__name__)
QUARANTINE_COLUMNS = ["table", "symbol", "reason", "record"]


class FileSource(Source):
    """``raw_prices`` from ``prices_path`` and ``raw_congress_trades`` from ``congress_path``."""

    name = "file"

    def __init__(
        self,
        prices_path: Path | str | None = None,
        congress_path: Path | str | None = None,
        log: Callable[[str], None] | None = None,
    ):
        self.prices_path = Path(prices_path) if prices_path else None
        self.congress_path = Path(congress_path) if congress_path else None
        self.log = log or logger.info
        self._lock = threading.Lock()
        self._prices: pd.DataFrame | None = None
        self._congress: pd.DataFrame | None = None
        self._quarantine: list[dict] = []

    def _price_frame(self) -> pd.DataFrame:
        with self._lock:
            if self._prices is None:
                self._prices = price_import.read_prices(self.prices_path)
                self.log(
                    f"prices file {self.prices_path}: {len(self._prices):,} rows, "
                    f"{self._prices['symbol'].nunique()} symbols"
                )
            return self._prices

    def _congress_frame(self) -> pd.DataFrame:
        with self._lock:
            if self._congress is None:
                self._congress, quarantined = congress_import.read_congress(self.congress_path)
                self._quarantine.extend(quarantined)
                self.log(
                    f"Congress trades {self.congress_path}: {len(self._congress):,} rows, "
                    f"{len(quarantined):,} quarantined"
                )
            return self._congress

    @staticmethod
    def _slice(frame: pd.DataFrame, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        keep = (frame["known_at"] >= pd.Timestamp(start)) & (frame["known_at"] < pd.Timestamp(end))
        if symbols is not None:
            keep &= frame["symbol"].isin(list(symbols))
        return frame[keep].reset_index(drop=True)

    def universe(self, as_of: pd.Timestamp) -> pd.DataFrame:
        return tables.spec("universe").empty()

    def prices(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        if self.prices_path is None:
            return tables.spec("raw_prices").empty()
        return price_import.prices_window(self._price_frame(), symbols, start, end)

    def insider_trades(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        return tables.spec("raw_insider_trades").empty()

    def institutional_holdings(
        self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame:
        return tables.spec("raw_institutional_holdings").empty()

    def congress_trades(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        if self.congress_path is None:
            return tables.spec("raw_congress_trades").empty()
        return self._slice(self._congress_frame(), symbols, start, end)

    def etf_holdings(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        return tables.spec("raw_etf_holdings").empty()

    def take_quarantine(self, table: str | None = None) -> pd.DataFrame:
        """Records the importers could not use since the last call (for ``table``, or all)."""
        with self._lock:
            taken = [q for q in self._quarantine if table is None or q["table"] == table]
            self._quarantine = [q for q in self._quarantine if not (table is None or q["table"] == table)]
        return pd.DataFrame(taken, columns=QUARANTINE_COLUMNS)

    def stats(self) -> dict:
        return {}
