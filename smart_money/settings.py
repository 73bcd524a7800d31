"""Environment settings: where outputs go and which source/knobs a run uses.

Read at call time (not import time) so tests and two side-by-side configurations can relocate outputs.
Every variable is documented in README.md ("Configuration").
"""

import os
from datetime import date
from pathlib import Path

import pandas as pd

from smart_money import timeline

SOURCES = ("synthetic",)


class SettingsError(ValueError):
    """An environment variable holds a value the project cannot use."""


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value.strip() if value is not None and value.strip() != "" else None


def data_dir() -> Path:
    """Root of the Parquet partitions and the DuckDB catalog (``SMART_MONEY_DATA_DIR``, default ./data)."""
    return Path(_env("SMART_MONEY_DATA_DIR") or "data").resolve()


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


def _int(name: str, default: int, minimum: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise SettingsError(f"{name}={value} must be at least {minimum}")
    return value


def _float(name: str, default: float, minimum: float, maximum: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if not minimum <= value <= maximum:
        raise SettingsError(f"{name}={value} must be between {minimum} and {maximum}")
    return value


def _month(name: str, default: date) -> date:
    raw = _env(name)
    if raw is None:
        return default
    try:
        ts = pd.Timestamp(raw if len(raw) > 7 else f"{raw}-01")
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a month; write it as YYYY-MM") from None
    return date(ts.year, ts.month, 1)


def seed() -> int:
    return _int("SMART_MONEY_SEED", 7, 0)


def n_symbols() -> int:
    return _int("SMART_MONEY_N_SYMBOLS", 500, 1)


def signal_strength() -> float:
    return _float("SMART_MONEY_SIGNAL_STRENGTH", 1.0, 0.0, 1.5)


def sample_start() -> date:
    return _month("SMART_MONEY_SAMPLE_START", timeline.SAMPLE_START)


def sample_end() -> date:
    return _month("SMART_MONEY_SAMPLE_END", timeline.SAMPLE_END)


def executor() -> str:
    name = (_env("SMART_MONEY_EXECUTOR") or "in_process").lower()
    if name not in ("in_process", "multiprocess"):
        raise SettingsError(f"SMART_MONEY_EXECUTOR={name!r}: use 'in_process' (default) or 'multiprocess'")
    return name
