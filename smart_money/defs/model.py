"""``smart_money_model`` (group ``model``): calibrated LightGBM and its baselines, saved as text + JSON.

The asset's output is the model's handle (name, version), which the report, the registry and the
predictions take as a declared input; the files live in ``<models_dir>/<name>/<version>/``."""

import json
import time
from dataclasses import asdict, fields

import dagster as dg
import pandas as pd
from pydantic import Field

from smart_money import gates, timeline
from smart_money.defs.artifacts import ARTIFACTS
from smart_money.defs.features import features
from smart_money.defs.labels import labels
from smart_money.defs.metadata import check_result
from smart_money.defs.raw import synthetic_truth
from smart_money.defs.resources import SmartMoneySource
from smart_money.defs.splits import MODEL_GROUP
from smart_money.features import catalog
from smart_money.modeling import experiment, splits, training, tuning
from smart_money.warehouse import Warehouse

MODEL_NAME = "smart-money-flow"
MODEL_ARTIFACT = "smart_money_model_artifact"
SCORES_FILE = "scores.parquet"
_DEFAULTS = training.ModelConfig()


class ModelTrainingConfig(dg.Config):
    """LightGBM hyperparameters and the training procedure (README: The model)."""

    objective: str = Field(default=_DEFAULTS.objective, description="LightGBM objective (binary).")
    metric: str = Field(default=_DEFAULTS.metric, description="Metric for early stopping on validation.")
    n_jobs: int = Field(default=_DEFAULTS.n_jobs, description="LightGBM threads.")
    num_leaves: int = Field(default=_DEFAULTS.num_leaves, description="Maximum leaves per tree.")
    learning_rate: float = Field(default=_DEFAULTS.learning_rate, description="Shrinkage per boosting round.")
    n_estimators: int = Field(default=_DEFAULTS.n_estimators, description="Maximum boosting rounds.")
    max_depth: int = Field(default=_DEFAULTS.max_depth, description="Maximum tree depth (-1: none).")
    min_child_samples: int = Field(default=_DEFAULTS.min_child_samples, description="Minimum rows per leaf.")
    subsample: float = Field(default=_DEFAULTS.subsample, description="Row share sampled per bagging round.")
    subsample_freq: int = Field(
        default=_DEFAULTS.subsample_freq, description="Bag every k rounds; LightGBM ignores subsample at 0."
    )
    colsample_bytree: float = Field(default=_DEFAULTS.colsample_bytree, description="Feature share per tree.")
    reg_alpha: float = Field(default=_DEFAULTS.reg_alpha, description="L1 regularization.")
    reg_lambda: float = Field(default=_DEFAULTS.reg_lambda, description="L2 regularization.")
    class_weight: str | None = Field(
        default=_DEFAULTS.class_weight,
        description="'balanced' weighs classes inversely to frequency; null: none.",
    )
    random_state: int = Field(default=_DEFAULTS.random_state, description="Seed: same data, same model.")
    early_stopping_rounds: int = Field(
        default=_DEFAULTS.early_stopping_rounds,
        description="Stop when validation AUC has not improved this long.",
    )
    calibration: str = Field(
        default=_DEFAULTS.calibration,
        description="isotonic (default), platt or none; fit on validation only.",
    )
    decision_threshold: float | None = Field(
        default=None,
        description="Calibrated probability from which a row counts as bullish in the classification "
        "metrics; default: the train segment's positive share.",
    )
    tune: bool = Field(
        default=False,
        description="Search the tuning grid below (learning_rate, max_depth, num_leaves, n_estimators) "
        "over time-series folds of train + validation before the final fit.",
    )
    tuning_folds: int = Field(default=3, description="Expanding-window time folds used by tuning.")
    tuning_learning_rate: list[float] = Field(
        default=tuning.DEFAULT_GRID["learning_rate"], description="Tuning grid: learning_rate values."
    )
    tuning_max_depth: list[int] = Field(
        default=tuning.DEFAULT_GRID["max_depth"], description="Tuning grid: max_depth."
    )
    tuning_num_leaves: list[int] = Field(
        default=tuning.DEFAULT_GRID["num_leaves"], description="Tuning grid: num_leaves values."
    )
    tuning_n_estimators: list[int] = Field(
        default=tuning.DEFAULT_GRID["n_estimators"], description="Tuning grid: n_estimators values."
    )

    def tuning_grid(self) -> dict[str, list]:
        return {
            "learning_rate": self.tuning_learning_rate,
            "max_depth": self.tuning_max_depth,
            "num_leaves": self.tuning_num_leaves,
            "n_estimators": self.tuning_n_estimators,
        }

    def training_config(self) -> training.ModelConfig:
        values = {
            f.name: getattr(self, f.name) for f in fields(training.ModelConfig) if hasattr(self, f.name)
        }
        return training.ModelConfig(**values)


def model_handle(version: str) -> dict:
    """What travels to the downstream assets: the registered model name and the version folder."""
    return {"model_name": MODEL_NAME, "version": version}


def handle_folder(warehouse: Warehouse, handle: dict):
    return warehouse.model_folder(handle["model_name"], handle["version"])


@dg.asset(
    group_name=MODEL_GROUP,
    deps=[features, labels, synthetic_truth],
    kinds={"lightgbm"},
    io_manager_key=ARTIFACTS,
)
def smart_money_model(
    context: dg.AssetExecutionContext,
    config: ModelTrainingConfig,
    source: SmartMoneySource,
    warehouse: dg.ResourceParam[Warehouse],
    dataset_splits: dict,
) -> dg.Output[dict]:
    """The smart-money model: a LightGBM classifier (normalizer fit on train, early stopping and isotonic
    calibration on validation) trained beside a volatility-only LightGBM and a logistic regression on the
    same splits. The hidden truth (synthetic source) is read only to score the oracle, never to train.
    Saved to models/smart-money-flow/<version>/ as model.txt, normalizer.json,
    calibration.json, metadata.json (metrics included) and the scored rows (scores.parquet)."""
    began = time.monotonic()
    rows = warehouse.read_keyed("dataset_splits")
    if rows.empty:
        raise dg.Failure("dataset_splits is empty: materialize dataset_splits first")
    months = sorted(timeline.month_starts(rows["sample_date"]).unique())
    feature_frame = warehouse.read_months("features", months, require=True)
    label_frame = warehouse.read_months("labels", months, require=True)
    truth = warehouse.read_months("synthetic_truth", months)  # empty for real sources: no oracle
    truth = truth if len(truth) else None
    dataset = experiment.assemble_training_set(rows, feature_frame, label_frame, truth)
    model_config = config.training_config()
    tuning_table = None
    if config.tune:
        train_validation = dataset[dataset["segment"].isin(["train", "validation"])].merge(
            rows[["symbol", "sample_date", "label_date"]], on=["symbol", "sample_date"]
        )
        model_config, tuning_table = tuning.tune(
            train_validation,
            list(catalog.FEATURE_NAMES),
            model_config,
            grid=config.tuning_grid(),
            n_folds=config.tuning_folds,
            log=context.log.info,
        )
        context.log.info(f"tuning: best {tuning_table.iloc[0].to_dict()}")
    result = experiment.run_experiment(
        dataset,
        model_config,
        decision_threshold=config.decision_threshold,
        oracle_available=experiment.oracle_applies(label_frame),
        log=context.log.info,
    )
    folder = warehouse.model_folder(MODEL_NAME, result.version)
    summary = splits.split_summary(rows)
    metadata = {
        "model_name": MODEL_NAME,
        "version": result.version,
        "created_at": result.created_at.isoformat(),
        "feature_names": result.model.feature_names,
        "parameters": {**asdict(model_config), "best_iteration": result.model.best_iteration},
        "label_definition": str(label_frame["label_definition"].dropna().iloc[0]),
        "source": source.source_name,
        "signal_strength": getattr(source, "signal_strength", None),
        "data_window": [rows["sample_date"].min().isoformat(), rows["sample_date"].max().isoformat()],
        "split": {
            "method": str(rows["split_method"].iloc[0]),
            "leaky": bool(rows["leaky"].any()),
            "embargo_days": int(dataset_splits["embargo_days"]),
            "horizon_days": int((rows["label_date"] - rows["sample_date"]).dt.days.min()),
            "segments": json.loads(summary.to_json(orient="records", date_format="iso")),
        },
        "dataset_fingerprint": result.fingerprint,
        "base_rate_train": result.base_rate,
        "decision_threshold": result.threshold,
        "oracle_available": result.oracle_available,
        "tuning": None
        if tuning_table is None
        else json.loads(tuning_table.head(10).to_json(orient="records")),
        "metrics": result.metrics,
    }
    scores = result.scores.assign(model_version=result.version, source=source.source_name)
    training.save_model(
        result.model, folder, metadata, extra=lambda tmp: scores.to_parquet(tmp / SCORES_FILE, index=False)
    )
    m = result.metrics
    context.log.info(
        f"smart_money_model {result.version}: test AUC {m['test']['auc']:.4f} vs volatility "
        f"{m['test']['baselines']['volatility']['auc']:.4f}, oracle {m['test']['oracle_auc']}, "
        f"in {time.monotonic() - began:.1f}s -> {folder}"
    )
    return dg.Output(
        model_handle(result.version),
        metadata={
            "model_version": result.version,
            "model_path": dg.MetadataValue.path(str(folder)),
            "best_iteration": result.model.best_iteration,
            "validation_auc": m["validation"]["auc"],
            "test_auc": m["test"]["auc"],
            "volatility_baseline_test_auc": m["test"]["baselines"]["volatility"]["auc"],
            "oracle_test_auc": m["test"]["oracle_auc"] if m["test"]["oracle_auc"] is not None else "n/a",
            "edge_capture_test": m["test"]["edge_capture"]
            if m["test"]["edge_capture"] is not None
            else "n/a",
            "dataset_fingerprint": result.fingerprint,
            "train_rows": int((dataset["segment"] == "train").sum()),
        },
    )


def read_scores(folder) -> pd.DataFrame:
    return pd.read_parquet(folder / SCORES_FILE)


@dg.asset_check(
    asset=smart_money_model,
    name=MODEL_ARTIFACT,
    blocking=True,
    description="The saved model folder verifies as serving loads it: model.txt, normalizer.json and "
    "calibration.json match the SHA-256 metadata.json records, the metadata is complete, and every "
    "defined AUC lies in [0, 1] (critical if not: the report and the registry would describe a model "
    "serving refuses).",
)
def smart_money_model_artifact(
    smart_money_model: dict, warehouse: dg.ResourceParam[Warehouse]
) -> dg.AssetCheckResult:
    folder = handle_folder(warehouse, smart_money_model)
    try:
        metadata, error = training.read_model_files(folder).metadata, None
    except training.ModelError as exc:
        metadata, error = None, str(exc)
    return check_result(gates.model_artifact_gate(MODEL_ARTIFACT, str(folder), error, metadata))


assets = [smart_money_model]
checks = [smart_money_model_artifact]
