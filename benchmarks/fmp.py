"""Benchmark: a full raw backfill of 500 symbols through the FMP client against the local FMP-shaped server.

Starts the server as its own process (``python -m smart_money.testing.fmp_server``, loopback HTTP) and
runs the FMP source's six tables over the default history (2019-01 .. 2025-01) with a cold cache, then
again with the warm cache, and prints requests per endpoint (target: at most symbols × endpoints × pages),
wall time (bounded by the configured rate only) and the re-run's requests (target 0) and time.

    .venv/bin/python benchmarks/fmp.py [--symbols 500] [--rate 60000] [--workers 8]
"""

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx
import pandas as pd


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_server(n_symbols: int, port: int) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "smart_money.testing.fmp_server",
        "--port",
        str(port),
        "--api-key",
        "bench",
        "--n-symbols",
        str(n_symbols),
        "--as-of",
        "2025-01-31",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_stats", timeout=1.0)
            return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the local FMP server did not start")


def _server_stats(port: int) -> dict:
    return httpx.get(f"http://127.0.0.1:{port}/_stats", timeout=10).json()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--rate", type=float, default=60_000, help="requests per minute (FMP Ultimate: 3000)")
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    from smart_money import timeline
    from smart_money.sources.fmp import FmpMarketSource, FmpSettings
    from smart_money.sources.fmp.source import HOLDERS_PAGE, INSIDER_PAGE
    from smart_money.sources.synthetic.market import MarketConfig
    from smart_money.testing.fmp_server import SyntheticFmpData

    root = Path(tempfile.mkdtemp(prefix="smart-money-fmp-bench-"))
    start, end = pd.Timestamp(timeline.HISTORY_START), pd.Timestamp("2025-02-01")
    symbols = tuple(f"SYN{i:03d}" for i in range(1, args.symbols + 1))
    methods = ("prices", "insider_trades", "institutional_holdings", "congress_trades", "etf_holdings")
    port = _free_port()
    server = _start_server(args.symbols, port)
    try:
        runs = []
        for label in ("cold cache", "warm cache"):
            httpx.post(f"http://127.0.0.1:{port}/_reset")
            source = FmpMarketSource(
                FmpSettings(
                    api_key="bench",
                    symbols=symbols,
                    base_url=f"http://127.0.0.1:{port}",
                    rate_per_minute=args.rate,
                    cache_dir=root / "cache",
                    max_workers=args.workers,
                    as_of=date(2025, 1, 31),
                ),
                log=lambda _: None,
            )
            began = time.monotonic()
            rows = {"universe": len(source.universe(pd.Timestamp("2025-01-01")))}
            for method in methods:
                rows[method] = len(getattr(source, method)(None, start, end))
            seconds = time.monotonic() - began
            stats = _server_stats(port)
            runs.append((label, seconds, stats["counts"], stats["total"], rows, source))
    finally:
        server.terminate()
        server.wait()
    data = SyntheticFmpData(MarketConfig(n_symbols=args.symbols), date(2025, 1, 31))
    pages = {
        "insider": sum(len(data.symbol(s)["insider"]) // INSIDER_PAGE + 1 for s in symbols),
        "holders": sum(
            len(v) // HOLDERS_PAGE + 1 for s in symbols for v in data.symbol(s)["holders"].values()
        ),
    }
    quarters = 26
    # profile, shares-float, prices, senate, house, etf: one request each; insider and holders: their pages
    bound = len(symbols) * 6 + pages["insider"] + pages["holders"] + len(symbols) * quarters
    for label, seconds, counts, total, rows, source in runs:
        print(
            f"== {label}: {total} requests in {seconds:.1f} s ({total / max(seconds, 1e-9):.0f}/s; "
            f"rate limit {args.rate:.0f}/min = {args.rate / 60:.0f}/s; rate-limit wait "
            f"{source.client.limiter.waited_s:.1f} s)"
        )
        for path, n in sorted(counts.items()):
            print(f"   {n:>7}  {path}")
        print(f"   rows: {rows}")
        print(f"   cache: {source.cache.stats.as_dict()}")
    print(f"request bound symbols × endpoints × pages: {bound} (cold run made {runs[0][3]})")
    print(f"re-run: {runs[1][3]} requests in {runs[1][1]:.1f} s (target 0)")
    minimum_s = runs[0][3] / (args.rate / 60)
    print(f"lower bound from the rate alone: {minimum_s:.1f} s; measured {runs[0][1]:.1f} s")
    shutil.rmtree(root, ignore_errors=True)
    return 0 if runs[1][3] == 0 and runs[0][3] <= bound else 1


if __name__ == "__main__":
    sys.exit(main())
