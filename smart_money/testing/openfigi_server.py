"""A local stand-in for OpenFIGI's mapping API (v3), with its limits, so the CUSIP mapping is tested over
real HTTP and never reaches openfigi.com.

    python -m smart_money.testing.openfigi_server --port 8767                 # the simulated market
    python -m smart_money.testing.openfigi_server --port 8767 --table PATH    # e.g. the real CUSIPs below

``POST /v3/mapping`` takes a JSON list of jobs ``{"idType": "ID_CUSIP", "idValue": ...}`` and answers a
list aligned with them: ``{"data": [{figi, name, ticker, exchCode: "US", compositeFIGI, securityType,
marketSector: "Equity", ...}]}`` for a CUSIP of the table, ``{"warning": "No identifier found."}`` for any
other, ``{"error": ...}`` for an idType other than ID_CUSIP. The FIGIs are made up (derived from the CUSIP),
not Bloomberg's.

The table (CUSIP → ticker, name, securityType) is the caller's: :func:`synthetic_table` gives every
``SYN###`` symbol of a simulated market its ``synthetic_cusip``;
:func:`read_table` reads a CSV with columns ``cusip, ticker, name, security_type`` (the real pairs shipped in
``smart_money_tests/fixtures/openfigi/real_cusips.csv``, each checked against ARK's holdings files).

Limits as OpenFIGI publishes them (:data:`smart_money.sources.openfigi.ANONYMOUS` / ``WITH_KEY``, or
smaller ones for fast tests): a request with an ``X-OPENFIGI-APIKEY`` header counts against that key's
budget, one without against its client address'. Past the budget (requests in any window): 429 with
``ratelimit-limit``, ``ratelimit-remaining`` and ``ratelimit-reset`` (whole seconds until a slot frees; no
``Retry-After``); too many jobs in one request: 413; a body that is not a list of jobs: 400; a key not in
``api_keys`` (when given): 401. Every mapping answer carries the rate-limit headers. Rejected requests do not
use up the budget. Faults for tests: ``faults`` (a list of statuses) answers the next requests with those
statuses first; a CUSIP in ``job_errors`` gets ``{"error": ...}`` instead of its answer.

``GET /_stats``: requests by status, jobs answered, the largest batch, requests with and without a key,
admission times; ``POST /_reset`` clears them. The server keeps no key: it logs nothing and counts keyed
requests only.
"""

import argparse
import csv
import hashlib
import json
import math
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

from smart_money.sources.openfigi import ANONYMOUS, API_KEY_HEADER, MAPPING_PATH, NOT_FOUND, WITH_KEY, Limits
from smart_money.sources.synthetic.identifiers import is_valid_cusip, synthetic_cusip
from smart_money.testing.background import BackgroundServer, serve_until_interrupted

Security = tuple[str, str, str]  # ticker, name, securityType
_FIGI_ALPHABET = "BCDFGHJKLMNPQRSTVWXYZ0123456789"


def synthetic_table(config) -> dict[str, Security]:
    """Every symbol of the simulated market ``config`` (a MarketConfig) under its synthetic CUSIP."""
    from smart_money.sources.synthetic.market import simulate_market

    universe = simulate_market(config).universe
    return {
        synthetic_cusip(row.symbol): (row.symbol, str(row.name).upper(), "Common Stock")
        for row in universe.itertuples(index=False)
    }


def read_table(path: Path | str) -> dict[str, Security]:
    """A CSV with columns ``cusip, ticker, name, security_type`` (other columns ignored) as a table."""
    path = Path(path)
    table: dict[str, Security] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for line_no, row in enumerate(csv.DictReader(fh), start=2):
            cusip = (row.get("cusip") or "").strip().upper()
            if not is_valid_cusip(cusip):
                raise ValueError(f"{path}: line {line_no}: {cusip!r} is not a valid CUSIP")
            table[cusip] = (row["ticker"].strip(), row["name"].strip(), row["security_type"].strip())
    return table


def made_up_figi(cusip: str, kind: str = "") -> str:
    """A FIGI-shaped identifier derived from the CUSIP (``BBG`` + 9 characters); not a real FIGI."""
    digest = hashlib.sha256(f"{kind}{cusip}".encode()).digest()
    return "BBG" + "".join(_FIGI_ALPHABET[b % len(_FIGI_ALPHABET)] for b in digest[:9])


class OpenFigiServerState:
    """What the server knows (the table, the limits, the keys) and what it has seen."""

    def __init__(
        self,
        table: Mapping[str, Security],
        api_keys: set[str] | None = None,
        anonymous: Limits = ANONYMOUS,
        with_key: Limits = WITH_KEY,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.table = {k.strip().upper(): v for k, v in table.items()}
        self._key_digests = None if api_keys is None else {self._digest(k) for k in api_keys}
        self.anonymous = anonymous
        self.with_key = with_key
        self.clock = clock
        self.lock = threading.Lock()
        self.faults: list[int] = []
        self.job_errors: set[str] = set()
        self.reset()

    @staticmethod
    def _digest(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def reset(self) -> None:
        with self.lock:
            self.by_status: Counter = Counter()
            self.requests = 0
            self.jobs = 0
            self.max_jobs = 0
            self.keyed = 0
            self.anonymous_requests = 0
            self.times: list[float] = []
            self._windows: dict[str, deque] = {}

    def key_ok(self, key: str) -> bool:
        return self._key_digests is None or self._digest(key) in self._key_digests

    def admit(self, budget: str, limits: Limits) -> tuple[bool, int, int]:
        """Whether one more request fits ``budget``'s window: (admitted, remaining, seconds to reset)."""
        with self.lock:
            now = self.clock()
            window = self._windows.setdefault(budget, deque())
            while window and window[0] <= now - limits.window_s:
                window.popleft()
            admitted = len(window) < limits.requests
            if admitted:
                window.append(now)
                self.times.append(now)
            reset = (window[0] + limits.window_s - now) if window else 0.0
            return admitted, max(0, limits.requests - len(window)), max(0, math.ceil(reset))

    def answer(self, job: dict) -> dict:
        if job.get("idType") != "ID_CUSIP":
            return {"error": f"Unsupported idType {job.get('idType')!r} (this stand-in maps ID_CUSIP only)."}
        cusip = str(job.get("idValue", "")).strip().upper()
        if cusip in self.job_errors:
            return {"error": "Internal error while processing the job."}
        security = self.table.get(cusip)
        if security is None:
            return {"warning": NOT_FOUND}
        ticker, name, security_type = security
        figi = made_up_figi(cusip)
        return {
            "data": [
                {
                    "figi": figi,
                    "name": name,
                    "ticker": ticker,
                    "exchCode": "US",
                    "compositeFIGI": figi,
                    "securityType": security_type,
                    "marketSector": "Equity",
                    "shareClassFIGI": made_up_figi(cusip, "share-class"),
                    "securityType2": "Depositary Receipt" if security_type == "ADR" else security_type,
                    "securityDescription": ticker,
                }
            ]
        }

    def stats(self) -> dict:
        with self.lock:
            return {
                "requests": self.requests,
                "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
                "jobs": self.jobs,
                "max_jobs_per_request": self.max_jobs,
                "with_key": self.keyed,
                "without_key": self.anonymous_requests,
                "times": list(self.times),
            }


def make_handler(state: OpenFigiServerState):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, *_):  # quiet (and never a header); counts are in /_stats
            pass

        def _send(self, status: int, body, headers: dict | None = None) -> None:
            text = body if isinstance(body, str) else json.dumps(body)
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain" if isinstance(body, str) else "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def do_GET(self):  # noqa: N802
            path = urlparse(self.path).path
            if path == "/_stats":
                return self._send(200, state.stats())
            if path == MAPPING_PATH:
                return self._send(405, "Method Not Allowed")
            return self._send(404, "Not Found")

        def do_POST(self):  # noqa: N802
            path = urlparse(self.path).path
            raw = self._body()
            if path == "/_reset":
                state.reset()
                return self._send(200, {"ok": True})
            if path != MAPPING_PATH:
                return self._send(404, "Not Found")
            status, body, headers, jobs = self._mapping(raw)
            with state.lock:
                state.requests += 1
                state.by_status[status] += 1
                if status == 200:
                    state.jobs += jobs
                    state.max_jobs = max(state.max_jobs, jobs)
            return self._send(status, body, headers)

        def _mapping(self, raw: bytes) -> tuple[int, object, dict, int]:
            with state.lock:
                fault = state.faults.pop(0) if state.faults else None
            if fault is not None:
                return fault, f"Injected fault {fault}", {}, 0
            key = (self.headers.get(API_KEY_HEADER) or "").strip()
            if key and not state.key_ok(key):
                return 401, "Invalid API key.", {}, 0
            limits = state.with_key if key else state.anonymous
            budget = f"key:{state._digest(key)}" if key else f"ip:{self.client_address[0]}"
            admitted, remaining, reset = state.admit(budget, limits)
            headers = {
                "ratelimit-limit": str(limits.requests),
                "ratelimit-remaining": str(remaining),
                "ratelimit-reset": str(reset),
            }
            if not admitted:
                return 429, "Too Many Requests", headers, 0
            with state.lock:
                if key:
                    state.keyed += 1
                else:
                    state.anonymous_requests += 1
            try:
                jobs = json.loads(raw or b"null")
            except ValueError:
                return 400, "Invalid request (body): not JSON.", headers, 0
            if not isinstance(jobs, list) or not all(isinstance(j, dict) for j in jobs):
                return 400, "Invalid request (body): expected a JSON array of mapping jobs.", headers, 0
            if any("idType" not in j or "idValue" not in j for j in jobs):
                return 400, "Invalid request (body): every job needs idType and idValue.", headers, 0
            if len(jobs) > limits.jobs_per_request:
                return 413, "Too many mapping jobs in request.", headers, 0
            return 200, [state.answer(j) for j in jobs], headers, len(jobs)

    return Handler


class LocalOpenFigiServer(BackgroundServer):
    """The server on a background thread: ``with LocalOpenFigiServer(table) as server: server.url``."""

    def __init__(
        self,
        table: Mapping[str, Security],
        api_keys: set[str] | None = None,
        anonymous: Limits = ANONYMOUS,
        with_key: Limits = WITH_KEY,
        port: int = 0,
    ):
        self.state = OpenFigiServerState(table, api_keys, anonymous, with_key)
        self._serve(make_handler(self.state), port)


def _limits(text: str) -> Limits:
    try:
        jobs, requests, window = text.split("/")
        return Limits(int(jobs), int(requests), float(window))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not JOBS/REQUESTS/WINDOW_S, e.g. 10/25/60") from None


def main(argv: list[str] | None = None) -> int:
    from smart_money import settings
    from smart_money.sources.synthetic.market import MarketConfig

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--table", help="a CSV of cusip,ticker,name,security_type (default: synthetic)")
    parser.add_argument("--n-symbols", type=int, default=None, help="default: SMART_MONEY_N_SYMBOLS or 500")
    parser.add_argument("--seed", type=int, default=None, help="default: SMART_MONEY_SEED or 7")
    parser.add_argument(
        "--api-key", action="append", default=None, help="a key to accept (repeatable; default: any key)"
    )
    parser.add_argument("--anonymous-limits", type=_limits, default=ANONYMOUS, help="JOBS/REQUESTS/WINDOW_S")
    parser.add_argument("--key-limits", type=_limits, default=WITH_KEY, help="JOBS/REQUESTS/WINDOW_S")
    args = parser.parse_args(argv)
    if args.table:
        table, world = read_table(args.table), f"the table {args.table}"
    else:
        config = MarketConfig(
            seed=args.seed if args.seed is not None else settings.seed(),
            n_symbols=args.n_symbols if args.n_symbols is not None else settings.n_symbols(),
        )
        table, world = synthetic_table(config), f"the SYNTHETIC market ({config.n_symbols} symbols)"
    state = OpenFigiServerState(
        table, set(args.api_key) if args.api_key else None, args.anonymous_limits, args.key_limits
    )
    httpd = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(state))
    return serve_until_interrupted(
        httpd, f"serving OpenFIGI mapping for {world}, {len(table)} CUSIPs, on http://127.0.0.1:{args.port}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
