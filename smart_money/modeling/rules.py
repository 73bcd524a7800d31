"""The rules engine: four category signals with reason codes and a 0-100 rules score.

Rules are explainable from day one and need no training, so they also serve cold start (no model yet). The
combined conviction score is ``0.6 × rules + 0.4 × ML`` when a model exists and the rules score alone when
none does. Every threshold is a module constant, documented in README (The model: rules engine).
"""

import numpy as np
import pandas as pd

# insider_activity: open-market buys vs sales filed in the last 30 days (bullish at a buy:sell ratio of 2:1).
INSIDER_BULLISH_BUY_RATIO = 2 / 3  # buys / (buys + sells) >= 2/3  <=>  buys:sells >= 2:1
INSIDER_BEARISH_BUY_RATIO = 1 / 3  # sells:buys >= 2:1
INSIDER_CLUSTER_MIN = 2  # distinct insiders buying within 7 days
# institutional_flow: change in 13F ownership over one quarter (±2 points), a fraction of shares outstanding.
INSTITUTIONAL_CHANGE = 0.02
# congressional_sentiment: buys minus sells disclosed in the last 90 days.
CONGRESS_NET = 1
# hedge_fund_positioning: hedge-fund ownership change over one quarter, fraction of shares outstanding.
HEDGE_FUND_CHANGE = 0.005

# Points each category adds to (or takes from) the neutral 50; they sum to 50, so the score spans 0-100.
POINTS = {
    "insider_activity": 20,
    "institutional_flow": 10,
    "congressional_sentiment": 10,
    "hedge_fund_positioning": 10,
}
RULES_WEIGHT, ML_WEIGHT = 0.6, 0.4

CATEGORY_VALUES = {
    "insider_activity": ("bullish", "neutral", "bearish"),
    "institutional_flow": ("accumulation", "neutral", "distribution"),
    "congressional_sentiment": ("positive", "neutral", "negative"),
    "hedge_fund_positioning": ("long", "neutral", "short"),
}
# What each category reads and when it fires (the page's tooltips; README: The model, rules engine).
CATEGORY_DESCRIPTIONS = {
    "insider_activity": "Form 4 open-market buys vs sales filed in the last 30 days: bullish when "
    "buys outnumber sales 2:1, bearish when sales outnumber buys 2:1 (±20 points).",
    "institutional_flow": "Change in 13F institutional ownership over the last quarter, as a share of shares "
    "outstanding: accumulation above +2%, distribution below -2% (±10 points).",
    "congressional_sentiment": "STOCK Act disclosures in the last 90 days: positive when buys exceed sells, "
    "negative when sells exceed buys (±10 points).",
    "hedge_fund_positioning": "Hedge-fund 13F ownership change last quarter: long above +0.5% of "
    "shares (or up with more entries than exits), short on the mirror image (±10 points).",
}
REQUIRED_FEATURES = (
    "insider_buy_ratio_30d",
    "insider_buy_volume_30d",
    "insider_sell_volume_30d",
    "insider_cluster_score",
    "inst_ownership_change_1q",
    "congress_net_sentiment",
    "hedgefund_net_change_1q",
    "hedgefund_new_entry_count",
    "hedgefund_exit_count",
)

REASON_TEXT = {
    "INSIDER_BUYS_2_TO_1": "insiders bought at least twice as often as they sold in the last 30 days",
    "INSIDER_SELLS_2_TO_1": "insiders sold at least twice as often as they bought in the last 30 days",
    "INSIDER_CLUSTER_BUY": "several insiders bought within the same week",
    "INSIDER_MIXED": "insider buying and selling were balanced",
    "NO_INSIDER_TRADES": "no insider purchase or sale filed in the last 30 days",
    "INST_OWNERSHIP_UP_2PCT": "13F institutions raised ownership by more than 2% of shares last quarter",
    "INST_OWNERSHIP_DOWN_2PCT": "13F institutions cut ownership by more than 2% of shares last quarter",
    "INST_OWNERSHIP_STABLE": "institutional ownership changed by less than 2% of shares",
    "NO_13F_HISTORY": "no 13F ownership history for the last quarter",
    "CONGRESS_NET_BUYING": "members of Congress disclosed more buys than sells in the last 90 days",
    "CONGRESS_NET_SELLING": "members of Congress disclosed more sells than buys in the last 90 days",
    "CONGRESS_NEUTRAL": "no net congressional buying or selling in the last 90 days",
    "HEDGE_FUNDS_ADDING": "hedge funds raised ownership last quarter (more entries than exits)",
    "HEDGE_FUNDS_CUTTING": "hedge funds cut ownership last quarter (more exits than entries)",
    "HEDGE_FUNDS_NEUTRAL": "hedge-fund ownership was about unchanged last quarter",
}
# The category each reason code reads (a rule reason is about one category alone).
REASON_CATEGORY = {
    **dict.fromkeys(
        (
            "INSIDER_BUYS_2_TO_1",
            "INSIDER_SELLS_2_TO_1",
            "INSIDER_CLUSTER_BUY",
            "INSIDER_MIXED",
            "NO_INSIDER_TRADES",
        ),
        "insider_activity",
    ),
    **dict.fromkeys(
        ("INST_OWNERSHIP_UP_2PCT", "INST_OWNERSHIP_DOWN_2PCT", "INST_OWNERSHIP_STABLE", "NO_13F_HISTORY"),
        "institutional_flow",
    ),
    **dict.fromkeys(
        ("CONGRESS_NET_BUYING", "CONGRESS_NET_SELLING", "CONGRESS_NEUTRAL"), "congressional_sentiment"
    ),
    **dict.fromkeys(
        ("HEDGE_FUNDS_ADDING", "HEDGE_FUNDS_CUTTING", "HEDGE_FUNDS_NEUTRAL"), "hedge_fund_positioning"
    ),
}
# codes that only say a category is neutral or has no data: left out of the reasons in words
QUIET_CODES = frozenset(
    {
        "INSIDER_MIXED",
        "NO_INSIDER_TRADES",
        "INST_OWNERSHIP_STABLE",
        "NO_13F_HISTORY",
        "CONGRESS_NEUTRAL",
        "HEDGE_FUNDS_NEUTRAL",
    }
)


def category_signals(features: pd.DataFrame) -> pd.DataFrame:
    """Per row: the four category signals, their reason codes (``;``-joined) and ``rules_score`` 0-100."""
    missing = [c for c in REQUIRED_FEATURES if c not in features.columns]
    if missing:
        raise KeyError(f"the rules engine needs feature columns {missing}")
    f = features
    index = f.index
    ratio = f["insider_buy_ratio_30d"]
    cluster = f["insider_cluster_score"].fillna(0) >= INSIDER_CLUSTER_MIN
    insider = np.select(
        [ratio >= INSIDER_BULLISH_BUY_RATIO, ratio <= INSIDER_BEARISH_BUY_RATIO],
        ["bullish", "bearish"],
        "neutral",
    )
    insider_code = np.select(
        [ratio.isna(), ratio >= INSIDER_BULLISH_BUY_RATIO, ratio <= INSIDER_BEARISH_BUY_RATIO],
        ["NO_INSIDER_TRADES", "INSIDER_BUYS_2_TO_1", "INSIDER_SELLS_2_TO_1"],
        "INSIDER_MIXED",
    )
    inst_change = f["inst_ownership_change_1q"]
    institutional = np.select(
        [inst_change > INSTITUTIONAL_CHANGE, inst_change < -INSTITUTIONAL_CHANGE],
        ["accumulation", "distribution"],
        "neutral",
    )
    inst_code = np.select(
        [inst_change.isna(), inst_change > INSTITUTIONAL_CHANGE, inst_change < -INSTITUTIONAL_CHANGE],
        ["NO_13F_HISTORY", "INST_OWNERSHIP_UP_2PCT", "INST_OWNERSHIP_DOWN_2PCT"],
        "INST_OWNERSHIP_STABLE",
    )
    net = f["congress_net_sentiment"].fillna(0)
    congress = np.select([net >= CONGRESS_NET, net <= -CONGRESS_NET], ["positive", "negative"], "neutral")
    congress_code = np.select(
        [net >= CONGRESS_NET, net <= -CONGRESS_NET],
        ["CONGRESS_NET_BUYING", "CONGRESS_NET_SELLING"],
        "CONGRESS_NEUTRAL",
    )
    hf_change = f["hedgefund_net_change_1q"].fillna(0)
    entries = f["hedgefund_new_entry_count"].fillna(0) - f["hedgefund_exit_count"].fillna(0)
    long = (hf_change > HEDGE_FUND_CHANGE) | ((hf_change > 0) & (entries > 0))
    short = (hf_change < -HEDGE_FUND_CHANGE) | ((hf_change < 0) & (entries < 0))
    hedge = np.select([long, short], ["long", "short"], "neutral")
    hedge_code = np.select(
        [long, short], ["HEDGE_FUNDS_ADDING", "HEDGE_FUNDS_CUTTING"], "HEDGE_FUNDS_NEUTRAL"
    )

    out = pd.DataFrame(
        {
            "insider_activity": insider,
            "institutional_flow": institutional,
            "congressional_sentiment": congress,
            "hedge_fund_positioning": hedge,
        },
        index=index,
    )
    direction = signal_directions(out)
    score = 50.0 + sum(direction[c] * POINTS[c] for c in POINTS)
    codes = pd.DataFrame(
        {"a": insider_code, "b": inst_code, "c": congress_code, "d": hedge_code}, index=index
    )
    cluster_code = np.where(cluster, ";INSIDER_CLUSTER_BUY", "")
    out["reason_codes"] = codes["a"] + cluster_code + ";" + codes["b"] + ";" + codes["c"] + ";" + codes["d"]
    out["rules_score"] = score.astype(float)
    return out


def signal_directions(signals: pd.DataFrame) -> pd.DataFrame:
    """+1 (bullish side), 0 (neutral) or -1 (bearish side) per category."""
    return pd.DataFrame(
        {
            c: np.select([signals[c] == v[0], signals[c] == v[2]], [1, -1], 0)
            for c, v in CATEGORY_VALUES.items()
        },
        index=signals.index,
    )


def combined_score(rules_score: np.ndarray, ml_score: np.ndarray | None) -> pd.DataFrame:
    """``0.6 × rules + 0.4 × ML`` with each part's contribution; the rules score alone when ``ml_score`` is
    None (cold start: no production model)."""
    rules_score = np.asarray(rules_score, float)
    if ml_score is None:
        return pd.DataFrame(
            {"conviction_score": rules_score, "rules_contribution": rules_score, "ml_contribution": 0.0}
        )
    ml_score = np.asarray(ml_score, float)
    rules_part, ml_part = RULES_WEIGHT * rules_score, ML_WEIGHT * ml_score
    return pd.DataFrame(
        {
            "conviction_score": rules_part + ml_part,
            "rules_contribution": rules_part,
            "ml_contribution": ml_part,
        }
    )


def rule_reasons(codes: str) -> list[dict]:
    """The informative reason codes of one row (neutral codes are left out), each with the category it
    reads and its words: what one rule says about one signal on its own."""
    return [
        {"category": REASON_CATEGORY[c], "code": c, "text": REASON_TEXT[c]}
        for c in codes.split(";")
        if c and c not in QUIET_CODES
    ]


def reason_text(codes: str) -> list[str]:
    """Words for the informative reason codes of one row (neutral codes are left out)."""
    return [r["text"] for r in rule_reasons(codes)]
