"""The FMP client over real loopback HTTP against the local FMP-shaped server."""

import time

import numpy as np
import pytest

from smart_money.sources.fmp.client import FmpAccessError, FmpClient, FmpError, RateLimiter, RetryPolicy
from smart_money_tests.sources.fmp.conftest import KEY

PROFILE = "/stable/profile"
FAST_RETRY = RetryPolicy(attempts=4, initial_s=0.01, max_s=0.05)


def _client(server, **kwargs) -> FmpClient:
    return FmpClient(
        KEY,
        server.url,
        rate_per_minute=kwargs.pop("rate", 60_000),
        retry=kwargs.pop("retry", FAST_RETRY),
        **kwargs,
    )


def test_the_limiter_never_exceeds_its_rate_measured_at_the_server(fresh):
    rate_per_minute = 1200  # 20 per second
    with _client(fresh, rate=rate_per_minute) as client:
        began = time.monotonic()
        for _ in range(60):
            client.get_json(PROFILE, {"symbol": "SYN001"})
        elapsed = time.monotonic() - began
    times = np.array(fresh.state.times)
    assert len(times) == 60
    # No window of one second holds more than rate/60 + 1 (the bucket's burst) requests ...
    counts = [(times[i:] < t + 1.0).sum() for i, t in enumerate(times)]
    assert max(counts) <= rate_per_minute / 60 + 1
    # ... and the whole run took as long as the rate says (59 intervals of 50 ms), not much longer.
    assert 59 / 20 * 0.95 <= elapsed <= 59 / 20 * 1.5


def test_limiter_is_shared_across_threads():
    limiter = RateLimiter(rate_per_minute=600)  # 10 a second
    from concurrent.futures import ThreadPoolExecutor

    stamps = []
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: (limiter.acquire(), stamps.append(time.monotonic())), range(21)))
    stamps.sort()
    assert stamps[-1] - stamps[0] >= 2.0 * 0.95  # 20 intervals of 100 ms, whatever the thread count


def test_retries_recover_from_injected_429_and_5xx(fresh):
    fresh.state.fail_every = 2  # every second request: 429 (Retry-After: 0) or 503, alternately
    with _client(fresh) as client:
        for i in range(1, 9):
            assert client.get_json(PROFILE, {"symbol": f"SYN00{i}"})[0]["symbol"] == f"SYN00{i}"
        assert client.retries[PROFILE] >= 4
    assert fresh.state.total == 8 + client.retries[PROFILE]


def test_limit_reach_in_a_200_is_retried(fresh):
    fresh.state.limit_reach_every = 2
    with _client(fresh) as client:
        assert client.get_json(PROFILE, {"symbol": "SYN001"})
        assert client.get_json(PROFILE, {"symbol": "SYN002"})
        assert client.retries[PROFILE] == 1


def test_gives_up_with_a_clear_error_after_the_limit(fresh):
    fresh.state.fail_every = 1  # every request fails
    with (
        _client(fresh) as client,
        pytest.raises(FmpError, match=r"/stable/profile for SYN001 still failing after 4 attempts"),
    ):
        client.get_json(PROFILE, {"symbol": "SYN001"}, symbol="SYN001")
    assert fresh.state.total == 4


def test_401_and_402_are_not_retried(fresh):
    with FmpClient("wrong-key", fresh.url, retry=FAST_RETRY) as client:
        with pytest.raises(FmpAccessError, match="HTTP 401 Invalid API KEY.*check FMP_API_KEY"):
            client.get_json(PROFILE, {"symbol": "SYN001"}, symbol="SYN001")
    assert fresh.state.total == 1
    fresh.state.restricted = {"/stable/etf/asset-exposure"}
    with _client(fresh) as client:
        with pytest.raises(
            FmpAccessError, match=r"/stable/etf/asset-exposure for SYN001: HTTP 402 Restricted.*plan"
        ):
            client.get_json("/stable/etf/asset-exposure", {"symbol": "SYN001"}, symbol="SYN001")
        with pytest.raises(FmpAccessError, match="HTTP 403 Legacy Endpoint"):
            client.get_json("/api/v3/profile/AAPL")
    assert fresh.state.total == 3


def test_the_key_travels_in_a_header_and_errors_never_show_it(fresh):
    with _client(fresh) as client:
        client.get_json(PROFILE, {"symbol": "SYN001"})
        request = client._http.build_request("GET", PROFILE, params={"symbol": "SYN001"})
        assert KEY not in str(request.url)
    fresh.state.fail_every = 1
    with _client(fresh) as client, pytest.raises(FmpError) as failure:
        client.get_json(PROFILE, {"symbol": "SYN001"})
    assert KEY not in str(failure.value)


def test_unknown_symbols_give_an_empty_list(fresh):
    with _client(fresh) as client:
        assert client.get_json(PROFILE, {"symbol": "NOPE"}) == []


def test_an_empty_key_fails_before_any_request(fresh):
    with pytest.raises(FmpAccessError, match="FMP_API_KEY is empty"):
        FmpClient("", fresh.url)
    assert fresh.state.total == 0


def test_a_pasted_key_is_trimmed_and_a_broken_key_is_refused_without_echoing_it(fresh):
    with FmpClient(f"  {KEY}\n", fresh.url, rate_per_minute=60_000) as client:
        assert client.get_json(PROFILE, {"symbol": "SYN001"})  # the server accepted the trimmed key
    broken = "abc\ndef-secret-part"
    with pytest.raises(FmpAccessError) as failure:
        FmpClient(broken, fresh.url)
    assert "def-secret-part" not in str(failure.value) and "control" in str(failure.value)


def test_an_unknown_universe_preset_is_a_clear_error():
    from smart_money import settings
    from smart_money.defs.resources import FmpSource

    source = FmpSource(api_key="k", universe_preset="Top50", cache_dir="unused")
    with pytest.raises(settings.SettingsError, match="universe_preset='Top50'"):
        source.settings()


def _mock(responses: list) -> tuple[FmpClient, list]:
    """A client over httpx.MockTransport answering ``responses`` in turn (no network)."""
    import httpx

    seen = []

    def handler(request):
        seen.append(request)
        return responses[min(len(seen), len(responses)) - 1]

    client = FmpClient(
        KEY,
        "https://fmp.invalid",
        rate_per_minute=60_000,
        retry=RetryPolicy(attempts=3, initial_s=0.01, max_s=0.05),
        transport=httpx.MockTransport(handler),
    )
    return client, seen


def test_retry_after_as_seconds_or_http_date_is_capped():
    import email.utils
    from datetime import UTC, datetime, timedelta

    import httpx

    from smart_money.sources.fmp.client import RETRY_AFTER_CAP_S, _retry_after

    def after(value: str):
        return _retry_after(httpx.Response(429, headers={"Retry-After": value}))

    assert after("2") == 2.0 and after("-5") == 0.0 and after("99999") == RETRY_AFTER_CAP_S
    soon = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= after(soon) <= 30
    assert after("not a date") is None


def test_a_429_pauses_every_thread_of_the_client():
    import httpx

    client, seen = _mock(
        [httpx.Response(429, headers={"Retry-After": "0.3"}, json={}), httpx.Response(200, json=[{"a": 1}])]
    )
    assert client.get_json("/stable/profile", {"symbol": "X"}) == [{"a": 1}] and len(seen) == 2
    # the 429 paused the shared limiter: any thread's next request waits for the Retry-After
    client, _ = _mock([httpx.Response(429, headers={"Retry-After": "0.3"}, json={})])
    client.retry = RetryPolicy(attempts=1)
    with pytest.raises(FmpError):
        client.get_json("/stable/profile", {"symbol": "X"})
    began = time.monotonic()
    client.limiter.acquire()  # what another thread's request does first
    assert time.monotonic() - began >= 0.25 and client.limiter.waited_s >= 0.25


def test_a_redirect_is_an_error_not_a_retry():
    import httpx

    client, seen = _mock([httpx.Response(301, headers={"Location": "https://elsewhere.example/"})])
    with pytest.raises(FmpError, match="redirect to https://elsewhere.example/; check FMP_BASE_URL"):
        client.get_json("/stable/profile", {"symbol": "X"})
    assert len(seen) == 1


def test_only_a_limit_reached_body_is_retried():
    import httpx

    client, seen = _mock([httpx.Response(200, json={"Error Message": "Invalid limit parameter"})])
    with pytest.raises(FmpAccessError):
        client.get_json("/stable/insider-trading/search", {"symbol": "X"})
    assert len(seen) == 1
    limit = {"Error Message": "Limit Reach . Please upgrade your plan or visit our documentation"}
    client, seen = _mock([httpx.Response(200, json=limit), httpx.Response(200, json=[])])
    assert client.get_json("/stable/insider-trading/search", {"symbol": "X"}) == []
    assert len(seen) == 2
