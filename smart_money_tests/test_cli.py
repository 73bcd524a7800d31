"""`smart-money` as a user runs it: bad settings and impossible windows are refused before any run, with one
clear line and exit code 2 (README: Configuration), help texts are plain, the summary says what is not built
yet, and first runs on a fresh DAGSTER_HOME are safe together."""

import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from smart_money import cli, deployment

HISTORY = (pd.Timestamp("2019-01-01"), pd.Timestamp("2025-01-01"))


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    """An empty data directory and DAGSTER_HOME, the synthetic source."""
    for name in [n for n in os.environ if n.startswith("SMART_MONEY_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SMART_MONEY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SMART_MONEY_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    return tmp_path


def _build(capsys, *args: str) -> tuple[int, str, float]:
    began = time.monotonic()
    code = cli.main(["build", *args])
    return code, capsys.readouterr().err, time.monotonic() - began


@pytest.mark.parametrize(
    "args, named",
    [
        (["--raw-start", "2030-01", "--raw-end", "2030-02"], "--raw-start 2030-01"),
        (["--raw-start", "2010-01"], "--raw-start 2010-01"),
        (["--sample-end", "2025-06"], "--sample-end / SMART_MONEY_SAMPLE_END 2025-06"),
        (
            ["--raw-start", "2024-06", "--raw-end", "2024-01"],
            "raw start 2024-06 is after the raw end 2024-01",
        ),
    ],
)
def test_months_outside_the_sources_history_are_refused_before_any_run(fresh, capsys, args, named):
    code, err, seconds = _build(capsys, *args)
    assert code == 2, err
    assert named in err and "nothing was run" in err
    if "outside" in err:
        assert "synthetic source's history 2019-01 … 2025-01" in err
    assert seconds < 10
    assert "Traceback" not in err
    # nothing on disk: no partitions, no warehouse, not even the Dagster instance
    assert sorted(p.name for p in fresh.iterdir()) == []


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("SMART_MONEY_N_SYMBOLS", "100000000", "SMART_MONEY_N_SYMBOLS=100000000 must be between 1 and 5000"),
        ("SMART_MONEY_N_SYMBOLS", "many", "SMART_MONEY_N_SYMBOLS='many' is not an integer"),
        (
            "SMART_MONEY_SAMPLE_START",
            "1900-01",
            "SMART_MONEY_SAMPLE_START='1900-01': the year must be between",
        ),
        (
            "SMART_MONEY_SAMPLE_START",
            "2010-01",
            "--sample-start / SMART_MONEY_SAMPLE_START 2010-01 is outside",
        ),
        ("SMART_MONEY_SIGNAL_STRENGTH", "9", "SMART_MONEY_SIGNAL_STRENGTH=9.0 must be between 0.0 and 1.5"),
        ("SMART_MONEY_SOURCE", "bloomberg", "SMART_MONEY_SOURCE='bloomberg' is not a known source"),
    ],
)
def test_bad_settings_get_one_clear_line_and_exit_2(fresh, capsys, monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    code, err, seconds = _build(capsys)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert seconds < 10


def test_a_dagster_home_that_is_a_file_is_refused(fresh, capsys, monkeypatch):
    (fresh / "a_file").write_text("not a folder")
    monkeypatch.setenv("DAGSTER_HOME", str(fresh / "a_file"))
    code, err, _ = _build(capsys)
    assert code == 2 and f"DAGSTER_HOME={fresh / 'a_file'} is a file" in err


def test_init_writes_run_monitoring_and_creates_the_storage(fresh, capsys):
    assert cli.main(["init"]) == 0
    home = fresh / "dagster_home"
    assert (home / "runs.db").exists() or any(home.rglob("*.db"))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.run_monitoring_enabled
        assert instance.get_runs() == []


def test_two_first_builds_started_together_on_a_fresh_dagster_home_both_succeed(tmp_path):
    """Without the initialization lock, two first runs created the SQLite schema twice (two alembic heads,
    or a UNIQUE constraint failure) and every later Dagster command failed."""
    home = tmp_path / "dagster_home"
    base = {k: v for k, v in os.environ.items() if not k.startswith("SMART_MONEY_")}
    processes = []
    for name in ("one", "two"):
        env = {
            **base,
            "DAGSTER_HOME": str(home),
            "SMART_MONEY_DATA_DIR": str(tmp_path / name / "data"),
            "SMART_MONEY_MODELS_DIR": str(tmp_path / name / "models"),
            "SMART_MONEY_N_SYMBOLS": "5",
            "SMART_MONEY_OPTIONS_FLOW": "off",
        }
        command = [sys.executable, "-m", "smart_money.cli", "build", "--skip-model", "--log-level", "ERROR"]
        command += ["--sample-start", "2024-12", "--sample-end", "2024-12"]
        processes.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    outputs = [p.communicate(timeout=600)[0].decode() for p in processes]
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output[-3000:]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        assert len(runs) == 4 and {r.job_name for r in runs} == {"raw", "features_and_labels"}
        assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
    later = subprocess.run(
        [sys.executable, "-m", "dagster", "run", "list", "--limit", "1"],
        env={**base, "DAGSTER_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert later.returncode == 0, later.stderr[-2000:]
    assert Path(home / "dagster.yaml").read_text() == deployment.dagster_yaml()


@pytest.mark.parametrize("command", [[], ["build"], ["init"], ["summary"], ["serve"], ["toggle"]])
def test_help_texts_are_plain_text(command):
    """No RST markup (double backticks) in what `smart-money --help` prints."""
    result = subprocess.run(
        [sys.executable, "-m", "smart_money.cli", *command, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "120"},
    )
    assert result.returncode == 0, result.stderr
    assert "usage: smart-money" in result.stdout and "``" not in result.stdout
    if not command:
        assert "Exit codes: 0 done, 1 a run failed, 2 a bad setting or argument" in " ".join(
            result.stdout.split()
        )


def test_the_window_refusal_exits_2_in_a_subprocess_naming_the_range_and_the_fix(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMART_MONEY_")}
    env.update(
        SMART_MONEY_DATA_DIR=str(tmp_path / "data"),
        SMART_MONEY_MODELS_DIR=str(tmp_path / "models"),
        DAGSTER_HOME=str(tmp_path / "dagster_home"),
    )
    result = subprocess.run(
        [sys.executable, "-m", "smart_money.cli", "build", "--sample-end", "2025-06"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == cli.EXIT_BAD_SETTINGS == 2
    assert result.stderr.strip().splitlines() == [
        "error: --sample-end / SMART_MONEY_SAMPLE_END 2025-06 is outside the synthetic source's history "
        "2019-01 … 2025-01; choose months within it; nothing was run"
    ]
    assert list(tmp_path.iterdir()) == []


def test_tables_without_rows_read_none_yet(tmp_path):
    from smart_money.warehouse import Warehouse

    lines = cli.table_counts(Warehouse(tmp_path / "data"))
    audit = next(line for line in lines if "feature_toggle_audit" in line)
    assert "none yet" in audit and "smart-money toggle" in audit
    assert not any("Exception" in line or " - " in line for line in lines)


class _Evaluation:
    def __init__(self, name: str, passed: bool, severity: dg.AssetCheckSeverity):
        self.check_name, self.passed, self.severity = name, passed, severity


class _Result:
    def __init__(self, *evaluations: _Evaluation):
        self.evaluations = evaluations

    def get_asset_check_evaluations(self):
        return list(self.evaluations)


def test_the_failure_message_names_fail_gates_only_when_a_gate_failed():
    warned = _Result(_Evaluation("features_missing_data", False, dg.AssetCheckSeverity.WARN))
    message = cli.failure_message(["raw"], [warned], ["universe: the source timed out"])
    assert "FAIL gates" not in message and "see the log above" in message
    assert "universe: the source timed out" in message
    failed = _Result(_Evaluation("raw_prices_completeness", False, dg.AssetCheckSeverity.ERROR))
    message = cli.failure_message(["raw"], [warned, failed], [])
    assert "see the FAIL gates (raw_prices_completeness) and the log above" in message
