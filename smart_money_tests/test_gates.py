import numpy as np
import pandas as pd

from smart_money import gates


def test_completeness_is_critical_below_85_percent():
    expected = pd.DataFrame({"symbol": [f"S{i}" for i in range(10)], "month": pd.Timestamp("2022-01-01")})
    present = expected.iloc[:8]  # 80%
    result = gates.completeness_gate("c", present, expected)
    assert result.severity == gates.CRITICAL and not result.passed
    assert result.metrics["completeness"] == 0.8
    assert sorted(result.failures["symbol"]) == ["S8", "S9"]
    assert gates.completeness_gate("c", expected.iloc[:9], expected).passed  # 90%


def test_label_balance_passes_30_to_70_percent_warns_to_5_95_and_blocks_beyond():
    def level(share):
        n = 1000
        labels = pd.Series([1] * int(share * n) + [0] * (n - int(share * n)), dtype="Int8")
        return gates.label_balance_gate("b", labels).severity

    assert level(0.5) == gates.PASSED
    assert level(0.2) == gates.WARNING  # accept imbalance, weight classes
    assert level(0.8) == gates.WARNING
    assert level(0.03) == gates.CRITICAL
    assert level(0.97) == gates.CRITICAL
    unknown = gates.label_balance_gate("b", pd.Series([pd.NA] * 5, dtype="Int8"))
    assert unknown.severity == gates.WARNING and unknown.metrics["known"] == 0


def test_missing_data_warns_per_feature_above_10_percent():
    frame = pd.DataFrame({"a": [1.0] * 10, "b": [np.nan] * 2 + [1.0] * 8})
    result = gates.missing_data_gate("m", frame, ["a", "b"])
    assert result.severity == gates.WARNING
    assert list(result.failures["feature"]) == ["b"]
    assert gates.missing_data_gate("m", frame.iloc[2:], ["a", "b"]).passed


def test_schema_gate_keeps_every_failure_case():
    trades = pd.DataFrame(
        {
            "symbol": ["SYN001", "SYN002"],
            "known_at": pd.to_datetime(["2022-01-03", "2022-01-01"]),
            "transaction_date": pd.to_datetime(["2022-01-02", "2022-01-05"]),  # 2nd filed before the trade
            "insider_id": ["i1", "i2"],
            "insider_name": ["a", "b"],
            "insider_role": ["director", "janitor"],  # not a role
            "is_c_suite": [False, True],
            "transaction_code": ["P", "S"],
            "acquired_disposed": ["A", "D"],
            "shares": [10.0, 5.0],
            "price": [1.0, 2.0],
            "shares_owned_after": [10.0, 0.0],
            "source": "test",
        }
    )
    result = gates.schema_gate("s", trades, gates.table_schema("raw_insider_trades"))
    assert result.severity == gates.CRITICAL
    checks = " ".join(result.failures["check"].astype(str))
    assert "isin" in checks and "filed on or after" in checks


def test_no_lookahead_gate_flags_a_changed_value_and_warns_when_vacuous():
    stored = pd.DataFrame(
        {"symbol": ["A", "B"], "sample_date": pd.Timestamp("2022-01-14"), "f": [1.0, np.nan]}
    )
    same = stored.copy()
    leaked = stored.assign(f=[1.0, 2.0])
    ok = gates.no_lookahead_gate("n", stored, same, same, future_rows=10, feature_names=["f"])
    assert ok.passed
    bad = gates.no_lookahead_gate("n", stored, same, leaked, future_rows=10, feature_names=["f"])
    assert bad.severity == gates.CRITICAL and list(bad.failures["symbol"]) == ["B"]
    vacuous = gates.no_lookahead_gate("n", stored, same, same, future_rows=0, feature_names=["f"])
    assert vacuous.severity == gates.WARNING


def test_a_model_folder_that_fails_verification_or_has_an_impossible_auc_is_critical():
    good = {"metrics": {"validation": {"auc": 0.61}, "test": {"auc": None}}}  # undefined AUC: allowed
    assert gates.model_artifact_gate("m", "/models/v1", None, good).passed
    tampered = gates.model_artifact_gate("m", "/models/v1", "model.txt is not the file that was saved", None)
    assert tampered.severity == gates.CRITICAL and "model.txt" in tampered.summary
    impossible = {"metrics": {"validation": {"auc": 1.7}, "test": {"auc": 0.5}}}
    result = gates.model_artifact_gate("m", "/models/v1", None, impossible)
    assert result.severity == gates.CRITICAL and "validation AUC 1.7" in result.summary


def test_a_report_without_its_version_or_with_missing_scores_is_critical():
    html = "<h1>smart-money-flow v20250101</h1>"
    assert gates.report_gate("r", "v20250101", html, 100, 100).passed
    assert gates.report_gate("r", "v20250101", None, 100, 100).severity == gates.CRITICAL
    assert "does not name" in gates.report_gate("r", "v3", html, 100, 100).summary
    short = gates.report_gate("r", "v20250101", html, 100, 90)
    assert short.severity == gates.CRITICAL and "holds 90 rows" in short.summary


def _flow_evaluation(events: int = 4, profiles: int = 2) -> dict:
    return {
        "events": events,
        "abstention_rate": 0.25,
        "profile_events_recall": 0.5,
        "per_profile": {"a": {"precision": 1.0, "recall": 0.5}, "b": {"precision": None, "recall": None}},
        "traps": {"t": {"false_positive_rate": 0.0}},
        "confusion": {"a": {"a": 1, "b": 0, "abstain": 1}, "background": {"a": 0, "b": 1, "abstain": 1}},
        "calibration": [{"pairs": events * profiles - 3}, {"pairs": 3}],
    }


def test_an_options_flow_evaluation_that_does_not_add_up_is_critical():
    assert gates.options_flow_evaluation_gate("o", None, 2).passed  # no tape: nothing to score
    assert gates.options_flow_evaluation_gate("o", _flow_evaluation(), 2).passed
    lost = _flow_evaluation()
    lost["confusion"]["a"]["abstain"] = 0
    assert "counts 3 events, the evaluation 4" in gates.options_flow_evaluation_gate("o", lost, 2).summary
    binned = gates.options_flow_evaluation_gate("o", _flow_evaluation(), 3)
    assert binned.severity == gates.CRITICAL and "calibration bins hold 8 pairs" in binned.summary
    rate = _flow_evaluation()
    rate["per_profile"]["a"]["precision"] = 2.0  # e.g. 720 called out of 360 events
    assert "a precision 2.0 is not in [0, 1]" in gates.options_flow_evaluation_gate("o", rate, 2).summary
