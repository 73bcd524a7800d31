"""HTTP client for FMP's stable API: one connection pool, a shared rate limit, retries that know FMP.

- Rate: a token bucket shared by every thread (default ``FMP_DEFAULTS.rate_per_minute``, FMP's Starter plan).
- Retries (tenacity): 429, 5xx, timeouts and connection errors, with exponential back-off and jitter,
  honouring ``Retry-After``. FMP also answers some errors with HTTP 200 and ``{"Error Message": ...}``: a
  "Limit Reach" body is retried like a 429 and an "Invalid API KEY" body fails like a 401.
- Never retried: 401 (bad key), 402 (plan lacks the endpoint or symbol), 403 (legacy endpoint). They raise
  :class:`FmpAccessError` naming the endpoint, the symbol and what to do.
- The key travels in the ``apikey`` header, never in a URL, so no log line, error or cache key can hold it;
  error texts are scrubbed of it anyway.
"""

import logging
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
import tenacity

from smart_money.settings import FMP_DEFAULTS

log = logging.getLogger(__name__)

RETRY_AFTER_CAP_S = 300.0  # a server asking for longer is treated as asking for five minutes
_LIMIT_REACHED = re.compile(r"limit\s*reach", re.IGNORECASE)


class FmpError(RuntimeError):
    """A request to FMP failed (after retries, or for a reason retrying cannot fix)."""


class FmpAccessError(FmpError):
    """401 / 402 / 403: the key, the plan or the endpoint; retrying would not help."""


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class RateLimiter:
    """Token bucket: at most ``rate_per_minute`` requests a minute, ``burst`` of them back to back."""

    def __init__(self, rate_per_minute: float, burst: int = 1, clock: Callable[[], float] = time.monotonic):
        if rate_per_minute <= 0:
            raise ValueError(f"rate_per_minute must be positive, got {rate_per_minute}")
        self.rate = rate_per_minute / 60.0
        self.capacity = max(1, int(burst))
        self._tokens = float(self.capacity)
        self._clock = clock
        self._updated = clock()
        self._lock = threading.Lock()
        self._paused_until = float("-inf")
        self.waited_s = 0.0

    def pause(self, seconds: float) -> None:
        """Hold every thread back for ``seconds`` (the server said 429: the whole client slows down)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                if now < self._paused_until:
                    wait = self._paused_until - now
                    self.waited_s += wait
                else:
                    wait = 0.0
            if wait:
                time.sleep(wait)
                continue
            with self._lock:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.rate
            self.waited_s += wait
            time.sleep(wait)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = FMP_DEFAULTS.retry_attempts
    initial_s: float = 0.5
    max_s: float = 30.0


ACCESS_HINT = {
    401: "the API key was refused: check FMP_API_KEY",
    402: "your FMP plan does not include this endpoint or symbol (13F and ETF exposure need the top plan)",
    403: "FMP refused the endpoint (legacy /api/v3 and /api/v4 are closed to new keys; use /stable)",
}


class FmpClient:
    """GET JSON from FMP's stable API with rate limiting, retries and clear errors. Thread-safe."""

    def __init__(
        self,
        api_key: str,
        base_url: str = FMP_DEFAULTS.base_url,
        rate_per_minute: float = FMP_DEFAULTS.rate_per_minute,
        retry: RetryPolicy = RetryPolicy(),
        timeout_s: float = 30.0,
        max_connections: int = 8,
        transport: httpx.BaseTransport | None = None,
    ):
        api_key = (api_key or "").strip()  # a pasted key often carries a newline
        if not api_key:
            raise FmpAccessError("FMP_API_KEY is empty: set it to your Financial Modeling Prep key")
        if not api_key.isascii() or not api_key.isprintable() or " " in api_key:
            # said without the key itself: an HTTP library's "illegal header value" error would echo it
            raise FmpAccessError(
                f"FMP_API_KEY holds spaces, control or non-ASCII characters ({len(api_key)} characters); "
                "copy the key again from your FMP dashboard"
            )
        self._key = api_key
        self.base_url = base_url.rstrip("/")
        self.limiter = RateLimiter(rate_per_minute)
        self.retry = retry
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"apikey": api_key, "User-Agent": "smart-money"},
            timeout=timeout_s,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            transport=transport,
        )
        self.requests = Counter()  # per endpoint path
        self.retries = Counter()
        self._counter_lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "FmpClient":
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def scrub(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key else text

    def get_json(self, path: str, params: dict | None = None, symbol: str | None = None):
        """The parsed JSON body of ``GET path?params``; retried as described in the module docstring."""
        params = {k: v for k, v in (params or {}).items() if v is not None}

        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            backoff = min(self.retry.max_s, self.retry.initial_s * 2 ** (state.attempt_number - 1))
            backoff *= random.uniform(0.5, 1.0)  # jitter: clients that failed together do not retry together
            if isinstance(exc, _Retryable) and exc.retry_after is not None:
                return max(backoff, min(exc.retry_after, RETRY_AFTER_CAP_S))
            return backoff

        def before_sleep(state: tenacity.RetryCallState) -> None:
            with self._counter_lock:
                self.retries[path] += 1
            log.warning(
                "FMP %s%s: %s; retry %d of %d",
                path,
                f" ({symbol})" if symbol else "",
                self.scrub(str(state.outcome.exception())),
                state.attempt_number,
                self.retry.attempts - 1,
            )

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Retryable),
            stop=tenacity.stop_after_attempt(self.retry.attempts),
            wait=wait,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            return retrying(self._get_once, path, params, symbol)
        except _Retryable as exc:
            raise FmpError(
                f"FMP {path}{f' for {symbol}' if symbol else ''} still failing after {self.retry.attempts} "
                f"attempts: {self.scrub(str(exc))}; try again later or lower the request rate"
            ) from None

    def _get_once(self, path: str, params: dict, symbol: str | None):
        self.limiter.acquire()
        with self._counter_lock:
            self.requests[path] += 1
        where = f"{path}{f' for {symbol}' if symbol else ''}"
        try:
            response = self._http.get(path, params=params)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise _Retryable(f"{type(exc).__name__}: {exc}") from None
        status = response.status_code
        if status in ACCESS_HINT:
            raise FmpAccessError(
                f"FMP {where}: HTTP {status} {self._message(response)}; {ACCESS_HINT[status]}"
            )
        if 300 <= status < 400:
            location = response.headers.get("Location", "?")
            raise FmpError(f"FMP {where}: HTTP {status} redirect to {location}; check FMP_BASE_URL")
        if status == 429:
            retry_after = _retry_after(response)
            self.limiter.pause(retry_after if retry_after is not None else self.retry.initial_s)
            raise _Retryable(f"HTTP 429 {self._message(response)}", retry_after)
        if status >= 500:
            raise _Retryable(f"HTTP {status} {self._message(response)}", _retry_after(response))
        if status >= 400:
            raise FmpError(f"FMP {where}: HTTP {status} {self._message(response)}")
        try:
            body = response.json()
        except ValueError:
            raise _Retryable(
                f"HTTP 200 with a body that is not JSON ({len(response.content)} bytes)"
            ) from None
        if isinstance(body, dict) and "Error Message" in body:
            message = str(body["Error Message"])
            if _LIMIT_REACHED.search(message):
                raise _Retryable(f"HTTP 200 'Error Message': {self.scrub(message)}", _retry_after(response))
            code = 401 if "api key" in message.lower() else 402
            raise FmpAccessError(f"FMP {where}: {self.scrub(message)}; {ACCESS_HINT[code]}")
        return body

    def _message(self, response: httpx.Response) -> str:
        text = response.text[:200]
        try:
            body = response.json()
            if isinstance(body, dict) and "Error Message" in body:
                text = str(body["Error Message"])[:200]
        except ValueError:
            pass
        return self.scrub(text.strip())


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date), capped at ``RETRY_AFTER_CAP_S``."""
    value = response.headers.get("Retry-After")
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
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(0.0, seconds), RETRY_AFTER_CAP_S)
