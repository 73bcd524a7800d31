"""Hand-computed checks of the 13F institutional family."""

import math

import numpy as np
import pandas as pd
import pytest

from smart_money import tables
from smart_money.features.institutional import INSTITUTIONAL_FEATURES, institutional_features
from smart_money.warehouse import to_arrow

HOLDING_COLUMNS = tables.RAW_INSTITUTIONAL_HOLDINGS.column_names


def holding(
    symbol: str,
    filer_id: str,
    report_date: str,
    known_at: str,
    shares: float,
    change: float = 0.0,
    new: bool = False,
    closed: bool = False,
    hedge_fund: bool = False,
    market_value: float | None = None,
) -> dict:
    return {
        "symbol": symbol,
        "known_at": pd.Timestamp(known_at),
        "report_date": pd.Timestamp(report_date),
        "filer_id": filer_id,
        "filer_name": f"name {filer_id}",
        "is_hedge_fund": hedge_fund,
        "shares": float(shares),
        "change_in_shares": float(change),
        "market_value": float(shares * 10.0 if market_value is None else market_value),
        "is_new_position": new,
        "is_closed_position": closed,
        "source": "test",
    }


def holdings(rows: list[dict]) -> pd.DataFrame:
    """Rows typed as the warehouse reads them back (the filing columns null unless given)."""
    return to_arrow(
        pd.DataFrame(rows, columns=HOLDING_COLUMNS), tables.RAW_INSTITUTIONAL_HOLDINGS
    ).to_pandas()


def grid(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["symbol", "sample_date", "shares_outstanding"])
    frame["sample_date"] = pd.to_datetime(frame["sample_date"])
    return frame


def row(out: pd.DataFrame, symbol: str, date: str = "2024-06-30") -> pd.Series:
    match = out[(out["symbol"] == symbol) & (out["sample_date"] == pd.Timestamp(date))]
    assert len(match) == 1
    return match.iloc[0]


# t = 2024-06-30; t - 91d = 2024-03-31; staleness cut-offs: report_date > 2023-12-30 at t and
# report_date > 2023-09-30 at t - 91d.
RAW = holdings(
    [
        # F1: Q4 and Q1 public at t; Q2 is filed after t and must not be used (999 shares)
        holding("AAA", "F1", "2023-12-31", "2024-02-10", 100, 20),
        holding("AAA", "F1", "2024-03-31", "2024-05-10", 150, 50),
        holding("AAA", "F1", "2024-06-30", "2024-08-10", 999, 849),
        # F2: closed in Q1 -> position 0 at t (80 at t - 91d)
        holding("AAA", "F2", "2023-12-31", "2024-02-14", 80, 0),
        holding("AAA", "F2", "2024-03-31", "2024-05-15", 0, -80, closed=True),
        # F3: latest public report is Q4 2023 (still fresh at t)
        holding("AAA", "F3", "2023-12-31", "2024-02-12", 300, 300, new=True),
        # F4: Q3 2023 report is stale at both t and t - 91d
        holding("AAA", "F4", "2023-09-30", "2023-11-14", 400, 0),
        # F5: filed exactly at t - 91d -> outside the 91d window, but part of both as-of books
        holding("AAA", "F5", "2023-12-31", "2024-03-31", 50, 50, new=True),
        # F6: filed exactly at t -> inside the window and the as-of book
        holding("AAA", "F6", "2024-03-31", "2024-06-30", 200, 200, new=True),
        # BBB: 12 filers with 10..120 shares, all filed 2024-05-15
        *[holding("BBB", f"G{i:02d}", "2024-03-31", "2024-05-15", 10 * i, 0) for i in range(1, 13)],
        # DDD: the only 13F row is a closed position
        holding("DDD", "F1", "2024-03-31", "2024-05-10", 0, -10, closed=True),
        # filed after t with a trade date (report_date) before t: invisible at t
        holding("EEE", "F1", "2024-03-31", "2024-07-01", 500, 500, new=True),
    ]
)


def test_institutional_features_by_hand() -> None:
    g = grid(
        [
            ("AAA", "2024-06-30", 1000.0),
            ("BBB", "2024-06-30", 1000.0),
            ("CCC", "2024-06-30", 1000.0),
            ("DDD", "2024-06-30", 1000.0),
            ("EEE", "2024-06-30", 1000.0),
            ("AAA", "2024-05-31", np.nan),
        ]
    )
    out = institutional_features(g, RAW)
    assert list(out.columns) == ["symbol", "sample_date", *INSTITUTIONAL_FEATURES]

    a = row(out, "AAA")
    # as-of at t: F1 150 (Q1) + F2 0 (closed) + F3 300 + F5 50 + F6 200 = 700
    assert a["inst_ownership_pct"] == pytest.approx(0.7)
    # as-of at t - 91d: F1 100 + F2 80 + F3 300 + F5 50 = 530 -> 0.7 - 0.53
    assert a["inst_ownership_change_1q"] == pytest.approx(0.17)
    assert a["inst_new_positions_count"] == 1.0  # F6 (F5 sits on the excluded edge)
    assert a["inst_closed_positions_count"] == 1.0  # F2
    assert a["inst_avg_position_size_change"] == pytest.approx(0.5)  # F1: 50 / (150 - 50)
    assert a["inst_concentration_top10"] == 1.0  # only 5 filers
    # 100 * (50 e^(-51/30) - 80 e^(-46/30) + 200 e^0) / 1000
    assert a["inst_momentum_score"] == pytest.approx(19.186896953074157)

    b = row(out, "BBB")
    assert b["inst_ownership_pct"] == pytest.approx(0.78)  # 10 * (1 + ... + 12) = 780
    assert math.isnan(b["inst_ownership_change_1q"])  # nothing public at t - 91d
    assert b["inst_concentration_top10"] == pytest.approx(0.9615384615384616)  # 10*(3+..+12)/780 = 750/780
    assert b["inst_avg_position_size_change"] == 0.0  # 12 rows of 0 / prior
    assert b["inst_momentum_score"] == 0.0

    c = row(out, "CCC")  # no 13F data: NaN levels, 0 counts
    assert math.isnan(c["inst_ownership_pct"])
    assert math.isnan(c["inst_ownership_change_1q"])
    assert c["inst_new_positions_count"] == 0.0
    assert c["inst_closed_positions_count"] == 0.0
    assert math.isnan(c["inst_avg_position_size_change"])
    assert math.isnan(c["inst_concentration_top10"])
    assert c["inst_momentum_score"] == 0.0

    d = row(out, "DDD")  # only a closed position: data exists, holdings are 0
    assert d["inst_ownership_pct"] == 0.0
    assert math.isnan(d["inst_concentration_top10"])  # 0 / 0
    assert d["inst_closed_positions_count"] == 1.0
    assert math.isnan(d["inst_avg_position_size_change"])  # closed rows are excluded
    assert d["inst_momentum_score"] == pytest.approx(-0.18268352405273466)  # 100 * -10 e^(-51/30) / 1000

    e = row(out, "EEE")  # the only filing is public after t
    assert math.isnan(e["inst_ownership_pct"])
    assert e["inst_new_positions_count"] == 0.0

    early = row(out, "AAA", "2024-05-31")  # missing shares_outstanding
    assert math.isnan(early["inst_ownership_pct"])
    assert math.isnan(early["inst_momentum_score"])
    # the top-10 share does not need shares_outstanding: F1 150, F2 0, F3 300, F5 50 -> all of it
    assert early["inst_concentration_top10"] == 1.0
