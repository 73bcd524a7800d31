"""The offline default source: a deterministic simulated market (see ``market.py``)."""

from smart_money.sources.synthetic.market import MarketConfig, MarketWorld, simulate_market
from smart_money.sources.synthetic.source import OptionTapeConfig, SyntheticMarketSource

__all__ = ["MarketConfig", "MarketWorld", "OptionTapeConfig", "SyntheticMarketSource", "simulate_market"]
