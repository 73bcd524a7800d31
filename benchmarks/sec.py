"""Benchmark: a full backfill through the sec source against the local EDGAR and OpenFIGI stand-ins.

Starts both stand-ins as their own processes (``python -m smart_money.testing.edgar_server`` and
``python -m smart_money.testing.openfigi_server``, loopback HTTP, the simulated world of ``--symbols``
issuers) and reads the universe for every month, the insider trades, the 13F holdings and the ETF
holdings (N-PORT) of 2019-01 .. 2025-01 with a cold cache, then again with the warm cache. Prints requests
by kind (OpenFIGI's included), bytes, wall time, peak memory, the re-run's requests (target 0), and the
requests a per-filing-only insider backfill would have made (one submissions JSON per issuer plus one
document per filing). Target: about 2 requests per issuer for the universe, plus one download per quarter
of insider history.

    .venv/bin/python benchmarks/sec.py [--symbols 500] [--rate 8] [--workers 4]

The whole-quarter INFOTABLE read (3 million lines) is measured by ``benchmarks/form13f_infotable.py``.

The default rate is the source's default, 8 requests a second, so the wall time is what a user of the
real SEC would see; ``--rate 1000`` measures the client and the parsing alone (loopback only).
"""

import argparse
import resource
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

START, END = pd.Timestamp("2019-01-01"), pd.Timestamp("2025-02-01")
AS_OF = date(2025, 1, 31)
AGENT = "smart-money benchmark bench@smart-money.test"
ETFS = ("SYNETF-MKT", "SYNETF-EQW", "SYNETF-LRG", "SYNETF-MID", "SYNETF-SML", "SYNETF-VAL", "SYNETF-GRW")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_server(n_symbols: int, port: int, module: str = "edgar_server") -> subprocess.Popen:
    command = [
        *(sys.executable, "-m", f"smart_money.testing.{module}"),
        *("--port", str(port), "--n-symbols", str(n_symbols)),
        *(("--as-of", AS_OF.isoformat()) if module == "edgar_server" else ()),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_stats", timeout=1.0, headers={"User-Agent": AGENT})
            return process
        except httpx.HTTPStatusError:
            return process
        except httpx.TransportError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("the local EDGAR stand-in did not start")


def _server(port: int, method: str, path: str) -> dict:
    response = httpx.request(
        method, f"http://127.0.0.1:{port}{path}", timeout=30, headers={"User-Agent": AGENT}
    )
    return response.json() if method == "GET" else {}


def _backfill(port: int, figi_port: int, cache: Path, rate: float, workers: int):
    from smart_money.sources.sec.source import SecMarketSource, SecSettings
    from smart_money.sources.synthetic import MarketConfig, SyntheticMarketSource

    url = f"http://127.0.0.1:{port}"
    settings = SecSettings(
        user_agent=AGENT,
        symbols=None,
        www_url=url,
        data_url=url,
        rate_per_s=rate,
        cache_dir=cache,
        max_workers=workers,
        as_of=AS_OF,
        etfs=ETFS,
        openfigi_url=f"http://127.0.0.1:{figi_port}",
    )
    source = SecMarketSource(settings, prices=SyntheticMarketSource(MarketConfig()), log=lambda _: None)
    began = time.perf_counter()
    months = pd.date_range(START, END - pd.Timedelta(days=1), freq="MS")
    universe = pd.concat([source.universe(m) for m in months], ignore_index=True)
    trades = source.insider_trades(None, START, END)
    holdings = source.institutional_holdings(None, START, END)
    etf = source.etf_holdings(None, START, END)
    wall = time.perf_counter() - began
    source.close()
    return source, universe, trades, holdings, etf, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--rate", type=float, default=8.0, help="requests a second (default 8, the SEC's)")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    port, figi_port = _free_port(), _free_port()
    began = time.perf_counter()
    server = _start_server(args.symbols, port)
    figi = _start_server(args.symbols, figi_port, "openfigi_server")
    print(f"stand-in: {args.symbols} simulated issuers, ready in {time.perf_counter() - began:.1f} s")
    cache = Path(tempfile.mkdtemp(prefix="sec-bench-"))
    try:
        source, universe, trades, holdings, etf, wall = _backfill(
            port, figi_port, cache, args.rate, args.workers
        )
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        stats = source.stats()
        served = _server(port, "GET", "/_stats")
        _server(port, "POST", "/_reset")
        _server(figi_port, "POST", "/_reset")
        again, _, again_trades, again_holdings, again_etf, again_wall = _backfill(
            port, figi_port, cache, args.rate, args.workers
        )
        rerun = _server(port, "GET", "/_stats")["total"]
        figi_rerun = again.stats().get("openfigi_requests", 0)
        issuers = universe["symbol"].nunique()
        quarters = stats["requests_by_kind"].get("dataset", 0)
        filings = stats["coverage_filings_from_datasets"] + stats["coverage_filings_from_documents"]
        per_filing_only = 1 + issuers + issuers + filings  # tickers, submissions, facts, one document each
        universe_requests = sum(
            stats["requests_by_kind"].get(k, 0) for k in ("tickers", "submissions", "companyfacts")
        )
        print(
            f"window: {START:%Y-%m} .. {END - pd.Timedelta(days=1):%Y-%m}, rate {args.rate:g}/s, "
            f"{args.workers} workers"
        )
        print(
            f"universe rows:        {len(universe):,} ({issuers} issuers × "
            f"{len(universe) // max(issuers, 1)} months)"
        )
        print(f"insider rows:         {len(trades):,} from {filings:,} filings")
        print(
            f"13F rows:             {len(holdings):,} from "
            f"{stats['coverage_form13f_filings_from_datasets']:,} data-set and "
            f"{stats['coverage_form13f_filings_from_documents']:,} document filings "
            f"({stats['coverage_form13f_datasets_read']} data sets)"
        )
        print(
            f"ETF rows:             {len(etf):,} from {stats['coverage_nport_reports_read']:,} N-PORT reports"
        )
        print(f"OpenFIGI requests:    {stats.get('openfigi_requests', 0):,}")
        print(f"requests:             {stats['requests']:,}  by kind {stats['requests_by_kind']}")
        print(
            f"  universe:           {universe_requests:,} "
            f"({universe_requests / max(issuers, 1):.2f} per issuer)"
        )
        print(
            f"  data sets:          {quarters} (Form 345 and Form 13F, one per period; "
            "the unpublished newest answer 404)"
        )
        print(
            f"  documents:          {stats['requests_by_kind'].get('archives', 0):,} "
            "(Form 4 and 13F-HR after the newest data sets, N-PORT reports, index.json)"
        )
        print(f"bytes downloaded:     {stats['bytes_downloaded']:,} (server sent {served['bytes_sent']:,})")
        print(f"wall time:            {wall:.1f} s (rate-limit wait {stats['rate_limit_wait_s']:.1f} s)")
        print(f"peak memory:          {peak_mb:,.0f} MB (this process: parsing and the frames)")
        same = again_trades.equals(trades) and again_holdings.equals(holdings) and again_etf.equals(etf)
        print(
            f"re-run:               {rerun} EDGAR + {figi_rerun} OpenFIGI requests, {again_wall:.1f} s, "
            f"same rows: {same}"
        )
        print(
            f"per-filing-only insider: {per_filing_only:,} requests would have been needed "
            f"({per_filing_only / max(stats['requests'], 1):.0f}× as many)"
        )
        print(
            "quarantined:          "
            f"{stats['coverage_quarantined_from_datasets'] + stats['coverage_quarantined_from_documents']}"
        )
        del again
    finally:
        for process in (server, figi):
            process.terminate()
            process.wait(timeout=30)
        shutil.rmtree(cache, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
