"""The model registry: every trained version with its status; at most one is ``production``.

A model is promoted only if it beats the volatility-only baseline on validation AUC
(``evaluation.promotion_decision``); the previous production model is then ``retired``. A model that loses
stays ``candidate`` with the reason, and the production model (if any) keeps serving.

Which model serves is one rule, :func:`serving_model`: the version asked for, else the newest production
row, else none, and then predictions use the rules alone under the version name ``rules-only``. The server
adds one fallback, :func:`fallback_rows`: when the production model's files fail verification it serves
the newest retired model that verifies, and says so.

A row's ``path`` is relative to the models directory (POSIX), so a copied data directory serves the models
directory it is given; absolute paths of older registries are used as written.
"""

from pathlib import Path, PurePosixPath

import pandas as pd

from smart_money import files, tables
from smart_money.modeling.predictions import RULES_ONLY_VERSION
from smart_money.warehouse import Warehouse

TABLE = tables.MODEL_REGISTRY.name
STATUSES = ("production", "candidate", "retired")


class RegistryError(LookupError):
    """A model version was asked for that the registry does not hold."""


def registry_entry(metadata: dict, path: str, metadata_sha256: str | None = None) -> dict:
    """One registry row for a saved model, with the promotion decision applied; ``path`` is its folder
    relative to the models directory and ``metadata_sha256`` the SHA-256 of its metadata.json."""
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
        "metadata_sha256": metadata_sha256,
        "source": metadata.get("source", "unknown"),
    }


def register(registry: pd.DataFrame, entry: dict) -> pd.DataFrame:
    """Insert or replace ``entry`` by version; on promotion retire the previous production model."""
    registry = registry[registry["model_version"] != entry["model_version"]].copy()
    for column in tables.MODEL_REGISTRY.column_names:  # a registry written before a column was added
        if column not in registry:
            registry[column] = None
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


def relative_path(folder: Path, models_dir: Path) -> str:
    """What the registry stores for a model ``folder``: its path under ``models_dir``, POSIX."""
    try:
        return Path(folder).resolve().relative_to(Path(models_dir).resolve()).as_posix()
    except ValueError:
        raise ValueError(f"model folder {folder} is not under the models directory {models_dir}") from None


def model_folder(path: str, models_dir: Path | None) -> Path:
    """The folder of a registry row's ``path``: under ``models_dir`` when relative (an absolute path, from
    an older registry, is used as written)."""
    stored = PurePosixPath(str(path))
    if Path(str(path)).is_absolute():
        return Path(str(path))
    if models_dir is None:
        raise ValueError(
            f"model path {str(path)[:80]!r} is relative to the models directory; pass models_dir"
        )
    if ".." in stored.parts:
        raise ValueError(f"model path {str(path)[:80]!r} leaves the models directory")
    return Path(models_dir) / Path(*stored.parts)


def recorded_sha256(row: pd.Series) -> str | None:
    """The metadata.json SHA-256 a registry row records, or None (a row from an older registry)."""
    value = row.get("metadata_sha256")
    return value if isinstance(value, str) and value else None


def fallback_rows(registry: pd.DataFrame) -> list[pd.Series]:
    """The rows the server may serve, in order: the production row, then the retired ones newest first
    (models that were production before it). Empty without a production row: a cold start serves the
    rules, never a retired model."""
    row = production(registry)
    if row is None:
        return []
    retired = registry[registry["status"] == "retired"].sort_values("created_at", ascending=False)
    return [row, *(r for _, r in retired.iterrows())]


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
