"""Benchmark: the default full build (500 symbols, raw 2019-01..2025-01, features and labels for the 36
sample months, every check) from an empty data directory, through the real Dagster runtime.

Prints wall time per stage and in total, and the peak resident memory of the process. Run with
``make bench`` (or ``.venv/bin/python benchmarks/build.py``). Target on a 2-core machine: <= 60 s, <= 1.5 GB.
"""

import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="smart-money-bench-"))
    os.environ["SMART_MONEY_DATA_DIR"] = str(root / "data")
    os.environ["DAGSTER_HOME"] = str(root / "dagster_home")
    os.environ.setdefault("SMART_MONEY_N_SYMBOLS", "500")
    from smart_money import cli, timeline
    from smart_money.definitions import build_definitions
    from smart_money.warehouse import Warehouse

    cli.ensure_dagster_home()
    defs = build_definitions()
    began = time.monotonic()
    stages = []
    ok = True
    raw = (timeline.month_start(timeline.HISTORY_START), timeline.month_start(timeline.HISTORY_END))
    samples = (timeline.month_start(timeline.SAMPLE_START), timeline.month_start(timeline.SAMPLE_END))
    for stage in cli.build_plan(raw, samples, options_flow=False, skip_model=True):
        stage_began = time.monotonic()
        result = cli.run_stage(stage, defs, log_level="WARNING")
        stages.append((stage.job, time.monotonic() - stage_began, result.success))
        ok &= result.success
    total = time.monotonic() - began
    rows = int(Warehouse(root / "data").query("select count(*) from features").iloc[0, 0])
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"symbols: {os.environ['SMART_MONEY_N_SYMBOLS']}, features rows: {rows}")
    for group, seconds, success in stages:
        print(f"stage {group:<9} {seconds:6.1f} s  {'ok' if success else 'FAILED'}")
    print(f"total wall time: {total:.1f} s (target <= 60 s)")
    print(f"peak RSS: {peak_mb:.0f} MB (target <= 1536 MB)")
    shutil.rmtree(root, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
