"""The toggle store on its own: state from the audit file, other writers seen, the catalog refreshed."""

import subprocess
import sys
import time

import duckdb
import pytest

from smart_money.serve import toggles
from smart_money.serve.toggles import ToggleError, ToggleStore
from smart_money.warehouse import Warehouse


def test_a_change_is_audited_seen_by_another_store_and_shown_in_the_catalog(tmp_path):
    warehouse = Warehouse(tmp_path)
    store, other = ToggleStore(warehouse), ToggleStore(Warehouse(tmp_path))
    assert store.state("smart_money_flow")["enabled"] is False and store.history() == []
    assert other.is_enabled("smart_money_flow") is False  # cached before the change
    store.set("smart_money_flow", True, "ops", "reviewed")
    assert other.is_enabled("smart_money_flow") is True  # one stat shows the new file
    other.set("smart_money_flow", True, "lead", "confirmed")
    assert [(r["actor"], r["old_enabled"], r["new_enabled"]) for r in store.history()] == [
        ("lead", True, True),
        ("ops", False, True),
    ]
    # the first change created the views, and they read the file: the second shows without a refresh
    with duckdb.connect(str(warehouse.catalog_path), read_only=True) as con:
        assert con.execute("select actor, new_enabled from feature_toggles").fetchall() == [("lead", True)]
        assert con.execute("select count(*) from feature_toggle_audit").fetchone()[0] == 2
    with pytest.raises(ToggleError, match="reason must be 1-500 characters"):
        store.set("smart_money_flow", False, "ops", " ")
    with pytest.raises(ToggleError, match="unknown feature 'other'"):
        store.state("other")


def test_the_first_change_is_saved_while_another_process_holds_the_catalog(tmp_path, monkeypatch, caplog):
    warehouse = Warehouse(tmp_path)
    store = ToggleStore(warehouse)
    warehouse.refresh_catalog()  # a catalog without the toggle views
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            f"con = duckdb.connect({str(warehouse.catalog_path)!r})\n"
            "print('locked', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        monkeypatch.setattr(toggles, "CATALOG_REFRESH_S", 0.5)
        started = time.monotonic()
        state = store.set("smart_money_flow", True, "ops", "during a pipeline run")
        assert time.monotonic() - started < 5
    finally:
        holder.communicate("")
    assert state["enabled"] is True and ToggleStore(Warehouse(tmp_path)).is_enabled("smart_money_flow")
    assert "the change is saved; the catalog views feature_toggles" in caplog.text
    warehouse.refresh_catalog()  # the pipeline's next refresh
    with duckdb.connect(str(warehouse.catalog_path), read_only=True) as con:
        assert con.execute("select reason from feature_toggles").fetchall() == [("during a pipeline run",)]
