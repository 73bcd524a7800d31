"""``model_registry`` (group ``model``) and the blocking promotion check."""

import json
from pathlib import Path

import dagster as dg

from smart_money import warehouse
from smart_money.defs.dataset import MODEL_GROUP
from smart_money.defs.report import evaluation_report
from smart_money.defs.reporting import markdown_table, upstream_metadata
from smart_money.modeling import registry as registry_logic
from smart_money.modeling import training

MODEL_REGISTRY_PROMOTION = "model_registry_promotion"


@dg.asset(group_name=MODEL_GROUP, deps=[evaluation_report], kinds={"parquet"})
def model_registry(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """Model registry: one row per trained version (status production / candidate / retired, metrics JSON,
    path). The evaluated version becomes production only if it beats the volatility-only baseline's
    validation AUC; the previous production model is then retired."""
    upstream = upstream_metadata(context, "evaluation_report")
    folder = Path(upstream["model_path"])
    metadata = json.loads((folder / training.METADATA_FILE).read_text())
    entry = registry_logic.registry_entry(metadata, str(folder))
    table = registry_logic.register(registry_logic.read(), entry)
    registry_logic.write(table)
    warehouse.refresh_catalog()
    log = context.log.info if entry["status"] == "production" else context.log.warning
    log(f"model_registry: {entry['model_version']} is {entry['status']}: {entry['reason']}")
    shown = table.drop(columns=["metrics"]).sort_values("created_at", ascending=False)
    return dg.MaterializeResult(
        metadata={
            "model_version": entry["model_version"],
            "status": entry["status"],
            "reason": entry["reason"],
            "dagster/row_count": len(table),
            "registry": dg.MetadataValue.md(markdown_table(shown, 10)),
        }
    )


@dg.asset_check(
    asset=model_registry,
    name=MODEL_REGISTRY_PROMOTION,
    blocking=True,
    description="The newly registered model beat the volatility-only baseline on validation AUC and is "
    "production; otherwise ERROR, which keeps predictions from being published with it.",
)
def model_registry_promotion(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    version = upstream_metadata(context, "model_registry")["model_version"]
    table = registry_logic.read()
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
            "severity_level": "info" if row["status"] == "production" else "critical",
            "validation_auc": float(row["validation_auc"]),
            "volatility_validation_auc": float(row["volatility_validation_auc"]),
        },
    )


assets = [model_registry]
checks = [model_registry_promotion]
