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
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from smart_money.settings import FMP_DEFAULTS
from smart_money.sources import http
from smart_money.sources.http import Retryable, retry_after_seconds, with_retries

log = logging.getLogger(__name__)

RETRY_AFTER_CAP_S = 300.0  # a server asking for longer is treated as asking for five minutes
_LIMIT_REACHED = re.compile(r"limit\s*reach", re.IGNORECASE)


class FmpError(RuntimeError):
    """A request to FMP failed (after retries, or for a reason retrying cannot fix)."""


class FmpAccessError(FmpError):
    """401 / 402 / 403: the key, the plan or the endpoint; retrying would not help."""


class RateLimiter(http.RateLimiter):
    """FMP's budget: at most ``rate_per_minute`` requests a minute, ``burst`` of them back to back, shared by
    every thread of the client (:class:`smart_money.sources.http.RateLimiter`)."""

    def __init__(self, rate_per_minute: float, burst: int = 1, clock: Callable[[], float] = time.monotonic):
        if rate_per_minute <= 0:
            raise ValueError(f"rate_per_minute must be positive, got {rate_per_minute}")
        super().__init__(rate_per_minute / 60.0, clock, burst=burst)


@dataclass(frozen=True)
class RetryPolicy(http.RetryPolicy):
    """:class:`smart_money.sources.http.RetryPolicy` with FMP's defaults (attempts from the settings; a
    ``Retry-After`` honoured up to five minutes)."""

    attempts: int = FMP_DEFAULTS.retry_attempts
    retry_after_cap_s: float = RETRY_AFTER_CAP_S


DEFAULT_RETRY = RetryPolicy()


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
        retry: RetryPolicy = DEFAULT_RETRY,
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

        def on_retry(error: BaseException, attempt_number: int) -> None:
            with self._counter_lock:
                self.retries[path] += 1
            log.warning(
                "FMP %s%s: %s; retry %d of %d",
                path,
                f" ({symbol})" if symbol else "",
                self.scrub(str(error)),
                attempt_number,
                self.retry.attempts - 1,
            )

        try:
            return with_retries(self.retry, lambda: self._get_once(path, params, symbol), on_retry)
        except Retryable as exc:
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
            raise Retryable(f"{type(exc).__name__}: {exc}") from None
        status = response.status_code
        retry_after = _retry_after(response, self.retry.retry_after_cap_s)
        if status in ACCESS_HINT:
            raise FmpAccessError(
                f"FMP {where}: HTTP {status} {self._message(response)}; {ACCESS_HINT[status]}"
            )
        if 300 <= status < 400:
            location = response.headers.get("Location", "?")
            raise FmpError(f"FMP {where}: HTTP {status} redirect to {location}; check FMP_BASE_URL")
        if status == 429:
            self.limiter.pause(retry_after if retry_after is not None else self.retry.initial_s)
            raise Retryable(f"HTTP 429 {self._message(response)}", retry_after)
        if status >= 500:
            raise Retryable(f"HTTP {status} {self._message(response)}", retry_after)
        if status >= 400:
            raise FmpError(f"FMP {where}: HTTP {status} {self._message(response)}")
        try:
            body = response.json()
        except ValueError:
            raise Retryable(
                f"HTTP 200 with a body that is not JSON ({len(response.content)} bytes)"
            ) from None
        if isinstance(body, dict) and "Error Message" in body:
            message = str(body["Error Message"])
            if _LIMIT_REACHED.search(message):
                raise Retryable(f"HTTP 200 'Error Message': {self.scrub(message)}", retry_after)
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


def _retry_after(response: httpx.Response, cap_s: float = RETRY_AFTER_CAP_S) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date), capped at ``cap_s``; None if absent."""
    return retry_after_seconds(response.headers.get("Retry-After"), cap_s)
