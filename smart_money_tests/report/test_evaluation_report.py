"""The evaluation report on the segments a small universe gives: tiny, single-class or empty. Every metric
such a segment cannot define is NaN in memory and null in ``metadata.json``; the report renders them as
"n/a", draws its plots, and the promotion decision refuses to promote on an undefined AUC."""

import json

import numpy as np
import pandas as pd
import pytest

from smart_money import files
from smart_money.features import catalog
from smart_money.modeling import evaluation, experiment
from smart_money.report import evaluation_report

FEATURES = list(catalog.FEATURE_NAMES)


def _scores(segment_rows: dict[str, list[int]], symbols: int = 5, seed: int = 3) -> pd.DataFrame:
    """Scored rows like ``run_experiment``'s: per segment, one list of labels per sample month."""
    rng = np.random.default_rng(seed)
    parts = []
    for segment, months in segment_rows.items():
        for m, positives in enumerate(months):
            date = pd.Timestamp("2024-01-15") + pd.DateOffset(months=m + (6 if segment == "test" else 0))
            n = symbols
            label = np.zeros(n, int)
            label[:positives] = 1
            raw = rng.normal(size=n)
            parts.append(
                pd.DataFrame(
                    {
                        "segment": segment,
                        "symbol": [f"SYN{i:03d}" for i in range(1, n + 1)],
                        "sample_date": date,
                        "probability": 1 / (1 + np.exp(-raw)),
                        "raw_score": raw,
                        "volatility_baseline": rng.uniform(size=n),
                        "volatility_raw": rng.normal(size=n),
                        "logistic_baseline": rng.uniform(size=n),
                        "logistic_raw": rng.normal(size=n),
                        "rules_score": rng.normal(size=n),
                        "true_probability": rng.uniform(size=n),
                        "label": label,
                        "return_fwd": rng.normal(0, 0.05, size=n),
                    }
                )
            )
    columns = [
        "segment", "symbol", "sample_date", "probability", "raw_score", "volatility_baseline",
        "volatility_raw", "logistic_baseline", "logistic_raw", "rules_score", "true_probability", "label",
        "return_fwd",
    ]  # fmt: skip
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def _metadata(scores: pd.DataFrame, oracle: bool = True) -> dict:
    """``metadata.json`` as the report reads it: measured, then through strict JSON (NaN -> null)."""
    metrics = experiment.measure(scores, base_rate=0.2, threshold=0.2, oracle=oracle)
    segments = [
        {
            "segment": name,
            "first_sample_date": part["sample_date"].min().isoformat() if len(part) else None,
            "last_sample_date": part["sample_date"].max().isoformat() if len(part) else None,
            "months": int(part["sample_date"].nunique()),
            "rows": len(part),
            "embargoed": 0,
            "positive_share": float(part["label"].mean()) if len(part) else float("nan"),
        }
        for name, part in scores.groupby("segment")
    ]
    metadata = {
        "version": "20250101T000000Z-abcdef12",
        "created_at": "2025-01-01T00:00:00+00:00",
        "source": "fmp",
        "label_definition": "return_threshold",
        "feature_names": FEATURES,
        "dataset_fingerprint": "0" * 64,
        "data_window": ["2024-01-15T00:00:00", "2024-12-13T00:00:00"],
        "split": {
            "method": "time",
            "leaky": False,
            "embargo_days": 14,
            "horizon_days": 14,
            "segments": segments,
        },
        "metrics": metrics,
    }
    return json.loads(files.dumps(metadata))


def _render(scores: pd.DataFrame, metadata: dict) -> evaluation_report.Report:
    test = scores[scores["segment"] == "test"]
    rng = np.random.default_rng(0)
    contributions = pd.DataFrame(rng.normal(size=(len(test), len(FEATURES))), columns=FEATURES)
    values = pd.DataFrame(rng.normal(size=(len(test), len(FEATURES))), columns=FEATURES)
    gain = pd.Series(np.arange(len(FEATURES), dtype=float), index=FEATURES).sort_values(ascending=False)
    status, reason = evaluation.promotion_decision(metadata["metrics"])
    return evaluation_report.render(metadata, scores, gain, contributions, values, status, reason)


def test_five_symbols_single_class_validation_renders_with_na_and_is_not_promoted():
    # validation: two months, no positive at all; test: three months with positives; 5 rows per month,
    # so no month has ten rows for deciles
    scores = _scores({"validation": [0, 0], "test": [1, 2, 1]})
    metadata = _metadata(scores)
    validation = metadata["metrics"]["validation"]
    assert validation["auc"] is None and validation["baselines"]["volatility"]["auc"] is None
    assert metadata["metrics"]["test"]["finance"]["top_minus_bottom_decile"] is None
    status, reason = evaluation.promotion_decision(metadata["metrics"])
    assert status == "candidate" and "validation AUC is undefined" in reason
    report = _render(scores, metadata)
    assert "<h2>Finance view</h2>" in report.html and "n/a" in report.html
    assert "No test month has ten scored rows" in report.html
    assert set(report.plots) >= {"roc_test", "reliability_test", "monthly_ic_test", "deciles_test"}
    assert all(png.startswith(b"\x89PNG") for png in report.plots.values())
    # the test segment's AUC is defined and shown
    test_auc = metadata["metrics"]["test"]["auc"]
    assert test_auc is not None and f"{test_auc:.4f}" in report.html


@pytest.mark.parametrize(
    "segments",
    [
        {"validation": [1], "test": [0]},  # one month each, test single-class
        {"validation": [2, 0], "test": []},  # no test rows at all
    ],
    ids=["single-month-segments", "empty-test"],
)
def test_tiny_and_empty_segments_render(segments):
    scores = _scores(segments)
    metadata = _metadata(scores, oracle=False)
    report = _render(scores, metadata)
    assert "smart-money evaluation" in report.html
    assert metadata["metrics"]["test"]["auc"] is None
    assert report.headline_markdown.count("n/a") >= 2


def test_metrics_of_an_empty_or_single_row_segment_are_nan_not_errors():
    empty = evaluation.classification_metrics(np.array([], int), np.array([], float), 0.2)
    assert empty["rows"] == 0 and np.isnan(empty["accuracy"]) and np.isnan(empty["log_loss"])
    assert evaluation.reliability(np.array([1]), np.array([0.3]))["rows"].tolist() == [1]
    assert evaluation.reliability(np.array([], int), np.array([], float)).empty
    assert list(
        evaluation.monthly_ic(pd.DataFrame(columns=["sample_date", "s", "return_fwd"]), "s").columns
    ) == [
        "sample_date",
        "rows",
        "ic",
        "rank_ic",
    ]
    assert np.isnan(evaluation.number(None)) and evaluation.number(3) == 3.0
    assert np.isnan(evaluation.edge_capture(None, 0.6, 0.7))
