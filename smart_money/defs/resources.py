"""The source resource: assets ask it for raw tables and never know which source they got."""

from datetime import date
from pathlib import Path

import dagster as dg
import pandas as pd
from pydantic import Field, PrivateAttr

from smart_money import settings, timeline
from smart_money.sources.base import Source, Symbols
from smart_money.sources.fmp.source import SP500_FILE, FmpMarketSource, FmpSettings, read_symbols_file
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

    def corporate_events(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        return self.client().corporate_events(symbols, start, end)

    def fetch_report(self, table: str) -> tuple[dict, pd.DataFrame]:
        """Request/cache figures and the records quarantined for ``table`` since the last call."""
        return {}, pd.DataFrame(columns=["table", "symbol", "reason", "record"])


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
    if name == "fmp":
        return fmp_from_env()
    raise settings.SettingsError(f"SMART_MONEY_SOURCE={name!r} has no resource yet")


class FmpSource(SmartMoneySource):
    """Financial Modeling Prep's stable API (README: FMP source). The key comes from ``FMP_API_KEY`` through
    ``dg.EnvVar``, so Dagster never shows or stores it."""

    api_key: str = Field(description="FMP API key; set FMP_API_KEY (passed as dg.EnvVar).")
    base_url: str = Field(default="https://financialmodelingprep.com", description="FMP_BASE_URL.")
    rate_per_minute: float = Field(default=300.0, description="Shared request budget (FMP Starter: 300).")
    universe_preset: str = Field(default="test", description="test, custom, top50, top100 or top500.")
    symbols: list[str] = Field(default_factory=list, description="Symbols for the custom preset.")
    cache_dir: str = Field(default="data/cache/fmp", description="Raw-response cache (no key in any name).")
    cache_ttl_days: float = Field(default=7.0, description="Expiry of cached ranges that include this month.")
    max_workers: int = Field(default=4, description="Symbols fetched in parallel (one shared rate limit).")
    as_of: str | None = Field(
        default=None, description="The date treated as today (YYYY-MM-DD); default today."
    )
    retry_attempts: int = Field(default=6, description="Attempts per request on 429 / 5xx / timeouts.")

    _source = PrivateAttr(default=None)

    @property
    def source_name(self) -> str:
        return "fmp"

    def history_end(self) -> date | None:
        return date.fromisoformat(self.as_of) if self.as_of else None

    def settings(self) -> FmpSettings:
        if self.universe_preset not in settings.UNIVERSE_PRESETS:
            raise settings.SettingsError(
                f"FmpSource.universe_preset={self.universe_preset!r}: use one of "
                f"{', '.join(settings.UNIVERSE_PRESETS)}"
            )
        if self.universe_preset == "custom":
            symbols, top_n = tuple(self.symbols), None
        elif self.universe_preset == "test":
            symbols, top_n = settings.TEST_SYMBOLS, None
        else:
            symbols, top_n = tuple(read_symbols_file(SP500_FILE)), int(self.universe_preset[3:])
        if not symbols:
            raise settings.SettingsError("the FMP universe is empty: set SMART_MONEY_SYMBOLS or a preset")
        return FmpSettings(
            api_key=self.api_key,
            symbols=symbols,
            base_url=self.base_url,
            rate_per_minute=self.rate_per_minute,
            cache_dir=Path(self.cache_dir),
            cache_ttl_days=self.cache_ttl_days,
            max_workers=self.max_workers,
            as_of=self.history_end(),
            retry_attempts=self.retry_attempts,
            top_n=top_n,
        )

    def client(self) -> Source:
        if self._source is None:
            self._source = FmpMarketSource(self.settings(), log=dg.get_dagster_logger().info)
        return self._source

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        """Close the HTTP connection pool when the run's step is done."""
        if self._source is not None:
            self._source.client.close()
            self._source = None

    def corporate_events(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        return self.client().corporate_events(symbols, start, end)

    def fetch_report(self, table: str) -> tuple[dict, pd.DataFrame]:
        source = self.client()
        return source.stats(), source.take_quarantine(table)


def fmp_from_env() -> FmpSource:
    if not settings.fmp_api_key():
        raise settings.SettingsError(
            "SMART_MONEY_SOURCE=fmp needs FMP_API_KEY (your Financial Modeling Prep key); "
            "nothing was requested"
        )
    preset = settings.universe_preset()
    as_of = settings.fmp_as_of()
    return FmpSource(
        api_key=dg.EnvVar("FMP_API_KEY"),
        base_url=settings.fmp_base_url(),
        rate_per_minute=settings.fmp_rate_per_minute(),
        universe_preset=preset,
        symbols=settings.custom_symbols() if preset == "custom" else [],
        cache_dir=str(settings.cache_dir()),
        cache_ttl_days=settings.fmp_cache_ttl_days(),
        max_workers=settings.fmp_max_workers(),
        as_of=as_of.isoformat() if as_of else None,
    )
