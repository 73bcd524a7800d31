"""The HTTP plumbing both clients share: the limiter's burst and pause, and retries that honour Retry-After
up to the policy's cap."""

import time

import pytest

from smart_money.sources import http


class FakeTime:
    """A clock the limiter's sleeps advance, so slots are exact and the test does not wait."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(http.time, "sleep", fake.sleep)
    return fake


def test_a_burst_goes_back_to_back_then_slots_are_one_over_the_rate_apart(clock):
    limiter = http.RateLimiter(10.0, clock, burst=3)
    assert [limiter.acquire() for _ in range(5)] == pytest.approx([0.0, 0.0, 0.0, 0.1, 0.2])
    clock.now = 10.0  # idle long enough for the bucket to fill again
    assert [limiter.acquire() for _ in range(4)] == pytest.approx([10.0, 10.0, 10.0, 10.1])
    assert limiter.waited_s == pytest.approx(0.3)  # three waits of one interval (the clock moves on)


def test_a_pause_holds_back_the_next_slot_whatever_the_burst(clock):
    limiter = http.RateLimiter(10.0, clock, burst=3)
    limiter.pause(1.0)
    assert [limiter.acquire() for _ in range(2)] == pytest.approx([1.0, 1.1])


def test_retries_wait_for_retry_after_up_to_the_cap_and_give_the_last_error_back():
    policy = http.RetryPolicy(attempts=3, initial_s=0.001, max_s=0.001, retry_after_cap_s=0.05)
    calls, retries = [], []

    def attempt():
        calls.append(time.monotonic())
        raise http.Retryable(f"HTTP 429 (call {len(calls)})", retry_after=600.0)

    with pytest.raises(http.Retryable, match=r"call 3"):
        http.with_retries(policy, attempt, lambda error, n: retries.append((str(error), n)))
    assert retries == [("HTTP 429 (call 1)", 1), ("HTTP 429 (call 2)", 2)]
    gaps = [b - a for a, b in zip(calls, calls[1:], strict=False)]
    assert all(0.045 <= gap < 1.0 for gap in gaps)  # the server's 600 s, capped at 0.05 s


def test_an_attempt_that_succeeds_is_not_retried():
    assert http.with_retries(http.RetryPolicy(), lambda: 42, lambda *_: pytest.fail("retried")) == 42


def test_retry_after_is_none_when_unreadable():
    assert http.retry_after_seconds("nan", 120) is None
    assert http.retry_after_seconds("inf", 120) == 120
