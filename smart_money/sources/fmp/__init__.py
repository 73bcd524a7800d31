"""Financial Modeling Prep (stable API) as a source: client, cache, normalization, the Source itself."""

from smart_money.sources.fmp.client import FmpAccessError, FmpClient, FmpError, RateLimiter
from smart_money.sources.fmp.source import FmpMarketSource, FmpSettings

__all__ = ["FmpAccessError", "FmpClient", "FmpError", "FmpMarketSource", "FmpSettings", "RateLimiter"]
