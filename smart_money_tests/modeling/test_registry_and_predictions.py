import hashlib
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from smart_money import tables
from smart_money.modeling import evaluation, predictions, registry
from smart_money.warehouse import Warehouse


def _metadata(version: str, model_auc: float, volatility_auc: float, created: str) -> dict:
    segment = {"auc": model_auc, "baselines": {"volatility": {"auc": volatility_auc}}}
    return {
        "version": version,
        "created_at": created,
        "label_definition": "return_threshold",
        "source": "synthetic",
        "metrics": {"validation": segment, "test": segment},
    }


def test_registry_refuses_to_promote_a_model_that_loses_to_the_volatility_baseline():
    table = tables.MODEL_REGISTRY.empty()
    good = registry.registry_entry(_metadata("v1", 0.70, 0.66, "2026-01-01T00:00:00+00:00"), "/m/v1")
    table = registry.register(table, good)
    assert good["status"] == "production"
    loser = registry.registry_entry(_metadata("v2", 0.65, 0.66, "2026-02-01T00:00:00+00:00"), "/m/v2")
    assert loser["status"] == "candidate"
    assert "does not beat the volatility-only baseline" in loser["reason"]
    table = registry.register(table, loser)
    assert registry.production(table)["model_version"] == "v1"  # the winner keeps serving
    tie = registry.registry_entry(_metadata("v3", 0.66, 0.66, "2026-03-01T00:00:00+00:00"), "/m/v3")
    assert tie["status"] == "candidate"  # must beat, not equal


def test_a_model_from_a_leaky_split_is_never_promoted():
    metadata = _metadata("v9", 0.90, 0.66, "2026-04-01T00:00:00+00:00")
    metadata["split"] = {"leaky": True}
    entry = registry.registry_entry(metadata, "/m/v9")
    assert entry["status"] == "candidate" and "leaky" in entry["reason"]


def test_the_serving_model_is_the_asked_version_else_production_else_the_rules_alone():
    table = tables.MODEL_REGISTRY.empty()
    assert registry.serving_model(table) is None
    assert registry.serving_version(table) == registry.RULES_ONLY_VERSION == "rules-only"
    for version, auc, created in (("v1", 0.70, "2026-01-01"), ("v2", 0.65, "2026-02-01")):
        entry = registry.registry_entry(_metadata(version, auc, 0.66, f"{created}T00:00:00+00:00"), "/m")
        table = registry.register(table, entry)
    assert registry.serving_version(table) == "v1"  # v2 lost to the baseline: the production model serves
    assert registry.serving_model(table, "v2")["status"] == "candidate"  # asked for by name
    assert registry.serving_version(table, "v2") == "v2"
    with pytest.raises(registry.RegistryError, match=r"'v7' is not in model_registry \(registered: v1, v2\)"):
        registry.serving_model(table, "v7")
    table.loc[table["status"] == "production", "status"] = "retired"
    assert registry.serving_version(table) == "rules-only"  # nothing promoted: cold start


def test_the_registry_round_trips_through_the_warehouse_with_strict_json_metrics(tmp_path):
    warehouse = Warehouse(tmp_path)
    assert registry.read(warehouse).empty
    metadata = _metadata("v1", 0.70, 0.66, "2026-01-01T00:00:00+00:00")
    metadata["metrics"]["test"] = {"auc": np.float32(0.75), "ic": float("nan"), "rows": np.int64(12)}
    entry = registry.registry_entry(metadata, "/m/v1")
    assert json.loads(entry["metrics"])["test"] == {"auc": 0.75, "ic": None, "rows": 12}
    registry.write(warehouse, registry.register(tables.MODEL_REGISTRY.empty(), entry))
    stored = registry.read(warehouse)
    assert stored["model_version"].tolist() == ["v1"] and stored["status"].tolist() == ["production"]
    assert registry.serving_version(stored) == "v1"
    assert warehouse.query("select model_version from model_registry")["model_version"].tolist() == ["v1"]


def test_base_rate_baseline_calls_everything_bearish():
    labels = np.array([0, 0, 0, 1])
    metrics = evaluation.classification_metrics(labels, np.full(4, 0.25), threshold=0.25)
    assert metrics["accuracy"] == 0.75 and metrics["recall"] == 0.0
    assert metrics["confusion_matrix"] == {"tn": 3, "fp": 0, "fn": 1, "tp": 0}


def test_promotion_retires_the_previous_production_model():
    table = registry.register(
        tables.MODEL_REGISTRY.empty(),
        registry.registry_entry(_metadata("v1", 0.70, 0.66, "2026-01-01T00:00:00+00:00"), "/m/v1"),
    )
    table = registry.register(
        table, registry.registry_entry(_metadata("v2", 0.72, 0.66, "2026-02-01T00:00:00+00:00"), "/m/v2")
    )
    assert dict(zip(table["model_version"], table["status"], strict=True)) == {
        "v1": "retired",
        "v2": "production",
    }


def test_ml_score_is_50_at_the_base_rate():
    scores = predictions.ml_score(np.array([0.0, 0.1, 0.2, 0.6, 1.0]), base_rate=0.2)
    assert scores.tolist() == [0.0, 25.0, 50.0, 75.0, 100.0]


def test_confidence_rule():
    bullish = np.array([True, True, True, False])
    lift = np.array([2.5, 1.3, 2.5, 0.4])
    agree = np.array([2, 1, 1, 3])
    oppose = np.array([0, 1, 0, 0])
    assert predictions.confidence(bullish, lift, agree, oppose).tolist() == [
        "HIGH",
        "MEDIUM",
        "MEDIUM",
        "HIGH",
    ]
    assert predictions.confidence(bullish, None, np.array([3, 2, 1, 0]), np.zeros(4)).tolist() == [
        "HIGH",
        "MEDIUM",
        "LOW",
        "LOW",
    ]


def test_edge_capture_and_monthly_ic():
    assert np.isclose(evaluation.edge_capture(0.70, 0.60, 0.80), 0.5)
    assert np.isnan(evaluation.edge_capture(0.70, 0.80, 0.80))
    frame = pd.DataFrame(
        {
            "sample_date": pd.to_datetime(["2024-01-15"] * 4 + ["2024-02-15"] * 4),
            "score": [1, 2, 3, 4, 1, 2, 3, 4],
            "return_fwd": [0.1, 0.2, 0.3, 0.4, 0.4, 0.3, 0.2, 0.1],
        }
    )
    ic = evaluation.monthly_ic(frame, "score")
    assert ic["rank_ic"].tolist() == [1.0, -1.0]
    assert evaluation.ic_summary(ic)["rank_ic_mean"] == 0.0


def test_registry_paths_are_relative_to_the_models_directory_and_old_absolute_ones_still_resolve(tmp_path):
    models = tmp_path / "models"
    folder = models / "smart-money-flow" / "v1"
    assert registry.relative_path(folder, models) == "smart-money-flow/v1"
    assert registry.model_folder("smart-money-flow/v1", tmp_path / "elsewhere") == (
        tmp_path / "elsewhere" / "smart-money-flow" / "v1"
    )
    assert registry.model_folder(str(folder), tmp_path / "elsewhere") == folder  # an older registry's row
    with pytest.raises(ValueError, match="not under the models directory"):
        registry.relative_path(tmp_path / "other" / "v1", models)
    with pytest.raises(ValueError, match="leaves the models directory"):
        registry.model_folder("../../etc", models)
    with pytest.raises(ValueError, match="pass models_dir"):
        registry.model_folder("smart-money-flow/v1", None)


def test_a_registry_written_before_the_metadata_hash_column_still_reads_and_registers(tmp_path):
    warehouse = Warehouse(tmp_path)
    old = registry.register(
        tables.MODEL_REGISTRY.empty(),
        registry.registry_entry(_metadata("v1", 0.70, 0.66, "2026-01-01T00:00:00+00:00"), "/m/v1"),
    ).drop(columns=["metadata_sha256"])
    path = warehouse.keyed_path(registry.TABLE, {})
    path.parent.mkdir(parents=True)
    warehouse._write_arrow(pa.Table.from_pandas(old, preserve_index=False), path)  # the older schema
    assert "metadata_sha256" not in pq.read_schema(path).names
    stored = registry.read(warehouse)
    assert registry.recorded_sha256(stored.iloc[0]) is None  # not verified, but served
    entry = registry.registry_entry(
        _metadata("v2", 0.72, 0.66, "2026-02-01T00:00:00+00:00"), "m/v2", "ab" * 32
    )
    registry.write(warehouse, registry.register(stored, entry))
    stored = registry.read(warehouse)
    assert registry.recorded_sha256(stored.iloc[-1]) == "ab" * 32 and stored["status"].tolist() == [
        "retired",
        "production",
    ]


def test_the_server_falls_back_to_retired_models_newest_first_and_never_without_production():
    table = tables.MODEL_REGISTRY.empty()
    for version, created in (("v1", "2026-01-01"), ("v2", "2026-02-01"), ("v3", "2026-03-01")):
        entry = registry.registry_entry(_metadata(version, 0.70, 0.66, f"{created}T00:00:00+00:00"), "m")
        table = registry.register(table, entry)
    assert [r["model_version"] for r in registry.fallback_rows(table)] == ["v3", "v2", "v1"]
    table.loc[table["status"] == "production", "status"] = "candidate"
    assert registry.fallback_rows(table) == []


def test_the_built_registry_records_relative_paths_and_the_metadata_hash(built_default_market):
    row = built_default_market["registry"].iloc[-1]
    folder = built_default_market["folder"]
    assert row["path"] == f"smart-money-flow/{row['model_version']}"
    assert registry.model_folder(row["path"], built_default_market["models_dir"]) == folder
    assert row["metadata_sha256"] == hashlib.sha256((folder / "metadata.json").read_bytes()).hexdigest()
    recorded = json.loads((folder / "metadata.json").read_text())["files"]
    assert set(recorded) == {"model.txt", "normalizer.json", "calibration.json"}
