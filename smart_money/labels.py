"""Forward-return labels per symbol × sample date, computed from prices after the sample date only.

The default label (``return_threshold``) is 1 when the dividend-adjusted close on the first trading day on
or after ``t + 14`` calendar days is more than 5% above the close at ``t``. The other definitions a model may
pick are stored beside it (see :data:`LABEL_DEFINITIONS`); ``label`` holds the chosen one and
``label_definition`` names it. A label is NA (not 0) while its forward window is not complete. Labels never
feed features.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from smart_money.timeline import LABEL_HORIZON_DAYS

LABEL_DEFINITIONS = {
    "return_threshold": "label_return: return_fwd > return_threshold (default: +5% in 14 days)",
    "market_excess": "label_market_excess: return_fwd minus the equal-weighted mean return_fwd of the "
    "universe "
    "on that sample date > excess_threshold",
    "vol_scaled": "label_vol_scaled: return_fwd / (trailing daily volatility × √days in window) > "
    "vol_scaled_threshold (a one-sigma up move by default)",
    "composite": "label_composite: 1 if the sector-relative return > excess_threshold, 0 if it is "
    "< −excess_threshold, otherwise 1 only when insider buy:sell > 2:1 AND institutional ownership rose > 2 "
    "points in a quarter AND Congress net sentiment > 0 (uses features at t; flag it in any evaluation)",
    "vol_spike": "label_vol_spike: volatility of the next spike_lookahead_days daily returns > "
    "spike_multiple × trailing spike_history_days volatility",
    "drawdown": "label_drawdown: return_fwd < drawdown_threshold (a >10% drop by default)",
}
_COLUMN = {
    "return_threshold": "label_return",
    "market_excess": "label_market_excess",
    "vol_scaled": "label_vol_scaled",
    "composite": "label_composite",
    "vol_spike": "label_vol_spike",
    "drawdown": "label_drawdown",
}


@dataclass(frozen=True)
class LabelConfig:
    """Label parameters; every field is documented in README.md ("Labels")."""

    definition: str = "return_threshold"
    horizon_days: int = LABEL_HORIZON_DAYS
    return_threshold: float = 0.05
    excess_threshold: float = 0.03
    vol_scaled_threshold: float = 1.0
    vol_window_days: int = 60
    spike_lookahead_days: int = 7
    spike_history_days: int = 30
    spike_multiple: float = 2.0
    drawdown_threshold: float = -0.10
    max_exit_delay_days: int = 7

    def __post_init__(self) -> None:
        if self.definition not in LABEL_DEFINITIONS:
            raise ValueError(
                f"label definition {self.definition!r} is unknown; use one of {sorted(LABEL_DEFINITIONS)}"
            )
        if self.horizon_days < 1:
            raise ValueError(f"horizon_days={self.horizon_days}: the label horizon must be at least 1 day")


def build_labels(
    grid: pd.DataFrame,
    prices: pd.DataFrame,
    features: pd.DataFrame | None = None,
    config: LabelConfig | None = None,
) -> pd.DataFrame:
    """One row per grid row (``symbol``, ``sample_date``, ``sector``) with every label definition.

    ``prices`` needs ``symbol``, ``date``, ``adj_close`` from about 100 trading days before the first sample
    date to ``horizon_days + max_exit_delay_days`` after the last. ``features`` (optional) feeds only the
    composite label; without it the composite's smart-money branch is 0.
    """
    config = config or LabelConfig()
    grid = grid[["symbol", "sample_date", "sector"]].reset_index(drop=True)
    close = (
        prices.pivot_table(index="date", columns="symbol", values="adj_close", aggfunc="last")
        .sort_index()
        .reindex(columns=sorted(grid["symbol"].unique()))
    )
    dates = close.index.values.astype("datetime64[ns]")
    log_ret = np.log(close).diff()
    vol_scaled_sd = log_ret.rolling(config.vol_window_days, min_periods=config.vol_window_days * 2 // 3).std()
    spike_history = log_ret.rolling(
        config.spike_history_days, min_periods=config.spike_history_days * 2 // 3
    ).std()
    spike_future = log_ret.rolling(config.spike_lookahead_days).std().shift(-config.spike_lookahead_days)

    t = grid["sample_date"].to_numpy(dtype="datetime64[ns]")
    col = close.columns.get_indexer(grid["symbol"])
    start_row = np.searchsorted(dates, t, side="right") - 1
    target = t + np.timedelta64(config.horizon_days, "D")
    exit_row = np.searchsorted(dates, target, side="left")
    n = len(grid)
    start_ok = (start_row >= 0) & (col >= 0)
    start_ok &= np.where(
        start_row >= 0, t - dates[np.clip(start_row, 0, None)] <= np.timedelta64(5, "D"), False
    )
    exit_ok = start_ok & (exit_row < len(dates))
    exit_dates = dates[np.clip(exit_row, 0, len(dates) - 1)]
    exit_ok &= exit_dates <= target + np.timedelta64(config.max_exit_delay_days, "D")

    values = close.to_numpy()

    def at(matrix: np.ndarray, rows: np.ndarray, ok: np.ndarray) -> np.ndarray:
        out = np.full(n, np.nan)
        out[ok] = matrix[rows[ok], col[ok]]
        return out

    price_at_sample = at(values, start_row, start_ok)
    price_after = at(values, exit_row, exit_ok)
    return_fwd = price_after / price_at_sample - 1.0
    days_in_window = np.where(exit_ok, exit_row - start_row, np.nan)
    trailing_sd = at(vol_scaled_sd.to_numpy(), start_row, start_ok)
    spike_ok = start_ok & (start_row + config.spike_lookahead_days < len(dates))
    future_sd = at(spike_future.to_numpy(), start_row, spike_ok)
    history_sd = at(spike_history.to_numpy(), start_row, start_ok)

    frame = grid.assign(
        label_date=pd.to_datetime(np.where(exit_ok, exit_dates, np.datetime64("NaT"))),
        price_at_sample=price_at_sample,
        price_after=price_after,
        return_fwd=return_fwd,
    )
    by_date = frame.groupby("sample_date")["return_fwd"]
    frame["excess_return_fwd"] = frame["return_fwd"] - by_date.transform("mean")
    sector_excess = frame["return_fwd"] - frame.groupby(["sample_date", "sector"])["return_fwd"].transform(
        "mean"
    )
    known = frame["return_fwd"].notna().to_numpy()

    def binary(condition: np.ndarray, ok: np.ndarray) -> pd.Series:
        return pd.Series(np.where(ok, condition.astype(float), np.nan)).astype("Int8")

    frame["label_return"] = binary(return_fwd > config.return_threshold, known)
    frame["label_market_excess"] = binary(
        frame["excess_return_fwd"].to_numpy() > config.excess_threshold, known
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        z = return_fwd / (trailing_sd * np.sqrt(days_in_window))
    frame["label_vol_scaled"] = binary(z > config.vol_scaled_threshold, known & np.isfinite(z))
    strong = _strong_smart_money(grid, features)
    composite = np.where(
        sector_excess > config.excess_threshold,
        1.0,
        np.where(sector_excess < -config.excess_threshold, 0.0, strong.astype(float)),
    )
    frame["label_composite"] = binary(composite == 1.0, known)
    spike_known = np.isfinite(future_sd) & np.isfinite(history_sd) & (history_sd > 0)
    frame["label_vol_spike"] = binary(future_sd > config.spike_multiple * history_sd, spike_known)
    frame["label_drawdown"] = binary(return_fwd < config.drawdown_threshold, known)
    frame["label"] = frame[_COLUMN[config.definition]]
    frame["label_definition"] = config.definition
    return frame.drop(columns=["sector"])


def _strong_smart_money(grid: pd.DataFrame, features: pd.DataFrame | None) -> np.ndarray:
    """The composite label's "strong signals": insider buy:sell > 2:1, ownership +2 points/quarter and
    Congress net > 0, all at the sample date."""
    if features is None or features.empty:
        return np.zeros(len(grid), dtype=bool)
    needed = ["insider_buy_ratio_30d", "inst_ownership_change_1q", "congress_net_sentiment"]
    merged = grid[["symbol", "sample_date"]].merge(
        features[["symbol", "sample_date", *needed]], on=["symbol", "sample_date"], how="left"
    )
    return (
        (
            (merged["insider_buy_ratio_30d"] > 2 / 3)
            & (merged["inst_ownership_change_1q"] > 0.02)
            & (merged["congress_net_sentiment"] > 0)
        )
        .fillna(False)
        .to_numpy(dtype=bool)
    )
