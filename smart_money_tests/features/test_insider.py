"""Hand-computed checks of the insider (Form 4) family, and the version of each filing it reads: real SEC
filings with a built amendment (no real 4/A is among the shared records) and a real derivative row."""

import math
import re

import numpy as np
import pandas as pd
import pytest

from smart_money import tables
from smart_money.features.insider import INSIDER_FEATURES, hidden_from, insider_features
from smart_money.sources.fmp import normalize as fmp_normalize
from smart_money.sources.sec import normalize, ownership
from smart_money.sources.synthetic.market import MarketConfig, simulate_market
from smart_money.warehouse import to_arrow
from smart_money_tests.sources.sec import realdata

TRADE_COLUMNS = tables.RAW_INSIDER_TRADES.column_names
PRICE_COLUMNS = tables.RAW_PRICES.column_names
# A hand-built trade knows nothing of its filing (as a source without filings): never replaced.
NO_FILING = dict.fromkeys(tables.FILING_COLUMN_NAMES)

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
        **NO_FILING,
    }


def trades(rows: list[dict]) -> pd.DataFrame:
    """Rows typed as the warehouse reads them back (every column of ``raw_insider_trades``)."""
    return to_arrow(pd.DataFrame(rows, columns=TRADE_COLUMNS), tables.RAW_INSIDER_TRADES).to_pandas()


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


# ---- each filing in the version public at t ----------------------------------------------------------------
ORIGINAL_ACCESSION = "0000320193-22-000061"  # the real AAPL Form 4 (filed 2022-05-06)
AMENDMENT_ACCESSION = "0000320193-22-999061"  # made up: the built 4/A
AMENDMENT_FILED = "2022-05-20"
AAPL_SHARES = 16e9


def _amend(xml: bytes) -> bytes:
    """A 4/A of the real AAPL sale: documentType 4/A, dateOfOriginalSubmission 2022-05-06, and the first
    sale's shares corrected from 9136 to 9163 (the six other sales as filed)."""
    text = ownership.extract_xml(xml).decode()
    assert text.count("<value>9136</value>") == 1
    text = text.replace("<documentType>4</documentType>", "<documentType>4/A</documentType>")
    text = re.sub(
        r"(<periodOfReport>[^<]*</periodOfReport>)",
        r"\1<dateOfOriginalSubmission>2022-05-06</dateOfOriginalSubmission>",
        text,
    )
    return text.replace("<value>9136</value>", "<value>9163</value>").encode()


def _aapl_sale_and_amendment(amendment_filed: str = AMENDMENT_FILED) -> pd.DataFrame:
    original, quarantined = realdata.document_rows(realdata.AAPL_SALE)
    assert quarantined == []
    amended, quarantined = ownership.document_rows(
        _amend(realdata.form4_bytes(realdata.AAPL_SALE)),
        realdata.universe(),
        accession_number=AMENDMENT_ACCESSION,
        filing_date=amendment_filed,
    )
    assert quarantined == []
    return trades(original + amended)


def _features(raw: pd.DataFrame, dates: list[str], symbol: str = "AAPL", so: float = AAPL_SHARES):
    out = insider_features(grid([(symbol, d, so) for d in dates]), raw, prices([]))
    return out.set_index(out["sample_date"].dt.strftime("%Y-%m-%d"))


def test_an_amendment_replaces_the_original_from_its_filing_date_and_shares_count_once() -> None:
    raw = _aapl_sale_and_amendment()
    original = raw["accession_number"] == ORIGINAL_ACCESSION
    # the real filing as filed: seven sales by Katherine Adams (General Counsel) on 2022-05-04, 25,000 shares
    assert original.sum() == 7 and raw.loc[original, "shares"].sum() == 25_000
    assert raw.loc[~original, "shares"].sum() == 25_027 and set(raw.loc[~original, "form_type"]) == {"4/A"}
    assert set(raw["transaction_code"]) == {"S"} and not raw["is_c_suite"].any()

    hidden = hidden_from(raw)
    assert set(hidden[original]) == {pd.Timestamp(AMENDMENT_FILED)}  # replaced on the 4/A's filing date
    assert hidden[~original].isna().all()  # nothing amends the amendment

    dates = ["2022-05-05", "2022-05-06", "2022-05-19", "2022-05-20", "2022-06-03", "2022-06-20"]
    out = _features(raw, dates)
    assert out["insider_sell_volume_30d"].to_dict() == {
        "2022-05-05": 0.0,  # nothing public yet
        "2022-05-06": 25_000.0,  # the original, public on its filing date
        "2022-05-19": 25_000.0,  # the day before the 4/A: still the original
        "2022-05-20": 25_027.0,  # the 4/A's filing date: the amendment alone, never 50,027
        "2022-06-03": 25_027.0,
        "2022-06-20": 0.0,  # the 4/A (known 05-20) has left the 30 days
    }
    assert out["insider_net_flow_30d"]["2022-05-20"] == -25_027.0
    assert math.isnan(out["insider_buy_ratio_30d"]["2022-05-05"])
    assert (out.loc[dates[1:5], "insider_buy_ratio_30d"] == 0.0).all()
    assert (out.loc[dates[1:5], "c_suite_activity_ratio"] == 0.0).all()  # 7 rows, not 14: same ratio
    # the 90 days still hold the 4/A on 06-20, once
    assert out["insider_ownership_change_90d"]["2022-05-19"] == pytest.approx(-25_000 / AAPL_SHARES)
    assert out["insider_ownership_change_90d"]["2022-06-20"] == pytest.approx(-25_027 / AAPL_SHARES)

    # the literal rule (normalize.as_of: the rows public at t, each filing's version public at t) gives
    # the same numbers, and so does the table truncated to the rows public at t (no look-ahead)
    for t in dates:
        literal = _features(normalize.as_of(raw, t), [t])
        truncated = _features(raw[raw["known_at"] <= pd.Timestamp(t)], [t])
        pd.testing.assert_frame_equal(literal, out.loc[[t]])
        pd.testing.assert_frame_equal(truncated, out.loc[[t]])


def test_an_amendment_filed_the_same_day_leaves_no_moment_for_the_original() -> None:
    raw = _aapl_sale_and_amendment(amendment_filed="2022-05-06")
    assert set(hidden_from(raw)[raw["accession_number"] == ORIGINAL_ACCESSION]) == {
        pd.Timestamp("2022-05-06")
    }
    out = _features(raw, ["2022-05-06", "2022-05-31"])
    assert out["insider_sell_volume_30d"].tolist() == [25_027.0, 25_027.0]


def _filed(row: dict, accession: str, period: str, *, amends: str | None = None, derivative=False) -> dict:
    """A hand-built row as the SEC source gives it: one filing of issuer 0000000001 (an amendment when
    ``amends`` is the original's filing date)."""
    return {
        **row,
        "issuer_cik": "0000000001",
        "accession_number": accession,
        "form_type": "4/A" if amends else "4",
        "is_amendment": amends is not None,
        "is_derivative": derivative,
        "other_owner_ciks": "",
        "period_of_report": pd.Timestamp(period),
        "date_of_original_submission": pd.Timestamp(amends) if amends else pd.NaT,
    }


def test_an_amendment_changes_the_routine_history_from_its_filing_date() -> None:
    # R sold in June of 2021, 2022 and 2023: its June 2024 purchase is routine. A 4/A filed 2024-07-05
    # corrects the 2022 sale's date to March: from then on R has no June 2022 trade, so it is opportunistic.
    history = [
        _filed(trade("ZZZ", "2021-06-12", "2021-06-10", "R", "S"), "0000000009-21-000001", "2021-06-10"),
        _filed(trade("ZZZ", "2022-06-12", "2022-06-10", "R", "S"), "0000000009-22-000001", "2022-06-10"),
        _filed(trade("ZZZ", "2023-06-12", "2023-06-10", "R", "S"), "0000000009-23-000001", "2023-06-10"),
        _filed(
            trade("ZZZ", "2024-07-05", "2022-03-10", "R", "S"),
            "0000000009-24-000009",
            "2022-06-10",
            amends="2022-06-12",
        ),
    ]
    purchase = trade("AAA", "2024-06-25", "2024-06-24", "R", "P")
    raw = trades([*history, purchase])
    out = _features(raw, ["2024-06-30", "2024-07-04", "2024-07-05", "2024-07-15"], symbol="AAA", so=1e6)
    assert out["insider_routine_buy_count_30d"].tolist() == [1.0, 1.0, 0.0, 0.0]
    assert out["insider_opportunistic_buy_count_30d"].tolist() == [0.0, 0.0, 1.0, 1.0]
    for t in out.index:
        pd.testing.assert_frame_equal(
            _features(raw[raw["known_at"] <= pd.Timestamp(t)], [t], symbol="AAA", so=1e6), out.loc[[t]]
        )


def test_derivative_rows_change_no_feature() -> None:
    # The real SoftBank filing (BETR, filed 2025-03-07): a conversion acquires 628,553 Class A shares
    # (Table I) and disposes of as many Class B (Table II, a derivative row).
    rows, quarantined = realdata.document_rows(realdata.SOFTBANK)
    assert quarantined == []
    raw = trades(rows)
    assert raw["is_derivative"].tolist() == [False, True]
    assert raw["transaction_code"].tolist() == ["C", "C"] and raw["shares"].tolist() == [628_553.0] * 2
    dates = ["2025-03-07", "2025-04-01"]
    out = _features(raw, dates, symbol="BETR", so=1e8)
    # only the Table I acquisition counts: +628,553, not 628,553 - 628,553 = 0
    assert out["insider_ownership_change_90d"].tolist() == pytest.approx([628_553 / 1e8] * 2)
    assert out["c_suite_activity_ratio"].notna().all()
    without = _features(raw[~raw["is_derivative"].astype(bool)], dates, symbol="BETR", so=1e8)
    pd.testing.assert_frame_equal(out, without)
    # a derivative row alone, of any code, is as no row at all
    made_up = trades(
        [_filed(trade("BETR", "2025-03-07", "2025-03-05", "X", "P"), "1", "2025-03-05", derivative=True)]
    )
    nothing = _features(made_up, dates, symbol="BETR", so=1e8)
    pd.testing.assert_frame_equal(nothing, _features(trades([]), dates, symbol="BETR", so=1e8))


def test_rows_without_an_accession_number_are_never_replaced() -> None:
    # An FMP 4/A: FMP gives the form type (so is_amendment), but neither the period nor the original's
    # date, and here no filing link: both the original and the amendment count, as FMP reports them.
    record = {
        "symbol": "AAA",
        "filingDate": "2024-06-03",
        "transactionDate": "2024-06-01",
        "reportingCik": "0000000002",
        "companyCik": "0000000001",
        "transactionType": "P-Purchase",
        "securitiesOwned": 1000,
        "reportingName": "Insider",
        "typeOfOwner": "director",
        "acquisitionOrDisposition": "A",
        "formType": "4",
        "securitiesTransacted": 100,
        "price": 10.0,
    }
    amendment = {**record, "filingDate": "2024-06-10", "formType": "4/A", "securitiesTransacted": 120}
    linked = {**amendment, "url": "https://www.sec.gov/Archives/edgar/data/1/000000000224000007/x-index.htm"}
    rows, quarantined = fmp_normalize.insider_trades([record, amendment, linked])
    assert quarantined == []
    raw = trades(rows)
    assert raw["is_amendment"].tolist() == [False, True, True]
    assert raw["accession_number"].isna().tolist() == [True, True, False]
    assert raw["accession_number"].iloc[2] == "0000000002-24-000007"
    assert hidden_from(raw).isna().all()  # nothing says which filing the 4/A amends
    out = _features(raw, ["2024-06-30"], symbol="AAA", so=1e6)
    assert out["insider_buy_volume_30d"].tolist() == [340.0]


def test_the_synthetic_market_reads_the_same_without_its_filing_columns() -> None:
    world = simulate_market(MarketConfig(seed=3, n_symbols=6))
    raw = world.insider_trades
    assert raw["accession_number"].isna().all() and not raw["is_derivative"].any()
    assert hidden_from(raw).isna().all()
    dates = pd.date_range("2022-01-14", periods=24, freq="MS") + pd.Timedelta(days=14)
    g = grid([(s, f"{d:%Y-%m-%d}", 1e8) for s in world.universe["symbol"] for d in dates])
    px = world.prices[["symbol", "date", "close", "adj_close", "volume", "known_at", "source"]]
    out = insider_features(g, raw, px)
    bare = raw.assign(**{c: None for c in tables.FILING_COLUMN_NAMES})
    pd.testing.assert_frame_equal(insider_features(g, bare, px), out)
    assert (out["insider_buy_volume_30d"] > 0).any() and (out["insider_routine_buy_count_30d"] > 0).any()
