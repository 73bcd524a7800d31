"""Hand-computed checks of the hedge-fund family, including the point-in-time top-20 ranking."""

import math

import pandas as pd
import pytest

from smart_money.features.hedgefund import HEDGEFUND_FEATURES, hedgefund_features, holdings_features
from smart_money.features.institutional import INSTITUTIONAL_FEATURES, institutional_features
from smart_money_tests.features.test_institutional import (
    SEC_DATES,
    grid,
    holding,
    holdings,
    row,
    sec_grid,
    sec_rows,
)

Q4, Q4_FILED = "2023-12-31", "2024-02-14"
Q1, Q1_FILED = "2024-03-31", "2024-05-15"


def hf(symbol: str, filer: str, report_date: str, known_at: str, shares: float, **kw: object) -> dict:
    return holding(symbol, filer, report_date, known_at, shares, hedge_fund=True, **kw)


def build_raw() -> pd.DataFrame:
    rows = []
    # 22 hedge funds H00..H21 whose AUM comes from symbol OTH: H<i> has 1000 + i, H00 ties H02 at 1002.
    # Ranking (AUM desc, filer_id asc): H21 .. H03, H00, H02, H01 -> top 20 = H21..H03 + H00.
    for i in range(22):
        aum = 1002.0 if i == 0 else 1000.0 + i
        rows.append(hf("OTH", f"H{i:02d}", Q1, Q1_FILED, 1, market_value=aum))
    # BIG: at t its public book is worth 1; its huge Q1 filing is only public after t.
    rows.append(hf("OTH", "BIG", Q4, Q4_FILED, 1, market_value=1.0))
    rows.append(hf("OTH", "BIG", Q1, "2024-07-15", 1, market_value=1e9))
    # A non-hedge fund with a huge book is never ranked.
    rows.append(holding("OTH", "NF", Q4, Q4_FILED, 1, market_value=1e6))
    # Positions in AAA (market value 0 so they do not move the ranking).
    rows += [
        hf("AAA", "H21", Q4, Q4_FILED, 40, market_value=0.0),
        hf("AAA", "H21", Q1, Q1_FILED, 100, change=60, market_value=0.0),
        hf("AAA", "H00", Q4, Q4_FILED, 10, market_value=0.0),  # 20th by the filer_id tie-break
        hf("AAA", "H02", Q4, Q4_FILED, 20, market_value=0.0),  # 21st by the tie-break
        hf("AAA", "H01", Q4, Q4_FILED, 30, market_value=0.0),  # 22nd
        hf("AAA", "BIG", Q4, Q4_FILED, 40, market_value=0.0),  # would be 1st if the late filing leaked
        hf("AAA", "H05", Q1, "2024-05-20", 50, change=50, new=True, market_value=0.0),
        hf("AAA", "H06", Q4, Q4_FILED, 25, market_value=0.0),
        hf("AAA", "H06", Q1, "2024-05-20", 0, change=-25, closed=True, market_value=0.0),
        holding("AAA", "NF", Q4, Q4_FILED, 500, market_value=0.0),
        # BBB: 13F data, but no hedge fund
        holding("BBB", "NF", Q4, Q4_FILED, 300, market_value=0.0),
    ]
    return holdings(rows)


GRID = grid([("AAA", "2024-06-30", 1000.0), ("BBB", "2024-06-30", 1000.0), ("CCC", "2024-06-30", 1000.0)])


def test_hedgefund_features_by_hand() -> None:
    out = hedgefund_features(GRID, build_raw())
    assert list(out.columns) == ["symbol", "sample_date", *HEDGEFUND_FEATURES]

    a = row(out, "AAA")
    # top-20 holders of AAA at t: H21 100 + H00 10 + H05 50 + H06 0 (closed) = 160 of 1000
    # (BIG would make it 190 and push H00 out if its post-t filing leaked)
    assert a["hedgefund_top20_exposure"] == pytest.approx(0.16)
    # all hedge funds at t: 100 + 10 + 20 + 30 + 40 + 50 + 0 = 250;
    # at t - 91d (2024-03-31): 40 + 10 + 20 + 30 + 40 + 25 = 165  -> (250 - 165) / 1000
    assert a["hedgefund_net_change_1q"] == pytest.approx(0.085)
    assert a["hedgefund_new_entry_count"] == 1.0  # H05
    assert a["hedgefund_exit_count"] == 1.0  # H06
    # rows in the window: H21 +60 (aum 1021), H05 +50 (aum 1005), H06 -25 (aum 1006); sum aum 3032
    # 1e4 * (1021*60 + 1005*50 - 1006*25) / 3032 / 1000
    assert a["hedgefund_conviction_score"] == pytest.approx(284.8284960422164)

    b = row(out, "BBB")  # 13F data exists but no hedge fund holds it
    assert b["hedgefund_top20_exposure"] == 0.0
    assert b["hedgefund_net_change_1q"] == 0.0
    assert b["hedgefund_conviction_score"] == 0.0

    c = row(out, "CCC")  # no 13F data at all
    assert math.isnan(c["hedgefund_top20_exposure"])
    assert math.isnan(c["hedgefund_net_change_1q"])
    assert c["hedgefund_new_entry_count"] == 0.0
    assert c["hedgefund_exit_count"] == 0.0
    assert c["hedgefund_conviction_score"] == 0.0


def test_late_big_filing_enters_top20_once_public() -> None:
    # Same data, but BIG's huge filing becomes public before t: BIG is now the largest fund and
    # pushes H00 (20th) out: 100 (H21) + 40 (BIG) + 50 (H05) + 0 (H06) = 190.
    raw = build_raw()
    raw.loc[(raw["filer_id"] == "BIG") & (raw["known_at"] == pd.Timestamp("2024-07-15")), "known_at"] = (
        pd.Timestamp("2024-06-01")
    )
    out = hedgefund_features(GRID, raw)
    assert row(out, "AAA")["hedgefund_top20_exposure"] == pytest.approx(0.19)


def test_combined_13f_pass_matches_separate_families() -> None:
    raw = build_raw()
    combined = holdings_features(GRID, raw)
    pd.testing.assert_frame_equal(
        combined[["symbol", "sample_date", *HEDGEFUND_FEATURES]], hedgefund_features(GRID, raw)
    )
    pd.testing.assert_frame_equal(
        combined[["symbol", "sample_date", *INSTITUTIONAL_FEATURES]], institutional_features(GRID, raw)
    )


def test_sec_hedge_fund_reads_each_quarter_in_its_version_public_at_t() -> None:
    out = holdings_features(sec_grid(), sec_rows(hedge_fund=True))
    a = [row(out, "AAA", d) for d in SEC_DATES]
    # the only fund's book: AAA 150 until Q1's restatement makes it 160 (the PUT's 1000 never count)
    assert [r["hedgefund_top20_exposure"] for r in a] == pytest.approx([0.15, 0.15, 0.15, 0.16])
    assert [r["hedgefund_top20_exposure"] for r in a] == pytest.approx([r["inst_ownership_pct"] for r in a])
    # one fund: 1e4 * change / shares outstanding; +50 as published, +40 once Q1 is restated against the
    # restated Q4
    assert [r["hedgefund_conviction_score"] for r in a] == pytest.approx([500.0, 500.0, 500.0, 400.0])
    assert [row(out, "BBB", d)["hedgefund_exit_count"] for d in SEC_DATES] == [1.0, 1.0, 0.0, 1.0]
    assert [row(out, "DDD", d)["hedgefund_new_entry_count"] for d in SEC_DATES] == [0.0, 0.0, 1.0, 1.0]
    # not a hedge fund: no hedge-fund flow, the institutional family unchanged
    other = holdings_features(sec_grid(), sec_rows(hedge_fund=False))
    assert (other["hedgefund_new_entry_count"] == 0).all() and (other["hedgefund_exit_count"] == 0).all()
    pd.testing.assert_frame_equal(
        other[["symbol", "sample_date", *INSTITUTIONAL_FEATURES]],
        out[["symbol", "sample_date", *INSTITUTIONAL_FEATURES]],
    )
