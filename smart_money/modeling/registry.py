"""The model registry: every trained version with its status; at most one is ``production``.

A model is promoted only if it beats the volatility-only baseline on validation AUC
(``evaluation.promotion_decision``); the previous production model is then ``retired``. A model that loses
stays ``candidate`` with the reason, and the production model (if any) keeps serving.
"""

import json
from datetime import datetime

import numpy as np
import pandas as pd

from smart_money import tables, warehouse
from smart_money.modeling.training import json_safe

STATUSES = ("production", "candidate", "retired")


def registry_entry(metadata: dict, path: str) -> dict:
    """One registry row for a saved model, with the promotion decision applied."""
    from smart_money.modeling.evaluation import promotion_decision  # scikit-learn: not needed to serve

    metrics = metadata["metrics"]
    status, reason = promotion_decision(metrics, leaky=bool(metadata.get("split", {}).get("leaky")))
    return {
        "model_version": metadata["version"],
        "created_at": pd.Timestamp(metadata["created_at"]).floor("s"),
        "status": status,
        "reason": reason,
        "label_definition": metadata["label_definition"],
        "validation_auc": metrics["validation"]["auc"],
        "volatility_validation_auc": metrics["validation"]["baselines"]["volatility"]["auc"],
        "test_auc": metrics["test"]["auc"],
        "metrics": json.dumps(json_safe(metrics), default=_default, allow_nan=False),
        "path": path,
        "source": metadata.get("source", "unknown"),
    }


def register(registry: pd.DataFrame, entry: dict) -> pd.DataFrame:
    """Insert or replace ``entry`` by version; on promotion retire the previous production model."""
    registry = registry[registry["model_version"] != entry["model_version"]].copy()
    if entry["status"] == "production":
        registry.loc[registry["status"] == "production", "status"] = "retired"
    row = pd.DataFrame([entry])
    out = pd.concat([registry, row], ignore_index=True) if len(registry) else row
    return out.sort_values("created_at").reset_index(drop=True)


def read(data_dir=None) -> pd.DataFrame:
    return warehouse.read_keyed("model_registry", data_dir=data_dir)


def write(registry: pd.DataFrame, data_dir=None) -> None:
    warehouse.write_keyed("model_registry", registry[tables.MODEL_REGISTRY.column_names], data_dir=data_dir)


def production(registry: pd.DataFrame) -> pd.Series | None:
    """The production row, or None (cold start: predictions use the rules alone)."""
    rows = registry[registry["status"] == "production"]
    return None if rows.empty else rows.sort_values("created_at").iloc[-1]


def _default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)
