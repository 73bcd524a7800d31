"""Load benchmark of `smart-money serve` (loopback only, bounded): requests/s, latency percentiles and errors
at 64 and 256 keep-alive connections, each with and without a concurrent 1 MB request every second.

    .venv/bin/python benchmarks/load.py [--data-dir data --models-dir models] [--seconds 10]

Without --data-dir it uses ./data and ./models when they hold a built market, else builds the default
synthetic market into a temporary directory with `smart-money build` (a few minutes). The data is copied,
the server started as `smart-money serve` in its own process with a random admin token, and the feature
turned on through the admin API.

Load: closed-loop clients on raw keep-alive connections (benchmarks/serve.py's ``Connection``: the generator
shares the 2 cores with the server and must cost far less per request than it does), each request a single
prediction for a random symbol, at the newest sample date three times in four and otherwise at a random
sample date of 2022-2024. The heavy request is the largest body the server accepts (1,048,576 bytes): a
262,000-number ``features`` list, which the server must parse and refuse (400: wrong length), sent on its own
connection once a second. Errors are non-200 answers and failed connections of the load clients (the heavy
requests are reported on their own).
Target (issue: API limits): no errors; p99 at 64 connections <= 110 ms (2x the 55 ms measured before).
"""

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import Connection, free_port, rss_mb  # noqa: E402  (benchmarks/serve.py, a sibling script)

URL = "/api/ml/smart-money-flow"
BODY_LIMIT = 1_048_576
P99_TARGET_MS = 110.0


def heavy_body() -> bytes:
    """Exactly ``BODY_LIMIT`` bytes of valid JSON: a features list far longer than the model's."""
    head, numbers = b'{"symbol":"SYN001","features":[', b",".join([b"0.5"] * 262_000)
    body = head + numbers + b"]}"
    return body + b" " * (BODY_LIMIT - len(body))


async def drive(port: int, make_request, seconds: float, connections: int, heavy: bool, max_requests: int):
    """``connections`` closed-loop clients for ``seconds`` (and at most ``max_requests`` in all), plus, if
    ``heavy``, one 1 MB request a second; returns load latencies (s), load errors and the heavy results."""
    latencies: list[float] = []
    errors = {"status": 0, "connection": 0}
    heavy_results: list[tuple[int, float]] = []
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        connection = None
        while time.perf_counter() < deadline and len(latencies) < max_requests:
            try:
                if connection is None:
                    connection = await Connection("127.0.0.1", port).open()
                body = make_request()
                started = time.perf_counter()
                status, _ = await connection.post(URL, body)
                latencies.append(time.perf_counter() - started)
                if status != 200:
                    errors["status"] += 1
            except (OSError, asyncio.IncompleteReadError, ValueError, AttributeError):
                errors["connection"] += 1
                if connection is not None:
                    connection.close()
                connection = None
                await asyncio.sleep(0.01)
        if connection is not None:
            connection.close()

    async def heavy_sender() -> None:
        body = heavy_body()
        for tick in range(int(seconds)):  # one a second, at most ``seconds`` of them
            await asyncio.sleep(max(0.0, deadline - seconds + tick + 0.5 - time.perf_counter()))
            if time.perf_counter() >= deadline:
                break
            started = time.perf_counter()
            try:
                connection = await Connection("127.0.0.1", port).open()
                status, _ = await connection.post(URL, body)
                connection.close()
            except (OSError, asyncio.IncompleteReadError, ValueError, AttributeError):
                status = 0
            heavy_results.append((status, time.perf_counter() - started))

    tasks = [client() for _ in range(connections)] + ([heavy_sender()] if heavy else [])
    # everything is bounded by the deadline; the margin only catches a server that stops answering
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 30)
    return latencies, errors, heavy_results


def report(name: str, latencies: list[float], errors: dict, heavy: list, seconds: float) -> dict:
    ms = np.array(latencies) * 1000 if latencies else np.array([np.nan])
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    out = {
        "scenario": name,
        "requests": len(latencies),
        "req_per_s": len(latencies) / seconds,
        "p50_ms": p50,
        "p95_ms": p95,
        "p99_ms": p99,
        "errors": errors["status"] + errors["connection"],
    }
    line = (
        f"{name:22s} {len(latencies):7d} req {out['req_per_s']:8.1f} req/s  p50 {p50:6.1f}  p95 {p95:6.1f}  "
        f"p99 {p99:6.1f} ms  errors {errors['status']} status / {errors['connection']} connection"
    )
    if heavy:
        statuses = sorted({s for s, _ in heavy})
        worst = max(t for _, t in heavy) * 1000
        line += f"  | 1 MB x{len(heavy)}: status {statuses}, max {worst:.0f} ms"
        out["heavy_statuses"], out["heavy_max_ms"] = statuses, worst
    print(line, flush=True)
    return out


def built_market(args, tmp: Path) -> tuple[Path, Path]:
    """(data dir, models dir) of a built market: the given one, ./data, or a fresh build under ``tmp``."""
    if args.data_dir is not None:
        return args.data_dir.resolve(), (args.models_dir or args.data_dir.parent / "models").resolve()
    if (ROOT / "data" / "parquet" / "features").exists() and (ROOT / "models").exists():
        return ROOT / "data", ROOT / "models"
    data, models = tmp / "built" / "data", tmp / "built" / "models"
    print(f"no built market in {ROOT / 'data'}: building the default synthetic market into {tmp / 'built'}")
    env = {
        **os.environ,
        "SMART_MONEY_DATA_DIR": str(data),
        "SMART_MONEY_MODELS_DIR": str(models),
        "DAGSTER_HOME": str(tmp / "built" / "dagster_home"),
    }
    command = [sys.executable, "-m", "smart_money.cli", "build"]
    subprocess.run(command, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, timeout=1800)
    return data, models


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="a built warehouse (default ./data, or a fresh build)")
    parser.add_argument("--models-dir", type=Path, help="its models (default: models/ beside --data-dir)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per scenario")
    parser.add_argument("--connections", type=int, nargs="+", default=[64, 256], help="default 64 256")
    parser.add_argument("--max-requests", type=int, default=500_000, help="cap per scenario")
    args = parser.parse_args()
    if not 1 <= args.seconds <= 600 or not all(1 <= c <= 1000 for c in args.connections):
        print("error: --seconds must be in [1, 600] and --connections in [1, 1000]", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="smart-money-load-") as tmp_name:
        tmp = Path(tmp_name)
        source, models = built_market(args, tmp)
        if not (source / "parquet" / "features").exists():
            print(f"error: no features under {source}; run `make run` or pass --data-dir", file=sys.stderr)
            return 2
        data_dir = tmp / "data"
        shutil.copytree(source / "parquet", data_dir / "parquet", ignore=shutil.ignore_patterns("*toggle*"))
        if (source / "artifacts").exists():
            shutil.copytree(source / "artifacts", data_dir / "artifacts")
        token, port = secrets.token_urlsafe(24), free_port()
        env = {
            **os.environ,
            "SMART_MONEY_DATA_DIR": str(data_dir),
            "SMART_MONEY_MODELS_DIR": str(models),
            "SMART_MONEY_ADMIN_TOKEN": token,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        command = [sys.executable, "-m", "smart_money.cli", "serve", "--port", str(port)]
        command += ["--log-level", "WARNING", "--no-access-log"]
        log = (tmp / "server.log").open("wb")  # a file, not a pipe nobody reads while the server runs
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    health = httpx.get(f"{url}/healthz", timeout=2).json()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        server.kill()
                        server.wait(timeout=10)
                        raise RuntimeError((tmp / "server.log").read_text()[-2000:]) from None
                    time.sleep(0.2)
            enable = httpx.put(
                f"{url}/api/admin/features/smart_money_flow",
                json={"enabled": True, "reason": "benchmarks/load.py", "actor": "benchmark"},
                headers={"Authorization": f"Bearer {token}"},
            )
            enable.raise_for_status()
            symbols = [s["symbol"] for s in httpx.get(f"{url}/api/symbols?limit=100000").json()["data"]]
            print(
                f"server pid {server.pid}: {len(symbols)} symbols, model {health['model_version']}, "
                f"status {health['status']}, idle RSS {rss_mb(server.pid)[0]:.0f} MB; {args.seconds:g} s per "
                f"scenario; {os.cpu_count()} CPUs shared by the server and this load generator"
            )
            rng = random.Random(12)
            dates = [f"{y}-{m:02d}-20" for y in (2022, 2023, 2024) for m in range(1, 13)]

            def make_request() -> bytes:
                body = {"symbol": rng.choice(symbols)}
                if rng.random() < 0.25:
                    body["date"] = rng.choice(dates)
                return json.dumps(body).encode()

            results = []
            for connections in args.connections:
                for heavy in (False, True):
                    name = f"{connections} conn" + (" + 1 MB/s" if heavy else "")
                    asyncio.run(drive(port, make_request, 2.0, connections, False, args.max_requests))  # warm
                    outcome = asyncio.run(
                        drive(port, make_request, args.seconds, connections, heavy, args.max_requests)
                    )
                    results.append(report(name, *outcome, args.seconds))
            rss_now, rss_peak = rss_mb(server.pid)
            print(f"server RSS after the run {rss_now:.0f} MB, peak {rss_peak:.0f} MB")
            errors = sum(r["errors"] for r in results)
            at_64 = [r["p99_ms"] for r in results if r["scenario"].startswith("64 conn")]
            worst_64 = max(at_64) if at_64 else float("nan")
            print(
                "targets: no errors: {} ({}); p99 at 64 connections <= {:.0f} ms: {} ({:.1f} ms)".format(
                    "met" if errors == 0 else "MISSED",
                    errors,
                    P99_TARGET_MS,
                    "met" if worst_64 <= P99_TARGET_MS else ("MISSED" if at_64 else "not run"),
                    worst_64,
                )
            )
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
            log.close()
            problems = [line for line in (tmp / "server.log").read_text().splitlines() if "ERROR" in line]
            if problems:
                print(f"server log: {len(problems)} ERROR lines, the first: {problems[0][:300]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
