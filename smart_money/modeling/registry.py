"""The model registry: every trained version with its status; at most one is ``production``.

A model is promoted only if it beats the volatility-only baseline on validation AUC
(``evaluation.promotion_decision``); the previous production model is then ``retired``. A model that loses
stays ``candidate`` with the reason, and the production model (if any) keeps serving.

Which model serves is one rule, :func:`serving_model`: the version asked for, else the newest production
row, else none, and then predictions use the rules alone under the version name ``rules-only``.
"""

import pandas as pd

from smart_money import files, tables
from smart_money.modeling.predictions import RULES_ONLY_VERSION
from smart_money.warehouse import Warehouse

TABLE = tables.MODEL_REGISTRY.name
STATUSES = ("production", "candidate", "retired")


class RegistryError(LookupError):
    """A model version was asked for that the registry does not hold."""


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
        "metrics": files.dumps(metrics),
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


def read(warehouse: Warehouse) -> pd.DataFrame:
    """The registry table (empty when no model was ever registered)."""
    return warehouse.read_keyed(TABLE)


def write(warehouse: Warehouse, registry: pd.DataFrame) -> None:
    """Replace the registry table (atomically; the warehouse refreshes its catalog)."""
    warehouse.write_keyed(TABLE, registry[tables.MODEL_REGISTRY.column_names])


def production(registry: pd.DataFrame) -> pd.Series | None:
    """The newest production row, or None (cold start)."""
    rows = registry[registry["status"] == "production"]
    return None if rows.empty else rows.sort_values("created_at").iloc[-1]


def serving_model(registry: pd.DataFrame, version: str | None = None) -> pd.Series | None:
    """The registry row predictions are made with: ``version`` when one is asked for, else the production
    row; None when no model serves (predictions then use the rules alone, as ``RULES_ONLY_VERSION``)."""
    if not version:
        return production(registry)
    rows = registry[registry["model_version"] == version]
    if rows.empty:
        known = ", ".join(registry["model_version"].astype(str)) or "none"
        raise RegistryError(
            f"model_version {version!r} is not in {TABLE} (registered: {known}); pick a registered "
            "version or leave it empty for the production model"
        )
    return rows.iloc[0]


def serving_version(registry: pd.DataFrame, version: str | None = None) -> str:
    """The version name predictions carry: the serving model's, or ``RULES_ONLY_VERSION``."""
    row = serving_model(registry, version)
    return RULES_ONLY_VERSION if row is None else str(row["model_version"])
