"""``predictions`` (group ``model``): conviction calls for the latest sample month, or any month asked.

It takes the registry entry of the newly registered model as a declared input, and predicts with the
serving model: that one when it was promoted, else the production model, else the rules alone."""

import json

import dagster as dg
import pandas as pd
from pydantic import Field

from smart_money import timeline
from smart_money.defs.features import features
from smart_money.defs.metadata import markdown_table, table_metadata
from smart_money.defs.splits import MODEL_GROUP
from smart_money.modeling import registry, training
from smart_money.modeling.predictions import RULES_ONLY_VERSION, predict
from smart_money.warehouse import Warehouse


class PredictionsConfig(dg.Config):
    """Which months to predict and with which model (README: Predictions)."""

    months: list[str] = Field(
        default_factory=list,
        description="Sample months to predict (YYYY-MM); empty: the latest month in `features`.",
    )
    model_version: str | None = Field(
        default=None,
        description="Registered model version to use; default: the production model, or the rules alone "
        "(cold start) when there is none.",
    )


def resolve_model(
    warehouse: Warehouse, version: str | None
) -> tuple[training.FittedModel | None, float | None, str]:
    """The model to predict with, by the serving rule (``registry.serving_model``), and its base rate."""
    try:
        row = registry.serving_model(registry.read(warehouse), version)
    except registry.RegistryError as exc:
        raise dg.Failure(f"predictions: {exc}") from exc
    if row is None:
        return None, None, RULES_ONLY_VERSION
    try:
        folder = registry.model_folder(row["path"], warehouse.models_dir)
        model, metadata = training.load_model(folder, registry.recorded_sha256(row))
    except ValueError as exc:  # ModelError included: names the folder and the file
        raise dg.Failure(f"predictions: model {row['model_version']} cannot be used: {exc}") from exc
    return model, float(metadata["base_rate_train"]), str(row["model_version"])


@dg.asset(group_name=MODEL_GROUP, deps=[features], kinds={"parquet"})
def predictions(
    context: dg.AssetExecutionContext,
    config: PredictionsConfig,
    warehouse: dg.ResourceParam[Warehouse],
    model_registry: dict,
) -> dg.MaterializeResult:
    """Predictions: one row per symbol × sample date × model version with probability, conviction_score
    (0.6 × rules + 0.4 × ML, rules alone at cold start), confidence, BULLISH/BEARISH, the four category
    signals and the top reasons in words."""
    available = warehouse.existing_months("features")
    if not available:
        raise dg.Failure("features has no partition: materialize features first")
    try:
        months = [timeline.month_start(f"{m}-01") for m in config.months] or [available[-1]]
    except ValueError as exc:
        raise dg.Failure(f"predictions: months {config.months} must be YYYY-MM ({exc})") from exc
    missing = [m for m in months if m not in set(available)]
    if missing:
        raise dg.Failure(f"predictions: features for {missing[0]:%Y-%m} are not materialized")
    model, base_rate, version = resolve_model(warehouse, config.model_version)
    if not config.model_version and model_registry["status"] != "production":
        context.log.warning(
            f"predictions: the newly registered {model_registry['version']} is {model_registry['status']} "
            f"({model_registry['reason']}); predicting with {version}"
        )
    if model is None:
        context.log.warning("predictions: no production model in model_registry; using the rules alone")
    frames = []
    for month in months:
        frame = warehouse.read_months("features", [month])
        result = predict(frame, model, base_rate, version)
        warehouse.write_keyed("predictions", result, {"model_version": version, "month": f"{month:%Y-%m}"})
        frames.append(result)
        context.log.info(f"predictions: {len(result)} rows for {month:%Y-%m} with {version}")
    out = pd.concat(frames, ignore_index=True)
    counts = out.groupby(["predicted_conviction", "confidence"]).size().rename("rows").reset_index()
    top = out.sort_values("conviction_score", ascending=False)[
        ["symbol", "sample_date", "conviction_score", "probability", "confidence", "top_reasons"]
    ]
    return dg.MaterializeResult(
        metadata=table_metadata(
            out,
            {
                "model_version": version,
                "months": ", ".join(f"{m:%Y-%m}" for m in months),
                "calls": dg.MetadataValue.md(markdown_table(counts, 10)),
                "top_conviction": dg.MetadataValue.md(markdown_table(top, 10)),
                "cold_start": model is None,
                "base_rate": json.dumps(base_rate),
                "newly_registered": f"{model_registry['version']} ({model_registry['status']})",
            },
            table="predictions",
        )
    )


assets = [predictions]
