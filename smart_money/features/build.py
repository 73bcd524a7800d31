"""Point-in-time smart-money features per (symbol, sample_date): every family on one grid.

``build_features`` is the single entry point: it runs every family on the same grid and returns one float64
column per catalog feature. Each family only reads raw rows with ``known_at <= sample_date``; see
``docs/features.md``.
"""

from dataclasses import dataclass, field

import pandas as pd

from smart_money.features.catalog import FEATURE_NAMES
from smart_money.features.congress import congress_features
from smart_money.features.etf import etf_features
from smart_money.features.hedgefund import holdings_features
from smart_money.features.insider import insider_features
from smart_money.features.market import market_features
from smart_money.features.options_flow import options_flow_features


@dataclass(frozen=True)
class RawFrames:
    """The warehouse tables the features are built from (any of them may be empty)."""

    insider_trades: pd.DataFrame
    institutional_holdings: pd.DataFrame
    congress_trades: pd.DataFrame
    etf_holdings: pd.DataFrame
    prices: pd.DataFrame
    # parent events of option prints (smart_money_events); empty when the options flow is off
    options_events: pd.DataFrame = field(default_factory=pd.DataFrame)


def build_features(grid: pd.DataFrame, raw: RawFrames) -> pd.DataFrame:
    """One row per grid row (grid order): symbol, sample_date, then every catalog feature as float64."""
    families = (
        insider_features(grid, raw.insider_trades, raw.prices),
        holdings_features(grid, raw.institutional_holdings),  # institutional + hedge-fund families
        congress_features(grid, raw.congress_trades),
        etf_features(grid, raw.etf_holdings),
        market_features(grid, raw.prices),
        options_flow_features(grid, raw.options_events),
    )
    out = grid[["symbol", "sample_date"]].reset_index(drop=True)
    columns = {
        name: frame[name]
        for frame in families
        for name in frame.columns
        if name not in ("symbol", "sample_date")
    }
    missing = [name for name in FEATURE_NAMES if name not in columns]
    if missing:  # pragma: no cover - guards catalog/family drift
        raise RuntimeError(f"feature families did not produce: {missing}")
    features = pd.DataFrame({name: columns[name].astype("float64") for name in FEATURE_NAMES})
    return pd.concat([out, features], axis=1)
