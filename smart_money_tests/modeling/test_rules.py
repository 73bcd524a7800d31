import numpy as np
import pandas as pd

from smart_money.modeling import rules

NEUTRAL = {
    "insider_buy_ratio_30d": np.nan,
    "insider_buy_volume_30d": 0.0,
    "insider_sell_volume_30d": 0.0,
    "insider_cluster_score": 0.0,
    "inst_ownership_change_1q": 0.0,
    "congress_net_sentiment": 0.0,
    "hedgefund_net_change_1q": 0.0,
    "hedgefund_new_entry_count": 0.0,
    "hedgefund_exit_count": 0.0,
}


def _signals(**changes) -> pd.Series:
    return rules.category_signals(pd.DataFrame([{**NEUTRAL, **changes}])).iloc[0]


def test_no_activity_is_neutral_50():
    row = _signals()
    assert row["rules_score"] == 50
    assert (row["insider_activity"], row["institutional_flow"]) == ("neutral", "neutral")
    assert "NO_INSIDER_TRADES" in row["reason_codes"]
    assert rules.reason_text(row["reason_codes"]) == []


def test_documented_thresholds():
    assert _signals(insider_buy_ratio_30d=2 / 3)["insider_activity"] == "bullish"  # buys:sells = 2:1
    assert _signals(insider_buy_ratio_30d=0.6)["insider_activity"] == "neutral"
    assert _signals(insider_buy_ratio_30d=1 / 3)["insider_activity"] == "bearish"
    assert _signals(inst_ownership_change_1q=0.021)["institutional_flow"] == "accumulation"
    assert _signals(inst_ownership_change_1q=-0.021)["institutional_flow"] == "distribution"
    assert _signals(inst_ownership_change_1q=0.019)["institutional_flow"] == "neutral"
    assert _signals(congress_net_sentiment=1)["congressional_sentiment"] == "positive"
    assert _signals(congress_net_sentiment=-2)["congressional_sentiment"] == "negative"
    assert _signals(hedgefund_net_change_1q=0.01)["hedge_fund_positioning"] == "long"
    assert (
        _signals(hedgefund_net_change_1q=-0.001, hedgefund_exit_count=2)["hedge_fund_positioning"] == "short"
    )


def test_score_spans_0_to_100_with_reason_codes():
    bull = _signals(
        insider_buy_ratio_30d=1.0,
        insider_cluster_score=3,
        inst_ownership_change_1q=0.05,
        congress_net_sentiment=2,
        hedgefund_net_change_1q=0.02,
    )
    bear = _signals(
        insider_buy_ratio_30d=0.0,
        inst_ownership_change_1q=-0.05,
        congress_net_sentiment=-2,
        hedgefund_net_change_1q=-0.02,
    )
    assert bull["rules_score"] == 100 and bear["rules_score"] == 0
    assert bull["reason_codes"].split(";")[:2] == ["INSIDER_BUYS_2_TO_1", "INSIDER_CLUSTER_BUY"]
    assert "several insiders bought within the same week" in rules.reason_text(bull["reason_codes"])


def test_combined_score_is_60_40_and_rules_alone_at_cold_start():
    both = rules.combined_score(np.array([80.0]), np.array([30.0])).iloc[0]
    assert both["conviction_score"] == 0.6 * 80 + 0.4 * 30
    assert (both["rules_contribution"], both["ml_contribution"]) == (48.0, 12.0)
    cold = rules.combined_score(np.array([80.0]), None).iloc[0]
    assert cold["conviction_score"] == 80 and cold["ml_contribution"] == 0
