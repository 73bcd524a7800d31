"""``model_registry`` (group ``model``) and the blocking promotion check.

The registry takes the evaluated model's handle as a declared input; its output is the registry entry of
that version, which the promotion check and the predictions take as inputs."""

import json

import dagster as dg

from smart_money import gates
from smart_money.defs.artifacts import ARTIFACTS
from smart_money.defs.metadata import markdown_table
from smart_money.defs.model import handle_folder
from smart_money.defs.splits import MODEL_GROUP
from smart_money.modeling import registry, training
from smart_money.warehouse import Warehouse

MODEL_REGISTRY_PROMOTION = "model_registry_promotion"


@dg.asset(group_name=MODEL_GROUP, kinds={"parquet"}, io_manager_key=ARTIFACTS)
def model_registry(
    context: dg.AssetExecutionContext, warehouse: dg.ResourceParam[Warehouse], evaluation_report: dict
) -> dg.Output[dict]:
    """Model registry: one row per trained version (status production / candidate / retired, metrics JSON,
    path relative to the models directory, SHA-256 of its metadata.json). The evaluated version becomes
    production only if it beats the volatility-only baseline's validation AUC; the previous production
    model is then retired."""
    folder = handle_folder(warehouse, evaluation_report)
    raw = (folder / training.METADATA_FILE).read_bytes()  # one read: the hash is of what was parsed
    entry = registry.registry_entry(
        json.loads(raw),
        registry.relative_path(folder, warehouse.models_dir),
        training.sha256_bytes(raw),
    )
    table = registry.register(registry.read(warehouse), entry)
    registry.write(warehouse, table)
    log = context.log.info if entry["status"] == "production" else context.log.warning
    log(f"model_registry: {entry['model_version']} is {entry['status']}: {entry['reason']}")
    shown = table.drop(columns=["metrics"]).sort_values("created_at", ascending=False)
    handle = {
        **{k: evaluation_report[k] for k in ("model_name", "version")},
        "status": entry["status"],
        "reason": entry["reason"],
    }
    return dg.Output(
        handle,
        metadata={
            "model_version": entry["model_version"],
            "status": entry["status"],
            "reason": entry["reason"],
            "dagster/row_count": len(table),
            "registry": dg.MetadataValue.md(markdown_table(shown, 10)),
        },
    )


@dg.asset_check(
    asset=model_registry,
    name=MODEL_REGISTRY_PROMOTION,
    blocking=True,
    description="The newly registered model beat the volatility-only baseline on validation AUC and is "
    "production; otherwise ERROR, which keeps predictions from being published with it.",
)
def model_registry_promotion(
    model_registry: dict, warehouse: dg.ResourceParam[Warehouse]
) -> dg.AssetCheckResult:
    version = model_registry["version"]
    table = registry.read(warehouse)
    row = table[table["model_version"] == version]
    if row.empty:
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"summary": f"{version} is not in the registry", "severity_level": "critical"},
        )
    row = row.iloc[0]
    return dg.AssetCheckResult(
        passed=row["status"] == "production",
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "summary": f"{version}: {row['status']}: {row['reason']}",
            "severity_level": gates.PASSED if row["status"] == "production" else gates.CRITICAL,
            "validation_auc": float(row["validation_auc"]),
            "volatility_validation_auc": float(row["volatility_validation_auc"]),
        },
    )


assets = [model_registry]
checks = [model_registry_promotion]
