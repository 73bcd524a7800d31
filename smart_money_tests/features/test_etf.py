"""Hand-computed checks of the ETF-holdings family."""

import math

import pandas as pd
import pytest

from smart_money import tables
from smart_money.features.etf import ETF_FEATURES, etf_features
from smart_money.warehouse import to_arrow
from smart_money_tests.features.test_institutional import grid, row

ETF_COLUMNS = tables.RAW_ETF_HOLDINGS.column_names


def etf(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    """Rows of (symbol, known_at, etf_symbol, shares)."""
    return pd.DataFrame(
        [
            {
                "symbol": symbol,
                "known_at": pd.Timestamp(known_at),
                "etf_symbol": etf_symbol,
                "shares": float(shares),
                "weight": 0.01,
                "market_value": float(shares) * 10.0,
                "source": "test",
            }
            for symbol, known_at, etf_symbol, shares in rows
        ],
        columns=ETF_COLUMNS,
    ).pipe(lambda frame: to_arrow(frame, tables.RAW_ETF_HOLDINGS).to_pandas())


def test_etf_features_by_hand() -> None:
    # t = 2024-06-30: staleness cut-off t - 45d = 2024-05-16; t - 30d = 2024-05-31 (cut-off 2024-04-16)
    raw = etf(
        [
            ("AAA", "2024-05-31", "E1", 80),
            ("AAA", "2024-06-28", "E1", 100),  # latest E1 snapshot at t
            ("AAA", "2024-07-05", "E1", 999),  # after t: never used at t
            ("AAA", "2024-05-16", "E2", 50),  # exactly t - 45d: kept
            ("AAA", "2024-05-15", "E3", 70),  # older than t - 45d: ignored at t, used at t - 30d
            *[("BBB", "2024-06-30", f"X{i}", 10 * i) for i in range(1, 8)],  # 10..70 shares
            ("DDD", "2024-06-20", "E1", 0),
        ]
    )
    g = grid(
        [
            ("AAA", "2024-06-30", 1000.0),
            ("BBB", "2024-06-30", 1000.0),
            ("CCC", "2024-06-30", 1000.0),
            ("DDD", "2024-06-30", 1000.0),
        ]
    )
    out = etf_features(g, raw)
    assert list(out.columns) == ["symbol", "sample_date", *ETF_FEATURES]

    a = row(out, "AAA")
    assert a["etf_ownership_pct"] == pytest.approx(0.15)  # (E1 100 + E2 50) / 1000
    # at t - 30d: E1 80 + E2 50 + E3 70 = 200 -> 0.15 - 0.20
    assert a["etf_flow_30d"] == pytest.approx(-0.05)
    assert a["etf_concentration"] == 1.0  # only two ETFs

    b = row(out, "BBB")
    assert b["etf_ownership_pct"] == pytest.approx(0.28)  # 10 + 20 + ... + 70 = 280
    assert math.isnan(b["etf_flow_30d"])  # no ETF data at t - 30d
    assert b["etf_concentration"] == pytest.approx(0.8928571428571429)  # (30+40+50+60+70) / 280

    c = row(out, "CCC")
    assert all(math.isnan(c[name]) for name in ETF_FEATURES)

    d = row(out, "DDD")  # an ETF row with 0 shares is data, not missing
    assert d["etf_ownership_pct"] == 0.0
    assert math.isnan(d["etf_concentration"])  # 0 / 0
