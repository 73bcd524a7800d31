"""Disk cache of EDGAR responses: a re-run of the same requests makes no request at all.

The discipline is the FMP cache's (:mod:`smart_money.sources.fmp.cache`):

- **One folder per server**: ``<root>/<host[-port]>/<url path>``, so a local stand-in's answers are never read
  back as the SEC's (``www.sec.gov``, ``data.sec.gov``, ``127.0.0.1-8765``).
- **Final once its period has closed, TTL otherwise.** An entry is *final* (never expires) when it was
  fetched at least ``SETTLE_DAYS`` after the period it covers had closed (a daily index, a quarterly data
  set), or when it can never change (an Archives document: a filing's documents are immutable). Any other
  entry (company tickers, submissions, company facts, a period still open when fetched) expires after
  ``ttl_days``.
- **Absence is cached too** (HTTP 404, for example a weekend's daily index or a quarter not yet
  published), with the same rule except that "immutable" documents are never final when absent.
- **Corrupt entries are fetched again**: a file is one JSON header line ``{key, status, fetched_at, as_of,
  closes_on, final, sha256, bytes}`` then the body, written atomically
  (:func:`smart_money.files.write_atomic`);
  a header that does not parse, names another key, or a body of another length or SHA-256 counts as corrupt.
  A cached ZIP is the archive itself plus a ``.meta`` sidecar with the same header, checked the same way.
- Hits, misses, expired and corrupt entries are counted (:class:`CacheStats`).
"""

import hashlib
import json
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from smart_money import files
from smart_money.settings import SEC_DEFAULTS
from smart_money.sources.http import CacheStats

SETTLE_DAYS = 3  # a period's files are complete this many days after it closed (EDGAR indexes nightly)
DEFAULT_TTL_DAYS = SEC_DEFAULTS.cache_ttl_days  # submissions and tickers change every business day
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class Cached:
    """A response as the cache holds it: HTTP status (200 or 404) and body."""

    status: int
    body: bytes


def server_folder(base_url: str) -> str:
    """The cache folder of one server: ``www.sec.gov``, ``data.sec.gov``, ``127.0.0.1-8765``."""
    netloc = urlsplit(base_url).netloc or base_url
    return _SAFE.sub("-", netloc.rsplit("@", 1)[-1]) or "default"


def _relative(path: str) -> Path:
    parts = [_SAFE.sub("-", p) for p in path.split("?", 1)[0].split("/") if p and p not in (".", "..")]
    if not parts:
        raise ValueError(f"cache path {path!r} names no file")
    return Path(*parts)


class SecCache:
    """Get-or-fetch for EDGAR responses, keyed by server and URL path (module docstring)."""

    def __init__(
        self,
        root: Path | str,
        ttl_days: float = DEFAULT_TTL_DAYS,
        today: Callable[[], date] = date.today,
    ):
        if ttl_days < 0:
            raise ValueError(f"cache ttl_days must be >= 0, got {ttl_days}")
        self.root = Path(root)
        self.ttl = timedelta(days=ttl_days)
        self.today = today
        self.stats = CacheStats()
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    # ---- paths ------------------------------------------------------------------------------------------
    def entry_path(self, server: str, path: str) -> Path:
        return self.root / server / f"{_relative(path)}.entry"

    def file_path(self, server: str, path: str) -> Path:
        return self.root / server / _relative(path)

    def _lock(self, key: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())

    # ---- responses held in memory -----------------------------------------------------------------------
    def get_or_fetch(
        self,
        server: str,
        path: str,
        fetch: Callable[[], Cached],
        *,
        immutable: bool = False,
        closes_on: date | None = None,
    ) -> Cached:
        """The cached response for ``server`` + ``path``, or ``fetch()``'s, stored.

        ``immutable``: a 200 never changes (Archives documents). ``closes_on``: the first day after the
        period the response covers (a daily index: the day after; a data set: the day after its quarter)."""
        key = f"{server}{path}"
        entry = self.entry_path(server, path)
        with self._lock(key):
            cached = self._read_entry(entry, key)
            if cached is not None:
                header, body = cached
                if self._fresh(header):
                    self.stats.add(hits=1)
                    return Cached(int(header["status"]), body)
                self.stats.add(expired=1)
            self.stats.add(misses=1)
            response = fetch()
            if response.status not in (200, 404):
                raise ValueError(f"only 200 and 404 answers are cached, got {response.status} for {path}")
            self._write_entry(entry, key, response.status, response.body, immutable, closes_on)
            return response

    # ---- large files (the quarterly data set ZIPs) ------------------------------------------------------
    def get_or_download(
        self,
        server: str,
        path: str,
        download: Callable[[Path], int],
        *,
        closes_on: date | None = None,
    ) -> Path | None:
        """The cached file for ``server`` + ``path`` (None: the server said 404), or ``download(tmp)``'s.

        ``download`` writes the body to ``tmp`` (a temporary file beside the target), verifies it and
        returns the status (200 or 404); if it raises, ``tmp`` is removed and nothing is cached. The file
        is final when fetched ``SETTLE_DAYS`` after ``closes_on``; an absence never is."""
        key = f"{server}{path}"
        target = self.file_path(server, path)
        meta = target.with_name(target.name + ".meta")
        absent = self.entry_path(server, path + ".absent")
        with self._lock(key):
            header = self._read_meta(meta, target, key)
            if header is not None:
                if self._fresh(header):
                    self.stats.add(hits=1)
                    return target
                self.stats.add(expired=1)
            else:
                cached = self._read_entry(absent, key)
                if cached is not None:
                    if self._fresh(cached[0]):
                        self.stats.add(hits=1)
                        return None
                    self.stats.add(expired=1)
            self.stats.add(misses=1)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = files.temp_path(target)
            try:
                status = download(tmp)
                if status == 404:
                    self._write_entry(absent, key, 404, b"", False, None)
                    return None
                if status != 200:
                    raise ValueError(f"only 200 and 404 answers are cached, got {status} for {path}")
                digest, size = _sha256_file(tmp)
                os.replace(tmp, target)
            finally:
                if tmp.exists():
                    tmp.unlink()
            header = self._header(key, 200, digest, size, False, closes_on)
            files.write_bytes_atomic(meta, json.dumps(header).encode())
            absent.unlink(missing_ok=True)
            self.stats.add(bytes_written=size)
            return target

    # ---- internals --------------------------------------------------------------------------------------
    def _header(
        self, key: str, status: int, digest: str, size: int, immutable: bool, closes_on: date | None
    ) -> dict:
        as_of = self.today()
        final = (immutable and status == 200) or (
            closes_on is not None and as_of >= closes_on + timedelta(days=SETTLE_DAYS)
        )
        return {
            "key": key,
            "status": status,
            "fetched_at": datetime.now(UTC).isoformat(),
            "as_of": as_of.isoformat(),
            "closes_on": closes_on.isoformat() if closes_on else None,
            "final": bool(final),
            "sha256": digest,
            "bytes": size,
        }

    def _fresh(self, header: dict) -> bool:
        if header.get("final"):
            return True
        fetched_at = datetime.fromisoformat(header["fetched_at"])
        return datetime.now(UTC) - fetched_at <= self.ttl

    def _write_entry(
        self, entry: Path, key: str, status: int, body: bytes, immutable: bool, closes_on: date | None
    ) -> None:
        header = self._header(key, status, hashlib.sha256(body).hexdigest(), len(body), immutable, closes_on)
        data = json.dumps(header).encode() + b"\n" + body
        files.write_bytes_atomic(entry, data)
        self.stats.add(bytes_written=len(data))

    def _read_entry(self, entry: Path, key: str) -> tuple[dict, bytes] | None:
        try:
            raw = entry.read_bytes()
        except FileNotFoundError:
            return None
        header_text, _, body = raw.partition(b"\n")
        header = _valid_header(header_text, key, len(body), lambda: hashlib.sha256(body).hexdigest())
        if header is None:
            self.stats.add(corrupt=1)
            return None
        self.stats.add(bytes_read=len(raw))
        return header, body

    def _read_meta(self, meta: Path, target: Path, key: str) -> dict | None:
        try:
            header_text = meta.read_bytes()
            size = target.stat().st_size
        except FileNotFoundError:
            if meta.exists() != target.exists():  # one without the other: an interrupted write
                self.stats.add(corrupt=1)
            return None
        header = _valid_header(header_text, key, size, lambda: _sha256_file(target)[0])
        if header is None:
            self.stats.add(corrupt=1)
            return None
        self.stats.add(bytes_read=size)
        return header


def _valid_header(header_text: bytes, key: str, size: int, digest: Callable[[], str]) -> dict | None:
    try:
        header = json.loads(header_text)
        ok = (
            isinstance(header, dict)
            and header.get("key") == key
            and header.get("status") in (200, 404)
            and header.get("bytes") == size
            and isinstance(header.get("fetched_at"), str)
        )
        if ok:
            datetime.fromisoformat(header["fetched_at"])
            ok = digest() == header.get("sha256")
    except (ValueError, TypeError, AttributeError):
        return None
    return header if ok else None


def _sha256_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
