"""The resources every asset receives: the source of raw tables and the warehouse they are written to.

Assets ask the ``source`` resource for raw tables and never know which source they got; they read and write
tables only through the ``warehouse`` resource, which ``definitions.py`` configures from the environment.
Tests swap either resource instead of changing the environment.
"""

from datetime import date
from pathlib import Path

import dagster as dg
import pandas as pd
from pydantic import Field, PrivateAttr

from smart_money import settings, timeline
from smart_money.options_flow import importer
from smart_money.settings import FMP_DEFAULTS, SEC_DEFAULTS
from smart_money.sources.base import Source, Symbols
from smart_money.sources.fmp.source import SP500_FILE, FmpMarketSource, FmpSettings
from smart_money.sources.sec.nport import DEFAULT_ETFS as SEC_ETFS
from smart_money.sources.sec.source import SecMarketSource, SecSettings
from smart_money.sources.synthetic import MarketConfig, OptionTapeConfig, SyntheticMarketSource
from smart_money.warehouse import Warehouse

IMPORTED_PRINTS = "import"
_TAPE = OptionTapeConfig()


class WarehouseResource(dg.ConfigurableResource):
    """The Parquet warehouse and its DuckDB catalog (README: The warehouse). Assets receive the plain
    :class:`~smart_money.warehouse.Warehouse` object this resource creates."""

    data_dir: str = Field(
        description="Root of the Parquet partitions and warehouse.duckdb (SMART_MONEY_DATA_DIR)."
    )
    models_dir: str = Field(description="Root of the model artifacts (SMART_MONEY_MODELS_DIR).")

    def warehouse(self) -> Warehouse:
        return Warehouse(Path(self.data_dir), Path(self.models_dir))

    def create_resource(self, context: dg.InitResourceContext) -> Warehouse:
        return self.warehouse()


class SmartMoneySource(dg.ConfigurableResource):
    """Abstract source: one method per raw table, each a ``known_at`` window ``[start, end)``.

    ``option_prints_path`` replaces the source's option prints by a vendor file read with the importer
    (README: Options flow).
    """

    option_prints_path: str | None = Field(
        default=None,
        description="A Parquet/CSV file or folder of option prints to import instead of the source's own "
        "(SMART_MONEY_OPTION_PRINTS).",
    )

    def client(self) -> Source:
        raise NotImplementedError(f"{type(self).__name__} must implement client()")

    @property
    def source_name(self) -> str:
        return self.client().name

    def history_start(self) -> date:
        """First date the source has data for (the project's history start unless it knows better)."""
        return timeline.HISTORY_START

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

    def option_prints(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        if not self.option_prints_path:
            return self.client().option_prints(symbols, start, end)
        prints = importer.read_prints(self.option_prints_path).assign(source=IMPORTED_PRINTS)
        prints["known_at"] = pd.to_datetime(prints["ts"].astype("int64"), unit="ms")
        window = (prints["known_at"] >= start) & (prints["known_at"] < end)
        if symbols is not None:
            window &= prints["symbol"].isin(list(symbols))
        return prints[window].reset_index(drop=True)

    def synthetic_flow_truth(
        self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame | None:
        if self.option_prints_path:  # imported prints carry no hidden truth
            return None
        return self.client().synthetic_flow_truth(symbols, start, end)

    def fetch_report(self, table: str) -> tuple[dict, pd.DataFrame]:
        """Request/cache figures and the records quarantined for ``table`` since the last call."""
        return {}, pd.DataFrame(columns=["table", "symbol", "reason", "record"])

    def value_mapped(self) -> pd.DataFrame | None:
        """Per 13F period: the value read and the part mapped to universe symbols (None: the source maps no
        CUSIPs, its holdings come with symbols)."""
        return None


class SyntheticSource(SmartMoneySource):
    """The simulated market (offline default). Deterministic for (seed, n_symbols, dates, signal_strength)."""

    seed: int = Field(default=7, description="Random seed; the same seed gives identical data.")
    n_symbols: int = Field(default=500, description="Number of simulated stocks (SYN001, SYN002, ...).")
    signal_strength: float = Field(
        default=1.0,
        description="How much the disclosures know about future news: 1 = default modest edge (insiders "
        "strongest, Congress weakest), 0 = no disclosure carries any information.",
    )
    history_start_date: str = Field(
        default=timeline.HISTORY_START.isoformat(), description="First simulated day."
    )
    history_end_date: str = Field(default=timeline.HISTORY_END.isoformat(), description="Last simulated day.")
    tape_n_symbols: int = Field(
        default=_TAPE.n_symbols, description="Simulated options tape: the first N universe symbols."
    )
    tape_scenarios_per_kind: int = Field(
        default=_TAPE.scenarios_per_kind,
        description="Simulated options tape: scenarios per template a month.",
    )
    tape_mode: str = Field(
        default=_TAPE.mode, description="Simulated options tape: 'demo' (with background flow) or 'test'."
    )
    tape_background_ratio: float = Field(
        default=_TAPE.background_ratio,
        description="Simulated options tape (demo): background prints per scenario print.",
    )
    tape_seed: int = Field(
        default=_TAPE.seed,
        description="Simulated options tape: base random seed (each month adds its index).",
    )

    def market_config(self) -> MarketConfig:
        return MarketConfig(
            seed=self.seed,
            n_symbols=self.n_symbols,
            start=date.fromisoformat(self.history_start_date),
            end=date.fromisoformat(self.history_end_date),
            signal_strength=self.signal_strength,
        )

    def tape_config(self) -> OptionTapeConfig:
        return OptionTapeConfig(
            n_symbols=self.tape_n_symbols,
            scenarios_per_kind=self.tape_scenarios_per_kind,
            mode=self.tape_mode,
            background_ratio=self.tape_background_ratio,
            seed=self.tape_seed,
        )

    def client(self) -> Source:
        return SyntheticMarketSource(self.market_config(), self.tape_config())

    def history_start(self) -> date:
        return date.fromisoformat(self.history_start_date)

    def history_end(self) -> date | None:
        return date.fromisoformat(self.history_end_date)


class FmpSource(SmartMoneySource):
    """Financial Modeling Prep's stable API (README: FMP source). The key comes from ``FMP_API_KEY`` through
    ``dg.EnvVar``, so Dagster never shows or stores it."""

    api_key: str = Field(description="FMP API key; set FMP_API_KEY (passed as dg.EnvVar).")
    base_url: str = Field(default=FMP_DEFAULTS.base_url, description="FMP_BASE_URL.")
    rate_per_minute: float = Field(
        default=FMP_DEFAULTS.rate_per_minute, description="Shared request budget per minute (FMP Starter)."
    )
    universe_preset: str = Field(
        default=FMP_DEFAULTS.universe_preset, description="test, custom, top50, top100 or top500."
    )
    symbols: list[str] = Field(default_factory=list, description="Symbols for the custom preset.")
    cache_dir: str = Field(
        default=FMP_DEFAULTS.cache_dir, description="Raw-response cache (no key in any name)."
    )
    cache_ttl_days: float = Field(
        default=FMP_DEFAULTS.cache_ttl_days, description="Expiry of cached ranges that include this month."
    )
    max_workers: int = Field(
        default=FMP_DEFAULTS.max_workers, description="Symbols fetched in parallel (one shared rate limit)."
    )
    as_of: str | None = Field(
        default=None, description="The date treated as today (YYYY-MM-DD); default today."
    )
    retry_attempts: int = Field(
        default=FMP_DEFAULTS.retry_attempts, description="Attempts per request on 429 / 5xx / timeouts."
    )

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
            symbols, top_n = tuple(settings.read_symbols_file(SP500_FILE)), int(self.universe_preset[3:])
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

    def fetch_report(self, table: str) -> tuple[dict, pd.DataFrame]:
        source = self.client()
        return source.stats(), source.take_quarantine(table)


def _preset_symbols(preset: str, custom: list[str], who: str) -> tuple[tuple[str, ...] | None, int | None]:
    """(symbols, top_n) of a universe preset (README: Configuration); None symbols = every ticker."""
    if preset == "custom":
        if not custom:
            raise settings.SettingsError("the universe is empty: set SMART_MONEY_SYMBOLS or a preset")
        return tuple(custom), None
    if preset == "test":
        return settings.TEST_SYMBOLS, None
    if preset == "all":
        return None, None
    if preset in settings.UNIVERSE_PRESETS:
        return tuple(settings.read_symbols_file(SP500_FILE)), int(preset[3:])
    raise settings.SettingsError(f"{who}.universe_preset={preset!r}: use one of {settings.UNIVERSE_PRESETS}")


def _file_source(**kwargs) -> Source:
    from smart_money.sources.file_source import FileSource  # the importers load only when a file is named

    return FileSource(**kwargs)


class SecSource(SmartMoneySource):
    """SEC EDGAR (README: SEC EDGAR source): the universe and insider trades from the SEC, prices and
    Congress trades from the sources ``prices`` and ``congress`` name. The User-Agent comes from
    ``SEC_USER_AGENT`` through ``dg.EnvVar``, so Dagster never shows or stores it."""

    user_agent: str = Field(description="SEC_USER_AGENT: a name and an email (passed as dg.EnvVar).")
    www_url: str = Field(default=SEC_DEFAULTS.www_url, description="SEC_WWW_URL (www.sec.gov paths).")
    data_url: str = Field(default=SEC_DEFAULTS.data_url, description="SEC_DATA_URL (data.sec.gov paths).")
    rate_per_s: float = Field(
        default=SEC_DEFAULTS.rate_per_s,
        description="SEC_RATE_PER_S: requests a second for the process (the SEC allows at most 10).",
    )
    cache_dir: str = Field(
        default=f"{settings.DEFAULT_DATA_DIR}/{SEC_DEFAULTS.cache_subdir}",
        description="Response cache, one folder per server.",
    )
    cache_ttl_days: float = Field(
        default=SEC_DEFAULTS.cache_ttl_days, description="SEC_CACHE_TTL_DAYS: expiry of open-period answers."
    )
    max_workers: int = Field(
        default=SEC_DEFAULTS.max_workers, description="SEC_MAX_WORKERS: issuers fetched in parallel."
    )
    as_of: str | None = Field(default=None, description="SEC_AS_OF: the date treated as today (YYYY-MM-DD).")
    universe_preset: str = Field(
        default=SEC_DEFAULTS.universe_preset, description="test, custom, top50, top100, top500 or all."
    )
    symbols: list[str] = Field(default_factory=list, description="Symbols for the custom preset.")
    history_start_date: str = Field(
        default=timeline.HISTORY_START.isoformat(),
        description="SMART_MONEY_HISTORY_START: the first day a build backfills (2006-01-01 earliest).",
    )
    price_source: str = Field(
        description="SMART_MONEY_PRICES: fmp, synthetic or a CSV / Parquet file of prices."
    )
    congress_source: str = Field(
        default=SEC_DEFAULTS.congress,
        description="SMART_MONEY_CONGRESS: fmp, none or a path (CSV, Senate JSON, House JSON + Clerk XML).",
    )
    fmp_api_key: str | None = Field(
        default=None, description="FMP_API_KEY, when prices or congress is fmp (passed as dg.EnvVar)."
    )
    fmp_base_url: str = Field(default=FMP_DEFAULTS.base_url, description="FMP_BASE_URL.")
    fmp_cache_dir: str = Field(default=FMP_DEFAULTS.cache_dir, description="The FMP response cache.")
    etfs: list[str] = Field(
        default_factory=lambda: list(SEC_ETFS),
        description="SMART_MONEY_ETFS: ETFs whose N-PORT holdings are read.",
    )
    etf_holdings_file: str | None = Field(
        default=None,
        description="SMART_MONEY_ETF_HOLDINGS: an ETF holdings file or folder in ARK's daily layout; its "
        "funds replace N-PORT for those funds.",
    )
    openfigi_api_key: str | None = Field(
        default=None, description="OPENFIGI_API_KEY (optional, passed as dg.EnvVar): OpenFIGI's higher rate."
    )
    openfigi_url: str = Field(default=settings.OPENFIGI_URL, description="OPENFIGI_URL.")
    cusip_map: str | None = Field(
        default=None, description="SMART_MONEY_CUSIP_MAP: a CSV cusip,symbol taking precedence over OpenFIGI."
    )
    hedge_funds: str | None = Field(
        default=None, description="SMART_MONEY_HEDGE_FUNDS: a CSV cik,name,source replacing the shipped list."
    )
    synthetic_seed: int = Field(default=7, description="prices=synthetic: the simulated market's seed.")
    synthetic_n_symbols: int = Field(
        default=500, description="prices=synthetic: the simulated market's number of symbols."
    )

    _source = PrivateAttr(default=None)

    @property
    def source_name(self) -> str:
        return "sec"

    def history_start(self) -> date:
        return date.fromisoformat(self.history_start_date)

    def history_end(self) -> date | None:
        return date.fromisoformat(self.as_of) if self.as_of else None

    def settings(self) -> SecSettings:
        symbols, top_n = _preset_symbols(self.universe_preset, self.symbols, "SecSource")
        return SecSettings(
            user_agent=self.user_agent,
            symbols=symbols,
            top_n=top_n,
            www_url=self.www_url,
            data_url=self.data_url,
            rate_per_s=self.rate_per_s,
            cache_dir=Path(self.cache_dir),
            cache_ttl_days=self.cache_ttl_days,
            max_workers=self.max_workers,
            as_of=self.history_end(),
            etfs=tuple(self.etfs),
            openfigi_api_key=self.openfigi_api_key,
            openfigi_url=self.openfigi_url,
            cusip_map=Path(self.cusip_map) if self.cusip_map else None,
            hedge_funds=Path(self.hedge_funds) if self.hedge_funds else None,
        )

    def _fmp(self, log) -> FmpMarketSource:
        if not self.fmp_api_key:
            raise settings.SettingsError("SMART_MONEY_PRICES=fmp / SMART_MONEY_CONGRESS=fmp need FMP_API_KEY")
        return FmpMarketSource(
            FmpSettings(
                api_key=self.fmp_api_key,
                symbols=tuple(self.symbols) or settings.TEST_SYMBOLS,
                base_url=self.fmp_base_url,
                cache_dir=Path(self.fmp_cache_dir),
                as_of=self.history_end(),
            ),
            log=log,
        )

    def table_sources(self, log) -> tuple[Source, Source | None]:
        """The sources of raw_prices and raw_congress_trades (one FMP client when both are fmp)."""
        fmp = self._fmp(log) if "fmp" in (self.price_source, self.congress_source) else None
        if self.price_source == "fmp":
            prices: Source = fmp
        elif self.price_source == "synthetic":
            prices = SyntheticMarketSource(
                MarketConfig(seed=self.synthetic_seed, n_symbols=self.synthetic_n_symbols)
            )
        else:
            prices = _file_source(prices_path=self.price_source, log=log)
        if self.congress_source == "none":
            congress = None
        elif self.congress_source == "fmp":
            congress = fmp
        else:
            congress = _file_source(congress_path=self.congress_source, log=log)
        return prices, congress

    def client(self) -> Source:
        if self._source is None:
            log = dg.get_dagster_logger().info
            prices, congress = self.table_sources(log)
            etf_file = (
                _file_source(etf_holdings_path=self.etf_holdings_file, log=log)
                if self.etf_holdings_file
                else None
            )
            self._source = SecMarketSource(
                self.settings(), prices=prices, congress=congress, etf_file=etf_file, log=log
            )
        return self._source

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        """Close the HTTP connection pools when the run's step is done."""
        if self._source is not None:
            self._source.close()
            self._source = None

    def fetch_report(self, table: str) -> tuple[dict, pd.DataFrame]:
        source = self.client()
        return source.stats(), source.take_quarantine(table)

    def value_mapped(self) -> pd.DataFrame | None:
        return self.client().value_mapped()

    def largest_unmapped(self) -> pd.DataFrame:
        return self.client().largest_unmapped()
