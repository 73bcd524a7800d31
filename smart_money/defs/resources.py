"""The source resource: assets ask it for raw tables and never know which source they got."""

from datetime import date

import dagster as dg
import pandas as pd
from pydantic import Field

from smart_money import settings, timeline
from smart_money.sources.base import Source, Symbols
from smart_money.sources.synthetic import MarketConfig, SyntheticMarketSource


class SmartMoneySource(dg.ConfigurableResource):
    """Abstract source: one method per raw table, each a ``known_at`` window ``[start, end)``."""

    def client(self) -> Source:
        raise NotImplementedError(f"{type(self).__name__} must implement client()")

    @property
    def source_name(self) -> str:
        return self.client().name

    def history_end(self) -> date | None:
        """Last date the source has data for (None: up to today)."""
        return None

    def universe(self, as_of: pd.Timestamp) -> pd.DataFrame:
        return self.client().universe(as_of)

    def prices(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        return self.client().prices(symbols, start, end)

    def insider_trades(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        return self.client().insider_trades(symbols, start, end)

    def institutional_holdings(
        self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame:
        return self.client().institutional_holdings(symbols, start, end)

    def congress_trades(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        return self.client().congress_trades(symbols, start, end)

    def etf_holdings(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        return self.client().etf_holdings(symbols, start, end)

    def synthetic_truth(
        self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame | None:
        return self.client().synthetic_truth(symbols, start, end)


class SyntheticSource(SmartMoneySource):
    """The simulated market (offline default). Deterministic for (seed, n_symbols, dates, signal_strength)."""

    seed: int = Field(default=7, description="Random seed; the same seed gives identical data.")
    n_symbols: int = Field(default=500, description="Number of simulated stocks (SYN001, SYN002, ...).")
    signal_strength: float = Field(
        default=1.0,
        description="How much the disclosures know about future news: 1 = default modest edge (insiders "
        "strongest, Congress weakest), 0 = no disclosure carries any information.",
    )
    history_start: str = Field(default=timeline.HISTORY_START.isoformat(), description="First simulated day.")
    history_end_date: str = Field(default=timeline.HISTORY_END.isoformat(), description="Last simulated day.")

    def market_config(self) -> MarketConfig:
        return MarketConfig(
            seed=self.seed,
            n_symbols=self.n_symbols,
            start=date.fromisoformat(self.history_start),
            end=date.fromisoformat(self.history_end_date),
            signal_strength=self.signal_strength,
        )

    def client(self) -> Source:
        return SyntheticMarketSource(self.market_config())

    def history_end(self) -> date | None:
        return date.fromisoformat(self.history_end_date)


def source_from_env() -> SmartMoneySource:
    """The resource named by ``SMART_MONEY_SOURCE``, knobs from the environment (README: Configuration)."""
    name = settings.source_name()
    if name == "synthetic":
        return SyntheticSource(
            seed=settings.seed(), n_symbols=settings.n_symbols(), signal_strength=settings.signal_strength()
        )
    raise settings.SettingsError(f"SMART_MONEY_SOURCE={name!r} has no resource yet")
