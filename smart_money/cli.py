"""smart-money: build the warehouse through the Dagster asset graph and summarize it.

``smart-money build`` launches the named stage jobs of ``defs/jobs.py`` in order: ``raw`` over the source's
history, ``options_flow`` and ``features`` over the sample months (each range one run: single-run
backfill), then the unpartitioned ``model`` job (splits, model, report, registry, predictions). It prints
rows per table, every gate, the headline metrics and where the report and the warehouse are. Runs are
recorded in ``DAGSTER_HOME``, so they show in the Dagster UI under their job names.

Exit codes (README: Configuration): 0 the build finished (a model that stays a candidate included), 1 a run
failed, 2 a bad setting or argument, refused before any run with nothing written.
"""

import argparse
import getpass
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from smart_money import deployment, settings, timeline

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
EXIT_OK, EXIT_RUN_FAILED, EXIT_BAD_SETTINGS = 0, 1, 2
DESCRIPTION = (
    "smart-money: build the warehouse through the Dagster asset graph (synthetic market by default) and "
    "summarize it. Exit codes: 0 done, 1 a run failed, 2 a bad setting or argument (nothing was run)."
)
# Tables a finished build may leave without rows, and what fills them.
OPTIONAL_TABLES = {
    "feature_toggle_audit": "filled when a feature toggle changes: smart-money toggle",
    "predictions": "published when a model is production",
}


def ensure_dagster_home() -> Path:
    """Use ``DAGSTER_HOME`` or a project-local ``.dagster_home`` (telemetry off, run monitoring on), and
    create and migrate its storage once, under a file lock, before any run: two first runs started together
    on a fresh home would otherwise both create the SQLite schema and break it."""
    import fcntl

    home = Path(os.environ.get("DAGSTER_HOME") or ".dagster_home").resolve()
    if home.exists() and not home.is_dir():
        raise settings.SettingsError(f"DAGSTER_HOME={home} is a file; point it at a folder (it is created)")
    try:
        home.mkdir(parents=True, exist_ok=True)
        lock = open(home / ".smart_money_init.lock", "a")  # noqa: SIM115 - held for the block below
    except OSError as exc:
        raise settings.SettingsError(f"DAGSTER_HOME={home} cannot be used: {exc.strerror}") from None
    os.environ["DAGSTER_HOME"] = str(home)
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        changed = deployment.write_instance_config(home)  # README: Running at scale
        marker = home / ".smart_money_initialized"
        if changed or not marker.exists():
            import dagster as dg

            with dg.DagsterInstance.get() as instance:
                instance.upgrade(print_fn=lambda _: None)
            marker.write_text("instance storage created and migrated\n")
    return home


def _month(text: str) -> pd.Timestamp:
    try:
        return timeline.month_start(text if len(text) > 7 else f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month; write it as YYYY-MM") from None


def source_history(source) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last month the source has data for: its last complete month (``settings.last_month``'s
    rule), which is where its raw partitions end."""
    from smart_money.defs.partitions import source_months

    first, last = source_months(source.history_start(), source.history_end())
    return first, last if last is not None else timeline.month_start(settings.last_month())


def window_problem(
    source_name: str,
    history: tuple[pd.Timestamp, pd.Timestamp],
    raw: tuple[pd.Timestamp, pd.Timestamp],
    samples: tuple[pd.Timestamp, pd.Timestamp],
) -> str | None:
    """Why a build over these months cannot succeed, before any run starts (None: it can)."""
    span = f"{history[0]:%Y-%m} … {history[1]:%Y-%m}"
    for name, (first, last) in (("raw", raw), ("sample", samples)):
        if first > last:
            return f"the {name} start {first:%Y-%m} is after the {name} end {last:%Y-%m}"
        for edge, month in (("start", first), ("end", last)):
            if not history[0] <= month <= history[1]:
                flag = (
                    f"--{name}-{edge}"
                    if name == "raw"
                    else f"--sample-{edge} / SMART_MONEY_SAMPLE_{edge.upper()}"
                )
                return (
                    f"{flag} {month:%Y-%m} is outside the {source_name} source's history {span}; "
                    f"choose months within it"
                )
    return None


@dataclass(frozen=True)
class Stage:
    """One run of ``smart-money build``: a named job over a range of months (None: unpartitioned)."""

    job: str
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    run_config: dict | None = None

    def window(self) -> str:
        return (
            f"months {self.first:%Y-%m} .. {self.last:%Y-%m}" if self.first is not None else "unpartitioned"
        )


def build_plan(
    raw: tuple[pd.Timestamp, pd.Timestamp],
    samples: tuple[pd.Timestamp, pd.Timestamp],
    options_flow: bool = True,
    skip_raw: bool = False,
    skip_model: bool = False,
) -> list[Stage]:
    """The stages of a build, in order: raw over the source's history, the options flow and features over
    the sample months, then the model, whose splits cover the same sample months, and the live track record
    of what has been published over those months."""
    from smart_money.defs import jobs

    plan = [] if skip_raw else [Stage(jobs.RAW_JOB, *raw)]
    if options_flow:
        plan.append(Stage(jobs.OPTIONS_FLOW_JOB, *samples))
    plan.append(Stage(jobs.FEATURES_JOB, *samples))
    if not skip_model:
        window = {"sample_start": f"{samples[0]:%Y-%m}", "sample_end": f"{samples[1]:%Y-%m}"}
        plan.append(Stage(jobs.MODEL_JOB, run_config={"ops": {"dataset_splits": {"config": window}}}))
        plan.append(Stage(jobs.TRACK_RECORD_JOB, *samples))
    return plan


def run_stage(stage: Stage, defs, instance=None, log_level: str = "INFO"):
    """Launch ``stage``'s job in this process, recorded in ``instance`` (default: DAGSTER_HOME's)."""
    import dagster as dg

    tags = (
        {RANGE_START: f"{stage.first:%Y-%m-%d}", RANGE_END: f"{stage.last:%Y-%m-%d}"}
        if stage.first is not None
        else None
    )
    run_config = {**(stage.run_config or {}), "loggers": {"console": {"config": {"log_level": log_level}}}}
    return defs.resolve_job_def(stage.job).execute_in_process(
        run_config=run_config,
        instance=instance or dg.DagsterInstance.get(),
        tags=tags,
        raise_on_error=False,
    )


def gate_lines(result) -> list[str]:
    import dagster as dg

    lines = []
    for evaluation in sorted(result.get_asset_check_evaluations(), key=lambda e: e.check_name):
        critical = evaluation.severity == dg.AssetCheckSeverity.ERROR
        status = "PASS" if evaluation.passed else ("FAIL" if critical else "WARN")
        summary = evaluation.metadata["summary"].value if "summary" in evaluation.metadata else ""
        lines.append(f"  {status:4}  {evaluation.check_name:<36} {summary}")
    return lines


def failure_reasons(result) -> list[str]:
    """One line per failed step: the step and the innermost error message (a source's own clear error,
    not Dagster's wrapper around it)."""
    lines = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error if event.step_failure_data else None
        while error is not None and error.cause is not None:
            error = error.cause
        message = (error.message.strip() if error is not None else "failed").splitlines()
        lines.append(f"{event.step_key}: {message[0] if message else 'failed'}")
    return lines


def table_counts(warehouse) -> list[str]:
    from smart_money.warehouse import table_names

    lines = []
    for name in table_names():
        if not warehouse.has_data(name) or not warehouse.catalog_path.exists():
            why = OPTIONAL_TABLES.get(name, "not built by this run")
            lines.append(f"  {name:<28} {'none yet':>10}  ({why})")
            continue
        count = int(warehouse.query(f"select count(*) from {name}").iloc[0, 0])
        lines.append(f"  {name:<28} {count:>10,}")
    return lines


def promotion_refused(result) -> bool:
    """True when the run failed only because the promotion check refused the new model: an expected
    outcome (the model does not beat the baseline), not an error."""
    from smart_money.defs.registry import MODEL_REGISTRY_PROMOTION

    promotion = [e for e in result.get_asset_check_evaluations() if e.check_name == MODEL_REGISTRY_PROMOTION]
    return (
        not result.success
        and bool(promotion)
        and not promotion[0].passed
        and len(result.get_step_failure_events()) == 1
    )


def model_summary(results) -> str:
    """Headline metrics and the report path of the model run, if there was one."""
    from smart_money.defs import jobs

    model_runs = [r for stage, r in results if stage.job == jobs.MODEL_JOB]
    if not model_runs:
        return ""
    report = [
        m
        for m in model_runs[0].get_asset_materialization_events()
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
    """Refuse impossible months before anything is written (not even DAGSTER_HOME), then run the stages."""
    from smart_money.definitions import build_definitions, source_from_env, warehouse_from_env

    source = source_from_env()
    warehouse = warehouse_from_env().warehouse()
    history = source_history(source)
    raw_first = args.raw_start or history[0]
    raw_last = args.raw_end or history[1]
    sample_first = args.sample_start or timeline.month_start(settings.sample_start())
    sample_last = args.sample_end or timeline.month_start(settings.sample_end())
    problem = window_problem(source.source_name, history, (raw_first, raw_last), (sample_first, sample_last))
    if problem:
        print(f"error: {problem}; nothing was run", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    ensure_dagster_home()
    # the sample partitions are this build's sample months (the UI shows the environment's)
    defs = build_definitions(source=source, samples=(sample_first, sample_last))
    synthetic = source.source_name == "synthetic"
    print(
        f"smart-money build: source={source.source_name}"
        + (" (SYNTHETIC simulated market: not real tickers)" if synthetic else " (REAL DATA)")
    )
    print(f"  data: {warehouse.data_dir}    DAGSTER_HOME: {os.environ['DAGSTER_HOME']}")
    began = time.monotonic()
    plan = build_plan(
        (raw_first, raw_last),
        (sample_first, sample_last),
        options_flow=settings.options_flow_features(),
        skip_raw=args.skip_raw,
        skip_model=args.skip_model,
    )
    results = []
    for stage in plan:
        print(f"\n== job '{stage.job}': {stage.window()} (one run) ==", flush=True)
        step_began = time.monotonic()
        result = run_stage(stage, defs, log_level=args.log_level)
        results.append((stage, result))
        print(
            f"== job '{stage.job}' {'succeeded' if result.success else 'FAILED'} "
            f"in {time.monotonic() - step_began:.1f}s (run {result.run_id}) ==",
            flush=True,
        )
        if not result.success:
            break
    print("\n" + "=" * 100)
    completed = all(r.success or promotion_refused(r) for _, r in results)
    print(
        f"smart-money build {'finished' if completed else 'FAILED'} "
        f"in {time.monotonic() - began:.1f}s"
        + ("  — data is SYNTHETIC (simulated market, symbols SYN###)" if synthetic else "")
    )
    print("\nRows per table:")
    print("\n".join(table_counts(warehouse)))
    print("\nGates (PASS; WARN = a warning, nothing blocked; FAIL = critical, blocks what depends on it):")
    for _, result in results:
        print("\n".join(gate_lines(result)))
    print(model_summary(results))
    print(f"\nWarehouse (DuckDB views over Parquet): {warehouse.catalog_path}")
    print(f"Parquet partitions:                    {warehouse.parquet_root}")
    print("Dagster UI:                            make ui   (then open http://127.0.0.1:3000)")
    print("Prediction API and web page:           make serve   (then open http://127.0.0.1:8000; the")
    print("                                       smart_money_flow toggle starts off: README, Serving)")
    failed = [stage.job for stage, r in results if not r.success and not promotion_refused(r)]
    if any(promotion_refused(r) for _, r in results):
        print(
            "\nThe new model stays a CANDIDATE (it does not beat the volatility-only baseline on "
            "validation), "
            "so predictions were not published with it; the report says why. To publish predictions with "
            "the production model (or the rules alone when there is none):\n"
            "  DAGSTER_HOME=.dagster_home .venv/bin/dagster asset materialize -m smart_money "
            "--select predictions"
        )
    if failed:
        reasons = [line for stage, r in results if not r.success for line in failure_reasons(r)]
        print(failure_message(failed, [r for _, r in results], reasons), file=sys.stderr)
        return EXIT_RUN_FAILED
    return EXIT_OK


def failed_gates(results) -> list[str]:
    """Names of the critical gates that failed in ``results``."""
    import dagster as dg

    return [
        e.check_name
        for r in results
        for e in r.get_asset_check_evaluations()
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]


def failure_message(failed: list[str], results, reasons: list[str]) -> str:
    """The closing error: the failed jobs, the FAIL gates only when a gate failed, and each step's error."""
    gates = failed_gates(results)
    where = f"the FAIL gates ({', '.join(gates)}) and the log above" if gates else "the log above"
    return f"\nerror: job(s) {', '.join(failed)} failed; see {where}" + "".join(
        f"\n  {line}" for line in reasons if "promotion" not in line
    )


def init(_: argparse.Namespace) -> int:
    home = ensure_dagster_home()
    print(f"DAGSTER_HOME {home}: storage created and migrated, telemetry off, run monitoring on")
    return 0


def summary(_: argparse.Namespace) -> int:
    from smart_money.warehouse import Warehouse

    warehouse = Warehouse(settings.data_dir())
    print(f"Warehouse: {warehouse.catalog_path}")
    print("\n".join(table_counts(warehouse)))
    return 0


def serve(args: argparse.Namespace) -> int:
    # LightGBM imports scikit-learn (and with it much of SciPy) for its sklearn wrappers whenever it is
    # installed; serving uses only the Booster, and skipping them keeps ~65 MB out of the server's RSS.
    sys.modules.setdefault("sklearn", None)
    import uvicorn

    from smart_money.serve import limits
    from smart_money.serve.app import create_app

    # the limits (README: Serving): bodies over 1 MB get 413, idle connections close, slow requests get 408
    options = limits.server_options(
        host=args.host,
        port=args.port,
        log_level=args.log_level.lower(),
        access_log=not args.no_access_log,
        timeout_keep_alive=args.timeout_keep_alive,
        timeout_request=args.timeout_request,
    )
    data_dir = settings.data_dir()
    if not (data_dir / "parquet" / "features").exists():
        print(f"warning: no features under {data_dir}; run `make run` first (the API will answer 404/503)")
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    admin = "on" if settings.admin_token() else "off (set SMART_MONEY_ADMIN_TOKEN)"
    keep_alive, request = options["timeout_keep_alive"], options["http"].timeout_request
    print(
        f"smart-money serve: http://{args.host}:{args.port}/  data {data_dir}  admin API {admin}  "
        f"timeouts: keep-alive {keep_alive:g} s, request {request:g} s"
    )
    uvicorn.run(create_app(data_dir), **options)
    return 0


def toggle(args: argparse.Namespace) -> int:
    from smart_money.serve.toggles import ToggleError, ToggleStore
    from smart_money.warehouse import Warehouse

    store = ToggleStore(Warehouse(settings.data_dir()))
    try:
        if args.state is not None:
            state = store.set(args.feature, args.state == "on", args.actor, args.reason or "")
        else:
            state = store.state(args.feature)
    except ToggleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
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
    parser = argparse.ArgumentParser(prog="smart-money", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, text: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=text, description=f"smart-money {name}: {text}.")

    b = command(
        "build",
        "materialize raw, features, labels and the model group and print a summary; months outside the "
        "source's history are refused before any run (exit code 2)",
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
    i = command("init", "create and migrate DAGSTER_HOME's instance storage before any run (make does)")
    i.set_defaults(func=init)
    s = command("summary", "print rows per warehouse table")
    s.set_defaults(func=summary)
    v = command("serve", "the prediction API and web page (README: Serving)")
    v.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    v.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    v.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="default INFO"
    )
    v.add_argument("--no-access-log", action="store_true", help="do not log one line per request")
    v.add_argument(
        "--timeout-keep-alive",
        type=float,
        metavar="SECONDS",
        help="close a connection idle this long, before its first request or between requests (default 5)",
    )
    v.add_argument(
        "--timeout-request",
        type=float,
        metavar="SECONDS",
        help="a request's headers and body must arrive within this long of its first byte, else 408 and the "
        "connection is closed (default 5)",
    )
    v.set_defaults(func=serve)
    t = command("toggle", "show or change a feature toggle (smart_money_flow), with an audit entry")
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
        return EXIT_BAD_SETTINGS


if __name__ == "__main__":
    sys.exit(main())
