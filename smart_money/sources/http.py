"""HTTP plumbing the sources share: a rate limiter for every thread of a client, retries with back-off that
honour ``Retry-After``, and the counters of a response cache.

Each client keeps its own rules on top (what is retried, what an error says, the budget): the SEC's 10
requests a second shared by the whole process and its 403 page that is never retried
(:mod:`smart_money.sources.sec.client`); FMP's per-minute budget and a key never logged
(:mod:`smart_money.sources.fmp.client`).
"""

import ipaddress
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import urlsplit

import tenacity

T = TypeVar("T")


class RateLimiter:
    """At most ``rate_per_s`` requests a second for every thread that shares it, ``burst`` of them back to
    back (a token bucket, kept as the time of the next free slot).

    Each caller reserves its slot under the lock before it sleeps, so with ``burst=1`` slots are exactly
    ``1 / rate`` apart and no window of one second holds more than ``rate`` requests, however many threads
    ask."""

    def __init__(self, rate_per_s: float, clock: Callable[[], float] = time.monotonic, *, burst: int = 1):
        if not rate_per_s > 0:
            raise ValueError(f"rate_per_s must be positive, got {rate_per_s}")
        self.rate = float(rate_per_s)
        self.burst = max(1, int(burst))
        self._clock = clock
        self._next = float("-inf")  # when the bucket is full again, less (burst - 1) intervals
        self._lock = threading.Lock()
        self.waited_s = 0.0

    def acquire(self) -> float:
        """Wait for the next free slot; returns its time (on the limiter's clock)."""
        interval = 1.0 / self.rate
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = max(self._next, now - (self.burst - 1) * interval) + interval
            wait = slot - now
            self.waited_s += wait
        if wait > 0:
            time.sleep(wait)
        return slot

    def pause(self, seconds: float) -> None:
        """Hold every thread back for ``seconds`` (a 429: the whole client slows down)."""
        with self._lock:
            self._next = max(self._next, self._clock() + max(0.0, seconds))


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry: exponential back-off from ``initial_s`` up to ``max_s``, with
    jitter; a server's ``Retry-After`` is honoured up to ``retry_after_cap_s``."""

    attempts: int = 6
    initial_s: float = 0.5
    max_s: float = 30.0
    retry_after_cap_s: float = 120.0  # a server asking for longer is treated as asking for two minutes

    def backoff_s(self, attempt_number: int) -> float:
        """The wait after failed attempt ``attempt_number`` (1, 2, ...), jittered so that clients that
        failed together do not retry together."""
        return min(self.max_s, self.initial_s * 2 ** (attempt_number - 1)) * random.uniform(0.5, 1.0)


class Retryable(Exception):
    """A failure worth another attempt (429, 5xx, a timeout); ``retry_after`` in seconds when the server
    said."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, cap_s: float, now: datetime | None = None) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date), between 0 and ``cap_s``; None if absent or
    unreadable."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(max(0.0, seconds), cap_s)


def with_retries(
    policy: RetryPolicy, attempt: Callable[[], T], on_retry: Callable[[BaseException, int], None]
) -> T:
    """``attempt()``, tried up to ``policy.attempts`` times while it raises :class:`Retryable`; waits the
    back-off, or the server's ``Retry-After`` when longer. ``on_retry(error, attempt_number)`` runs before
    each wait (count it, log it). The last :class:`Retryable` is raised again for the client to explain."""

    def wait(state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        backoff = policy.backoff_s(state.attempt_number)
        if isinstance(error, Retryable) and error.retry_after is not None:
            return max(backoff, min(error.retry_after, policy.retry_after_cap_s))
        return backoff

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(Retryable),
        stop=tenacity.stop_after_attempt(policy.attempts),
        wait=wait,
        before_sleep=lambda state: on_retry(state.outcome.exception(), state.attempt_number),
        reraise=True,
    )
    return retrying(attempt)


_CACHE_COUNTERS = ("hits", "misses", "expired", "corrupt", "bytes_read", "bytes_written")


@dataclass
class CacheStats:
    """What a response cache did: hits, misses, expired and corrupt entries, bytes read and written."""

    hits: int = 0
    misses: int = 0
    expired: int = 0
    corrupt: int = 0
    bytes_read: int = 0
    bytes_written: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in _CACHE_COUNTERS}


def is_loopback(url: str) -> bool:
    """True for a URL on this machine (``localhost``, 127.0.0.0/8, ::1): only a local stand-in may be
    asked faster than a service's published limits."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
