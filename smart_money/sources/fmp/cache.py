"""Disk cache of raw FMP responses: a re-run of the same ranges makes no request.

One file per response under ``data/cache/fmp/<data_type>/``, named by the key
``{symbol}_{start}_{end}_{data_type}[_p{page}]`` (the API key is never part of a key, a path or a file).
A file is one JSON header line ``{key, fetched_at, as_of, sha256, bytes}`` followed by the payload's JSON
text, written atomically (:func:`smart_money.files.write_atomic`); a file whose header does not parse, names
another key, or whose payload has another length or SHA-256 (truncated, edited) is counted as corrupt and
fetched again.
An entry is final (never expires) only when it was fetched after its range had closed, that is when the
source's date at fetch time (``as_of``: today, or ``FMP_AS_OF``) was at least ``SETTLE_DAYS`` past the
range's end; an entry fetched while its range was still open expires after ``ttl_days``, also
once the range has closed since: it may lack what was published later.
"""

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from smart_money import files
from smart_money.settings import FMP_DEFAULTS
from smart_money.sources.http import CacheStats

_SAFE = re.compile(r"[^A-Za-z0-9._-]")
SETTLE_DAYS = 3  # FMP indexes a filing a day or two after it is public


def cache_key(symbol: str, start: str, end: str, data_type: str, page: int | None = None) -> str:
    key = f"{symbol}_{start}_{end}_{data_type}" + ("" if page is None else f"_p{page}")
    return _SAFE.sub("-", key)


class ResponseCache:
    """Get-or-fetch for JSON payloads, keyed as the module docstring says."""

    def __init__(
        self,
        root: Path,
        ttl_days: float = FMP_DEFAULTS.cache_ttl_days,
        today: Callable[[], date] = date.today,
    ):
        self.root = Path(root)
        self.ttl = timedelta(days=ttl_days)
        self.today = today
        self.stats = CacheStats()

    def path(self, data_type: str, key: str) -> Path:
        return self.root / _SAFE.sub("-", data_type) / f"{key}.json"

    def get_or_fetch(
        self,
        data_type: str,
        key: str,
        range_end: date | None,
        fetch: Callable[[], object],
        final: bool = False,
    ):
        """The cached payload for ``key``, or ``fetch()``'s result, stored. ``range_end`` (exclusive end of
        the requested range; None for snapshots) decides whether the entry can go stale; ``final`` entries
        (a dated snapshot) never do."""
        path = self.path(data_type, key)
        cached = self._read(path, key)
        if cached is not None:
            payload, fetched_at, as_of = cached
            if final or not self._stale(fetched_at, as_of, range_end):
                self.stats.add(hits=1)
                return payload
            self.stats.add(expired=1)
        self.stats.add(misses=1)
        payload = fetch()
        self._write(path, key, payload)
        return payload

    def peek(self, data_type: str, key: str):
        """The cached payload for ``key`` whatever its age, or None; never fetches."""
        cached = self._read(self.path(data_type, key), key)
        if cached is None:
            return None
        self.stats.add(hits=1)
        return cached[0]

    def _stale(self, fetched_at: datetime, as_of: date, range_end: date | None) -> bool:
        final = range_end is not None and as_of >= range_end + timedelta(days=SETTLE_DAYS)
        return not final and datetime.now(UTC) - fetched_at > self.ttl

    def _read(self, path: Path, key: str):
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            header_text, _, body = raw.partition(b"\n")
            header = json.loads(header_text)
            ok = (
                header.get("key") == key
                and header.get("bytes") == len(body)
                and hashlib.sha256(body).hexdigest() == header.get("sha256")
            )
            payload = json.loads(body) if ok else None
            fetched_at = datetime.fromisoformat(header["fetched_at"])
            # files written before ``as_of`` was recorded: the fetch date stands in for it
            as_of = date.fromisoformat(header.get("as_of") or fetched_at.date().isoformat())
        except (ValueError, KeyError, TypeError, AttributeError):
            ok = False
        if not ok:
            self.stats.add(corrupt=1)
            return None
        self.stats.add(bytes_read=len(raw))
        return payload, fetched_at, as_of

    def _write(self, path: Path, key: str, payload) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        header = {
            "key": key,
            "fetched_at": datetime.now(UTC).isoformat(),
            "as_of": self.today().isoformat(),
            "sha256": hashlib.sha256(body).hexdigest(),
            "bytes": len(body),
        }
        data = json.dumps(header).encode() + b"\n" + body
        files.write_bytes_atomic(path, data)
        self.stats.add(bytes_written=len(data))
