"""Hand-computed checks of the 13F institutional family."""

import hashlib
import math

import numpy as np
import pandas as pd
import pytest

from smart_money import tables
from smart_money.features.hedgefund import holdings_features
from smart_money.features.institutional import INSTITUTIONAL_FEATURES, institutional_features
from smart_money.sources.sec.holdings13f import FILING_FIELDS, institutional_rows
from smart_money.sources.synthetic.market import MarketConfig, simulate_market
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


# ---- SEC rows: each filer-quarter in its version public at t -----------------------------------------------
SEC_CUSIPS = {"000000AA1": "AAA", "000000BB2": "BBB", "000000CC3": "CCC", "000000DD4": "DDD"}
SEC_FILER = "0000000101"
Q4, Q1 = "2023-12-31", "2024-03-31"


def sec_rows(hedge_fund: bool = False) -> pd.DataFrame:
    """One filer's 13F filings, through ``institutional_rows``:

    - Q4 2023, filed 2024-02-10: AAA 100, BBB 50;
    - Q1 2024, filed 2024-05-10: AAA 150, CCC 40 (new), BBB closed, and a PUT on 1000 AAA shares;
    - Q4 restated on 2024-05-20 (after Q1): AAA 120, BBB 50;
    - Q1 NEW HOLDINGS on 2024-06-05: DDD 30 (new), BBB 20 (so BBB is not closed after all);
    - Q1 restated on 2024-06-20: AAA 160, CCC 40, DDD 30 (BBB closed again, the PUT withdrawn).
    """

    def filing(accession: str, filed: str, period: str, amendment: str | None = None) -> dict:
        return dict(
            zip(
                FILING_FIELDS,
                (
                    accession,
                    SEC_FILER,
                    "Filer 101",
                    "13F-HR/A" if amendment else "13F-HR",
                    pd.Timestamp(filed),
                )
                + (pd.Timestamp(period), "13F HOLDINGS REPORT", amendment),
                strict=True,
            )
        )

    def line(accession: str, symbol: str, shares: float, put_call: str | None = None) -> dict:
        cusip = next(c for c, s in SEC_CUSIPS.items() if s == symbol)
        return {
            "accession_number": accession,
            "cusip": cusip,
            "value_usd": shares * 10.0,
            "shares": shares,
            "shares_type": "SH",
            "put_call": put_call,
        }

    filings = [
        filing("A-Q4", "2024-02-10", Q4),
        filing("A-Q1", "2024-05-10", Q1),
        filing("A-Q4R", "2024-05-20", Q4, "RESTATEMENT"),
        filing("A-Q1N", "2024-06-05", Q1, "NEW HOLDINGS"),
        filing("A-Q1R", "2024-06-20", Q1, "RESTATEMENT"),
    ]
    lines = [
        line("A-Q4", "AAA", 100),
        line("A-Q4", "BBB", 50),
        line("A-Q1", "AAA", 150),
        line("A-Q1", "CCC", 40),
        line("A-Q1", "AAA", 1000, "PUT"),
        line("A-Q4R", "AAA", 120),
        line("A-Q4R", "BBB", 50),
        line("A-Q1N", "DDD", 30),
        line("A-Q1N", "BBB", 20),
        line("A-Q1R", "AAA", 160),
        line("A-Q1R", "CCC", 40),
        line("A-Q1R", "DDD", 30),
    ]
    rows, quarantined = institutional_rows(
        pd.DataFrame(filings), pd.DataFrame(lines), SEC_CUSIPS, lambda cik, name: hedge_fund
    )
    assert quarantined == []
    return rows


SEC_DATES = ("2024-05-15", "2024-05-25", "2024-06-10", "2024-06-30")


def sec_grid() -> pd.DataFrame:
    return grid([(s, d, 1000.0) for d in SEC_DATES for s in ("AAA", "BBB", "CCC", "DDD")])


def test_sec_filer_quarter_versions_by_hand() -> None:
    out = institutional_features(sec_grid(), sec_rows())
    pct = {
        (s, d): row(out, s, d)["inst_ownership_pct"] for s in ("AAA", "BBB", "CCC", "DDD") for d in SEC_DATES
    }
    # AAA: Q1 150 shares (the PUT's 1000 never count); the Q4 restatement (05-20) does not touch the newer
    # Q1; the Q1 restatement (06-20) makes it 160
    assert [pct["AAA", d] for d in SEC_DATES] == pytest.approx([0.15, 0.15, 0.15, 0.16])
    # BBB: closed in Q1, re-added by the NEW HOLDINGS amendment from 06-05, closed again by the restatement
    assert [pct["BBB", d] for d in SEC_DATES] == pytest.approx([0.0, 0.0, 0.02, 0.0])
    assert [pct["CCC", d] for d in SEC_DATES] == pytest.approx([0.04] * 4)
    assert math.isnan(pct["DDD", "2024-05-15"]) and math.isnan(pct["DDD", "2024-05-25"])
    assert [pct["DDD", d] for d in SEC_DATES[2:]] == pytest.approx([0.03, 0.03])

    a1, a2, a4 = (row(out, "AAA", d) for d in ("2024-05-15", "2024-05-25", "2024-06-30"))
    # one quarter earlier (02-14, 02-24, 03-31) only the original Q4 was public: 100 shares
    assert a1["inst_ownership_change_1q"] == pytest.approx(0.05)
    assert a4["inst_ownership_change_1q"] == pytest.approx(0.06)
    # Q1 as published compared with Q4 as public on 05-10 (100): +50, whatever Q4's restatement says;
    # the restated Q4 rows are not flow (Q4 first became public 02-10, more than 91 days before)
    assert a1["inst_avg_position_size_change"] == pytest.approx(0.5)
    assert a2["inst_avg_position_size_change"] == pytest.approx(0.5)
    assert a1["inst_momentum_score"] == pytest.approx(100 * 50 * math.exp(-5 / 30) / 1000)
    # the Q1 restatement compares with the restated Q4 (public on 06-20): 160 - 120
    assert a4["inst_avg_position_size_change"] == pytest.approx(40 / 120)
    assert a4["inst_momentum_score"] == pytest.approx(100 * 40 * math.exp(-10 / 30) / 1000)
    assert a4["inst_new_positions_count"] == 0.0

    b = {d: row(out, "BBB", d) for d in SEC_DATES}
    assert [b[d]["inst_closed_positions_count"] for d in SEC_DATES] == [1.0, 1.0, 0.0, 1.0]
    # the amendment's BBB row: 20 shares against the restated Q4's 50
    assert b["2024-06-10"]["inst_avg_position_size_change"] == pytest.approx(-30 / 50)
    assert [row(out, "DDD", d)["inst_new_positions_count"] for d in SEC_DATES] == [0.0, 0.0, 1.0, 1.0]
    assert [row(out, "CCC", d)["inst_new_positions_count"] for d in SEC_DATES] == [1.0] * 4


def test_sec_features_at_t_read_only_rows_public_at_t() -> None:
    rows = sec_rows()
    g = sec_grid()
    out = institutional_features(g, rows)
    for d in SEC_DATES:
        t = pd.Timestamp(d)
        at_t = g["sample_date"] == t
        alone = institutional_features(g[at_t], rows[rows["known_at"] <= t])
        pd.testing.assert_frame_equal(alone, out[at_t.to_numpy()].reset_index(drop=True))


def test_put_call_rows_count_nowhere() -> None:
    rows = sec_rows()
    out = institutional_features(sec_grid(), rows)
    calls = rows[rows["put_call"].isna()].assign(put_call="CALL", shares=rows["shares"] * 1e6)
    calls["is_new_position"] = True
    more = institutional_features(sec_grid(), pd.concat([rows, calls], ignore_index=True))
    pd.testing.assert_frame_equal(more, out)


def feature_digest(out: pd.DataFrame) -> str:
    """sha256 of a feature frame: symbols, dates and every float's bytes."""
    h = hashlib.sha256()
    h.update(out["symbol"].astype(str).str.cat(sep=",").encode())
    h.update(out["sample_date"].astype("datetime64[ns]").to_numpy().tobytes())
    h.update(
        np.ascontiguousarray(out.drop(columns=["symbol", "sample_date"]).to_numpy(dtype="float64")).tobytes()
    )
    return h.hexdigest()


# The 13F features of the synthetic market (seed 3, 60 symbols, 36 sample months), computed by the code
# before it read SEC filings (commit 1deb0f7): rows without an accession number must read exactly as then.
SYNTHETIC_13F_DIGEST = "0aad90b8494c9359f09452bae223b8cd518a03a9e0739625a2b6150f491bfa48"


def test_synthetic_market_features_are_bit_identical_to_before_sec_filings() -> None:
    world = simulate_market(MarketConfig(seed=3, n_symbols=60))
    raw = world.institutional_holdings
    assert raw["accession_number"].isna().all() and raw["put_call"].isna().all()
    dates = pd.date_range("2022-01-01", periods=36, freq="MS") + pd.Timedelta(days=14)
    uni = world.universe
    g = pd.DataFrame(
        [(s, d, so) for s, so in zip(uni["symbol"], uni["shares_outstanding"], strict=True) for d in dates],
        columns=["symbol", "sample_date", "shares_outstanding"],
    )
    out = holdings_features(g, raw)
    assert feature_digest(out) == SYNTHETIC_13F_DIGEST
    # as the warehouse reads them back (typed filing columns, all null): the same bytes
    typed = to_arrow(raw, tables.RAW_INSTITUTIONAL_HOLDINGS).to_pandas()
    assert feature_digest(holdings_features(g, typed)) == SYNTHETIC_13F_DIGEST
