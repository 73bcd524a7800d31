"""Benchmark `smart-money serve`: start the server in its own process over a copy of a built warehouse, drive
it over loopback with concurrent clients, and print latency percentiles, throughput and the server's RSS.

    .venv/bin/python benchmarks/serve.py [--data-dir data] [--seconds 10] [--concurrency 16]

Scenarios (each runs for --seconds after a short warm-up):
- latest:  single predictions, random symbol, newest sample date (the page's common call);
- history: single predictions, random symbol × random sample date (36 dates: cache misses compute a
           whole sample date at once, then hit);
- batch:   POST .../batch with --batch-size random symbols; rows/s counts symbols returned.
Targets (README: Serving): p95 <= 20 ms, >= 500 requests/s, batch >= 5,000 rows/s, RSS <= 300 MB.
"""

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident set size of ``pid`` in MB, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


class Connection:
    """A minimal HTTP/1.1 keep-alive client: the load generator shares the 2 cores with the server, so it
    must cost far less per request than the server does (httpx costs about as much as the server)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port

    async def open(self) -> "Connection":
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        header = await self.reader.readuntil(b"\r\n\r\n")
        status = int(header[9:12])
        length = int(re.search(rb"(?i)content-length: *(\d+)", header).group(1))
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def drive(port: int, make_request, seconds: float, concurrency: int) -> tuple[list[float], int, int]:
    """Run ``concurrency`` closed-loop clients for ``seconds``; return latencies (s), rows and errors."""
    latencies: list[float] = []
    rows = errors = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal rows, errors
        connection = await Connection("127.0.0.1", port).open()
        try:
            while time.perf_counter() < deadline:
                path, body, count = make_request()
                started = time.perf_counter()
                status, content = await connection.post(path, json.dumps(body).encode())
                latencies.append(time.perf_counter() - started)
                if status != 200:
                    errors += 1
                else:
                    rows += count(content)
        finally:
            connection.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, rows, errors


def report(name: str, latencies: list[float], rows: int, errors: int, seconds: float, rows_name: str) -> dict:
    ms = np.array(latencies) * 1000
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    out = {
        "scenario": name,
        "requests": len(ms),
        "errors": errors,
        "req_per_s": len(ms) / seconds,
        "rows_per_s": rows / seconds,
        "p50_ms": p50,
        "p95_ms": p95,
        "p99_ms": p99,
    }
    print(
        f"{name:8s} {len(ms):7d} req  {errors:3d} errors  {out['req_per_s']:8.1f} req/s  "
        f"{out['rows_per_s']:9.1f} {rows_name}/s  p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  p99 {p99:6.2f} ms"
    )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data", help="a built warehouse (make run)")
    parser.add_argument(
        "--models-dir", type=Path, help="the models directory (default: models/ beside the data directory)"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per scenario")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent closed-loop clients")
    parser.add_argument("--batch-size", type=int, default=100, help="symbols per batch request")
    parser.add_argument("--access-log", action="store_true", help="keep uvicorn's per-request access log")
    args = parser.parse_args()
    source = args.data_dir.resolve()
    if not (source / "parquet" / "features").exists():
        print(f"error: no features under {source}; run `make run` first or pass --data-dir", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="smart-money-serve-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        shutil.copytree(source / "parquet", data_dir / "parquet", ignore=shutil.ignore_patterns("*toggle*"))
        sys.path.insert(0, str(ROOT))
        from smart_money.serve.toggles import ToggleStore
        from smart_money.warehouse import Warehouse

        ToggleStore(Warehouse(data_dir)).set("smart_money_flow", True, "benchmark", "benchmarks/serve.py")
        port = free_port()
        models_dir = args.models_dir or args.data_dir.resolve().parent / "models"
        env = {**os.environ, "SMART_MONEY_DATA_DIR": str(data_dir), "SMART_MONEY_MODELS_DIR": str(models_dir)}
        command = [
            sys.executable,
            "-m",
            "smart_money.cli",
            "serve",
            "--port",
            str(port),
            "--log-level",
            "WARNING",
        ]
        if not args.access_log:
            command.append("--no-access-log")
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    meta = httpx.get(f"{url}/api/meta", timeout=2).json()["data"]
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError(
                            server.stderr.read().decode() if server.stderr else "no start"
                        ) from None
                    time.sleep(0.2)
            symbols = [s["symbol"] for s in httpx.get(f"{url}/api/symbols?limit=100000").json()["data"]]
            rss_idle, _ = rss_mb(server.pid)
            print(
                f"server pid {server.pid}: {len(symbols)} symbols, model {meta['model']['version']}, "
                f"{meta['feature_rows']} feature rows, idle RSS {rss_idle:.0f} MB; "
                f"{args.concurrency} clients, {args.seconds:.0f} s per scenario, access log "
                f"{'on' if args.access_log else 'off'}"
            )
            rng = random.Random(7)
            single = "/api/ml/smart-money-flow"
            years = [f"{y}-{m:02d}-20" for y in (2022, 2023, 2024) for m in range(1, 13)]

            def batch_rows(content: bytes) -> int:
                return int(re.match(rb'\{"success":true,"count":(\d+)', content).group(1))

            def latest():
                return single, {"symbol": rng.choice(symbols)}, lambda r: 1

            def history():
                return single, {"symbol": rng.choice(symbols), "date": rng.choice(years)}, lambda r: 1

            def batch():
                chosen = rng.sample(symbols, min(args.batch_size, len(symbols)))
                return f"{single}/batch", {"symbols": chosen}, batch_rows

            results = []
            for name, make, rows_name in (
                ("latest", latest, "rows"),
                ("history", history, "rows"),
                ("batch", batch, "rows"),
            ):
                asyncio.run(drive(port, make, min(2.0, args.seconds), args.concurrency))  # warm-up
                latencies, rows, errors = asyncio.run(drive(port, make, args.seconds, args.concurrency))
                results.append(report(name, latencies, rows, errors, args.seconds, rows_name))
            rss_now, rss_peak = rss_mb(server.pid)
            print(f"server RSS after the run {rss_now:.0f} MB, peak {rss_peak:.0f} MB")
            first = results[0]
            print(
                "targets: p95 <= 20 ms: {} ({:.2f}); >= 500 req/s: {} ({:.0f}); "
                "batch >= 5000 rows/s: {} ({:.0f}); RSS <= 300 MB: {} ({:.0f})".format(
                    "met" if first["p95_ms"] <= 20 else "MISSED",
                    first["p95_ms"],
                    "met" if first["req_per_s"] >= 500 else "MISSED",
                    first["req_per_s"],
                    "met" if results[2]["rows_per_s"] >= 5000 else "MISSED",
                    results[2]["rows_per_s"],
                    "met" if rss_peak <= 300 else "MISSED",
                    rss_peak,
                )
            )
        finally:
            server.terminate()
            server.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
