"""Benchmark: how the build scales (README: Running at scale).

1. The default full build (500 symbols, raw 2019-01..2025-01, the options flow, features and labels for the
   36 sample months, the model) in process, on SQLite.
2. The same build against 2 dagster-celery workers, on Postgres and Redis started here (Debian's
   ``postgresql`` and ``redis-server``: ``make services``), each stage launched through the daemon's queue.
3. A synthetic universe of 2,000 symbols × the 36 sample months, in process, against the 500-symbol build.

Prints wall time per stage, the time spent writing Dagster events on SQLite and on Postgres (the build's
event count × the measured time per event write), peak RSS and the 2,000 / 500 time ratio. Each in-process
build runs in its own child process so its peak RSS is its own. Targets on this 2-core machine: ratio <= 4.5,
peak RSS <= 4 GB at 2,000 symbols.

    nice -n 10 .venv/bin/python benchmarks/scale.py [--skip-celery] [--symbols 2000]
"""

import argparse
import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EVENT_SAMPLE = 2000  # events written to time one event write on each storage


def _stages(raw, samples):
    from smart_money import cli, settings

    return cli.build_plan(raw, samples, options_flow=settings.options_flow_features())


def child(root: Path) -> None:
    """One in-process build in ``root``; prints a JSON line: stage seconds, events, peak RSS."""
    os.environ["SMART_MONEY_DATA_DIR"] = str(root / "data")
    os.environ["SMART_MONEY_MODELS_DIR"] = str(root / "models")
    os.environ["DAGSTER_HOME"] = str(root / "dagster_home")
    import dagster as dg

    from smart_money import cli, timeline
    from smart_money.definitions import build_definitions

    cli.ensure_dagster_home()
    defs = build_definitions()
    raw = (timeline.month_start(timeline.HISTORY_START), timeline.month_start(timeline.HISTORY_END))
    samples = (timeline.month_start(timeline.SAMPLE_START), timeline.month_start(timeline.SAMPLE_END))
    stages, ok = [], True
    with dg.DagsterInstance.get() as instance:
        for stage in _stages(raw, samples):
            began = time.monotonic()
            result = cli.run_stage(stage, defs, instance, log_level="WARNING")
            stages.append((stage.job, time.monotonic() - began))
            ok &= result.success or cli.promotion_refused(result)
        events = sum(len(instance.all_logs(r.run_id)) for r in instance.get_runs())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"stages": stages, "ok": ok, "events": events, "peak_mb": peak_mb}))


def in_process(symbols: int) -> dict:
    root = Path(tempfile.mkdtemp(prefix=f"smart-money-scale-{symbols}-"))
    try:
        env = {**os.environ, "SMART_MONEY_N_SYMBOLS": str(symbols), "SMART_MONEY_EXECUTOR": "in_process"}
        env.pop("SMART_MONEY_INSTANCE", None)
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(root)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"the {symbols}-symbol build failed:\n{done.stderr[-4000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(root, ignore_errors=True)


def event_write_ms(instance) -> float:
    """Milliseconds per Dagster event write on ``instance``'s event storage (engine events of one run)."""
    import dagster as dg
    from dagster._core.events import EngineEventData

    run = instance.create_run_for_job(dg.GraphDefinition(name="event_timing").to_job(), run_id=None)
    began = time.perf_counter()
    for i in range(EVENT_SAMPLE):
        instance.report_engine_event(f"timing event {i}", run, EngineEventData({}))
    return (time.perf_counter() - began) / EVENT_SAMPLE * 1000


def sqlite_event_ms() -> float:
    import dagster as dg

    home = Path(tempfile.mkdtemp(prefix="smart-money-events-"))
    try:
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        with dg.DagsterInstance.from_config(str(home)) as instance:
            return event_write_ms(instance)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def celery_build(workers: int = 2) -> dict:
    """The default build through Postgres, the queue and ``workers`` celery workers; stage wall times."""
    import dagster as dg

    from smart_money import cli, timeline
    from smart_money.testing.services import DagsterDeployment, LocalPostgres, LocalRedis

    root = Path(tempfile.mkdtemp(prefix="smart-money-scale-celery-"))
    password = f"pw-{secrets.token_hex(8)}"
    raw = (timeline.month_start(timeline.HISTORY_START), timeline.month_start(timeline.HISTORY_END))
    samples = (timeline.month_start(timeline.SAMPLE_START), timeline.month_start(timeline.SAMPLE_END))
    stages = []
    try:
        with LocalPostgres(password) as postgres, LocalRedis() as redis:
            env = {
                **os.environ,
                **postgres.environment(),
                "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
                "DAGSTER_HOME": str(root / "dagster_home"),
                "SMART_MONEY_DATA_DIR": str(root / "shared" / "data"),
                "SMART_MONEY_MODELS_DIR": str(root / "shared" / "models"),
                "SMART_MONEY_INSTANCE": "postgres",
                "SMART_MONEY_EXECUTOR": "celery",
                "SMART_MONEY_CELERY_BROKER": redis.url(0),
                "SMART_MONEY_CELERY_BACKEND": redis.url(1),
            }
            with DagsterDeployment(REPO, env, workers=workers, log_dir=root / "logs") as cluster:
                saved = dict(os.environ)
                os.environ["DAGSTER_PG_PASSWORD"] = password
                try:
                    with dg.DagsterInstance.from_config(str(root / "dagster_home")) as instance:
                        for stage in _stages(raw, samples):
                            command = [
                                "dagster",
                                "job",
                                "launch",
                                "-w",
                                str(cluster.workspace),
                                "-j",
                                stage.job,
                            ]
                            if stage.first is not None:
                                window = {
                                    cli.RANGE_START: f"{stage.first:%Y-%m-%d}",
                                    cli.RANGE_END: f"{stage.last:%Y-%m-%d}",
                                }
                                command += ["--tags", json.dumps(window)]
                            if stage.run_config:
                                config = root / f"{stage.job}.json"
                                config.write_text(json.dumps(stage.run_config))
                                command += ["-c", str(config)]
                            began = time.monotonic()
                            cluster.run(*command)
                            while True:
                                runs = instance.get_runs(dg.RunsFilter(job_name=stage.job))
                                if runs and runs[0].is_finished:
                                    break
                                time.sleep(0.5)
                            stages.append((stage.job, time.monotonic() - began, runs[0].status.value))
                        events = sum(len(instance.all_logs(r.run_id)) for r in instance.get_runs())
                        postgres_ms = event_write_ms(instance)
                finally:
                    os.environ.clear()
                    os.environ.update(saved)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {"stages": stages, "events": events, "postgres_event_ms": postgres_ms}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--skip-celery", action="store_true", help="only the in-process builds")
    parser.add_argument("--symbols", type=int, default=2000, help="the large universe (default 2000)")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    os.environ.setdefault("SMART_MONEY_SOURCE", "synthetic")
    base = in_process(500)
    print("default build (500 symbols) in process, SQLite:")
    for job, seconds in base["stages"]:
        print(f"  stage {job:<13} {seconds:7.1f} s")
    base_total = sum(s for _, s in base["stages"])
    print(f"  total {base_total:.1f} s, {base['events']} Dagster events, peak RSS {base['peak_mb']:.0f} MB")
    sqlite_ms = sqlite_event_ms()
    print(f"  event writes on SQLite: {sqlite_ms:.2f} ms each -> {sqlite_ms * base['events'] / 1000:.1f} s")
    if not args.skip_celery:
        celery = celery_build()
        print("default build (500 symbols) on 2 celery workers, Postgres + Redis, through the queue:")
        for job, seconds, status in celery["stages"]:
            print(f"  stage {job:<13} {seconds:7.1f} s  {status}")
        total = sum(s for _, s, _ in celery["stages"])
        pg_ms = celery["postgres_event_ms"]
        print(f"  total {total:.1f} s, {celery['events']} Dagster events")
        print(f"  event writes on Postgres: {pg_ms:.2f} ms each -> {pg_ms * celery['events'] / 1000:.1f} s")
    large = in_process(args.symbols)
    print(f"synthetic universe of {args.symbols} symbols x 36 sample months in process:")
    for job, seconds in large["stages"]:
        print(f"  stage {job:<13} {seconds:7.1f} s")
    large_total = sum(s for _, s in large["stages"])
    ratio = large_total / base_total
    peak_gb = large["peak_mb"] / 1024
    print(f"  total {large_total:.1f} s, peak RSS {large['peak_mb']:.0f} MB")
    print(
        f"time ratio {args.symbols}/500: {ratio:.2f} (target <= 4.5)  peak RSS {peak_gb:.2f} GB (target <= 4)"
    )
    return 0 if base["ok"] and large["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
