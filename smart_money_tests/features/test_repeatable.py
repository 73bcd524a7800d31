"""Features are the same bits on every run: the dataset fingerprint and the model version hash them.

The market family's volatility and beta are streaming variance aggregates; run on several DuckDB threads
they came out different in the last bits from one run to the next once a few tens of thousands of return
rows were aggregated. These tests repeat the computation at that size and compare the float64 bits.
"""

import hashlib

import numpy as np
import pandas as pd

from smart_money.features import market
from smart_money.features.build import build_features
from smart_money_tests.features.test_build import random_panel

RUNS = 5


def _bits(frame: pd.DataFrame) -> str:
    values = frame.drop(columns=["symbol", "sample_date"]).to_numpy(dtype="float64")
    return hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest()


def _price_panel(n_symbols: int = 120, seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily prices for ``n_symbols`` over 18 months and a grid of four sample dates (~120k window rows)."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2022-01-03", "2023-06-30")
    symbols = [f"SYN{i:03d}" for i in range(n_symbols)]
    returns = rng.normal(0, 0.02, (n_symbols, len(days)))
    prices = pd.DataFrame(
        {
            "symbol": np.repeat(symbols, len(days)),
            "date": np.tile(days, n_symbols),
            "adj_close": (50 * np.exp(np.cumsum(returns, axis=1))).ravel(),
        }
    )
    dates = pd.to_datetime(["2023-03-15", "2023-04-14", "2023-05-15", "2023-06-15"])
    grid = pd.DataFrame(
        {
            "symbol": np.tile(symbols, len(dates)),
            "sample_date": np.repeat(dates, n_symbols),
            "shares_outstanding": 1e6,
        }
    )
    return grid, prices


def test_market_features_are_bit_identical_run_after_run():
    grid, prices = _price_panel()
    runs = [market.market_features(grid, prices) for _ in range(RUNS)]
    assert runs[0][list(market.MARKET_FEATURES)].notna().all().all()  # real values, not NaN everywhere
    assert len({_bits(run) for run in runs}) == 1


def test_market_features_do_not_depend_on_the_input_row_order_beyond_rounding():
    # a fixed order is what makes runs repeatable; a shuffled input is another order, so only rounding
    # may move (far below the 1e-12 the stored features are held to)
    grid, prices = _price_panel()
    shuffled = prices.sample(frac=1.0, random_state=3).reset_index(drop=True)
    a = market.market_features(grid, prices)[list(market.MARKET_FEATURES)].to_numpy()
    b = market.market_features(grid, shuffled)[list(market.MARKET_FEATURES)].to_numpy()
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)


def test_every_family_is_bit_identical_run_after_run():
    grid, raw = random_panel()
    assert len({_bits(build_features(grid, raw)) for _ in range(RUNS)}) == 1
