"""A small synthetic market's features, labels and training set, built in memory for the unit tests."""

from datetime import date

import pandas as pd
import pytest

from smart_money import sample_tables, timeline
from smart_money.features.build import RawFrames
from smart_money.labels import build_labels
from smart_money.modeling import experiment, splits
from smart_money.sources.synthetic.market import MarketConfig, simulate_market

N_SYMBOLS = 120


@pytest.fixture(scope="session")
def market_frames():
    """Features, labels and truth for 120 symbols × 36 sample months, computed in memory (no warehouse)."""
    world = simulate_market(
        MarketConfig(seed=11, n_symbols=N_SYMBOLS, start=date(2019, 1, 1), end=date(2025, 1, 31))
    )
    months = timeline.months_between(pd.Timestamp("2022-01-01"), pd.Timestamp("2024-12-01"))
    dates = dict(zip(months, timeline.sample_dates(months), strict=True))
    grid = pd.concat(
        [world.universe.assign(month=m, sample_date=dates[m]) for m in months], ignore_index=True
    )
    grid = grid.sort_values(["sample_date", "symbol"]).reset_index(drop=True)
    raw = RawFrames(
        insider_trades=world.insider_trades,
        institutional_holdings=world.institutional_holdings,
        congress_trades=world.congress_trades,
        etf_holdings=world.etf_holdings,
        prices=world.prices,
    )
    features = sample_tables.features_for(grid, raw)
    labels = build_labels(grid, world.prices, features, None)
    labels["source"] = "synthetic"
    truth = world.truth
    return features, labels, truth


@pytest.fixture(scope="session")
def split_and_training_set(market_frames):
    """The split rows and the training set assembled from them (split rows × features × labels × truth)."""
    features, labels, truth = market_frames
    rows = splits.split_rows(labels, splits.SplitConfig(), timeline.LABEL_HORIZON_DAYS)
    return rows, experiment.assemble_training_set(rows, features, labels, truth)
