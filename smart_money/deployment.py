"""The deployment shapes (README: Running at scale): which Dagster instance, run queue and executor a build
uses.

- **Single machine** (default): SQLite instance storage in ``DAGSTER_HOME``, the in-process executor.
- **A team**: ``SMART_MONEY_INSTANCE=postgres`` puts runs, events and schedules in Postgres
  (``DAGSTER_PG_*``) and queues launched runs in the daemon's run queue, one run at a time per rate-limited
  source (FMP, SEC) and ``SMART_MONEY_PARALLEL_RUNS`` at a time for the others; with
  ``SMART_MONEY_EXECUTOR=celery`` the steps of each run go to ``dagster-celery`` workers over Redis.

``smart-money init`` writes ``DAGSTER_HOME/dagster.yaml`` from :func:`dagster_yaml`. A ``dagster.yaml`` that
smart-money did not write (no :data:`HEADER` line) is the operator's own and is never touched. The Postgres
password is never in the file: it says ``password: {env: DAGSTER_PG_PASSWORD}`` and Dagster reads the
variable in each process.
"""

from pathlib import Path

import yaml

from smart_money import files, settings

SOURCE_TAG = "smart_money/source"  # on every run that fetches from the source: what the run queue limits
HEADER = "# written by smart-money init"
LEGACY_YAML = (  # what smart-money init wrote before the deployment settings: still counts as its own
    "telemetry:\n  enabled: false\n"
    "run_monitoring:\n  enabled: true\n  start_timeout_seconds: 180\n  max_resume_run_attempts: 0\n"
)
PASSWORD_ENV = "DAGSTER_PG_PASSWORD"


def tag_concurrency_limits() -> list[dict]:
    """One run at a time per rate-limited source, ``SMART_MONEY_PARALLEL_RUNS`` per other source."""
    limited = settings.rate_limited_sources()
    return [
        {"key": SOURCE_TAG, "value": name, "limit": 1 if name in limited else settings.parallel_runs()}
        for name in settings.SOURCES
    ]


def instance_config() -> dict:
    """The ``dagster.yaml`` contents the settings ask for: telemetry off and run monitoring on (a run whose
    process was killed ends as failed once the daemon sees it); with Postgres, its storage and the queue."""
    config: dict = {
        "telemetry": {"enabled": False},
        "run_monitoring": {"enabled": True, "start_timeout_seconds": 180, "max_resume_run_attempts": 0},
    }
    if settings.instance_kind() == "postgres":
        pg = settings.postgres()
        config["storage"] = {
            "postgres": {
                "postgres_db": {
                    "hostname": pg.host,
                    "port": pg.port,
                    "username": pg.user,
                    "password": {"env": PASSWORD_ENV},
                    "db_name": pg.db,
                    # psycopg2, which dagster-postgres is written for (SQLAlchemy 2.1 defaults to psycopg 3,
                    # whose server-side parameters break Dagster's NOTIFY)
                    "scheme": "postgresql+psycopg2",
                }
            }
        }
        config["run_coordinator"] = {
            "module": "dagster.core.run_coordinator",
            "class": "QueuedRunCoordinator",
            "config": {
                "max_concurrent_runs": settings.max_runs(),
                "tag_concurrency_limits": tag_concurrency_limits(),
                "dequeue_interval_seconds": 1,
            },
        }
    return config


def dagster_yaml() -> str:
    kind = settings.instance_kind()
    body = yaml.safe_dump(instance_config(), sort_keys=False)
    return f"{HEADER} (SMART_MONEY_INSTANCE={kind}); README: Running at scale\n{body}"


def write_instance_config(home: Path) -> bool:
    """Write ``home/dagster.yaml`` when it is missing or smart-money wrote it for other settings; return
    True when the file changed (the storage it names must then be migrated). An operator's own file stays."""
    path = home / "dagster.yaml"
    wanted = dagster_yaml()
    if path.exists():
        current = path.read_text()
        if current == wanted or not (current.startswith(HEADER) or current == LEGACY_YAML):
            return False
    files.write_text_atomic(path, wanted)
    return True


def executor_def():
    """The executor ``SMART_MONEY_EXECUTOR`` names. The in-process one is the default: on one machine the
    multiprocess one re-imports the code for every step and was 2-3x slower. ``celery`` sends each step to
    a ``dagster-celery`` worker through ``SMART_MONEY_CELERY_BROKER`` (it needs a shared instance:
    Postgres)."""
    import dagster as dg

    name = settings.executor()
    if name == "multiprocess":
        return dg.multiprocess_executor
    if name == "celery":
        try:
            from dagster_celery import celery_executor
        except ImportError:
            raise settings.SettingsError(
                "SMART_MONEY_EXECUTOR=celery needs dagster-celery: pip install -e '.[deploy]'"
            ) from None
        return celery_executor.configured(
            {"broker": settings.celery_broker(), "backend": settings.celery_backend()}
        )
    return dg.in_process_executor


def worker_config() -> str:
    """The ``-y`` file of ``dagster-celery worker start``: the same broker and backend as the executor."""
    config = {"broker": settings.celery_broker(), "backend": settings.celery_backend()}
    return yaml.safe_dump({"execution": {"config": config}}, sort_keys=False)


def with_source_tag(jobs: list, source_name: str, fetching: tuple[str, ...]) -> list:
    """The stage jobs, the ones named in ``fetching`` tagged with the source their runs request from, so
    the run queue's tag limits apply to them (and not to features or the model, which only read Parquet)."""
    import dagster as dg

    tagged = []
    for job in jobs:
        if job.name in fetching:
            job = dg.define_asset_job(
                job.name,
                selection=job.selection,
                partitions_def=job.partitions_def,
                description=job.description,
                tags={**(job.tags or {}), SOURCE_TAG: source_name},
            )
        tagged.append(job)
    return tagged
