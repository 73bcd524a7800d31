"""The interface every source implements (plain Python; Dagster wraps it in ``defs/resources.py``).

Each method takes the symbols (None = every symbol the source knows) and a half-open ``known_at`` window
``[start, end)`` and returns a frame in the warehouse shape of :mod:`smart_money.tables`, rows filtered to
that window. ``known_at`` is the date the record became public, so slicing by it is what makes monthly
partitions point in time.
"""

from abc import ABC, abstractmethod
from collections.abc import Sequence

import pandas as pd

from smart_money import tables

Symbols = Sequence[str] | None


class Source(ABC):
    """A provider of smart-money disclosures and prices."""

    name: str = "abstract"

    @abstractmethod
    def universe(self, as_of: pd.Timestamp) -> pd.DataFrame:
        """Symbols listed at ``as_of`` (one row per symbol, table ``universe``)."""

    @abstractmethod
    def prices(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Daily prices with ``start <= known_at < end`` (table ``raw_prices``)."""

    @abstractmethod
    def insider_trades(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Form 4 transactions filed in the window (table ``raw_insider_trades``)."""

    @abstractmethod
    def institutional_holdings(
        self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame:
        """13F positions filed in the window (table ``raw_institutional_holdings``)."""

    @abstractmethod
    def congress_trades(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """STOCK Act trades disclosed in the window (table ``raw_congress_trades``)."""

    @abstractmethod
    def etf_holdings(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """ETF positions with an as-of date in the window (table ``raw_etf_holdings``)."""

    def synthetic_truth(
        self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame | None:
        """The hidden state behind simulated data, by month; None for real sources."""
        return None

    def corporate_events(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Scheduled corporate events (earnings and others) dated in the window, each with ``known_at``, the
        date it became public (table ``raw_corporate_events``); empty for a source without a calendar."""
        return tables.spec("raw_corporate_events").empty()

    def option_prints(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Option prints with ``start <= known_at < end`` (the print time; table ``raw_option_prints``);
        empty for a source without an options tape."""
        return tables.spec("raw_option_prints").empty()

    def synthetic_flow_truth(
        self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame | None:
        """The hidden label of every simulated option print in the window; None for real sources."""
        return None
