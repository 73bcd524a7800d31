"""Environment settings: where outputs go and which source/knobs a run uses.

Read at call time (not import time) so tests and two side-by-side configurations can relocate outputs.
Every variable is documented in README.md ("Configuration").
"""

import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from smart_money import timeline

SOURCES = ("synthetic", "fmp", "sec")
UNIVERSE_PRESETS = ("test", "custom", "top50", "top100", "top500")
TEST_SYMBOLS = ("AAPL", "NVDA", "TSLA")
DEFAULT_DATA_DIR = "data"


@dataclass(frozen=True)
class FmpDefaults:
    """The FMP source's defaults, in one place: the environment readers below, the ``FmpSource`` resource,
    ``FmpSettings`` and ``FmpClient`` all take them from :data:`FMP_DEFAULTS` (README: FMP source)."""

    base_url: str = "https://financialmodelingprep.com"
    rate_per_minute: float = 300.0  # FMP's Starter plan
    cache_ttl_days: float = 7.0  # expiry of cached ranges fetched while still open
    max_workers: int = 4  # symbols fetched in parallel, under one shared rate limit
    retry_attempts: int = 6  # attempts per request on 429 / 5xx / timeouts
    universe_preset: str = "test"
    cache_subdir: str = "cache/fmp"  # the response cache, under the data directory

    @property
    def cache_dir(self) -> str:
        """The response cache under the default data directory (``data/cache/fmp``)."""
        return f"{DEFAULT_DATA_DIR}/{self.cache_subdir}"


FMP_DEFAULTS = FmpDefaults()


@dataclass(frozen=True)
class SecDefaults:
    """The SEC EDGAR source's defaults, in one place (README: SEC EDGAR source)."""

    www_url: str = "https://www.sec.gov"
    data_url: str = "https://data.sec.gov"
    rate_per_s: float = 8.0  # the SEC allows at most 10 requests a second per user
    max_rate_per_s: float = 10.0
    cache_ttl_days: float = 1.0  # submissions and tickers change every business day
    max_workers: int = 4  # issuers fetched in parallel, under one shared rate limit
    universe_preset: str = "test"
    cache_subdir: str = "cache/sec"  # the response cache, under the data directory
    first_month: date = date(2006, 1, 1)  # the first quarter of the SEC's Insider Transactions Data Sets
    prices: str = ""  # no default: the SEC has no prices, so a price source must be named
    congress: str = "none"


SEC_DEFAULTS = SecDefaults()
PRICE_SOURCES = ("fmp", "synthetic")  # or a path to a CSV / Parquet file
CONGRESS_SOURCES = ("fmp", "none")  # or a path to a CSV / Senate JSON / House JSON + Clerk XML
MAX_SYNTHETIC_SYMBOLS = 5000  # the simulated market holds every symbol and day in memory
MONTH_RANGE = (1990, 2100)  # years a month setting may name


class SettingsError(ValueError):
    """An environment variable holds a value the project cannot use."""


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value.strip() if value is not None and value.strip() != "" else None


def data_dir() -> Path:
    """Root of the Parquet partitions and the DuckDB catalog (``SMART_MONEY_DATA_DIR``, default ./data)."""
    return Path(_env("SMART_MONEY_DATA_DIR") or DEFAULT_DATA_DIR).resolve()


def models_dir() -> Path:
    """Root of trained model artifacts (``SMART_MONEY_MODELS_DIR``, default ./models)."""
    return Path(_env("SMART_MONEY_MODELS_DIR") or "models").resolve()


def source_name() -> str:
    name = (_env("SMART_MONEY_SOURCE") or "synthetic").lower()
    if name not in SOURCES:
        raise SettingsError(
            f"SMART_MONEY_SOURCE={name!r} is not a known source; use one of: {', '.join(SOURCES)}"
        )
    return name


def _int(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw[:40]!r} is not an integer") from None
    if not minimum <= value <= maximum:
        raise SettingsError(f"{name}={value} must be between {minimum} and {maximum}")
    return value


def _float(name: str, default: float, minimum: float, maximum: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw[:40]!r} is not a number") from None
    if not minimum <= value <= maximum:
        raise SettingsError(f"{name}={value} must be between {minimum} and {maximum}")
    return value


def _month(name: str, default: date) -> date:
    raw = _env(name)
    if raw is None:
        return default
    try:
        ts = pd.Timestamp(raw if len(raw) > 7 else f"{raw}-01")
    except (ValueError, OverflowError):
        raise SettingsError(f"{name}={raw[:40]!r} is not a month; write it as YYYY-MM") from None
    if not MONTH_RANGE[0] <= ts.year <= MONTH_RANGE[1]:
        raise SettingsError(f"{name}={raw!r}: the year must be between {MONTH_RANGE[0]} and {MONTH_RANGE[1]}")
    return date(ts.year, ts.month, 1)


def seed() -> int:
    return _int("SMART_MONEY_SEED", 7, 0, 2**32 - 1)


def n_symbols() -> int:
    return _int("SMART_MONEY_N_SYMBOLS", 500, 1, MAX_SYNTHETIC_SYMBOLS)


def signal_strength() -> float:
    return _float("SMART_MONEY_SIGNAL_STRENGTH", 1.0, 0.0, 1.5)


def sample_start() -> date:
    return _month("SMART_MONEY_SAMPLE_START", timeline.SAMPLE_START)


def sample_end_is_latest() -> bool:
    """``SMART_MONEY_SAMPLE_END=latest``: the sample window grows with every new month (automation)."""
    return (_env("SMART_MONEY_SAMPLE_END") or "").lower() == "latest"


def sample_end() -> date:
    """``SMART_MONEY_SAMPLE_END`` (YYYY-MM, default 2024-12); ``latest`` means the last finished month
    (and, for dataset_splits, the newest materialized features month)."""
    if sample_end_is_latest():
        today = date.today()
        return date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    return _month("SMART_MONEY_SAMPLE_END", timeline.SAMPLE_END)


EXECUTORS = ("in_process", "multiprocess", "celery")


def executor() -> str:
    name = (_env("SMART_MONEY_EXECUTOR") or "in_process").lower()
    if name not in EXECUTORS:
        raise SettingsError(
            f"SMART_MONEY_EXECUTOR={name!r}: use 'in_process' (default), 'multiprocess' or 'celery'"
        )
    return name


def automation_on() -> bool:
    """``SMART_MONEY_AUTOMATION=on``: the monthly automation sensor starts as running (default: stopped)."""
    value = (_env("SMART_MONEY_AUTOMATION") or "off").lower()
    if value not in ("on", "off"):
        raise SettingsError(f"SMART_MONEY_AUTOMATION={value!r}: use 'on' or 'off'")
    return value == "on"


TRACK_RECORD_MARGIN = 0.05  # how far the live AUC may fall below the test AUC before the check warns


def track_record_margin() -> float:
    """``SMART_MONEY_TRACK_RECORD_MARGIN``: the ``track_record_degradation`` check's margin (README: Live
    track record)."""
    return _float("SMART_MONEY_TRACK_RECORD_MARGIN", TRACK_RECORD_MARGIN, 0.0, 0.5)


def option_prints_path() -> str | None:
    """``SMART_MONEY_OPTION_PRINTS``: a Parquet/CSV file or folder of option prints to import instead of the
    simulated tape (README: Options flow)."""
    return _env("SMART_MONEY_OPTION_PRINTS")


def options_flow_features() -> bool:
    """``SMART_MONEY_OPTIONS_FLOW``: on/off; whether the features table gets the options-flow columns
    (default on for the synthetic source, off otherwise)."""
    default = "on" if source_name() == "synthetic" else "off"
    value = (_env("SMART_MONEY_OPTIONS_FLOW") or default).lower()
    if value not in ("on", "off"):
        raise SettingsError(f"SMART_MONEY_OPTIONS_FLOW={value!r}: use 'on' or 'off'")
    return value == "on"


def admin_token() -> str | None:
    """``SMART_MONEY_ADMIN_TOKEN``: the bearer token of the serve admin API; never logged or stored."""
    return _env("SMART_MONEY_ADMIN_TOKEN")


# ---- FMP source (README: FMP source) ----------------------------------------------------------------------
def fmp_api_key() -> str | None:
    """``FMP_API_KEY``; never logged, cached or written anywhere by this project."""
    return _env("FMP_API_KEY")


def fmp_base_url() -> str:
    return _env("FMP_BASE_URL") or FMP_DEFAULTS.base_url


def fmp_rate_per_minute() -> float:
    return _float("FMP_RATE_PER_MINUTE", FMP_DEFAULTS.rate_per_minute, 1.0, 1_000_000.0)


def fmp_cache_ttl_days() -> float:
    return _float("FMP_CACHE_TTL_DAYS", FMP_DEFAULTS.cache_ttl_days, 0.0, 3650.0)


def fmp_max_workers() -> int:
    return _int("FMP_MAX_WORKERS", FMP_DEFAULTS.max_workers, 1, 64)


def fmp_as_of() -> date | None:
    """``FMP_AS_OF`` (YYYY-MM-DD): the date the FMP source treats as today (default: the real date)."""
    raw = _env("FMP_AS_OF")
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise SettingsError(f"FMP_AS_OF={raw!r} is not a date; write it as YYYY-MM-DD") from None


def cache_dir() -> Path:
    return data_dir() / FMP_DEFAULTS.cache_subdir


def universe_preset() -> str:
    """``SMART_MONEY_UNIVERSE``: test (AAPL, NVDA, TSLA), custom (SMART_MONEY_SYMBOLS or _FILE), top50,
    top100, top500 (largest S&P 500 members by market cap; sec: in the SEC's company-tickers order), all
    (sec only: every ticker the server lists). Default: custom when symbols are given, else test."""
    has_symbols = _env("SMART_MONEY_SYMBOLS") or _env("SMART_MONEY_SYMBOLS_FILE")
    default = "custom" if has_symbols else FMP_DEFAULTS.universe_preset
    preset = (_env("SMART_MONEY_UNIVERSE") or default).lower()
    allowed = (*UNIVERSE_PRESETS, "all") if source_name() == "sec" else UNIVERSE_PRESETS
    if preset not in allowed:
        raise SettingsError(f"SMART_MONEY_UNIVERSE={preset!r}: use one of {', '.join(allowed)}")
    return preset


def custom_symbols() -> list[str]:
    """``SMART_MONEY_SYMBOLS`` (comma list) or the symbols in ``SMART_MONEY_SYMBOLS_FILE``."""
    listed = _env("SMART_MONEY_SYMBOLS")
    path = _env("SMART_MONEY_SYMBOLS_FILE")
    if listed:
        symbols = [s.strip().upper() for s in listed.split(",") if s.strip()]
    elif path:
        if not Path(path).exists():
            raise SettingsError(f"SMART_MONEY_SYMBOLS_FILE={path!r} does not exist")
        symbols = read_symbols_file(Path(path))
    else:
        raise SettingsError(
            "SMART_MONEY_UNIVERSE=custom needs SMART_MONEY_SYMBOLS=AAPL,MSFT,... or SMART_MONEY_SYMBOLS_FILE"
        )
    if not symbols:
        raise SettingsError("the custom symbol list is empty")
    return list(dict.fromkeys(symbols))


def read_symbols_file(path: Path) -> list[str]:
    """Symbols from a text file: one per line or comma-separated; '#' starts a comment."""
    text = Path(path).read_text()
    symbols = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        symbols.extend(s.strip().upper() for s in line.replace(",", " ").split() if s.strip())
    return symbols


def history_start() -> date | None:
    """``SMART_MONEY_HISTORY_START`` (YYYY-MM): the first month a real source backfills (default: the
    project's history start, 2019-01). The sec source reaches back to 2006-01."""
    if _env("SMART_MONEY_HISTORY_START") is None:
        return None
    return _month("SMART_MONEY_HISTORY_START", timeline.HISTORY_START)


def first_month() -> date:
    """The first monthly partition: ``SMART_MONEY_HISTORY_START`` or the project's history start."""
    return history_start() or timeline.HISTORY_START


def last_complete_month(day: date) -> date:
    """The last month that has ended by the end of ``day``: its own month on the month's last day, else the
    month before (a month still running would show as a partition with part of its data)."""
    following = day + timedelta(days=1)
    return (pd.Timestamp(following.year, following.month, 1) - pd.DateOffset(months=1)).date()


def history_end() -> date | None:
    """The last day the configured source has data for: the synthetic market's last day, or ``FMP_AS_OF`` /
    ``SEC_AS_OF``; None for a live source, whose history grows every day."""
    name = source_name()
    if name == "synthetic":
        return timeline.HISTORY_END
    return fmp_as_of() if name == "fmp" else sec_as_of()


def last_month() -> date:
    """The last monthly partition: the source's last complete month (the synthetic market's 2025-01; for a
    live source the month before the current one, or before its as-of date's month unless that is the
    month's last day). Months after it are never partitions, so they never show as missing."""
    end = history_end()
    return last_complete_month(end if end is not None else date.today() - timedelta(days=1))


# ---- SEC EDGAR source (README: SEC EDGAR source) ----------------------------------------------------------
def sec_user_agent() -> str | None:
    """``SEC_USER_AGENT``: a name and an email, sent as the User-Agent as the SEC requires; never logged."""
    return _env("SEC_USER_AGENT")


def sec_www_url() -> str:
    return _env("SEC_WWW_URL") or SEC_DEFAULTS.www_url


def sec_data_url() -> str:
    return _env("SEC_DATA_URL") or SEC_DEFAULTS.data_url


def sec_rate_per_s() -> float:
    """``SEC_RATE_PER_S``: requests a second for the whole process (default 8; the SEC allows at most 10,
    only a local stand-in may go faster)."""
    return _float("SEC_RATE_PER_S", SEC_DEFAULTS.rate_per_s, 0.1, 100_000.0)


def sec_cache_ttl_days() -> float:
    return _float("SEC_CACHE_TTL_DAYS", SEC_DEFAULTS.cache_ttl_days, 0.0, 3650.0)


def sec_max_workers() -> int:
    return _int("SEC_MAX_WORKERS", SEC_DEFAULTS.max_workers, 1, 32)


def sec_as_of() -> date | None:
    """``SEC_AS_OF`` (YYYY-MM-DD): the date the sec source treats as today (default: the real date)."""
    raw = _env("SEC_AS_OF")
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise SettingsError(f"SEC_AS_OF={raw!r} is not a date; write it as YYYY-MM-DD") from None


def sec_cache_dir() -> Path:
    return data_dir() / SEC_DEFAULTS.cache_subdir


def _table_source(name: str, default: str, choices: tuple[str, ...], what: str) -> str:
    value = _env(name) or default
    if value.lower() in choices:
        return value.lower()
    if not Path(value).exists():
        raise SettingsError(
            f"{name}={value!r} is neither {' nor '.join(choices)} nor an existing file or folder; "
            f"name {what}; nothing was requested"
        )
    return str(Path(value).resolve())


def prices_source() -> str:
    """``SMART_MONEY_PRICES``: where the sec source takes ``raw_prices`` from: fmp (needs FMP_API_KEY),
    synthetic (the simulated market's prices) or a path to a CSV / Parquet file (README: SEC EDGAR source).
    Required with SMART_MONEY_SOURCE=sec: the SEC publishes no prices."""
    if _env("SMART_MONEY_PRICES") is None:
        raise SettingsError(
            "SMART_MONEY_SOURCE=sec needs a price source, since the SEC publishes no prices: set "
            "SMART_MONEY_PRICES=fmp (with FMP_API_KEY; FMP's free plan has end-of-day prices), "
            "SMART_MONEY_PRICES=/path/to/prices.csv (columns symbol,date,close[,adj_close,volume]) or "
            "SMART_MONEY_PRICES=synthetic (the simulated market's prices, for the stand-in); nothing was "
            "requested"
        )
    return _table_source("SMART_MONEY_PRICES", "", PRICE_SOURCES, "a price source")


def congress_source() -> str:
    """``SMART_MONEY_CONGRESS``: where the sec source takes ``raw_congress_trades`` from: fmp, none (the
    default: the Congress features are NaN) or a path (CSV, Senate eFD JSON, House JSON + Clerk XML)."""
    return _table_source("SMART_MONEY_CONGRESS", SEC_DEFAULTS.congress, CONGRESS_SOURCES, "a Congress source")


# ---- 13F and N-PORT through the sec source (README: SEC EDGAR source) ------------------------------------
OPENFIGI_URL = "https://api.openfigi.com"


def _existing_file(name: str, what: str) -> Path | None:
    value = _env(name)
    if value is None:
        return None
    path = Path(value)
    if not path.is_file():
        raise SettingsError(f"{name}={value!r} is not a file; name {what}")
    return path.resolve()


def hedge_funds_file() -> Path | None:
    """``SMART_MONEY_HEDGE_FUNDS``: a CSV (cik, name, source) of hedge-fund 13F filers replacing the shipped
    list (the name rule still applies to filers not in it)."""
    return _existing_file("SMART_MONEY_HEDGE_FUNDS", "a CSV of hedge-fund filers (columns cik, name, source)")


def cusip_map_file() -> Path | None:
    """``SMART_MONEY_CUSIP_MAP``: a CSV (cusip, symbol) that takes precedence over OpenFIGI."""
    return _existing_file("SMART_MONEY_CUSIP_MAP", "a CSV of CUSIP → symbol (columns cusip, symbol)")


def etf_holdings_path() -> Path | None:
    """``SMART_MONEY_ETF_HOLDINGS``: a holdings file or folder in ARK's daily layout
    (:mod:`smart_money.sources.imports.etf_holdings`). Its funds' rows replace N-PORT's for those funds."""
    value = _env("SMART_MONEY_ETF_HOLDINGS")
    if value is None:
        return None
    path = Path(value)
    if not path.exists():
        raise SettingsError(
            f"SMART_MONEY_ETF_HOLDINGS={value!r} does not exist; name an ETF holdings CSV (ARK's columns "
            "date, fund, ticker, shares, …) or a folder of them, or leave it unset"
        )
    return path.resolve()


def openfigi_api_key() -> str | None:
    """``OPENFIGI_API_KEY``: optional; OpenFIGI's higher rate. Never logged or written anywhere."""
    return _env("OPENFIGI_API_KEY")


def openfigi_url() -> str:
    return _env("OPENFIGI_URL") or OPENFIGI_URL


def etf_symbols(default: tuple[str, ...]) -> tuple[str, ...]:
    """``SMART_MONEY_ETFS``: the ETFs whose N-PORT holdings the sec source reads (comma list; ``none``: no
    ETF holdings, the ETF features are NaN)."""
    listed = _env("SMART_MONEY_ETFS")
    if listed is None:
        return default
    if listed.lower() == "none":
        return ()
    symbols = tuple(dict.fromkeys(s.strip().upper() for s in listed.split(",") if s.strip()))
    if not symbols:
        raise SettingsError("SMART_MONEY_ETFS is empty; list ETF tickers such as IVV,VTI or leave it unset")
    return symbols


# -- the deployment (README: Running at scale) ----------------------------------------------------------
INSTANCES = ("sqlite", "postgres")


@dataclass(frozen=True)
class DeploymentDefaults:
    """The team deployment's defaults, in one place (README: Running at scale)."""

    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_user: str = "dagster"
    pg_db: str = "dagster"
    celery_broker: str = "redis://127.0.0.1:6379/0"
    celery_backend: str = "redis://127.0.0.1:6379/1"
    max_runs: int = 4  # runs the daemon's queue starts at once
    parallel_runs: int = 2  # runs at once per source that is not rate-limited (synthetic, a warm cache)
    rate_limited_sources: tuple[str, ...] = ("fmp", "sec")  # one run at a time each


DEPLOYMENT_DEFAULTS = DeploymentDefaults()


def instance_kind() -> str:
    """``SMART_MONEY_INSTANCE``: ``sqlite`` (default, one machine) or ``postgres`` (``DAGSTER_PG_*``)."""
    name = (_env("SMART_MONEY_INSTANCE") or "sqlite").lower()
    if name not in INSTANCES:
        raise SettingsError(f"SMART_MONEY_INSTANCE={name!r}: use 'sqlite' (default) or 'postgres'")
    return name


@dataclass(frozen=True)
class PostgresSettings:
    """Where the Postgres instance storage is; the password stays in ``DAGSTER_PG_PASSWORD`` and is read
    by Dagster itself (``env:`` in dagster.yaml), so it is never written to a file or printed."""

    host: str
    port: int
    user: str
    db: str


def postgres() -> PostgresSettings:
    """``DAGSTER_PG_HOST``/``_PORT``/``_USER``/``_DB`` (defaults 127.0.0.1, 5432, dagster, dagster); refuses
    to go on without ``DAGSTER_PG_PASSWORD``, naming the variable but never its value."""
    if _env("DAGSTER_PG_PASSWORD") is None:
        raise SettingsError(
            "SMART_MONEY_INSTANCE=postgres needs DAGSTER_PG_PASSWORD (the password of DAGSTER_PG_USER); "
            "set it in the environment of every Dagster process (it is never written to dagster.yaml)"
        )
    d = DEPLOYMENT_DEFAULTS
    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_USER", "DAGSTER_PG_DB"):
        value = _env(name)
        if value is not None and any(c in value for c in "\n\r\"'{}:#"):
            raise SettingsError(f"{name}={value[:40]!r} holds a character a host, user or db name cannot")
    return PostgresSettings(
        host=_env("DAGSTER_PG_HOST") or d.pg_host,
        port=_int("DAGSTER_PG_PORT", d.pg_port, 1, 65535),
        user=_env("DAGSTER_PG_USER") or d.pg_user,
        db=_env("DAGSTER_PG_DB") or d.pg_db,
    )


def celery_broker() -> str:
    """``SMART_MONEY_CELERY_BROKER``: the Redis URL the Celery executor and workers share."""
    return _env("SMART_MONEY_CELERY_BROKER") or DEPLOYMENT_DEFAULTS.celery_broker


def celery_backend() -> str:
    """``SMART_MONEY_CELERY_BACKEND``: where workers put step results (default Redis database 1)."""
    return _env("SMART_MONEY_CELERY_BACKEND") or DEPLOYMENT_DEFAULTS.celery_backend


def max_runs() -> int:
    """``SMART_MONEY_MAX_RUNS``: runs the daemon's queue starts at once (default 4)."""
    return _int("SMART_MONEY_MAX_RUNS", DEPLOYMENT_DEFAULTS.max_runs, 1, 256)


def parallel_runs() -> int:
    """``SMART_MONEY_PARALLEL_RUNS``: runs at once per source that is not rate-limited (default 2)."""
    return _int("SMART_MONEY_PARALLEL_RUNS", DEPLOYMENT_DEFAULTS.parallel_runs, 1, 256)


def rate_limited_sources() -> tuple[str, ...]:
    """``SMART_MONEY_RATE_LIMITED_SOURCES``: comma-separated sources whose runs go one at a time (default
    ``fmp,sec``; empty when every response is already cached)."""
    raw = os.environ.get("SMART_MONEY_RATE_LIMITED_SOURCES")
    if raw is None:
        return DEPLOYMENT_DEFAULTS.rate_limited_sources
    names = tuple(dict.fromkeys(n.strip().lower() for n in raw.split(",") if n.strip()))
    unknown = [n for n in names if n not in SOURCES]
    if unknown:
        raise SettingsError(
            f"SMART_MONEY_RATE_LIMITED_SOURCES names {unknown[0]!r}, not a source; use some of "
            f"{', '.join(SOURCES)} (comma-separated) or leave it empty"
        )
    return names
