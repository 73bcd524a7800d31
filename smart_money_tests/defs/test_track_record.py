"""The track record on the default build through Dagster: the production model publishes predictions for
nine past sample months, the `track_record` job scores them, and the degradation check judges them; then
the same model is scored against shuffled labels and the check fires."""

import dagster as dg
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from smart_money import timeline
from smart_money.defs import track_record as defs_track_record
from smart_money.report.track_record_section import live_track_record_section, with_live_track_record
from smart_money_tests.track_records import PUBLISHED_MONTHS

LIVE = [m for m in PUBLISHED_MONTHS if m >= "2024-07"]  # after the validation segment (ends 2024-06)


def test_outcomes_equal_the_published_predictions_joined_to_their_labels(track_record_market):
    warehouse, version = track_record_market["warehouse"], track_record_market["version"]
    outcomes = warehouse.read_months("prediction_outcomes")
    published = warehouse.query(f"select * from predictions where model_version = '{version}'")
    labels = warehouse.read_months("labels")
    expected = published.merge(labels, on=["symbol", "sample_date"], suffixes=("", "_label"))
    expected = expected[expected["label_return"].notna()].sort_values(["sample_date", "symbol"])
    got = outcomes.sort_values(["sample_date", "symbol"]).reset_index(drop=True)
    assert len(got) == len(expected) == 500 * len(PUBLISHED_MONTHS)
    assert (
        sorted(f"{m:%Y-%m}" for m in timeline.month_starts(got["sample_date"]).unique()) == PUBLISHED_MONTHS
    )
    for column in ("symbol", "predicted_conviction", "confidence"):
        assert got[column].tolist() == expected[column].tolist()
    for column in ("probability", "conviction_score", "return_fwd", "excess_return_fwd"):
        np.testing.assert_allclose(got[column], expected[column])
    assert got["label"].tolist() == expected["label_return"].astype(int).tolist()
    assert got["label_market_excess"].tolist() == expected["label_market_excess"].tolist()
    months = timeline.month_starts(got["sample_date"]).dt.strftime("%Y-%m")
    assert got["in_sample"].tolist() == (~months.isin(LIVE)).tolist()
    # the baseline beside each row is the one the model's report scored on its test segment
    scores = track_record_market["market"]["scores"]
    test = scores[scores["segment"] == "test"][["symbol", "sample_date", "volatility_baseline"]]
    joined = got.merge(test, on=["symbol", "sample_date"])
    assert len(joined) == int((~got["in_sample"]).sum())
    np.testing.assert_allclose(joined["baseline_probability"], joined["volatility_baseline"], atol=1e-12)


def test_track_record_metrics_equal_an_independent_recomputation(track_record_market):
    warehouse = track_record_market["warehouse"]
    outcomes = warehouse.read_months("prediction_outcomes")
    record = warehouse.read_keyed("track_record")
    live = outcomes[~outcomes["in_sample"]].assign(month=timeline.month_starts(outcomes["sample_date"]))
    assert sorted(f"{m:%Y-%m}" for m in record["month"].unique()) == LIVE
    for _, row in record.iterrows():
        part = (
            live[live["month"] == row["month"]]
            if row["scope"] == "month"
            else live[live["month"] <= row["month"]]
        )
        y = part["label"].to_numpy(int)
        hit = np.where(part["predicted_conviction"] == "BULLISH", y == 1, y == 0)
        high = (part["confidence"] == "HIGH").to_numpy()
        bullish = (part["predicted_conviction"] == "BULLISH").to_numpy()
        ic = np.mean(
            [stats.spearmanr(g["probability"], g["return_fwd"]).statistic for _, g in part.groupby("month")]
        )
        assert row["rows"] == len(part)
        assert row["auc"] == pytest.approx(roc_auc_score(y, part["probability"]), abs=1e-12)
        assert row["baseline_auc"] == pytest.approx(roc_auc_score(y, part["baseline_probability"]), abs=1e-12)
        assert row["accuracy"] == pytest.approx(hit.mean(), abs=1e-12)
        assert row["hit_rate_bullish"] == pytest.approx(y[bullish].mean(), abs=1e-12)
        assert row["hit_rate_high"] == pytest.approx(hit[high].mean(), abs=1e-12)
        assert row["brier"] == pytest.approx(np.mean((part["probability"] - y) ** 2), abs=1e-12)
        assert row["rank_ic"] == pytest.approx(ic, abs=1e-12)
    # the live months are the test segment: the same model on the same rows gives the report's test AUC
    metrics = track_record_market["market"]["metadata"]["metrics"]["test"]
    last = record[record["scope"] == "cumulative"].sort_values("month").iloc[-1]
    assert last["rows"] == metrics["rows"]
    assert last["auc"] == pytest.approx(metrics["auc_calibrated"], abs=1e-12)
    assert last["baseline_auc"] == pytest.approx(
        metrics["baselines"]["volatility"]["auc_calibrated"], abs=1e-12
    )
    assert last["test_auc"] == pytest.approx(metrics["auc_calibrated"])
    print(
        f"default build live: {last['months']} months, {last['rows']} rows, AUC {last['auc']:.4f} vs "
        f"baseline {last['baseline_auc']:.4f}, hit rate {last['accuracy']:.3f} (test accuracy "
        f"{metrics['accuracy']:.3f})"
    )


def test_the_track_record_metadata_plots_auc_over_time(track_record_market):
    result = track_record_market["result"]
    materialized = {
        e.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    plot = materialized["track_record"]["plot_auc_over_time"].value
    assert plot.startswith("![AUC over time](data:image/png;base64,")
    assert materialized["prediction_outcomes"]["live_rows"].value == 500 * len(LIVE)
    check = {e.check_name: e for e in result.get_asset_check_evaluations()}["track_record_degradation"]
    assert check.passed, check.metadata["summary"].value


def test_a_month_is_scored_only_once_its_labels_are_complete(track_record_market):
    warehouse = track_record_market["warehouse"]
    month = pd.Timestamp("2024-12-01")
    labels = warehouse.read_months("labels", [month])
    table = warehouse.read_keyed("model_registry")
    published = warehouse.read_keyed("predictions")
    published = published[timeline.month_starts(published["sample_date"]) == month]
    pending = labels.assign(
        return_fwd=labels["return_fwd"].where(labels["symbol"] != labels["symbol"].iloc[0])
    )
    warehouse.write_months("labels", pending, [month], "sample_date")
    try:
        out, info = defs_track_record.score_month(warehouse, month, table, published, {})
    finally:
        warehouse.write_months("labels", labels, [month], "sample_date")
    assert info["status"] == "labels incomplete" and out.empty
    out, info = defs_track_record.score_month(warehouse, month, table, published, {})
    assert info["status"] == "scored" and len(out) == 500


def test_the_degradation_check_fires_on_a_model_scored_against_shuffled_labels(track_record_market):
    warehouse, defs = track_record_market["warehouse"], track_record_market["defs"]
    outcomes = warehouse.read_months("prediction_outcomes")
    rng = np.random.default_rng(17)
    shuffled = outcomes.assign(
        label=outcomes.groupby("sample_date")["label"].transform(lambda s: rng.permutation(s.to_numpy()))
    )
    months = list(timeline.month_starts(outcomes["sample_date"]).unique())
    warehouse.write_months("prediction_outcomes", shuffled, months, "sample_date")
    try:
        result = dg.materialize(
            [*defs.assets, *defs.asset_checks],
            selection=dg.AssetSelection.assets("track_record"),
            resources=defs.resources,
            instance=track_record_market["instance"],
        )
        check = {e.check_name: e for e in result.get_asset_check_evaluations()}["track_record_degradation"]
        summary = check.metadata["summary"].value
        print(f"shuffled labels: {summary}")
        assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
        live_auc, test_auc = check.metadata["live_auc"].value, check.metadata["test_auc"].value
        assert live_auc < test_auc - 0.05
        assert f"{test_auc - live_auc:.4f} below its test AUC" in summary and "smart-money build" in summary
        assert check.metadata["months"].value == "2024-10, 2024-11, 2024-12"
    finally:
        warehouse.write_months("prediction_outcomes", outcomes, months, "sample_date")
        dg.materialize(
            [*defs.assets, *defs.asset_checks],
            selection=dg.AssetSelection.assets("track_record"),
            resources=defs.resources,
            instance=track_record_market["instance"],
        )


def test_the_scored_versions_report_gets_a_live_track_record_section(track_record_market):
    version = track_record_market["version"]
    page = (track_record_market["models_dir"] / "smart-money-flow" / version / "report.html").read_text()
    assert page.count('<section id="live-track-record"><h2>Live track record</h2>') == 1
    assert "6 live sample month(s) through 2024-12, 3000 calls" in page
    assert 'alt="live AUC over time"' in page
    record = track_record_market["warehouse"].read_keyed("track_record")
    again = with_live_track_record(page, live_track_record_section(record, version))
    assert again.count("Live track record</h2>") == 1  # replaced, not added twice
    assert live_track_record_section(record, "no-such-version") is None
