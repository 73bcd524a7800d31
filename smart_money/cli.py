"""``smart-money``: build the warehouse through the Dagster asset graph and summarize it.

``smart-money build`` materializes the ``raw`` group over the source's history as one run, then the
``features`` group (features, labels) over the sample months as a second run (a partition range needs every
selected asset on the same partitions and single-run backfill), then the unpartitioned ``model`` group
(splits, model, report, registry, predictions) as a third, and prints rows per table, every gate, the
headline metrics and where the report and the warehouse are. Runs are recorded in ``DAGSTER_HOME`` so
they show in the Dagster UI.
"""

import argparse
import getpass
import logging
import os
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd

from smart_money import settings, timeline

DAGSTER_YAML = "telemetry:\n  enabled: false\n"
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def ensure_dagster_home() -> Path:
    """Use ``DAGSTER_HOME`` or a project-local ``.dagster_home`` with telemetry turned off."""
    home = Path(os.environ.get("DAGSTER_HOME") or ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def _month(text: str) -> pd.Timestamp:
    try:
        return timeline.month_start(text if len(text) > 7 else f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month; write it as YYYY-MM") from None


def _last_complete_month() -> pd.Timestamp:
    return timeline.month_start(date.today()) - pd.DateOffset(months=1)


def materialize_range(
    group: str,
    first: pd.Timestamp | None,
    last: pd.Timestamp | None,
    log_level: str = "INFO",
    defs=None,
    instance=None,
    run_config: dict | None = None,
    selection=None,
):
    """Materialize every asset (and check) of ``group`` (or of ``selection``) for months ``first``..``last``
    as one run (``first``/``last`` None: an unpartitioned group such as ``model``).

    ``defs`` defaults to definitions built from the current environment; ``instance`` to DAGSTER_HOME's.
    """
    import dagster as dg

    from smart_money.definitions import build_definitions

    defs = defs or build_definitions()
    instance = instance or dg.DagsterInstance.get()
    return dg.materialize(
        [*defs.assets, *defs.asset_checks],
        selection=selection if selection is not None else dg.AssetSelection.groups(group),
        resources=defs.resources,
        instance=instance,
        tags={RANGE_START: f"{first:%Y-%m-%d}", RANGE_END: f"{last:%Y-%m-%d}"} if first is not None else None,
        run_config={**(run_config or {}), "loggers": {"console": {"config": {"log_level": log_level}}}},
        raise_on_error=False,
    )


def gate_lines(result) -> list[str]:
    lines = []
    for evaluation in sorted(result.get_asset_check_evaluations(), key=lambda e: e.check_name):
        meta = evaluation.metadata
        level = meta["severity_level"].value if "severity_level" in meta else "?"
        summary = meta["summary"].value if "summary" in meta else ""
        status = "PASS" if evaluation.passed else ("FAIL" if level == "critical" else "WARN")
        lines.append(f"  {status:4}  {evaluation.check_name:<36} [{level}] {summary}")
    return lines


def table_counts() -> list[str]:
    from smart_money import warehouse

    lines = []
    for name in warehouse.table_names():
        try:
            count = int(warehouse.query(f"select count(*) from {name}").iloc[0, 0])
            lines.append(f"  {name:<28} {count:>10,}")
        except Exception as exc:  # a table with no partition has no view yet
            lines.append(f"  {name:<28} {'-':>10}  ({type(exc).__name__}: not materialized)")
    return lines


PROMOTION_STEP = "model_registry_model_registry_promotion"


def promotion_refused_only(result) -> bool:
    """True when the only failed step is the promotion check: an expected outcome, not an error."""
    failed = {e.step_key for e in result.get_step_failure_events()}
    return not result.success and failed == {PROMOTION_STEP}


def model_summary(results) -> str:
    """Headline metrics and the report path of the model run, if there was one."""
    model_runs = [r for g, r in results if g == "model"]
    if not model_runs:
        return ""
    result = model_runs[0]
    report = [
        m
        for m in result.get_asset_materialization_events()
        if m.asset_key.to_user_string() == "evaluation_report"
    ]
    if not report:
        return "\nModel: no evaluation report was produced (see the log above)"
    meta = {k: v.value for k, v in report[0].step_materialization_data.materialization.metadata.items()}
    return (
        f"\nModel {meta['model_version']} — {meta['promotion']}\n"
        + meta["headline"].split("\n", 2)[2]
        + f"\n\nEvaluation report: {meta['report_path']}"
    )


def build(args: argparse.Namespace) -> int:
    ensure_dagster_home()
    from smart_money.definitions import build_definitions

    defs = build_definitions()
    source = defs.resources["source"]
    raw_first = args.raw_start or timeline.month_start(timeline.HISTORY_START)
    end = source.history_end()
    raw_last = args.raw_end or (timeline.month_start(end) if end else _last_complete_month())
    sample_first = args.sample_start or timeline.month_start(settings.sample_start())
    sample_last = args.sample_end or timeline.month_start(settings.sample_end())
    if sample_first > sample_last:
        print(
            f"error: sample start {sample_first:%Y-%m} is after sample end {sample_last:%Y-%m}",
            file=sys.stderr,
        )
        return 2
    synthetic = source.source_name == "synthetic"
    print(
        f"smart-money build: source={source.source_name}"
        + (" (SYNTHETIC simulated market: not real tickers)" if synthetic else "")
    )
    print(f"  data: {settings.data_dir()}    DAGSTER_HOME: {os.environ['DAGSTER_HOME']}")
    began = time.monotonic()
    results = []
    import dagster as dg

    flow = dg.AssetSelection.groups("options_flow")
    evaluation = dg.AssetSelection.assets("options_flow_evaluation")
    steps = [("raw", raw_first, raw_last, None)]
    if settings.options_flow_features():
        steps += [
            ("options_flow", sample_first, sample_last, flow - evaluation),
            ("options_flow_evaluation", None, None, evaluation if synthetic else None),
        ]
    steps += [("features", sample_first, sample_last, None), ("model", None, None, None)]
    steps = [s for s in steps if not (s[0] == "options_flow_evaluation" and s[3] is None)]
    if args.skip_raw:
        steps = [s for s in steps if s[0] != "raw"]
    if args.skip_model:
        steps = steps[:-1]
    for group, first, last, selection in steps:
        window = f"months {first:%Y-%m} .. {last:%Y-%m}" if first is not None else "unpartitioned"
        print(f"\n== group '{group}': {window} (one run) ==", flush=True)
        step_began = time.monotonic()
        run_config = None
        if group == "model":  # the splits cover the same sample months as the features run
            window = {"sample_start": f"{sample_first:%Y-%m}", "sample_end": f"{sample_last:%Y-%m}"}
            run_config = {"ops": {"dataset_splits": {"config": window}}}
        result = materialize_range(
            group, first, last, args.log_level, defs=defs, run_config=run_config, selection=selection
        )
        results.append((group, result))
        print(
            f"== group '{group}' {'succeeded' if result.success else 'FAILED'} "
            f"in {time.monotonic() - step_began:.1f}s ==",
            flush=True,
        )
        if not result.success:
            break
    print("\n" + "=" * 100)
    print(
        f"smart-money build {'finished' if all(r.success for _, r in results) else 'FAILED'} "
        f"in {time.monotonic() - began:.1f}s"
        + ("  — data is SYNTHETIC (simulated market, symbols SYN###)" if synthetic else "")
    )
    print("\nRows per table:")
    print("\n".join(table_counts()))
    print("\nGates (PASS = info, WARN = warning, FAIL = critical: blocks downstream):")
    for _, result in results:
        print("\n".join(gate_lines(result)))
    from smart_money import warehouse

    print(model_summary(results))
    print(f"\nWarehouse (DuckDB views over Parquet): {warehouse.catalog_path()}")
    print(f"Parquet partitions:                    {warehouse.parquet_root()}")
    print("Dagster UI:                            make ui   (then open http://127.0.0.1:3000)")
    print("Prediction API and web page:           make serve   (then open http://127.0.0.1:8000; the")
    print("                                       smart_money_flow toggle starts off: README, Serving)")
    failed = [g for g, r in results if not r.success and not promotion_refused_only(r)]
    if any(promotion_refused_only(r) for _, r in results):
        print(
            "\nThe new model stays a CANDIDATE (it does not beat the volatility-only baseline on "
            "validation), "
            "so predictions were not published with it; the report says why. To publish predictions with "
            "the production model (or the rules alone when there is none):\n"
            "  DAGSTER_HOME=.dagster_home .venv/bin/dagster asset materialize -m smart_money "
            "--select predictions"
        )
    if failed:
        print(
            f"\nerror: group(s) {', '.join(failed)} failed; see the FAIL gates and the log above",
            file=sys.stderr,
        )
        return 1
    return 0


def summary(_: argparse.Namespace) -> int:
    from smart_money import warehouse

    print(f"Warehouse: {warehouse.catalog_path()}")
    print("\n".join(table_counts()))
    return 0


def serve(args: argparse.Namespace) -> int:
    # LightGBM imports scikit-learn (and with it much of SciPy) for its sklearn wrappers whenever it is
    # installed; serving uses only the Booster, and skipping them keeps ~65 MB out of the server's RSS.
    sys.modules.setdefault("sklearn", None)
    import uvicorn

    from smart_money.serve.app import create_app

    data_dir = settings.data_dir()
    if not (data_dir / "parquet" / "features").exists():
        print(f"warning: no features under {data_dir}; run `make run` first (the API will answer 404/503)")
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    admin = "on" if settings.admin_token() else "off (set SMART_MONEY_ADMIN_TOKEN)"
    print(f"smart-money serve: http://{args.host}:{args.port}/  data {data_dir}  admin API {admin}")
    uvicorn.run(
        create_app(data_dir),
        host=args.host,
        port=args.port,
        log_level=args.log_level.lower(),
        access_log=not args.no_access_log,
    )
    return 0


def toggle(args: argparse.Namespace) -> int:
    from smart_money import warehouse
    from smart_money.serve.toggles import ToggleError, ToggleStore

    store = ToggleStore()
    try:
        if args.state is not None:
            state = store.set(args.feature, args.state == "on", args.actor, args.reason or "")
            try:
                warehouse.refresh_catalog(timeout_s=10)
            except warehouse.WarehouseError as exc:
                print(f"note: the catalog views were not refreshed ({exc}); the change is saved")
        else:
            state = store.state(args.feature)
    except ToggleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    word = "on" if state["enabled"] else "off"
    print(f"{state['id']}: {word} (default {'on' if state['default'] else 'off'})")
    for row in store.history(args.feature, limit=args.history):
        old, new = ("on" if row["old_enabled"] else "off"), ("on" if row["new_enabled"] else "off")
        print(f"  {row['changed_at']}  {row['actor']}: {old} -> {new}  ({row['reason']})")
    return 0


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="smart-money", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    b = commands.add_parser(
        "build", help="materialize raw, features, labels and the model group and print a summary"
    )
    b.add_argument("--raw-start", type=_month, help="first raw month (default: history start, 2019-01)")
    b.add_argument("--raw-end", type=_month, help="last raw month (default: end of the source's history)")
    b.add_argument(
        "--sample-start", type=_month, help="first sample month (default 2022-01 or SMART_MONEY_SAMPLE_START)"
    )
    b.add_argument(
        "--sample-end", type=_month, help="last sample month (default 2024-12 or SMART_MONEY_SAMPLE_END)"
    )
    b.add_argument("--skip-raw", action="store_true", help="only rebuild features, labels and the model")
    b.add_argument("--skip-model", action="store_true", help="stop after features and labels")
    b.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="Dagster console log level (default INFO)",
    )
    b.set_defaults(func=build)
    s = commands.add_parser("summary", help="print rows per warehouse table")
    s.set_defaults(func=summary)
    v = commands.add_parser("serve", help="the prediction API and web page (README: Serving)")
    v.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    v.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    v.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="default INFO"
    )
    v.add_argument("--no-access-log", action="store_true", help="do not log one line per request")
    v.set_defaults(func=serve)
    t = commands.add_parser(
        "toggle", help="show or change a feature toggle (smart_money_flow), with an audit entry"
    )
    t.add_argument("feature", help="feature id, e.g. smart_money_flow")
    t.add_argument("state", nargs="?", choices=["on", "off"], help="omit to show the state and audit log")
    t.add_argument("--reason", help="why (required to change a toggle; kept in the audit log)")
    t.add_argument(
        "--actor",
        default=f"cli:{_login()}",
        help="who is changing it (default cli:<login name>)",
    )
    t.add_argument("--history", type=int, default=10, help="audit rows to print (default 10)")
    t.set_defaults(func=toggle)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except settings.SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
