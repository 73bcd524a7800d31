"""The team deployment end to end, on real services (README: Running at scale): Postgres instance storage,
the daemon's run queue with tag limits, two dagster-celery workers over Redis, Parquet and models on a
shared path.

The raw group runs as six per-partition runs through the queue (``dagster job backfill``), submitted
together: four as the synthetic source, which may run two at a time, and two tagged as a rate-limited
source (``smart_money/source=sec``), which must run one at a time; their steps spread over both workers.
Then features (one run over the sample months) and the model. Every Parquet file must be byte-identical to
an in-process build of the same window (the model tables up to the training time).
"""

import contextlib
import hashlib
import json
import os
import secrets
import time
from pathlib import Path
from unittest import mock

import dagster as dg
import pandas as pd
import pyarrow.parquet as pq
import pytest

from smart_money import cli, deployment
from smart_money.defs import jobs
from smart_money.testing.services import DagsterDeployment, LocalPostgres, LocalRedis

REPO = Path(__file__).resolve().parents[2]
RAW = ("2019-01-01", "2019-06-01")  # six months of known_at
FREE_END, LIMITED_START = "2019-04-01", "2019-05-01"  # the last two months run as a rate-limited source
LIMITED_SOURCE = "sec"
SAMPLES = ("2019-01-01", "2019-05-01")  # the months with a label inside the raw window
SPLITS = {
    "train_fraction": 0.6,
    "validation_fraction": 0.2,
    "sample_start": "2019-01",
    "sample_end": "2019-05",
}
MODEL_TABLES = {"evaluation_scores", "predictions", "model_registry"}
TIME_COLUMNS = {"model_version", "created_at", "path", "metadata_sha256"}  # as in test_determinism
RUN_TIMEOUT_S = 600.0


def _settings(root: Path) -> dict[str, str]:
    """What both builds share: a five-symbol simulated market, no options flow, this root's warehouse."""
    return {
        "SMART_MONEY_SOURCE": "synthetic",
        "SMART_MONEY_N_SYMBOLS": "5",
        "SMART_MONEY_OPTIONS_FLOW": "off",
        # the sample partitions (features, labels) are the environment's sample months
        "SMART_MONEY_SAMPLE_START": SAMPLES[0][:7],
        "SMART_MONEY_SAMPLE_END": SAMPLES[1][:7],
        "SMART_MONEY_DATA_DIR": str(root / "data"),
        "SMART_MONEY_MODELS_DIR": str(root / "models"),
    }


def _in_process_build(root: Path) -> None:
    """The reference: the same stages in this process, on an ephemeral instance."""
    from smart_money.definitions import build_definitions

    with mock.patch.dict(os.environ, {**_settings(root), "SMART_MONEY_EXECUTOR": "in_process"}):
        defs = build_definitions()
        instance = dg.DagsterInstance.ephemeral()
        raw = cli.Stage(jobs.RAW_JOB, pd.Timestamp(RAW[0]), pd.Timestamp(RAW[1]))
        features = cli.Stage(jobs.FEATURES_JOB, pd.Timestamp(SAMPLES[0]), pd.Timestamp(SAMPLES[1]))
        model = cli.Stage(jobs.MODEL_JOB, run_config={"ops": {"dataset_splits": {"config": SPLITS}}})
        for stage in (raw, features, model):
            result = cli.run_stage(stage, defs, instance, log_level="WARNING")
            assert result.success or cli.promotion_refused(result), stage.job


@contextlib.contextmanager
def _instance(home: Path, password: str):
    with mock.patch.dict(os.environ, {"DAGSTER_PG_PASSWORD": password}):
        with dg.DagsterInstance.from_config(str(home)) as instance:
            yield instance


def _wait_for_runs(instance: dg.DagsterInstance, job: str, count: int) -> list:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        records = instance.get_run_records(dg.RunsFilter(job_name=job))
        if len(records) >= count and all(r.dagster_run.is_finished for r in records):
            return records
        time.sleep(1.0)
    statuses = [r.dagster_run.status.value for r in instance.get_run_records(dg.RunsFilter(job_name=job))]
    raise AssertionError(f"job {job}: {count} runs did not finish within {RUN_TIMEOUT_S:.0f}s: {statuses}")


def _overlaps(records) -> int:
    """Pairs of runs whose start..end intervals overlap."""
    spans = sorted((r.start_time, r.end_time) for r in records)
    return sum(1 for i, a in enumerate(spans) for b in spans[i + 1 :] if b[0] < a[1])


def _max_concurrent(records) -> int:
    edges = sorted([(r.start_time, 1) for r in records] + [(r.end_time, -1) for r in records])
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def _files(root: Path) -> dict[str, Path]:
    base = root / "data" / "parquet"
    versions = [p.name for p in (root / "models" / "smart-money-flow").iterdir()]
    assert len(versions) == 1, versions
    return {str(p.relative_to(base)).replace(versions[0], "<v>"): p for p in sorted(base.rglob("*.parquet"))}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    root = tmp_path_factory.mktemp("deployment")
    shared = root / "shared"  # the path every worker writes Parquet and models to
    password = f"pw-{secrets.token_hex(8)}"
    reference = root / "in_process"
    _in_process_build(reference)
    began = time.monotonic()
    with LocalPostgres(password) as postgres, LocalRedis() as redis:
        environment = {
            **os.environ,
            **_settings(shared),
            **postgres.environment(),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
            "DAGSTER_HOME": str(root / "dagster_home"),
            "SMART_MONEY_INSTANCE": "postgres",
            "SMART_MONEY_EXECUTOR": "celery",
            "SMART_MONEY_CELERY_BROKER": redis.url(0),
            "SMART_MONEY_CELERY_BACKEND": redis.url(1),
            "SMART_MONEY_MAX_RUNS": "3",
            "SMART_MONEY_PARALLEL_RUNS": "2",
        }
        with DagsterDeployment(REPO, environment, workers=2, log_dir=root / "logs") as cluster:
            home = root / "dagster_home"
            with _instance(home, password) as instance:
                # six per-partition raw runs submitted together: four as the synthetic source (two at a
                # time) and two tagged as a rate-limited source (one at a time)
                workspace = str(cluster.workspace)
                backfill = ("dagster", "job", "backfill", "-w", workspace, "-j", jobs.RAW_JOB, "--noprompt")
                limited = json.dumps({deployment.SOURCE_TAG: LIMITED_SOURCE})
                cluster.run_together(
                    [
                        (*backfill, "--from", RAW[0], "--to", FREE_END),
                        (*backfill, "--from", LIMITED_START, "--to", RAW[1], "--tags", limited),
                    ]
                )
                raw_runs = _wait_for_runs(instance, jobs.RAW_JOB, 6)
                window = json.dumps({cli.RANGE_START: SAMPLES[0], cli.RANGE_END: SAMPLES[1]})
                launch = ("dagster", "job", "launch", "-w", workspace)
                cluster.run(*launch, "-j", jobs.FEATURES_JOB, "--tags", window)
                features_runs = _wait_for_runs(instance, jobs.FEATURES_JOB, 1)
                config = root / "model.yaml"
                config.write_text(f"ops:\n  dataset_splits:\n    config: {SPLITS!r}\n".replace("'", '"'))
                cluster.run(*launch, "-j", jobs.MODEL_JOB, "-c", str(config))
                model_runs = _wait_for_runs(instance, jobs.MODEL_JOB, 1)
                workers = {
                    e.dagster_event.engine_event_data.metadata["Celery worker"].value
                    for r in raw_runs
                    for e in instance.all_logs(r.dagster_run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
                    if "Celery worker" in e.dagster_event.engine_event_data.metadata
                }
                model_failures = [
                    e.dagster_event.step_key
                    for e in instance.all_logs(
                        model_runs[0].dagster_run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE
                    )
                ]
            import psycopg2

            with psycopg2.connect(**postgres.connect_args()) as con, con.cursor() as cur:
                cur.execute("select count(*) from runs")
                (pg_runs,) = cur.fetchone()
                cur.execute(
                    "select count(*), count(distinct e.run_id) from event_logs e join runs r using (run_id)"
                )
                pg_events, pg_event_runs = cur.fetchone()
                cur.execute("select count(*) from event_logs where event like %s", (f"%{password}%",))
                (password_events,) = cur.fetchone()
            con.close()
        elapsed = time.monotonic() - began
    yield {
        "root": root,
        "shared": shared,
        "reference": reference,
        "home": root / "dagster_home",
        "password": password,
        "raw_runs": raw_runs,
        "features_runs": features_runs,
        "model_runs": model_runs,
        "model_failures": model_failures,
        "workers": workers,
        "postgres": {"runs": pg_runs, "events": pg_events, "event_runs": pg_event_runs},
        "password_events": password_events,
        "elapsed_s": elapsed,
    }


def test_every_run_finished_on_the_celery_workers(deployed):
    assert [r.dagster_run.status for r in deployed["raw_runs"]] == [dg.DagsterRunStatus.SUCCESS] * 6
    partitions = sorted(r.dagster_run.tags["dagster/partition"] for r in deployed["raw_runs"])
    assert partitions == [f"2019-{m:02d}-01" for m in range(1, 7)]
    assert deployed["features_runs"][0].dagster_run.status == dg.DagsterRunStatus.SUCCESS
    # the model run either succeeds or fails only at the promotion check (five symbols beat no baseline)
    model = deployed["model_runs"][0].dagster_run
    failures = deployed["model_failures"]
    assert model.status == dg.DagsterRunStatus.SUCCESS or (
        len(failures) == 1 and failures[0].startswith("model_registry")
    ), failures
    assert {w.split("@")[0] for w in deployed["workers"]} == {"worker1", "worker2"}


def test_a_rate_limited_source_never_has_two_runs_at_once_and_the_rest_run_in_parallel(deployed):
    by_source: dict[str, list] = {}
    for record in deployed["raw_runs"]:
        by_source.setdefault(record.dagster_run.tags[deployment.SOURCE_TAG], []).append(record)
    assert {k: len(v) for k, v in by_source.items()} == {"synthetic": 4, LIMITED_SOURCE: 2}
    assert _overlaps(by_source[LIMITED_SOURCE]) == 0
    assert _overlaps(by_source["synthetic"]) >= 1  # two at a time: the limit above is the tag's doing
    assert _max_concurrent(by_source["synthetic"]) <= 2
    assert _max_concurrent(deployed["raw_runs"]) <= 3  # SMART_MONEY_MAX_RUNS


def test_the_parquet_files_equal_the_in_process_build(deployed):
    shared, reference = _files(deployed["shared"]), _files(deployed["reference"])
    assert shared.keys() == reference.keys()
    assert len([n for n in shared if n.startswith("raw_prices/")]) == 6
    assert len([n for n in shared if n.startswith("features/")]) == 5
    data = [n for n in shared if n.split("/")[0] not in MODEL_TABLES]
    differing = [n for n in data if _sha256(shared[n]) != _sha256(reference[n])]
    assert not differing, f"{len(differing)} of {len(data)} files differ, e.g. {differing[:5]}"
    model_files = [n for n in shared if n.split("/")[0] in MODEL_TABLES]
    assert model_files
    for name in model_files:
        left, right = pq.read_table(shared[name]), pq.read_table(reference[name])
        kept = [c for c in left.column_names if c not in TIME_COLUMNS]
        assert left.select(kept).equals(right.select(kept)), name
    (folder,) = (deployed["shared"] / "models" / "smart-money-flow").iterdir()
    (other,) = (deployed["reference"] / "models" / "smart-money-flow").iterdir()
    assert _sha256(folder / "model.txt") == _sha256(other / "model.txt")


def test_the_run_and_event_history_is_in_postgres_and_no_password_is_written(deployed):
    pg = deployed["postgres"]
    assert pg["runs"] == 6 + 1 + 1
    assert pg["event_runs"] == 8 and pg["events"] > 8 * 20
    home = deployed["home"]
    assert not list(home.rglob("*.db")), "an SQLite storage was created beside Postgres"
    text = (home / "dagster.yaml").read_text()
    assert "env: DAGSTER_PG_PASSWORD" in text and deployed["password"] not in text
    for path in [*home.rglob("*"), *(deployed["root"] / "logs").rglob("*")]:
        if path.is_file():
            assert deployed["password"].encode() not in path.read_bytes(), path
        assert deployed["password"] not in path.name
    assert deployed["password_events"] == 0
    print(f"deployment end to end: {deployed['elapsed_s']:.0f}s")
