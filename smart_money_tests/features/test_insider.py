"""Hand-computed checks of the insider (Form 4) family."""

import math

import numpy as np
import pandas as pd
import pytest

from smart_money import tables
from smart_money.features.insider import INSIDER_FEATURES, insider_features

TRADE_COLUMNS = tables.RAW_INSIDER_TRADES.column_names
PRICE_COLUMNS = tables.RAW_PRICES.column_names

T = pd.Timestamp("2024-06-30")


def trade(
    symbol: str,
    known_at: str,
    transaction_date: str,
    insider_id: str,
    code: str,
    shares: float = 100.0,
    price: float = 10.0,
    c_suite: bool = False,
) -> dict:
    return {
        "symbol": symbol,
        "known_at": pd.Timestamp(known_at),
        "transaction_date": pd.Timestamp(transaction_date),
        "insider_id": insider_id,
        "insider_name": f"name {insider_id}",
        "insider_role": "officer",
        "is_c_suite": c_suite,
        "transaction_code": code,
        "acquired_disposed": "A" if code in ("P", "A", "M") else "D",
        "shares": float(shares),
        "price": float(price),
        "shares_owned_after": 1000.0,
        "source": "test",
    }


def trades(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=TRADE_COLUMNS)


def prices(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["symbol", "date", "close"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["adj_close"] = frame["close"]
    frame["volume"] = 1e6
    frame["known_at"] = frame["date"]
    frame["source"] = "test"
    return frame[PRICE_COLUMNS]


def grid(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["symbol", "sample_date", "shares_outstanding"])
    frame["sample_date"] = pd.to_datetime(frame["sample_date"])
    return frame


def row(out: pd.DataFrame, symbol: str, date: str) -> pd.Series:
    match = out[(out["symbol"] == symbol) & (out["sample_date"] == pd.Timestamp(date))]
    assert len(match) == 1
    return match.iloc[0]


def test_windows_volumes_ratio_premium_and_ownership() -> None:
    raw = trades(
        [
            # 1: known_at == t -> inside the 30d window (inclusive end)
            trade("AAA", "2024-06-30", "2024-06-28", "I1", "P", 100, 11.0, c_suite=True),
            # 2: known_at == t2 - 30d -> in at t, out at t2
            trade("AAA", "2024-06-15", "2024-06-14", "I2", "P", 200, 9.5),
            trade("AAA", "2024-06-10", "2024-06-08", "I3", "S", 50, 10.0, c_suite=True),
            # 4: known_at == t - 30d -> outside 30d, inside 90d
            trade("AAA", "2024-05-31", "2024-05-30", "I4", "S", 1000),
            # 5: known_at == t + 1 -> excluded at t, included at t2
            trade("AAA", "2024-07-01", "2024-06-29", "I5", "P", 5000, 12.0),
            # 6: traded before t but filed after t -> excluded at t
            trade("AAA", "2024-07-05", "2024-06-20", "I6", "S", 7000),
            # 7: an award (not a buy/sell) still counts for c-suite ratio and ownership change
            trade("AAA", "2024-06-20", "2024-06-18", "I2", "A", 300, 0.0),
            # 8: known_at == t - 90d -> outside 90d; 9: one day later -> inside
            trade("AAA", "2024-04-01", "2024-03-30", "I7", "S", 400),
            trade("AAA", "2024-04-02", "2024-03-31", "I8", "F", 30),
            # BBB has no prices at all and a missing shares_outstanding
            trade("BBB", "2024-06-20", "2024-06-19", "I9", "P", 10, 20.0),
        ]
    )
    px = prices(
        [
            ("AAA", "2024-06-13", 10.0),
            ("AAA", "2024-06-15", 100.0),  # after I2's trade date: must not be used for it
            ("AAA", "2024-06-28", 10.0),
        ]
    )
    g = grid(
        [
            ("AAA", "2024-06-30", 1e6),
            ("AAA", "2024-07-15", 1e6),
            ("BBB", "2024-06-30", np.nan),
            ("CCC", "2024-06-30", 1e6),
        ]
    )
    out = insider_features(g, raw, px)
    assert list(out.columns) == ["symbol", "sample_date", *INSIDER_FEATURES]

    a = row(out, "AAA", "2024-06-30")  # 30d rows: 1, 2, 3, 7
    assert a["insider_buy_ratio_30d"] == pytest.approx(2 / 3)  # 2 P / (2 P + 1 S)
    assert a["insider_buy_volume_30d"] == 300.0  # 100 + 200
    assert a["insider_sell_volume_30d"] == 50.0
    assert a["insider_net_flow_30d"] == 250.0  # 300 - 50
    assert a["c_suite_activity_ratio"] == 0.5  # rows 1 and 3 of 4
    # mean(11/10 - 1, 9.5/10 - 1) = (0.1 - 0.05) / 2; I2 uses the 06-13 close, not the 06-15 one
    assert a["insider_avg_premium"] == pytest.approx(0.025)
    # 90d rows 1,2,3,4,7,9: +100 +200 -50 -1000 +300 -30 = -480 over 1e6 shares
    assert a["insider_ownership_change_90d"] == pytest.approx(-0.00048)

    a2 = row(out, "AAA", "2024-07-15")  # 30d rows: 1, 5, 6, 7 (row 2 sits on the excluded edge)
    assert a2["insider_buy_ratio_30d"] == pytest.approx(2 / 3)  # P rows 1, 5 vs S row 6
    assert a2["insider_buy_volume_30d"] == 5100.0  # 100 + 5000
    assert a2["insider_sell_volume_30d"] == 7000.0
    assert a2["insider_net_flow_30d"] == -1900.0
    assert a2["c_suite_activity_ratio"] == 0.25  # only row 1 of 4
    assert a2["insider_avg_premium"] == pytest.approx(0.15)  # mean(11/10 - 1, 12/10 - 1)
    # 90d rows 1..7: +100 +200 -50 -1000 +5000 -7000 +300 = -2450
    assert a2["insider_ownership_change_90d"] == pytest.approx(-0.00245)

    b = row(out, "BBB", "2024-06-30")
    assert b["insider_buy_ratio_30d"] == 1.0
    assert b["insider_buy_volume_30d"] == 10.0
    assert math.isnan(b["insider_avg_premium"])  # no close at all -> ignored -> NaN
    assert math.isnan(b["insider_ownership_change_90d"])  # shares_outstanding missing

    c = row(out, "CCC", "2024-06-30")  # no rows at all
    assert math.isnan(c["insider_buy_ratio_30d"])
    assert c["insider_buy_volume_30d"] == 0.0
    assert c["insider_sell_volume_30d"] == 0.0
    assert c["insider_net_flow_30d"] == 0.0
    assert c["insider_cluster_score"] == 0.0
    assert c["insider_ownership_change_90d"] == 0.0
    assert math.isnan(c["insider_avg_premium"])
    assert math.isnan(c["c_suite_activity_ratio"])
    assert c["insider_opportunistic_buy_count_30d"] == 0.0
    assert c["insider_routine_buy_count_30d"] == 0.0
    assert c["insider_cluster_buy_count_30d"] == 0.0
    assert (out[list(INSIDER_FEATURES)].dtypes == "float64").all()


def test_cluster_score_and_cluster_buy_count() -> None:
    raw = trades(
        [
            # AAA: I1 (twice), I2, I3 inside [06-01, 06-07]; I4 on 06-08 is one day past that span
            trade("AAA", "2024-06-10", "2024-06-01", "I1", "P"),
            trade("AAA", "2024-06-10", "2024-06-01", "I1", "P"),
            trade("AAA", "2024-06-10", "2024-06-04", "I2", "P"),
            trade("AAA", "2024-06-10", "2024-06-07", "I3", "P"),
            trade("AAA", "2024-06-10", "2024-06-08", "I4", "P"),
            # I5 buys twice on its own -> never a cluster buyer (needs another insider)
            trade("AAA", "2024-06-25", "2024-06-20", "I5", "P"),
            trade("AAA", "2024-06-25", "2024-06-22", "I5", "P"),
            # filed after t: would make [06-01, 06-07] hold 4 insiders
            trade("AAA", "2024-07-02", "2024-06-02", "I6", "P"),
            # a sale is not a purchase
            trade("AAA", "2024-06-10", "2024-06-03", "I7", "S"),
            # BBB: |06-08 - 06-01| = 7 -> linked; |06-28 - 06-20| = 8 -> not linked
            trade("BBB", "2024-06-10", "2024-06-01", "J1", "P"),
            trade("BBB", "2024-06-10", "2024-06-08", "J2", "P"),
            trade("BBB", "2024-06-29", "2024-06-20", "J3", "P"),
            trade("BBB", "2024-06-29", "2024-06-28", "J4", "P"),
            # filed after t: would link J3 and J4 and put 2 insiders in [06-20, 06-26]
            trade("BBB", "2024-07-02", "2024-06-24", "J5", "P"),
            trade("BBB", "2024-06-29", "2024-06-21", "J6", "S"),
        ]
    )
    g = grid([("AAA", "2024-06-30", 1e6), ("BBB", "2024-06-30", 1e6)])
    out = insider_features(g, raw, prices([]))
    a = row(out, "AAA", "2024-06-30")
    # spans: [06-01,06-07] -> {I1, I2, I3} = 3 distinct; [06-04,06-10] -> {I2, I3, I4} = 3
    assert a["insider_cluster_score"] == 3.0
    # I1-I2 (3d), I2-I3 (3d), I3-I4 (1d) linked; I5 only near itself (06-20 is 12d after I4)
    assert a["insider_cluster_buy_count_30d"] == 4.0
    b = row(out, "BBB", "2024-06-30")
    assert b["insider_cluster_score"] == 1.0  # no 7-day span holds two insiders
    assert b["insider_cluster_buy_count_30d"] == 2.0  # J1 and J2


def test_routine_opportunistic_classification_is_point_in_time() -> None:
    history = [
        # R: an open-market trade in June of each of 2023, 2022, 2021 (other symbol) -> routine
        trade("ZZZ", "2023-06-12", "2023-06-10", "R", "S"),
        trade("ZZZ", "2022-06-07", "2022-06-05", "R", "P"),
        trade("ZZZ", "2021-06-30", "2021-06-28", "R", "S"),
        # O: trades in each prior year but not always in June -> opportunistic
        trade("ZZZ", "2023-03-12", "2023-03-10", "O", "S"),
        trade("ZZZ", "2022-06-17", "2022-06-15", "O", "P"),
        trade("ZZZ", "2021-11-03", "2021-11-01", "O", "S"),
        # U: only two prior years -> unclassified
        trade("ZZZ", "2023-06-12", "2023-06-10", "U", "S"),
        trade("ZZZ", "2022-06-12", "2022-06-10", "U", "S"),
        # L: the June 2021 trade was filed late (2024-07-10) -> not routine at t, routine at t2;
        #    a January 2021 trade keeps year 2021 covered -> opportunistic at t
        trade("ZZZ", "2023-06-12", "2023-06-10", "L", "S"),
        trade("ZZZ", "2022-06-12", "2022-06-10", "L", "S"),
        trade("ZZZ", "2024-07-10", "2021-06-10", "L", "S"),
        trade("ZZZ", "2021-01-17", "2021-01-15", "L", "S"),
        # A: June history but only awards (not P/S) -> unclassified
        trade("ZZZ", "2023-06-12", "2023-06-10", "A", "A"),
        trade("ZZZ", "2022-06-12", "2022-06-10", "A", "A"),
        trade("ZZZ", "2021-06-12", "2021-06-10", "A", "A"),
    ]
    current = [
        trade("AAA", "2024-06-20", "2024-06-18", "R", "P"),
        trade("AAA", "2024-06-20", "2024-06-19", "R", "P"),
        trade("AAA", "2024-06-20", "2024-06-18", "O", "P"),
        trade("AAA", "2024-06-20", "2024-06-18", "U", "P"),
        trade("AAA", "2024-06-20", "2024-06-18", "L", "P"),
        trade("AAA", "2024-06-20", "2024-06-18", "A", "P"),
    ]
    g = grid([("AAA", "2024-06-30", 1e6), ("AAA", "2024-07-15", 1e6)])
    out = insider_features(g, trades(history + current), prices([]))
    at_t = row(out, "AAA", "2024-06-30")
    assert at_t["insider_routine_buy_count_30d"] == 2.0  # R's two purchases
    assert at_t["insider_opportunistic_buy_count_30d"] == 2.0  # O and L
    at_t2 = row(out, "AAA", "2024-07-15")  # L's late June-2021 filing is now public
    assert at_t2["insider_routine_buy_count_30d"] == 3.0  # R x2 + L
    assert at_t2["insider_opportunistic_buy_count_30d"] == 1.0  # O
