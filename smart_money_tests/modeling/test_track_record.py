"""The live track record as plain functions: outcomes are the published predictions joined to the labels,
the figures match an independent recomputation (scikit-learn, SciPy), a no-signal market shows no edge over
the volatility baseline, and the degradation check fires on shuffled labels."""

import dataclasses
import json
from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from smart_money import sample_tables, timeline
from smart_money.features.build import RawFrames
from smart_money.labels import build_labels
from smart_money.modeling import experiment, splits
from smart_money.modeling import track_record as tr
from smart_money.modeling.predictions import predict
from smart_money.modeling.training import ModelConfig
from smart_money.sources.synthetic.market import MarketConfig, simulate_market

VERSION = "20250101T000000Z-test0001"


def _metadata(result: experiment.ExperimentResult, rows: pd.DataFrame, config: ModelConfig) -> dict:
    """What smart_money_model writes to metadata.json, for the fields the track record reads."""
    summary = splits.split_summary(rows)
    return {
        "version": VERSION,
        "label_definition": "return_threshold",
        "decision_threshold": result.threshold,
        "base_rate_train": result.base_rate,
        "data_window": [rows["sample_date"].min().isoformat(), rows["sample_date"].max().isoformat()],
        "parameters": {**dataclasses.asdict(config), "best_iteration": result.model.best_iteration},
        "split": {
            "method": "time",
            "leaky": False,
            "embargo_days": timeline.LABEL_HORIZON_DAYS,
            "horizon_days": int((rows["label_date"] - rows["sample_date"]).dt.days.min()),
            "segments": json.loads(summary.to_json(orient="records", date_format="iso")),
        },
        "metrics": json.loads(json.dumps(result.metrics, default=float)),
    }


def _published(features, labels, rows, truth, config) -> dict:
    """Train on the split, then publish predictions for every sample month as the predictions asset does."""
    dataset = experiment.assemble_training_set(rows, features, labels, truth)
    result = experiment.run_experiment(dataset, config)
    metadata = _metadata(result, rows, config)
    preds = predict(features, result.model, result.base_rate, VERSION)
    baseline = result.baselines["volatility"].predict_proba(features)
    outcomes = tr.prediction_outcomes(preds, labels, metadata, baseline)
    return {
        "result": result,
        "metadata": metadata,
        "predictions": preds,
        "baseline": baseline,
        "outcomes": outcomes,
        "features": features,
        "labels": labels,
        "rows": rows,
    }


@pytest.fixture(scope="module")
def published(market_frames, split_and_training_set):
    features, labels, truth = market_frames
    rows, _ = split_and_training_set
    return _published(features, labels, rows, truth, ModelConfig(n_jobs=1))


@pytest.fixture(scope="module")
def no_signal_published():
    """A small no-information market (400 symbols × 36 months, signal_strength 0) with a longer live window
    (train 60%, validation 15%: 9 live months), so the edge is measured on ~3,600 rows."""
    world = simulate_market(
        MarketConfig(
            seed=5, n_symbols=400, start=date(2019, 1, 1), end=date(2025, 1, 31), signal_strength=0.0
        )
    )
    months = timeline.months_between(pd.Timestamp("2022-01-01"), pd.Timestamp("2024-12-01"))
    dates = dict(zip(months, timeline.sample_dates(months), strict=True))
    grid = pd.concat(
        [world.universe.assign(month=m, sample_date=dates[m]) for m in months], ignore_index=True
    )
    raw = RawFrames(
        insider_trades=world.insider_trades,
        institutional_holdings=world.institutional_holdings,
        congress_trades=world.congress_trades,
        etf_holdings=world.etf_holdings,
        prices=world.prices,
    )
    features = sample_tables.features_for(grid, raw)
    labels = build_labels(grid, world.prices, features, None).assign(source="synthetic")
    features = features.assign(source="synthetic")
    split = splits.SplitConfig(train_fraction=0.60, validation_fraction=0.15)
    rows = splits.split_rows(labels, split, timeline.LABEL_HORIZON_DAYS)
    return _published(features, labels, rows, world.truth, ModelConfig(n_jobs=1))


def test_outcomes_are_the_published_predictions_joined_to_their_labels(published):
    preds, labels, outcomes = published["predictions"], published["labels"], published["outcomes"]
    expected = preds.assign(baseline_probability=published["baseline"]).merge(
        labels[labels["label_return"].notna()], on=["symbol", "sample_date"]
    )
    expected = expected.sort_values(["sample_date", "symbol"]).reset_index(drop=True)
    assert len(outcomes) == len(expected) > 0
    assert (outcomes["model_version"] == VERSION).all()
    for column in ("symbol", "predicted_conviction", "confidence"):
        assert outcomes[column].tolist() == expected[column].tolist()
    for column in (
        "probability",
        "conviction_score",
        "baseline_probability",
        "return_fwd",
        "excess_return_fwd",
    ):
        np.testing.assert_allclose(outcomes[column], expected[column])
    assert outcomes["label"].tolist() == expected["label_return"].astype(int).tolist()
    assert outcomes["label_market_excess"].tolist() == expected["label_market_excess"].tolist()
    threshold = published["metadata"]["decision_threshold"]
    assert (
        outcomes["baseline_conviction"].tolist()
        == np.where(expected["baseline_probability"] > threshold, "BULLISH", "BEARISH").tolist()
    )
    # in-sample: on or before the validation segment's last sample date
    last_validation = published["rows"].query("segment == 'validation'")["sample_date"].max()
    assert outcomes["in_sample"].tolist() == (expected["sample_date"] <= last_validation).tolist()
    assert outcomes["in_sample"].any() and not outcomes["in_sample"].all()


def _expected_figures(part: pd.DataFrame) -> dict:
    """The track-record figures recomputed independently (scikit-learn, SciPy, plain numpy)."""
    y = part["label"].to_numpy(int)
    hit = np.where(part["predicted_conviction"] == "BULLISH", y == 1, y == 0)
    base_hit = np.where(part["baseline_conviction"] == "BULLISH", y == 1, y == 0)
    bullish = (part["predicted_conviction"] == "BULLISH").to_numpy()
    high = (part["confidence"] == "HIGH").to_numpy()

    def rank_ic(score):
        return np.mean(
            [stats.spearmanr(g[score], g["return_fwd"]).statistic for _, g in part.groupby("sample_date")]
        )

    def spread(score):
        tops, bottoms = [], []
        for _, g in part.groupby("sample_date"):
            g = g.sort_values("symbol")
            order = np.argsort(g[score].to_numpy(), kind="stable")  # ties keep symbol order
            r = g["return_fwd"].to_numpy()[order]
            decile = np.floor(np.arange(len(r)) * 10 / len(r)).astype(int)
            tops.append(r[decile == 9].mean())
            bottoms.append(r[decile == 0].mean())
        return np.mean(tops) - np.mean(bottoms)

    return {
        "rows": len(part),
        "auc": roc_auc_score(y, part["probability"]),
        "baseline_auc": roc_auc_score(y, part["baseline_probability"]),
        "accuracy": hit.mean(),
        "baseline_accuracy": base_hit.mean(),
        "bullish_calls": bullish.sum(),
        "hit_rate_bullish": y[bullish].mean(),
        "hit_rate_high": hit[high].mean() if high.any() else np.nan,
        "baseline_hit_rate_high": base_hit[high].mean() if high.any() else np.nan,
        "brier": np.mean((part["probability"] - y) ** 2),
        "baseline_brier": np.mean((part["baseline_probability"] - y) ** 2),
        "rank_ic": rank_ic("probability"),
        "baseline_rank_ic": rank_ic("baseline_probability"),
        "decile_spread": spread("probability"),
        "baseline_decile_spread": spread("baseline_probability"),
        "auc_market_excess": roc_auc_score(part["label_market_excess"].astype(int), part["probability"]),
    }


def test_track_record_figures_match_an_independent_recomputation(published):
    outcomes = published["outcomes"]
    test_auc = tr.reference_auc(published["metadata"])
    record = tr.track_record(outcomes, {VERSION: test_auc})
    live = outcomes[~outcomes["in_sample"]].assign(month=lambda f: timeline.month_starts(f["sample_date"]))
    months = sorted(live["month"].unique())
    assert len(months) >= 4
    assert sorted(record["month"].unique()) == months  # no in-sample month in the track record
    assert len(record) == 2 * len(months)
    for _, row in record.iterrows():
        chosen = [row["month"]] if row["scope"] == "month" else [m for m in months if m <= row["month"]]
        expected = _expected_figures(live[live["month"].isin(chosen)])
        assert row["months"] == len(chosen)
        for name, value in expected.items():
            assert row[name] == pytest.approx(value, nan_ok=True, abs=1e-12), (
                row["scope"],
                row["month"],
                name,
            )
        assert row["test_auc"] == test_auc
    # the live months are the test segment's: the same model on the same rows gives its test AUC
    last = record[record["scope"] == "cumulative"].iloc[-1]
    assert last["rows"] == published["metadata"]["metrics"]["test"]["rows"]
    assert last["auc"] == pytest.approx(published["metadata"]["metrics"]["test"]["auc_calibrated"], abs=1e-12)


def test_the_baseline_refit_from_metadata_is_the_one_the_experiment_trained(published):
    baseline = tr.fit_volatility_baseline(published["features"], published["labels"], published["metadata"])
    scores = published["result"].scores
    test = scores[scores["segment"] == "test"]
    frame = test[["symbol", "sample_date"]].merge(published["features"], on=["symbol", "sample_date"])
    np.testing.assert_allclose(baseline.predict_proba(frame), test["volatility_baseline"], atol=1e-12)


def test_a_changed_window_refuses_to_rebuild_the_baseline(published):
    labels = published["labels"]
    first = labels["sample_date"].min()
    changed = labels.assign(label_return=labels["label_return"].where(labels["sample_date"] != first))
    with pytest.raises(tr.TrackRecordError, match="train segment held .* retrain the model"):
        tr.fit_volatility_baseline(published["features"], changed, published["metadata"])


def test_no_signal_market_shows_no_live_edge_over_the_volatility_baseline(no_signal_published):
    record = tr.track_record(no_signal_published["outcomes"])
    last = record[record["scope"] == "cumulative"].iloc[-1]
    edge = last["auc"] - last["baseline_auc"]
    print(
        f"no-signal live: {last['months']} months, {last['rows']} rows, AUC {last['auc']:.4f}, "
        f"baseline {last['baseline_auc']:.4f}, edge {edge:+.4f}"
    )
    assert last["months"] == 9 and last["rows"] > 3000
    assert abs(edge) <= 0.03


def test_degradation_fires_on_shuffled_labels_and_says_by_how_much(published):
    outcomes = published["outcomes"]
    test_auc = tr.reference_auc(published["metadata"])
    honest = tr.degradation(outcomes, VERSION, test_auc, margin=0.05)
    assert not honest.degraded and len(honest.months) == 3, honest.message
    rng = np.random.default_rng(0)
    shuffled = outcomes.copy()
    shuffled["label"] = shuffled.groupby("sample_date")["label"].transform(
        lambda s: rng.permutation(s.to_numpy())
    )
    verdict = tr.degradation(shuffled, VERSION, test_auc, margin=0.05)
    assert verdict.degraded
    assert verdict.auc < test_auc - 0.05 and verdict.shortfall_vs_test > 0.05
    assert f"{test_auc - verdict.auc:.4f} below its test AUC" in verdict.message
    assert "retrain" in verdict.message and "smart-money build" in verdict.message
    # a wide margin still fires when the model is below the volatility baseline
    if verdict.auc < verdict.baseline_auc:
        assert tr.degradation(shuffled, VERSION, test_auc, margin=0.5).degraded


def test_a_month_is_complete_only_when_its_labels_are(published):
    labels = published["labels"]
    month = labels[labels["sample_date"] == labels["sample_date"].max()]
    assert tr.month_complete(month)
    pending = month.assign(return_fwd=month["return_fwd"].where(month["symbol"] != month["symbol"].iloc[0]))
    assert not tr.month_complete(pending)
    window_end = month["sample_date"].max() + pd.Timedelta(days=21)
    assert not tr.month_complete(pending, window_end)
    assert tr.month_complete(pending, window_end + pd.Timedelta(days=1))  # stopped trading: waiting is over


def test_auc_figure_draws_the_test_auc_reference(published):
    record = tr.track_record(published["outcomes"], {VERSION: 0.7})
    fig = tr.auc_figure(record)
    lines = fig.axes[0].get_lines()
    assert any(np.allclose(line.get_ydata(), 0.7) for line in lines)
    assert any(line.get_label().endswith("monthly AUC") for line in lines)
