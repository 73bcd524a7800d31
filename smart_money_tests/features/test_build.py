"""build_features contract and point-in-time properties on a seeded random panel."""

from dataclasses import fields, replace

import numpy as np
import pandas as pd
import pytest

from smart_money import tables
from smart_money.features.build import RawFrames, build_features
from smart_money.features.catalog import FAMILIES, FEATURE_NAMES
from smart_money.features.hedgefund import holdings_features
from smart_money.sources.sec.holdings13f import institutional_rows
from smart_money.warehouse import to_arrow
from smart_money_tests.features.test_congress import CONGRESS_COLUMNS
from smart_money_tests.features.test_etf import ETF_COLUMNS, nport_reports
from smart_money_tests.features.test_insider import NO_FILING, TRADE_COLUMNS
from smart_money_tests.features.test_insider import trades as trades_frame
from smart_money_tests.features.test_institutional import HOLDING_COLUMNS, feature_digest
from smart_money_tests.sources.sec.test_holdings13f import random_13f, random_hedge_fund

SYMBOLS = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF"]
SAMPLE_DATES = pd.date_range("2023-06-30", periods=8, freq="ME")
HISTORY_START = pd.Timestamp("2018-01-01")
LAST = SAMPLE_DATES[-1]


def _days(rng: np.random.Generator, n: int, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    return pd.Series(start + pd.to_timedelta(rng.integers(0, (end - start).days + 1, n), unit="D"))


def sec_filings(seed: int, symbols: list[str]) -> pd.DataFrame:
    """Insider rows as the SEC source gives them, from a stream of their own: 160 filings of one to three
    transactions (a sixth of them derivative rows), and amendments that change shares or dates of 50 of
    them, filed 0-60 days later (10 of those amended again), so every feature meets replaced filings."""
    rng = np.random.default_rng(seed + 1000)
    rows, filings = [], []
    for k in range(160):
        symbol = symbols[rng.integers(0, len(symbols))]
        traded = HISTORY_START + pd.Timedelta(days=int(rng.integers(0, (LAST - HISTORY_START).days + 60)))
        filing = {
            "symbol": symbol,
            "issuer_cik": f"{symbols.index(symbol) + 1:010d}",
            "insider_id": f"I{rng.integers(0, 15)}",
            "accession_number": f"0000000001-{traded.year % 100:02d}-{k:06d}",
            "known_at": traded + pd.Timedelta(days=int(rng.integers(0, 5))),
            "period_of_report": traded,
        }
        filings.append(filing)
        for _ in range(rng.integers(1, 4)):
            code = rng.choice(["P", "S", "A", "M"], p=[0.45, 0.35, 0.1, 0.1])
            rows.append(
                {
                    **filing,
                    "transaction_date": traded + pd.Timedelta(days=int(rng.integers(-3, 1))),
                    "transaction_code": code,
                    "shares": float(rng.integers(1, 1000)),
                    "is_derivative": bool(rng.random() < 0.17),
                    "form_type": "4",
                    "is_amendment": False,
                    "date_of_original_submission": pd.NaT,
                }
            )
    frame = pd.DataFrame(rows)
    amended = []
    for n, k in enumerate(rng.choice(len(filings), 60, replace=False)):
        original = filings[k] if n < 50 else amended[n - 50]  # the last 10 amend an amendment
        lag = pd.Timedelta(days=int(rng.integers(0, 61)))
        amendment = frame[frame["accession_number"] == original["accession_number"]].assign(
            accession_number=f"0000000001-{original['known_at'].year % 100:02d}-9{n:05d}",
            known_at=original["known_at"] + lag,
            form_type="4/A",
            is_amendment=True,
            date_of_original_submission=original["known_at"],
        )
        amendment["shares"] = (amendment["shares"] * rng.uniform(0.5, 2.0, len(amendment))).round()
        moved = rng.random(len(amendment)) < 0.3  # a corrected transaction date, a month off
        amendment.loc[moved, "transaction_date"] -= pd.Timedelta(days=30)
        amended.append({**original, **amendment.iloc[0][["accession_number", "known_at"]].to_dict()})
        frame = pd.concat([frame, amendment.iloc[: max(1, len(amendment) - int(rng.random() < 0.2))]])
    frame = frame.assign(
        insider_name="x",
        insider_role="officer",
        is_c_suite=frame["insider_id"].isin(["I1", "I2", "I3"]),
        acquired_disposed=np.where(frame["transaction_code"].isin(["P", "A", "M"]), "A", "D"),
        price=rng.uniform(5, 50, len(frame)),
        shares_owned_after=1e4,
        source="sec",
        other_owner_ciks="",
    )
    return frame.reindex(columns=TRADE_COLUMNS)  # the columns the SEC source leaves null here are NaN


def sec_13f(seed: int, symbols: list[str]) -> pd.DataFrame:
    """13F rows as the SEC source gives them, from a stream of their own (``random_13f``: 12 filers, half of
    them hedge funds, 2022-Q1 to the last sample date's quarter, with restatements, NEW HOLDINGS amendments,
    put/call, PRN and unmapped lines), through ``institutional_rows``."""
    filings, lines, universe = random_13f(seed + 2000, symbols, "2022-03-31", f"{LAST:%Y-%m-%d}")
    rows, quarantined = institutional_rows(filings, lines, universe, random_hedge_fund)
    assert quarantined == []
    return rows


def random_panel(seed: int = 7) -> tuple[pd.DataFrame, RawFrames]:
    """A small but dense raw panel: every family produces non-trivial values on most grid rows."""
    rng = np.random.default_rng(seed)
    universe = [*SYMBOLS, "ZZZ"]  # ZZZ is not in the grid (history / AUM only)
    grid = pd.DataFrame(
        {
            "symbol": np.repeat(SYMBOLS, len(SAMPLE_DATES)),
            "sample_date": np.tile(SAMPLE_DATES.values, len(SYMBOLS)),
            "shares_outstanding": rng.uniform(1e5, 1e6, len(SYMBOLS) * len(SAMPLE_DATES)),
        }
    )
    grid.loc[3, "shares_outstanding"] = np.nan

    n = 700
    codes = rng.choice(["P", "S", "A", "M", "F"], n, p=[0.4, 0.3, 0.1, 0.1, 0.1])
    traded = _days(rng, n, HISTORY_START, LAST + pd.Timedelta(days=60))
    late = np.where(rng.random(n) < 0.1, rng.integers(30, 400, n), rng.integers(0, 5, n))
    insider = pd.DataFrame(
        {
            "symbol": rng.choice(universe, n),
            "known_at": traded + pd.to_timedelta(late, unit="D"),
            "transaction_date": traded,
            "insider_id": [f"I{i}" for i in rng.integers(0, 15, n)],
            "insider_name": "x",
            "insider_role": "officer",
            "is_c_suite": rng.random(n) < 0.4,
            "transaction_code": codes,
            "acquired_disposed": np.where(np.isin(codes, ["P", "A", "M"]), "A", "D"),
            "shares": rng.integers(1, 1000, n).astype(float),
            "price": rng.uniform(5, 50, n),
            "shares_owned_after": 1e4,
            "source": "test",
            **NO_FILING,
        },
        columns=TRADE_COLUMNS,
    )
    insider = trades_frame(pd.concat([insider, sec_filings(seed, universe)], ignore_index=True))
    bdays = pd.bdate_range(HISTORY_START, LAST + pd.Timedelta(days=60))
    priced = SYMBOLS[:-1]  # FFF has no prices
    prices = pd.DataFrame(
        {
            "symbol": np.repeat(priced, len(bdays)),
            "date": np.tile(bdays.values, len(priced)),
            "close": rng.uniform(5, 50, len(bdays) * len(priced)),
        }
    )
    prices["adj_close"] = prices["close"]
    prices["volume"] = 1e5
    prices["known_at"] = prices["date"]
    prices["source"] = "test"

    m = 2500
    quarters = pd.date_range("2022-03-31", LAST + pd.Timedelta(days=100), freq="QE")
    report = pd.Series(quarters[rng.integers(0, len(quarters), m)])
    filer = rng.integers(0, 60, m)
    new = rng.random(m) < 0.15
    closed = ~new & (rng.random(m) < 0.1)
    shares = np.where(closed, 0.0, rng.integers(100, 100_000, m).astype(float))
    filing_lag = np.where(rng.random(m) < 0.05, rng.integers(100, 300, m), rng.integers(20, 60, m))
    institutional = pd.DataFrame(
        {
            "symbol": rng.choice(universe, m),
            "known_at": report + pd.to_timedelta(filing_lag, unit="D"),
            "report_date": report,
            "filer_id": [f"F{i:02d}" for i in filer],
            "filer_name": "x",
            "is_hedge_fund": filer % 2 == 0,  # 30 hedge funds, so the top-20 cut matters
            "shares": shares,
            "change_in_shares": np.where(new, shares, rng.integers(-5000, 5000, m).astype(float)),
            "market_value": shares * rng.uniform(5, 50, m),
            "is_new_position": new,
            "is_closed_position": closed,
            "source": "test",
        },
        columns=HOLDING_COLUMNS,
    ).pipe(lambda frame: to_arrow(frame, tables.RAW_INSTITUTIONAL_HOLDINGS).to_pandas())
    institutional = pd.concat([institutional, sec_13f(seed, universe)], ignore_index=True)

    k = 250
    congress_traded = _days(rng, k, pd.Timestamp("2023-01-01"), LAST + pd.Timedelta(days=30))
    congress = pd.DataFrame(
        {
            "symbol": rng.choice(universe, k),
            "known_at": congress_traded + pd.to_timedelta(rng.integers(1, 45, k), unit="D"),
            "transaction_date": congress_traded,
            "chamber": "house",
            "member": "M",
            "side": rng.choice(["buy", "sell"], k),
            "amount_low": 1001.0,
            "amount_high": 15000.0,
            "source": "test",
        },
        columns=CONGRESS_COLUMNS,
    )

    e = 900
    etf = pd.DataFrame(
        {
            "symbol": rng.choice(universe, e),
            "known_at": _days(rng, e, pd.Timestamp("2023-03-01"), LAST + pd.Timedelta(days=30)),
            "etf_symbol": [f"E{i}" for i in rng.integers(0, 9, e)],
            "shares": rng.integers(0, 50_000, e).astype(float),
            "weight": 0.01,
            "market_value": 1.0,
            "source": "test",
        },
        columns=ETF_COLUMNS,
    )
    etf = pd.concat([etf, nport_reports(seed, universe, "2022-09-30", f"{LAST:%Y-%m-%d}")], ignore_index=True)
    etf = to_arrow(etf, tables.RAW_ETF_HOLDINGS).to_pandas()
    o = 1500
    options = pd.DataFrame(
        {
            "symbol": rng.choice(universe, o),
            # intraday close times: an event of the sample day itself is not yet usable
            "known_at": _days(rng, o, pd.Timestamp("2023-06-01"), LAST + pd.Timedelta(days=30))
            + pd.to_timedelta(rng.integers(0, 86_400_000, o), unit="ms"),
            "primary_profile_id": rng.choice(
                ["institutional_directional", "event_driven", "retail_whale", "vol_seller", None], o
            ),
            "primary_direction": rng.choice(["bullish", "bearish", "neutral"], o),
            "premium": rng.uniform(1e3, 1e6, o),
        }
    )
    options["abstained"] = options["primary_profile_id"].isna()
    return grid, RawFrames(insider, institutional, congress, etf, prices, options)


@pytest.fixture(scope="module")
def panel() -> tuple[pd.DataFrame, RawFrames, pd.DataFrame]:
    grid, raw = random_panel()
    return grid, raw, build_features(grid, raw)


def _tables(raw: RawFrames) -> dict[str, pd.DataFrame]:
    return {field.name: getattr(raw, field.name) for field in fields(raw)}


def test_output_contract(panel: tuple[pd.DataFrame, RawFrames, pd.DataFrame]) -> None:
    grid, raw, out = panel
    assert list(out.columns) == ["symbol", "sample_date", *FEATURE_NAMES]
    assert (out[list(FEATURE_NAMES)].dtypes == "float64").all()
    assert len(out) == len(grid)
    # The panel is dense enough that every feature is exercised somewhere.
    assert out[list(FEATURE_NAMES)].notna().any().all()
    assert (out[list(FEATURE_NAMES)].fillna(0) != 0).any().all()

    shuffled = grid.sample(frac=1.0, random_state=3)
    reordered = build_features(shuffled, raw)
    pd.testing.assert_frame_equal(
        reordered[["symbol", "sample_date"]], shuffled[["symbol", "sample_date"]].reset_index(drop=True)
    )
    expected = out.set_index(["symbol", "sample_date"]).loc[
        list(zip(shuffled["symbol"], shuffled["sample_date"], strict=True))
    ]
    pd.testing.assert_frame_equal(reordered.set_index(["symbol", "sample_date"]), expected)


@pytest.mark.parametrize("typed", [True, False], ids=["typed-empty", "object-empty"])
def test_empty_raw_frames(typed: bool) -> None:
    grid, raw = random_panel()

    def empty(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.iloc[:0] if typed else pd.DataFrame(columns=list(frame.columns))

    empty_raw = RawFrames(**{name: empty(frame) for name, frame in _tables(raw).items()})
    out = build_features(grid, empty_raw)
    assert list(out.columns) == ["symbol", "sample_date", *FEATURE_NAMES]
    assert (out[list(FEATURE_NAMES)].dtypes == "float64").all()
    assert len(out) == len(grid)
    nan_when_no_data = {
        "insider_buy_ratio_30d",
        "insider_avg_premium",
        "c_suite_activity_ratio",
        "inst_ownership_pct",
        "inst_ownership_change_1q",
        "inst_avg_position_size_change",
        "inst_concentration_top10",
        "hedgefund_top20_exposure",
        "hedgefund_net_change_1q",
        "etf_ownership_pct",
        "etf_flow_30d",
        "etf_concentration",
        "volatility_30d",  # market context: no prices, no volatility
        "volatility_90d",
        "beta_1y",
        # the options-flow family is optional: no events at all means the group is off
        "options_net_directional_premium_30d",
        "options_event_driven_count_30d",
        "options_retail_whale_share_30d",
        "options_abstention_share_30d",
    }
    # ratios over shares_outstanding stay NaN when shares_outstanding is missing (row 3)
    nan_without_so = {"insider_ownership_change_90d", "inst_momentum_score", "hedgefund_conviction_score"}
    for name in FEATURE_NAMES:
        column = out[name]
        if name in nan_when_no_data:
            assert column.isna().all(), name
        elif name in nan_without_so:
            assert column.isna().sum() == 1 and np.isnan(column.iloc[3]), name
            assert (column.drop(index=3) == 0.0).all(), name
        else:
            assert (column == 0.0).all(), name


def test_rows_published_after_every_sample_date_change_nothing(
    panel: tuple[pd.DataFrame, RawFrames, pd.DataFrame],
) -> None:
    grid, raw, out = panel
    rng = np.random.default_rng(11)

    def future_copies(frame: pd.DataFrame, scale: list[str]) -> pd.DataFrame:
        copies = frame.sample(frac=0.5, random_state=5).copy()
        copies["known_at"] = LAST + pd.to_timedelta(rng.integers(1, 300, len(copies)), unit="D")
        for col in scale:  # make any leak visible
            copies[col] = copies[col] * 7 + 1
        return pd.concat([frame, copies], ignore_index=True)

    future_prices = raw.prices.copy()
    future_prices["date"] = future_prices["date"] + pd.Timedelta(days=3000)
    future_prices["known_at"] = future_prices["date"]
    leaked = RawFrames(
        insider_trades=future_copies(raw.insider_trades, ["shares", "price"]),
        institutional_holdings=future_copies(raw.institutional_holdings, ["shares", "market_value"]),
        congress_trades=future_copies(raw.congress_trades, []),
        etf_holdings=future_copies(raw.etf_holdings, ["shares"]),
        prices=pd.concat([raw.prices, future_prices], ignore_index=True),
        options_events=future_copies(raw.options_events, ["premium"]),
    )
    pd.testing.assert_frame_equal(build_features(grid, leaked), out)


def test_truncating_raw_to_public_rows_reproduces_each_date(
    panel: tuple[pd.DataFrame, RawFrames, pd.DataFrame],
) -> None:
    grid, raw, out = panel
    for t in SAMPLE_DATES:
        truncated = RawFrames(**{name: frame[frame["known_at"] <= t] for name, frame in _tables(raw).items()})
        rows = grid["sample_date"] == t
        pd.testing.assert_frame_equal(
            build_features(grid[rows], truncated), out[rows.to_numpy()].reset_index(drop=True)
        )


PROBE_T = SAMPLE_DATES[4]


def _probe_tables(known_at: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """One new record per family for AAA, filed at ``known_at``."""
    insider = pd.DataFrame(
        [
            {
                "symbol": "AAA",
                "known_at": known_at,
                "transaction_date": PROBE_T - pd.Timedelta(days=3),
                "insider_id": "PROBE",
                "insider_name": "probe",
                "insider_role": "officer",
                "is_c_suite": True,
                "transaction_code": "P",
                "acquired_disposed": "A",
                "shares": 12345.0,
                "price": 20.0,
                "shares_owned_after": 1e5,
                "source": "test",
                **NO_FILING,
            }
        ],
        columns=TRADE_COLUMNS,
    )
    insider = trades_frame(insider)
    holding = {
        "symbol": "AAA",
        "known_at": known_at,
        "report_date": PROBE_T - pd.Timedelta(days=40),
        "filer_name": "probe",
        "shares": 50_000.0,
        "change_in_shares": 50_000.0,
        "market_value": 1e12,  # the largest book: enters the hedge-fund top 20 once public
        "is_new_position": True,
        "is_closed_position": False,
        "source": "test",
    }
    institutional = pd.DataFrame(
        [
            {**holding, "filer_id": "PROBE_INST", "is_hedge_fund": False},
            {**holding, "filer_id": "PROBE_HF", "is_hedge_fund": True},
        ],
        columns=HOLDING_COLUMNS,
    )
    congress = pd.DataFrame(
        [
            {
                "symbol": "AAA",
                "known_at": known_at,
                "transaction_date": PROBE_T - pd.Timedelta(days=20),
                "chamber": "senate",
                "member": "probe",
                "side": "buy",
                "amount_low": 1.0,
                "amount_high": 2.0,
                "source": "test",
            }
        ],
        columns=CONGRESS_COLUMNS,
    )
    etf = pd.DataFrame(
        [
            {
                "symbol": "AAA",
                "known_at": known_at,
                "etf_symbol": "PROBE",
                "shares": 77_777.0,
                "weight": 0.5,
                "market_value": 1.0,
                "source": "test",
            }
        ],
        columns=ETF_COLUMNS,
    )
    options = pd.DataFrame(
        [
            {
                "symbol": "AAA",
                "known_at": known_at,
                "primary_profile_id": "institutional_directional",
                "primary_direction": "bullish",
                "premium": 9.9e7,
                "abstained": False,
            }
        ]
    )
    return {
        "insider": insider,
        "institutional": institutional,
        "congress": congress,
        "etf": etf,
        "options": options,
    }


def test_publishing_a_record_by_t_changes_its_family(
    panel: tuple[pd.DataFrame, RawFrames, pd.DataFrame],
) -> None:
    grid, raw, _ = panel
    target = (grid["symbol"] == "AAA") & (grid["sample_date"] == PROBE_T)
    assert target.sum() == 1

    def build_with(known_at: pd.Timestamp) -> pd.DataFrame:
        probe = _probe_tables(known_at)
        augmented = replace(
            raw,
            insider_trades=pd.concat([raw.insider_trades, probe["insider"]], ignore_index=True),
            institutional_holdings=pd.concat(
                [raw.institutional_holdings, probe["institutional"]], ignore_index=True
            ),
            congress_trades=pd.concat([raw.congress_trades, probe["congress"]], ignore_index=True),
            etf_holdings=pd.concat([raw.etf_holdings, probe["etf"]], ignore_index=True),
            options_events=pd.concat([raw.options_events, probe["options"]], ignore_index=True),
        )
        return build_features(grid, augmented)[target.to_numpy()].iloc[0]

    after = build_with(PROBE_T + pd.Timedelta(days=1))
    on_t = build_with(PROBE_T)

    def changed(name: str) -> bool:
        return not (after[name] == on_t[name] or (pd.isna(after[name]) and pd.isna(on_t[name])))

    for family, names in FAMILIES.items():
        if family == "market":  # prices are public on their date; see test_prices_after_t_change_nothing
            continue
        assert any(changed(name) for name in names), family
    # the specific measures each probe must move
    for name in (
        "insider_buy_volume_30d",
        "inst_ownership_pct",
        "inst_new_positions_count",
        "hedgefund_top20_exposure",
        "hedgefund_new_entry_count",
        "congress_buy_count_90d",
        "etf_ownership_pct",
    ):
        assert changed(name), name


def test_prices_after_t_change_nothing_and_the_price_on_t_counts() -> None:
    grid, raw = random_panel()
    market = ["volatility_30d", "volatility_90d", "beta_1y"]
    base = build_features(grid, raw)[market]
    t = PROBE_T
    row = ((grid["symbol"] == "AAA") & (grid["sample_date"] == t)).to_numpy()
    prices = raw.prices.copy()
    later = (prices["symbol"] == "AAA") & (prices["date"] > t)
    prices.loc[later, "adj_close"] *= 3.0
    unchanged = build_features(grid[grid["sample_date"] <= t], replace(raw, prices=prices))[market]
    pd.testing.assert_frame_equal(
        unchanged, base[(grid["sample_date"] <= t).to_numpy()].reset_index(drop=True)
    )
    on_t = prices["date"] == prices.loc[(prices["symbol"] == "AAA") & (prices["date"] <= t), "date"].max()
    prices.loc[(prices["symbol"] == "AAA") & on_t, "adj_close"] *= 3.0
    moved = build_features(grid, replace(raw, prices=prices))[market]
    assert (moved[row].to_numpy() != base[row].to_numpy()).all()


# The 13F features of ``random_panel()`` before it had SEC rows, computed by the code before it read SEC
# filings (commit 1deb0f7): without the SEC rows the panel must give exactly those bytes again.
PANEL_13F_DIGEST = "30ae57c874617761688f063591bd76e6074ca2a6b2d97a97e40efa541ac8ccaa"


def test_the_panel_without_sec_13f_rows_reads_as_before() -> None:
    grid, raw = random_panel()
    holdings = raw.institutional_holdings
    assert holdings["accession_number"].notna().sum() > 500
    assert (
        feature_digest(holdings_features(grid, holdings[holdings["accession_number"].isna()]))
        == PANEL_13F_DIGEST
    )
