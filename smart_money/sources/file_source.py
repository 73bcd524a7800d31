"""Raw tables read from files a user supplies: prices, Congress trades and ETF holdings (README: SEC EDGAR
source).

The SEC publishes neither prices nor congressional trades, so the sec source takes those two tables from
another source; this one reads them from files with :mod:`smart_money.sources.imports`. ETF holdings files
(ARK's daily layout) add history beyond N-PORT's reports. Each file is read
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
from smart_money.sources.imports import etf_holdings as etf_import
from smart_money.sources.imports import prices as price_import

logger = logging.getLogger(__name__)
QUARANTINE_COLUMNS = ["table", "symbol", "reason", "record"]
TABLE_ETF = tables.RAW_ETF_HOLDINGS.name


class FileSource(Source):
    """``raw_prices`` from ``prices_path``, ``raw_congress_trades`` from ``congress_path`` and
    ``raw_etf_holdings`` from ``etf_holdings_path``."""

    name = "file"

    def __init__(
        self,
        prices_path: Path | str | None = None,
        congress_path: Path | str | None = None,
        etf_holdings_path: Path | str | None = None,
        log: Callable[[str], None] | None = None,
    ):
        self.prices_path = Path(prices_path) if prices_path else None
        self.congress_path = Path(congress_path) if congress_path else None
        self.etf_holdings_path = Path(etf_holdings_path) if etf_holdings_path else None
        self.log = log or logger.info
        self._lock = threading.Lock()
        self._prices: pd.DataFrame | None = None
        self._congress: pd.DataFrame | None = None
        self._etf: pd.DataFrame | None = None
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

    def _etf_frame(self) -> pd.DataFrame:
        with self._lock:
            if self._etf is None:
                self._etf, skipped = etf_import.load_etf_holdings(self.etf_holdings_path)
                self._quarantine.extend(skipped)
                self.log(
                    f"ETF holdings {self.etf_holdings_path}: {len(self._etf):,} rows of "
                    f"{self._etf['etf_symbol'].nunique()} funds, {len(skipped):,} lines set aside"
                )
            return self._etf

    def etf_funds(self) -> set[str]:
        """The funds the holdings file covers (empty without one)."""
        if self.etf_holdings_path is None:
            return set()
        return set(self._etf_frame()["etf_symbol"])

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
        if self.etf_holdings_path is None:
            return tables.spec(TABLE_ETF).empty()
        return self._slice(self._etf_frame(), symbols, start, end)

    def take_quarantine(self, table: str | None = None) -> pd.DataFrame:
        """Records the importers could not use since the last call (for ``table``, or all)."""
        with self._lock:
            taken = [q for q in self._quarantine if table is None or q["table"] == table]
            self._quarantine = [q for q in self._quarantine if not (table is None or q["table"] == table)]
        return pd.DataFrame(taken, columns=QUARANTINE_COLUMNS)

    def stats(self) -> dict:
        return {}
