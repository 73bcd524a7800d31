"""CUSIP → ticker through OpenFIGI's mapping API (v3), cached for good, with an override file on top.

13F information tables and N-PORT holdings name securities by CUSIP; the warehouse keys everything by
ticker. OpenFIGI (Bloomberg's open symbology service) maps one to the other.

**The API** (``POST /v3/mapping``): the body is a JSON list of jobs ``{"idType": "ID_CUSIP", "idValue":
"037833100"}``; the answer is a list aligned with the jobs, each ``{"data": [{figi, ticker, exchCode,
compositeFIGI, securityType, marketSector, name, ...}, ...]}`` (one entry per listing), ``{"warning": "No
identifier found."}`` or ``{"error": ...}``. The published limits (:data:`ANONYMOUS`, :data:`WITH_KEY`):

=====================  ===============  ======================
                       without a key    ``X-OPENFIGI-APIKEY``
=====================  ===============  ======================
jobs per request       10               100
requests               25 a minute      25 every 6 seconds
=====================  ===============  ======================

Too many jobs in one request answer HTTP 413; too many requests answer 429, with rate-limit headers. The
client paces itself at :data:`PACE` (90 %) of the request limit with its own
:class:`~smart_money.sources.http.RateLimiter`, retries 429 / 5xx / timeouts (``with_retries``) honouring
``Retry-After`` or the ``ratelimit-reset`` / ``x-ratelimit-reset`` headers (a 429 also pauses the limiter),
and on a 413 halves its batch for the rest of the run (some write-ups give 5 jobs without a key). A 401
(key refused) is never retried. The key travels only in its header: it is never logged, cached, put in an
error message or shown by ``repr``.

**Which ticker** (:func:`choose_ticker`): among the listings, the equity ones (``marketSector`` Equity) of an
accepted ``securityType`` (:data:`ACCEPTED_SECURITY_TYPES`: common stock, ADRs, ETPs, REITs and similar
listed equity); of those, the US composite (``exchCode`` "US") if there is one, else a US exchange listing
(:data:`US_EXCHANGE_CODES`); ties go to the composite FIGI itself, then to common stock, then to the first
ticker alphabetically. Share classes are spelled as the SEC spells them: Bloomberg's ``BRK/B`` → ``BRK-B``.
A security with no such listing (a bond, an option, a security listed only abroad) maps to None. The ticker
is today's: OpenFIGI does not say what a security was called in the past (FB → META), so a renamed
company maps to its current symbol.

**Cache forever**: a CUSIP's answer (found or not found) never changes meaningfully for this use, so each
is kept in ``<cache_dir>/<server>/<CUSIP>.json`` (one line of JSON: the CUSIP, status, the listings, when
fetched, and a SHA-256 of the content), written atomically (:mod:`smart_money.files`). A file that does not
parse, names another CUSIP or fails its checksum is fetched again. A re-run asks nothing.

**Overrides** (:func:`read_cusip_map`, ``SMART_MONEY_CUSIP_MAP``): a CSV of ``cusip,symbol`` that wins over
OpenFIGI; :class:`CusipMapper` asks OpenFIGI only for what it lacks and keeps only universe symbols.
"""

import csv
import hashlib
import json
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pandas as pd

from smart_money import files
from smart_money.settings import OPENFIGI_URL
from smart_money.sources.http import (
    RateLimiter,
    Retryable,
    RetryPolicy,
    is_loopback,
    retry_after_seconds,
    with_retries,
)
from smart_money.sources.sec.cache import server_folder
from smart_money.sources.synthetic.identifiers import is_valid_cusip

log = logging.getLogger(__name__)

MAPPING_PATH = "/v3/mapping"
API_KEY_HEADER = "X-OPENFIGI-APIKEY"
API_KEY_ENV = "OPENFIGI_API_KEY"
CUSIP_MAP_ENV = "SMART_MONEY_CUSIP_MAP"
NOT_FOUND = "No identifier found."
PACE = 0.9  # the client's share of the published request limit
ACCEPTED_SECURITY_TYPES = (  # in order of preference when several US listings qualify
    "Common Stock",
    "ADR",
    "ETP",
    "REIT",
    "NY Reg Shrs",
    "MLP",
    "Closed-End Fund",
    "Tracking Stk",
)
US_EXCHANGE_CODES = ("UN", "UQ", "UW", "UR", "UA", "UP", "UF", "UV")  # NYSE, Nasdaq tiers, Arca, ..., OTC
KEPT_FIELDS = (
    "figi",
    "ticker",
    "exchCode",
    "compositeFIGI",
    "shareClassFIGI",
    "securityType",
    "securityType2",
    "marketSector",
    "name",
)
DEFAULT_RETRY = RetryPolicy(attempts=6, initial_s=1.0, max_s=60.0, retry_after_cap_s=120.0)


@dataclass(frozen=True)
class Limits:
    """How much OpenFIGI accepts: ``jobs_per_request`` jobs in one request, ``requests`` requests in any
    ``window_s`` seconds."""

    jobs_per_request: int
    requests: int
    window_s: float

    def __post_init__(self):
        if self.jobs_per_request < 1 or self.requests < 1 or not self.window_s > 0:
            raise ValueError(f"OpenFIGI limits must be positive, got {self}")

    @property
    def rate_per_s(self) -> float:
        return self.requests / self.window_s


ANONYMOUS = Limits(jobs_per_request=10, requests=25, window_s=60.0)
WITH_KEY = Limits(jobs_per_request=100, requests=25, window_s=6.0)


def published_limits(api_key: str | None) -> Limits:
    """OpenFIGI's limits for a client with or without a key."""
    return WITH_KEY if api_key else ANONYMOUS


class OpenFigiError(RuntimeError):
    """A mapping request failed (after retries, or for a reason retrying cannot fix)."""


class OpenFigiAccessError(OpenFigiError):
    """HTTP 401: OpenFIGI refused the API key. Never retried."""


class CusipMapError(ValueError):
    """The CUSIP override file cannot be used (a bad CUSIP, a missing column, a conflicting line)."""


class _TooManyJobs(Exception):
    """HTTP 413: the batch was larger than OpenFIGI accepts."""


def normalize_cusip(value) -> str:
    """A CUSIP as the cache and the maps key it: stripped, upper case."""
    return str(value if value is not None else "").strip().upper()


def sec_symbol(ticker: str) -> str:
    """A ticker spelled as the SEC spells it: upper case, share classes with a dash (``BRK/B``, ``BRK.B`` →
    ``BRK-B``)."""
    return str(ticker).strip().upper().replace("/", "-").replace(".", "-").replace(" ", "-")


def choose_ticker(listings: Iterable[Mapping]) -> str | None:
    """The US listing's ticker among OpenFIGI's ``data`` entries for one security (rule: module
    docstring); None when there is no US equity listing of an accepted type."""
    candidates = []
    for entry in listings:
        ticker = (entry.get("ticker") or "").strip()
        security_type = entry.get("securityType")
        sector = entry.get("marketSector")
        if not ticker or security_type not in ACCEPTED_SECURITY_TYPES or sector not in (None, "Equity"):
            continue
        exchange = entry.get("exchCode")
        if exchange == "US":
            venue = 0
        elif exchange in US_EXCHANGE_CODES:
            venue = 1
        else:
            continue
        is_composite = bool(entry.get("figi")) and entry.get("figi") == entry.get("compositeFIGI")
        rank = (venue, not is_composite, ACCEPTED_SECURITY_TYPES.index(security_type), ticker)
        candidates.append((rank, ticker))
    if not candidates:
        return None
    return sec_symbol(min(candidates)[1])


def _checksum(cusip: str, status: str, data: list) -> str:
    canonical = json.dumps(
        {"cusip": cusip, "status": status, "data": data}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _rate_limit_reset(headers: httpx.Headers, cap_s: float) -> float | None:
    """Seconds to wait from a 429's headers: ``Retry-After``, else ``ratelimit-reset`` /
    ``x-ratelimit-reset`` (seconds from now, or an epoch time when it is that large)."""
    waited = retry_after_seconds(headers.get("Retry-After"), cap_s)
    if waited is not None:
        return waited
    for name in ("ratelimit-reset", "x-ratelimit-reset"):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            value = float(raw)
        except ValueError:
            continue
        if not math.isfinite(value):
            continue
        if value > 1e9:  # an epoch time, not a delay
            value -= time.time()
        return min(max(0.0, value), cap_s)
    return None


def _snippet(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text[:limit] + ("..." if len(text) > limit else "")


class OpenFigiClient:
    """Map CUSIPs to tickers through OpenFIGI within its limits, caching every answer for good."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str = OPENFIGI_URL,
        *,
        cache_dir: Path | str,
        limits: Limits | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ):
        key = (api_key or "").strip() or None  # a pasted key often carries a newline
        if key is not None and (not key.isascii() or not key.isprintable() or " " in key):
            # said without the key itself: an HTTP library's "illegal header value" error would echo it
            raise OpenFigiAccessError(
                f"{API_KEY_ENV} holds spaces, control or non-ASCII characters ({len(key)} characters); "
                "copy the key again from your OpenFIGI account page"
            )
        self._key = key
        self.base_url = (base_url or "").strip().rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise OpenFigiError(
                f"OpenFIGI base URL {base_url!r} is not an http(s) URL; use {OPENFIGI_URL} or a local "
                "stand-in such as http://127.0.0.1:8767"
            )
        published = published_limits(key)
        self.limits = limits or published
        faster = (
            self.limits.jobs_per_request > published.jobs_per_request
            or self.limits.rate_per_s > published.rate_per_s
        )
        if faster and not is_loopback(self.base_url):
            raise OpenFigiError(
                f"OpenFIGI limits {self.limits} exceed what OpenFIGI allows "
                f"{'with' if key else 'without'} a key ({published}); only a local stand-in may go faster"
            )
        self.jobs_per_request = self.limits.jobs_per_request
        self.limiter = RateLimiter(self.limits.rate_per_s * PACE)
        self.retry = retry
        self.cache_root = Path(cache_dir) / server_folder(self.base_url)
        headers = {"Content-Type": "application/json", "User-Agent": "smart-money"}
        if key:
            headers[API_KEY_HEADER] = key
        self._http = httpx.Client(headers=headers, timeout=timeout_s, transport=transport)
        self._counts: Counter = Counter()
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never shows the key
        key = "set" if self._key else "none"
        return f"OpenFigiClient(url={self.base_url!r}, key={key}, limits={self.limits})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "OpenFigiClient":
        return self

    def __exit__(self, *_) -> None:
        self.close()

    # ---- public -------------------------------------------------------------------------------------------
    def map_cusips(self, cusips: Iterable[str]) -> dict[str, str | None]:
        """Each distinct CUSIP (normalized) → its US ticker, or None (not found, not US equity, or not a
        valid CUSIP: those are never sent). Cached answers are used; the rest are asked in batches."""
        wanted = list(dict.fromkeys(normalize_cusip(c) for c in cusips))
        result: dict[str, str | None] = {}
        listings: dict[str, list | None] = {}
        missing = []
        for cusip in wanted:
            if not is_valid_cusip(cusip):
                result[cusip] = None
                continue
            cached = self._read(cusip)
            if cached is None:
                missing.append(cusip)
            else:
                listings[cusip] = cached
        self._count(invalid_cusips=len(result), cache_hits=len(listings), cache_misses=len(missing))
        start = 0
        while start < len(missing):
            batch = missing[start : start + self.jobs_per_request]
            try:
                listings.update(self._map_batch(batch))
            except _TooManyJobs:
                if self.jobs_per_request == 1:
                    raise OpenFigiError(
                        f"OpenFIGI {self.base_url}{MAPPING_PATH} refuses even one job a request (HTTP 413); "
                        "check OPENFIGI_URL"
                    ) from None
                self.jobs_per_request = max(1, self.jobs_per_request // 2)
                log.warning(
                    "OpenFIGI answered 413 (too many jobs) to %d jobs; sending %d a request from now on",
                    len(batch),
                    self.jobs_per_request,
                )
                continue
            start += len(batch)
        for cusip in wanted:
            if cusip in result:
                continue
            data = listings.get(cusip)
            result[cusip] = choose_ticker(data) if data else None
        mapped = sum(1 for c in wanted if result[c] is not None)
        self._count(mapped=mapped, unmapped=len(wanted) - mapped)
        if wanted:
            log.info(
                "OpenFIGI: %d CUSIPs (%d invalid), %d from the cache, %d asked, %d mapped",
                len(wanted),
                self._invalid_in(wanted),
                len(wanted) - len(missing) - self._invalid_in(wanted),
                len(missing),
                mapped,
            )
        return result

    @staticmethod
    def _invalid_in(cusips: list[str]) -> int:
        return sum(1 for c in cusips if not is_valid_cusip(c))

    def stats(self) -> dict:
        """Requests, retries, cache hits/misses/corrupt entries, mapped/unmapped CUSIPs (for metadata)."""
        with self._lock:
            counts = dict(self._counts)
        keys = (
            "requests",
            "jobs_sent",
            "retries",
            "too_many_jobs",
            "cache_hits",
            "cache_misses",
            "cache_corrupt",
            "cache_writes",
            "mapped",
            "unmapped",
            "not_found",
            "job_errors",
            "invalid_cusips",
        )
        return {
            **{k: int(counts.get(k, 0)) for k in keys},
            "jobs_per_request": self.jobs_per_request,
            "rate_limit_wait_s": round(self.limiter.waited_s, 2),
        }

    # ---- the cache ----------------------------------------------------------------------------------------
    def entry_path(self, cusip: str) -> Path:
        return self.cache_root / f"{normalize_cusip(cusip)}.json"

    def _read(self, cusip: str) -> list | None:
        """The cached listings of ``cusip`` ([] when OpenFIGI found nothing), or None (absent or corrupt)."""
        path = self.entry_path(cusip)
        try:
            raw = path.read_text()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError):
            raw = ""
        try:
            entry = json.loads(raw)
            status, data = entry["status"], entry["data"]
            ok = (
                isinstance(entry, dict)
                and entry.get("cusip") == cusip
                and status in ("found", "not_found")
                and isinstance(data, list)
                and entry.get("sha256") == _checksum(cusip, status, data)
            )
        except (ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            self._count(cache_corrupt=1)
            log.warning("OpenFIGI cache entry %s is corrupt; asking again", path.name)
            return None
        return data

    def _write(self, cusip: str, data: list) -> None:
        status = "found" if data else "not_found"
        entry = {
            "cusip": cusip,
            "status": status,
            "data": data,
            "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "sha256": _checksum(cusip, status, data),
        }
        files.write_text_atomic(self.entry_path(cusip), json.dumps(entry, sort_keys=True) + "\n")
        self._count(cache_writes=1)

    # ---- HTTP ---------------------------------------------------------------------------------------------
    def _count(self, **counts: int) -> None:
        with self._lock:
            self._counts.update(counts)

    def _map_batch(self, batch: list[str]) -> dict[str, list | None]:
        """Ask OpenFIGI for one batch; cache and return each CUSIP's listings (None: a job error, not
        cached)."""
        url = self.base_url + MAPPING_PATH
        body = [{"idType": "ID_CUSIP", "idValue": cusip} for cusip in batch]

        def on_retry(error: BaseException, attempt: int) -> None:
            self._count(retries=1)
            log.warning("OpenFIGI %s: %s; retry %d of %d", url, error, attempt, self.retry.attempts - 1)

        try:
            answers = with_retries(self.retry, lambda: self._post_once(url, body), on_retry)
        except Retryable as exc:
            raise OpenFigiError(
                f"OpenFIGI {url} still failing after {self.retry.attempts} attempts: {exc}; OpenFIGI may be "
                "busy or down: run again later (answers already received are cached)"
            ) from None
        if not isinstance(answers, list) or len(answers) != len(batch):
            raise OpenFigiError(
                f"OpenFIGI {url} answered {type(answers).__name__} of "
                f"{len(answers) if isinstance(answers, list) else '?'} results to {len(batch)} jobs; "
                "the answer must be a list aligned with the jobs (check OPENFIGI_URL)"
            )
        out: dict[str, list | None] = {}
        for cusip, answer in zip(batch, answers, strict=True):
            if isinstance(answer, dict) and isinstance(answer.get("data"), list):
                data = [{k: e.get(k) for k in KEPT_FIELDS} for e in answer["data"] if isinstance(e, dict)]
                self._write(cusip, data)
                out[cusip] = data
            elif isinstance(answer, dict) and "warning" in answer:
                self._count(not_found=1)
                self._write(cusip, [])
                out[cusip] = []
            else:
                error = answer.get("error") if isinstance(answer, dict) else answer
                self._count(job_errors=1)
                log.warning("OpenFIGI could not map CUSIP %s: %s (not cached)", cusip, _snippet(error))
                out[cusip] = None
        return out

    def _post_once(self, url: str, body: list[dict]):
        self.limiter.acquire()
        self._count(requests=1, jobs_sent=len(body))
        try:
            response = self._http.post(url, content=json.dumps(body).encode())
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise Retryable(f"{type(exc).__name__}: {exc}") from None
        status = response.status_code
        if status == 200:
            try:
                return response.json()
            except ValueError:
                raise OpenFigiError(
                    f"OpenFIGI {url}: the answer is not JSON ({_snippet(response.text)}); check OPENFIGI_URL"
                ) from None
        if status == 413:
            self._count(too_many_jobs=1)
            raise _TooManyJobs()
        if status == 401:
            raise OpenFigiAccessError(
                f"OpenFIGI {url}: HTTP 401, the API key was refused; check {API_KEY_ENV} (or unset it to "
                "map without a key, at 10 jobs and 25 requests a minute)"
            )
        if status == 429 or status >= 500:
            wait = _rate_limit_reset(response.headers, self.retry.retry_after_cap_s)
            if status == 429:
                self.limiter.pause(wait if wait is not None else self.retry.initial_s)
            raise Retryable(f"HTTP {status} {_snippet(response.text)}", wait)
        raise OpenFigiError(f"OpenFIGI {url}: HTTP {status} {_snippet(response.text)}; check OPENFIGI_URL")


def read_cusip_map(path: Path | str) -> dict[str, str]:
    """The override file (``SMART_MONEY_CUSIP_MAP``): CSV with columns ``cusip`` and ``symbol`` (others
    ignored). Every CUSIP must be valid (check digit); a bad line is an error naming the file, line and
    value. Symbols are spelled as the SEC spells them (:func:`sec_symbol`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CusipMapError(
            f"CUSIP override file {path} does not exist; fix {CUSIP_MAP_ENV} or unset it"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CusipMapError(f"CUSIP override file {path} cannot be read: {exc}") from None
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    columns = [c.strip().lower() for c in header or []]
    if "cusip" not in columns or "symbol" not in columns:
        raise CusipMapError(
            f"CUSIP override file {path}: line 1 must name the columns cusip and symbol "
            f"(found {', '.join(columns) or 'nothing'})"
        )
    at_cusip, at_symbol = columns.index("cusip"), columns.index("symbol")
    out: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for line_no, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        raw_cusip = row[at_cusip] if at_cusip < len(row) else ""
        raw_symbol = row[at_symbol] if at_symbol < len(row) else ""
        cusip = normalize_cusip(raw_cusip)
        if not is_valid_cusip(cusip):
            raise CusipMapError(
                f"CUSIP override file {path}: line {line_no}: cusip {raw_cusip!r} is not a valid CUSIP "
                "(9 characters whose last is the check digit, e.g. 037833100); fix or remove the line"
            )
        if not raw_symbol.strip():
            raise CusipMapError(f"CUSIP override file {path}: line {line_no}: cusip {cusip} has no symbol")
        symbol = sec_symbol(raw_symbol)
        if cusip in out and out[cusip] != symbol:
            raise CusipMapError(
                f"CUSIP override file {path}: line {line_no}: cusip {cusip} maps to {symbol}, but line "
                f"{first_line[cusip]} maps it to {out[cusip]}; keep one"
            )
        out[cusip] = symbol
        first_line.setdefault(cusip, line_no)
    return out


class CusipMapper:
    """CUSIPs → universe symbols: the override file first, OpenFIGI (if any) for the rest."""

    def __init__(self, client: OpenFigiClient | None, overrides: Mapping[str, str] | None = None):
        self.client = client
        self.overrides = {normalize_cusip(k): sec_symbol(v) for k, v in (overrides or {}).items()}
        self._counts: Counter = Counter()

    def symbols(self, cusips: Iterable[str], universe: Iterable[str]) -> dict[str, str]:
        """Each CUSIP that maps to a symbol of ``universe`` → that symbol (others left out)."""
        members = {sec_symbol(s) for s in universe}
        wanted = list(dict.fromkeys(normalize_cusip(c) for c in cusips))
        found = {c: self.overrides[c] for c in wanted if c in self.overrides}
        rest = [c for c in wanted if c not in found]
        from_client = self.client.map_cusips(rest) if (self.client is not None and rest) else {}
        out: dict[str, str] = {}
        counts: Counter = Counter()
        for cusip in wanted:
            if cusip in found:
                symbol, origin = found[cusip], "from_overrides"
            else:
                symbol, origin = from_client.get(cusip), "from_openfigi"
            if symbol is None:
                counts["unmapped"] += 1
            elif symbol not in members:
                counts["outside_universe"] += 1
            else:
                out[cusip] = symbol
                counts[origin] += 1
        self._counts.update(counts)
        return out

    def stats(self) -> dict:
        keys = ("from_overrides", "from_openfigi", "outside_universe", "unmapped")
        return {"overrides": len(self.overrides), **{k: int(self._counts.get(k, 0)) for k in keys}}


def mapping_coverage(lines: pd.DataFrame, mapped: Mapping[str, str], top: int = 10) -> dict:
    """How much of the reported value the mapping covers: lines with ``cusip``, ``value_usd`` and
    ``issuer_name``; ``mapped`` as :meth:`CusipMapper.symbols` returns it. Gives the share of value mapped
    and the ``top`` largest unmapped CUSIPs (summed over lines). Lines without a value count as lines but
    not as value."""
    missing = [c for c in ("cusip", "value_usd", "issuer_name") if c not in lines.columns]
    if missing:
        raise ValueError(
            f"mapping_coverage needs columns cusip, value_usd and issuer_name; missing {', '.join(missing)}"
        )
    keys = {normalize_cusip(k) for k in mapped}
    frame = pd.DataFrame(
        {
            "cusip": lines["cusip"].map(normalize_cusip),
            "value_usd": pd.to_numeric(lines["value_usd"], errors="coerce"),
            "issuer_name": lines["issuer_name"],
        }
    )
    frame["mapped"] = frame["cusip"].isin(keys)
    total = float(frame["value_usd"].sum())
    mapped_value = float(frame.loc[frame["mapped"], "value_usd"].sum())
    unmapped = frame[~frame["mapped"]]
    ranked = (
        unmapped.groupby("cusip", sort=False)
        .agg(value_usd=("value_usd", "sum"), issuer_name=("issuer_name", "first"))
        .sort_values(["value_usd"], ascending=False, kind="stable")
        .head(top)
    )
    return {
        "lines": int(len(frame)),
        "lines_without_value": int(frame["value_usd"].isna().sum()),
        "cusips": int(frame["cusip"].nunique()),
        "mapped_cusips": int(frame.loc[frame["mapped"], "cusip"].nunique()),
        "value_usd": total,
        "mapped_value_usd": mapped_value,
        "value_share_mapped": (mapped_value / total) if total > 0 else None,
        "top_unmapped": [
            {
                "cusip": cusip,
                "issuer_name": None if pd.isna(row.issuer_name) else str(row.issuer_name),
                "value_usd": float(row.value_usd),
            }
            for cusip, row in ranked.iterrows()
        ],
    }
