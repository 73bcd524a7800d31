import json

import numpy as np
import pandas as pd
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
