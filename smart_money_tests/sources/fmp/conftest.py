"""A local FMP-shaped server over loopback, serving a small simulated market."""

from datetime import date

import pytest

from smart_money.sources.fmp import FmpMarketSource, FmpSettings
from smart_money.sources.synthetic.market import MarketConfig
from smart_money.testing.fmp_server import LocalFmpServer

KEY = "sk-test-7f3a9c1e5b"  # distinctive, so a leak is easy to grep for
AS_OF = date(2025, 1, 31)
CONFIG = MarketConfig(seed=5, n_symbols=8)
SYMBOLS = tuple(f"SYN{i:03d}" for i in range(1, 9))


@pytest.fixture(scope="module")
def server():
    with LocalFmpServer(CONFIG, api_key=KEY, as_of=AS_OF) as running:
        yield running


@pytest.fixture
def fresh(server):
    """The server with counters reset and no injected faults."""
    server.state.reset()
    server.state.fail_every = 0
    server.state.limit_reach_every = 0
    server.state.restricted = set()
    return server


def make_source(server, cache_dir, client=None, **overrides) -> FmpMarketSource:
    settings = dict(
        api_key=KEY,
        symbols=SYMBOLS,
        base_url=server.url if server is not None else "https://fmp.invalid",
        rate_per_minute=60_000,
        cache_dir=cache_dir,
        as_of=AS_OF,
        max_workers=4,
    )
    settings.update(overrides)
    return FmpMarketSource(FmpSettings(**settings), client=client)
