"""Simulated markets built through the real Dagster runtime, as `make run` builds them (500 symbols × 36
sample months, the options flow included): the model, serving, options-flow and notebook tests read them."""

import json
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from smart_money import cli, warehouse
from smart_money.definitions import build_definitions

RAW = (pd.Timestamp("2019-01-01"), pd.Timestamp("2025-01-01"))
SAMPLES = (pd.Timestamp("2022-01-01"), pd.Timestamp("2024-12-01"))


def environment(root: Path, signal_strength: str) -> dict[str, str]:
    return {
        "SMART_MONEY_DATA_DIR": str(root / "data"),
        "SMART_MONEY_MODELS_DIR": str(root / "models"),
        "SMART_MONEY_SIGNAL_STRENGTH": signal_strength,
        "DAGSTER_HOME": str(root / "dagster_home"),
    }


def build_market(root: Path, signal_strength: str, instance: dg.DagsterInstance | None = None) -> dict:
    """Raw, features and model groups in ``root``; the environment is set only while building."""
    env = environment(root, signal_strength)
    instance = instance or dg.DagsterInstance.ephemeral()
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        defs = build_definitions()
        evaluation = dg.AssetSelection.assets("options_flow_evaluation")
        flow = dg.AssetSelection.groups("options_flow") - evaluation
        steps = (
            ("raw", RAW, None),
            ("options_flow", SAMPLES, flow),
            ("options_flow", (None, None), evaluation),
            ("features", SAMPLES, None),
        )
        for group, window, selection in steps:  # as `make run` does
            assert cli.materialize_range(
                group, *window, log_level="WARNING", defs=defs, instance=instance, selection=selection
            ).success
        result = cli.materialize_range("model", None, None, log_level="WARNING", defs=defs, instance=instance)
        materialized = {
            e.asset_key.to_user_string(): {k: v.value for k, v in e.materialization.metadata.items()}
            for e in result.get_asset_materialization_events()
        }
        checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
        version = materialized["smart_money_model"]["model_version"]
        folder = Path(materialized["smart_money_model"]["model_path"])
        metadata = json.loads((folder / "metadata.json").read_text())
        registry = warehouse.read_keyed("model_registry")
        scores = warehouse.query(f"select * from evaluation_scores where model_version = '{version}'")
        preds = warehouse.query("select * from predictions") if warehouse.has_data("predictions") else None
    return {
        "root": root,
        "environment": env,
        "data_dir": Path(env["SMART_MONEY_DATA_DIR"]),
        "models_dir": Path(env["SMART_MONEY_MODELS_DIR"]),
        "defs": defs,
        "instance": instance,
        "result": result,
        "materialized": materialized,
        "checks": checks,
        "folder": folder,
        "metadata": metadata,
        "registry": registry,
        "scores": scores,
        "predictions": preds,
    }
