"""Benchmark: training, baselines and report for the default dataset (500 symbols × 36 sample months).

Builds raw data, features and labels first (not timed; reuses ``--data-dir`` if it already holds them), then
times the ``model`` group through the real Dagster runtime (dataset_splits, smart_money_model with its
baselines, evaluation_report, model_registry, predictions) and prints the headline metrics. Target on a
2-core machine: <= 60 s. ``--signal-strength 0`` measures the no-signal market.

    .venv/bin/python benchmarks/model.py [--signal-strength 0] [--data-dir DIR]
"""

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signal-strength", default="1.0")
    parser.add_argument("--data-dir", type=Path, help="reuse (or keep) raw data and features here")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="smart-money-model-bench-"))
    data_dir = args.data_dir or root / "data"
    os.environ["SMART_MONEY_DATA_DIR"] = str(data_dir)
    os.environ["SMART_MONEY_MODELS_DIR"] = str(root / "models")
    os.environ["SMART_MONEY_SIGNAL_STRENGTH"] = args.signal_strength
    os.environ["DAGSTER_HOME"] = str(root / "dagster_home")
    os.environ.setdefault("SMART_MONEY_N_SYMBOLS", "500")
    from smart_money import cli, timeline
    from smart_money.definitions import build_definitions
    from smart_money.defs import jobs
    from smart_money.warehouse import Warehouse

    cli.ensure_dagster_home()
    defs = build_definitions()
    if not Warehouse(data_dir).has_data("labels"):
        began = time.monotonic()
        raw = (timeline.month_start(timeline.HISTORY_START), timeline.month_start(timeline.HISTORY_END))
        samples = (timeline.month_start(timeline.SAMPLE_START), timeline.month_start(timeline.SAMPLE_END))
        for stage in cli.build_plan(raw, samples, options_flow=False, skip_model=True):
            if not cli.run_stage(stage, defs, log_level="WARNING").success:
                print(f"error: job {stage.job} failed", file=sys.stderr)
                return 1
        print(f"data built in {time.monotonic() - began:.1f} s (not part of the benchmark)")
    began = time.monotonic()
    result = cli.run_stage(cli.Stage(jobs.MODEL_JOB), defs, log_level="WARNING")
    seconds = time.monotonic() - began
    steps = {}
    for event in result.all_events:
        if event.event_type_value == "STEP_SUCCESS":
            steps[event.step_key] = event.event_specific_data.duration_ms / 1000
    model = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "smart_money_model"
    ]
    folder = Path(model[0].materialization.metadata["model_path"].value)
    metrics = json.loads((folder / "metadata.json").read_text())["metrics"]
    print(f"symbols: {os.environ['SMART_MONEY_N_SYMBOLS']}, signal_strength: {args.signal_strength}")
    for step, duration in steps.items():
        print(f"  step {step:<40} {duration:6.1f} s")
    outcome = "ok" if result.success else "FAILED"
    if cli.promotion_refused(result):
        outcome = "ok, model not promoted (it does not beat the volatility baseline), predictions blocked"
    print(f"model job wall time: {seconds:.1f} s (target <= 60 s); run {outcome}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    for segment in ("validation", "test"):
        m = metrics[segment]
        oracle = m["oracle_auc"]
        edge = m["edge_capture"]
        print(
            f"{segment:<10} model AUC {m['auc']:.4f}  volatility {m['baselines']['volatility']['auc']:.4f}  "
            f"logistic {m['baselines']['logistic']['auc']:.4f}  rules {m['baselines']['rules']['auc']:.4f}  "
            f"oracle {oracle if oracle is None else round(oracle, 4)}  "
            f"edge capture {edge if edge is None else round(edge, 3)}  "
            f"brier {m['brier']:.4f}  rank IC {m['finance']['rank_ic_mean']:.4f}"
        )
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
