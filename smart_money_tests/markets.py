"""Simulated markets built through the real Dagster runtime with the same stage jobs as `make run` (500
symbols × 36 sample months, the options flow included): the model, serving, options-flow and notebook tests
read them. Each market has its own warehouse resource, so nothing depends on the environment."""

import json
from pathlib import Path

import dagster as dg
import pandas as pd

from smart_money import cli
from smart_money.definitions import build_definitions
from smart_money.defs import jobs, partitions
from smart_money.defs.resources import SmartMoneySource, SyntheticSource, WarehouseResource
from smart_money.warehouse import Warehouse

RAW = (pd.Timestamp("2019-01-01"), pd.Timestamp("2025-01-01"))
SAMPLES = (pd.Timestamp("2022-01-01"), pd.Timestamp("2024-12-01"))


def warehouse_resource(root: Path) -> WarehouseResource:
    return WarehouseResource(data_dir=str(root / "data"), models_dir=str(root / "models"))


def definitions_for(
    root: Path, source: SmartMoneySource | None = None, samples: tuple | None = None
) -> dg.Definitions:
    """The project's Definitions over a warehouse in ``root`` (data/, models/) and ``source``; its sample
    partitions are ``samples``, default the source's whole history (so any test window fits)."""
    source = source or SyntheticSource()
    samples = samples or partitions.source_months(source.history_start(), source.history_end())
    return build_definitions(source=source, warehouse=warehouse_resource(root), samples=samples)


def run_plan(defs: dg.Definitions, plan: list[cli.Stage], instance: dg.DagsterInstance) -> list:
    """Run every stage, asserting each succeeds (or only the promotion refused the model); return the
    results."""
    results = []
    for stage in plan:
        result = cli.run_stage(stage, defs, instance, log_level="WARNING")
        assert result.success or cli.promotion_refused(result), f"job {stage.job} failed"
        assert result.dagster_run.job_name == stage.job
        results.append(result)
    return results


def environment(root: Path, signal_strength: str) -> dict[str, str]:
    """The environment under which `smart-money build` would build the same market in ``root``."""
    return {
        "SMART_MONEY_DATA_DIR": str(root / "data"),
        "SMART_MONEY_MODELS_DIR": str(root / "models"),
        "SMART_MONEY_SIGNAL_STRENGTH": signal_strength,
        "DAGSTER_HOME": str(root / "dagster_home"),
    }


def build_market(root: Path, signal_strength: str, instance: dg.DagsterInstance | None = None) -> dict:
    """Raw, options-flow, features and model jobs in ``root``, as `make run` runs them."""
    instance = instance or dg.DagsterInstance.ephemeral()
    defs = definitions_for(root, SyntheticSource(signal_strength=float(signal_strength)), SAMPLES)
    runs = run_plan(defs, cli.build_plan(RAW, SAMPLES), instance)
    result = next(r for r in runs if r.dagster_run.job_name == jobs.MODEL_JOB)
    materialized = {
        e.asset_key.to_user_string(): {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
    }
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    warehouse = Warehouse(root / "data", root / "models")
    version = materialized["smart_money_model"]["model_version"]
    folder = Path(materialized["smart_money_model"]["model_path"])
    metadata = json.loads((folder / "metadata.json").read_text())
    scores = warehouse.query(f"select * from evaluation_scores where model_version = '{version}'")
    predictions = warehouse.query("select * from predictions") if warehouse.has_data("predictions") else None
    return {
        "root": root,
        "environment": environment(root, signal_strength),
        "data_dir": warehouse.data_dir,
        "models_dir": warehouse.models_dir,
        "warehouse": warehouse,
        "defs": defs,
        "instance": instance,
        "result": result,
        "materialized": materialized,
        "checks": checks,
        "folder": folder,
        "metadata": metadata,
        "registry": warehouse.read_keyed("model_registry"),
        "scores": scores,
        "predictions": predictions,
    }
