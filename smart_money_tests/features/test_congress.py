"""Hand-computed checks of the congressional-trades family."""

import pandas as pd

from smart_money import tables
from smart_money.features.congress import CONGRESS_FEATURES, congress_features
from smart_money_tests.features.test_institutional import grid, row

CONGRESS_COLUMNS = tables.RAW_CONGRESS_TRADES.column_names


def congress(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """Rows of (symbol, known_at, transaction_date, side)."""
    frame = pd.DataFrame(
        [
            {
                "symbol": symbol,
                "known_at": pd.Timestamp(known_at),
                "transaction_date": pd.Timestamp(traded),
                "chamber": "house",
                "member": "M",
                "side": side,
                "amount_low": 1001.0,
                "amount_high": 15000.0,
                "source": "test",
            }
            for symbol, known_at, traded, side in rows
        ],
        columns=CONGRESS_COLUMNS,
    )
    return frame


def test_congress_features_by_hand() -> None:
    raw = congress(
        [
            ("AAA", "2024-06-30", "2024-06-01", "buy"),  # known_at == t: inside 90d and 7d
            ("AAA", "2024-06-24", "2024-06-01", "buy"),  # t - 6d: inside 7d
            ("AAA", "2024-06-23", "2024-06-01", "sell"),  # t - 7d: outside 7d, inside 90d
            ("AAA", "2024-05-01", "2024-04-01", "buy"),
            ("AAA", "2024-04-02", "2024-03-01", "sell"),  # t - 89d: inside 90d
            ("AAA", "2024-04-01", "2024-03-01", "sell"),  # t - 90d: outside
            ("AAA", "2024-07-01", "2024-06-25", "buy"),  # t + 1d: outside
            ("AAA", "2024-07-10", "2024-06-01", "buy"),  # traded before t, disclosed after t
            ("BBB", "2024-06-23", "2024-06-01", "sell"),
        ]
    )
    g = grid([("AAA", "2024-06-30", 1e6), ("BBB", "2024-06-30", 1e6), ("CCC", "2024-06-30", 1e6)])
    out = congress_features(g, raw)
    assert list(out.columns) == ["symbol", "sample_date", *CONGRESS_FEATURES]

    a = row(out, "AAA")
    assert a["congress_buy_count_90d"] == 3.0  # 06-30, 06-24, 05-01
    assert a["congress_sell_count_90d"] == 2.0  # 06-23, 04-02
    assert a["congress_net_sentiment"] == 1.0  # 3 - 2
    assert a["congress_recent_activity_7d"] == 1.0

    b = row(out, "BBB")
    assert (b["congress_buy_count_90d"], b["congress_sell_count_90d"]) == (0.0, 1.0)
    assert b["congress_net_sentiment"] == -1.0
    assert b["congress_recent_activity_7d"] == 0.0  # its only row sits on the excluded t - 7d edge

    c = row(out, "CCC")
    assert [c[name] for name in CONGRESS_FEATURES] == [0.0, 0.0, 0.0, 0.0]
