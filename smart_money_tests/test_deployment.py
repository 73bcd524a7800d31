"""The deployment settings: which dagster.yaml `smart-money init` writes, the run queue's limits, the
executor, and the source tag the queue limits on (README: Running at scale)."""

import dagster as dg
import pytest
import yaml

from smart_money import deployment, settings
from smart_money.definitions import build_definitions
from smart_money.defs import jobs
from smart_money.defs.resources import SyntheticSource, WarehouseResource

PASSWORD = "not-in-the-file-9f3b"


@pytest.fixture
def postgres_env(monkeypatch):
    monkeypatch.setenv("SMART_MONEY_INSTANCE", "postgres")
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", PASSWORD)
    monkeypatch.setenv("DAGSTER_PG_HOST", "db.internal")
    monkeypatch.setenv("DAGSTER_PG_PORT", "6543")
    monkeypatch.delenv("SMART_MONEY_RATE_LIMITED_SOURCES", raising=False)


def test_sqlite_is_the_default_and_has_no_queue(monkeypatch):
    monkeypatch.delenv("SMART_MONEY_INSTANCE", raising=False)
    config = yaml.safe_load(deployment.dagster_yaml())
    assert config == yaml.safe_load(deployment.LEGACY_YAML)  # what make run always had
    assert deployment.dagster_yaml().startswith(deployment.HEADER)


def test_postgres_names_the_password_variable_never_its_value(postgres_env):
    text = deployment.dagster_yaml()
    assert PASSWORD not in text
    db = yaml.safe_load(text)["storage"]["postgres"]["postgres_db"]
    assert db["password"] == {"env": "DAGSTER_PG_PASSWORD"}
    assert (db["hostname"], db["port"], db["username"], db["db_name"]) == (
        "db.internal",
        6543,
        "dagster",
        "dagster",
    )
    assert db["scheme"] == "postgresql+psycopg2"


def test_the_queue_runs_a_rate_limited_source_one_at_a_time(postgres_env, monkeypatch):
    monkeypatch.setenv("SMART_MONEY_PARALLEL_RUNS", "3")
    coordinator = yaml.safe_load(deployment.dagster_yaml())["run_coordinator"]
    assert coordinator["class"] == "QueuedRunCoordinator"
    limits = {(x["key"], x["value"]): x["limit"] for x in coordinator["config"]["tag_concurrency_limits"]}
    assert limits == {(deployment.SOURCE_TAG, "fmp"): 1, (deployment.SOURCE_TAG, "sec"): 1,
                      (deployment.SOURCE_TAG, "synthetic"): 3}  # fmt: skip
    assert coordinator["config"]["max_concurrent_runs"] == settings.DEPLOYMENT_DEFAULTS.max_runs


def test_the_generated_file_is_a_valid_instance_config(postgres_env, tmp_path):
    from dagster._core.instance.config import dagster_instance_config

    (tmp_path / "dagster.yaml").write_text(deployment.dagster_yaml())
    config, _ = dagster_instance_config(str(tmp_path))
    assert "postgres" in config["storage"]


def test_bad_settings_name_the_variable(monkeypatch):
    monkeypatch.setenv("SMART_MONEY_INSTANCE", "postgres")
    monkeypatch.delenv("DAGSTER_PG_PASSWORD", raising=False)
    with pytest.raises(settings.SettingsError, match="DAGSTER_PG_PASSWORD"):
        deployment.dagster_yaml()
    monkeypatch.setenv("SMART_MONEY_INSTANCE", "mysql")
    with pytest.raises(settings.SettingsError, match="SMART_MONEY_INSTANCE='mysql'"):
        deployment.dagster_yaml()
    monkeypatch.setenv("SMART_MONEY_RATE_LIMITED_SOURCES", "fmp,yahoo")
    with pytest.raises(settings.SettingsError, match="'yahoo'"):
        settings.rate_limited_sources()
    monkeypatch.setenv("SMART_MONEY_RATE_LIMITED_SOURCES", "")
    assert settings.rate_limited_sources() == ()


def test_init_rewrites_its_own_file_but_never_an_operators(postgres_env, monkeypatch, tmp_path):
    (tmp_path / "dagster.yaml").write_text(deployment.LEGACY_YAML)  # written by an older smart-money init
    assert deployment.write_instance_config(tmp_path) is True
    assert "QueuedRunCoordinator" in (tmp_path / "dagster.yaml").read_text()
    assert deployment.write_instance_config(tmp_path) is False  # unchanged settings: nothing to migrate
    monkeypatch.setenv("SMART_MONEY_INSTANCE", "sqlite")
    assert deployment.write_instance_config(tmp_path) is True
    own = "storage:\n  sqlite:\n    base_dir: /srv/dagster\n"
    (tmp_path / "dagster.yaml").write_text(own)
    assert deployment.write_instance_config(tmp_path) is False
    assert (tmp_path / "dagster.yaml").read_text() == own


def test_only_the_fetching_jobs_carry_the_source_tag_and_the_repository_loads(tmp_path, monkeypatch):
    monkeypatch.delenv("SMART_MONEY_EXECUTOR", raising=False)
    warehouse = WarehouseResource(data_dir=str(tmp_path / "data"), models_dir=str(tmp_path / "models"))
    defs = build_definitions(source=SyntheticSource(n_symbols=5), warehouse=warehouse)
    tags = {job.name: defs.resolve_job_def(job.name).tags.get(deployment.SOURCE_TAG) for job in jobs.jobs}
    assert tags == {
        "raw": "synthetic",
        "options_flow": "synthetic",
        "features_and_labels": None,
        "model": None,
        "live_track_record": None,
    }
    # what a code server, the daemon and the UI do; an op sharing a job's name would fail here
    defs.get_repository_def().load_all_definitions()


def test_the_celery_executor_takes_the_broker_from_the_settings(monkeypatch):
    monkeypatch.setenv("SMART_MONEY_EXECUTOR", "celery")
    monkeypatch.setenv("SMART_MONEY_CELERY_BROKER", "redis://broker.internal:6379/0")
    executor = deployment.executor_def()
    assert executor.name == "celery"
    worker = yaml.safe_load(deployment.worker_config())["execution"]["config"]
    assert worker["broker"] == "redis://broker.internal:6379/0"
    monkeypatch.setenv("SMART_MONEY_EXECUTOR", "dask")
    with pytest.raises(settings.SettingsError, match="'celery'"):
        deployment.executor_def()
    monkeypatch.delenv("SMART_MONEY_EXECUTOR")
    assert deployment.executor_def() is dg.in_process_executor
