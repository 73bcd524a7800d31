"""Hand-computed checks of the ETF-holdings family: snapshot rows (synthetic, FMP, holdings files) and
N-PORT reports (the sec source), the real Global X Millennial Consumer ETF report among them."""

import hashlib
import math

import numpy as np
import pandas as pd
import pytest

from smart_money import tables
from smart_money.features.etf import ETF_FEATURES, NPORT_STALE_DAYS, etf_features
from smart_money.sources.sec import nport
from smart_money.sources.synthetic.market import MarketConfig, simulate_market
from smart_money.warehouse import to_arrow
from smart_money_tests.features.test_institutional import grid, row
from smart_money_tests.sources.sec import test_nport

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


# ---- N-PORT reports (rows with an accession number) --------------------------------------------------------
def filed(
    etf_symbol: str,
    report_date: str,
    known_at: str,
    accession: str,
    holdings: dict[str, float],
    form_type: str = "NPORT-P",
) -> list[dict]:
    """The rows of one N-PORT filing, as the sec source writes them (one row per held symbol)."""
    return [
        {
            "symbol": symbol,
            "known_at": pd.Timestamp(known_at),
            "etf_symbol": etf_symbol,
            "shares": float(shares),
            "weight": 0.01,
            "market_value": float(shares) * 10.0,
            "source": "sec",
            "accession_number": accession,
            "form_type": form_type,
            "report_date": pd.Timestamp(report_date),
        }
        for symbol, shares in holdings.items()
    ]


def filings(*groups: list[dict]) -> pd.DataFrame:
    rows = [r for group in groups for r in group]
    frame = pd.DataFrame(rows, columns=ETF_COLUMNS)
    return to_arrow(frame, tables.RAW_ETF_HOLDINGS).to_pandas()


def at(raw: pd.DataFrame, dates: list[str], symbols: tuple[str, ...] = ("AAA", "BBB"), so: float = 1000.0):
    """The features of ``symbols`` at ``dates``, indexed by (symbol, "YYYY-MM-DD")."""
    out = etf_features(grid([(s, d, so) for s in symbols for d in dates]), raw)
    return out.set_index(["symbol", out["sample_date"].dt.strftime("%Y-%m-%d")])[list(ETF_FEATURES)]


# N1 files quarterly (fiscal year ending in December): each quarter's third-month report is public on its
# filing, 50-58 days after the quarter ends.
Q1 = filed("N1", "2024-03-31", "2024-05-24", "0000000001-24-000100", {"AAA": 100, "BBB": 200, "CCC": 40})
Q2 = filed("N1", "2024-06-30", "2024-08-27", "0000000001-24-000200", {"BBB": 250, "CCC": 50})  # AAA sold
N2 = filed("N2", "2024-06-30", "2024-08-20", "0000000002-24-000200", {"BBB": 1000})


def test_a_symbol_dropped_from_the_next_report_is_not_held_once_that_report_is_public() -> None:
    out = at(filings(Q1, Q2, N2), ["2024-08-26", "2024-08-27", "2024-09-26"])
    # before Q2 is public, Q1 is N1's holdings: AAA 100, BBB 200 (+ N2's 1000, public 2024-08-20)
    assert out.loc[("AAA", "2024-08-26"), "etf_ownership_pct"] == pytest.approx(0.1)
    assert out.loc[("BBB", "2024-08-26"), "etf_ownership_pct"] == pytest.approx(1.2)
    # from Q2's filing date, N1 holds exactly Q2's rows: AAA is held by no ETF (NaN), BBB 250 + 1000
    assert out.loc[("AAA", "2024-08-27")].isna().all()
    assert out.loc[("BBB", "2024-08-27"), "etf_ownership_pct"] == pytest.approx(1.25)
    assert out.loc[("BBB", "2024-08-27"), "etf_concentration"] == 1.0  # two ETFs, both in the top 5
    # 30 days on: t - 30d = 2024-08-27 is also read from Q2, so BBB's flow is 0; AAA has no value at all
    assert out.loc[("BBB", "2024-09-26"), "etf_flow_30d"] == 0.0
    assert out.loc[("AAA", "2024-09-26")].isna().all()
    # t - 30d = 2024-07-28 still reads Q1 (AAA 100, BBB 200; N2 not yet public): flow 1.25 - 0.2
    assert out.loc[("BBB", "2024-08-27"), "etf_flow_30d"] == pytest.approx(1.05)
    assert math.isnan(out.loc[("AAA", "2024-08-27"), "etf_flow_30d"])  # NaN now, 0.1 before


def test_a_dropped_symbol_held_by_another_etf_counts_that_etf_only() -> None:
    other = filed("N3", "2024-06-30", "2024-08-01", "0000000003-24-000200", {"AAA": 30})
    out = at(filings(Q1, Q2, other), ["2024-08-26", "2024-08-27"])
    assert out.loc[("AAA", "2024-08-26"), "etf_ownership_pct"] == pytest.approx(0.13)  # N1 100 + N3 30
    assert out.loc[("AAA", "2024-08-27"), "etf_ownership_pct"] == pytest.approx(0.03)  # N3 only
    assert out.loc[("AAA", "2024-08-27"), "etf_concentration"] == 1.0


def test_a_report_is_not_used_before_its_public_date() -> None:
    # Q2 is as of 2024-06-30 but public only on 2024-08-27: on 2024-08-26 N1 still holds Q1 (AAA 100),
    # and before Q1's own public date (2024-05-24) N1 holds nothing
    out = at(filings(Q1, Q2), ["2024-05-23", "2024-05-24", "2024-07-01", "2024-08-26"])
    assert out.loc[("AAA", "2024-05-23")].isna().all()
    assert out.loc[("AAA", "2024-05-24"), "etf_ownership_pct"] == pytest.approx(0.1)
    assert out.loc[("AAA", "2024-07-01"), "etf_ownership_pct"] == pytest.approx(0.1)  # after Q2's date
    assert out.loc[("AAA", "2024-08-26"), "etf_ownership_pct"] == pytest.approx(0.1)


def test_an_amendment_restates_its_report_from_its_own_filing_date_not_before() -> None:
    amended = filed(
        "N1", "2024-06-30", "2024-09-10", "0000000001-24-000250", {"AAA": 70, "BBB": 300}, "NPORT-P/A"
    )
    out = at(filings(Q1, Q2, amended), ["2024-09-09", "2024-09-10"], ("AAA", "BBB", "CCC"))
    assert out.loc[("AAA", "2024-09-09")].isna().all()  # Q2 as first filed
    assert out.loc[("BBB", "2024-09-09"), "etf_ownership_pct"] == pytest.approx(0.25)
    assert out.loc[("CCC", "2024-09-09"), "etf_ownership_pct"] == pytest.approx(0.05)
    # from 2024-09-10 the whole report is the amendment's: AAA back, BBB restated, CCC not held
    assert out.loc[("AAA", "2024-09-10"), "etf_ownership_pct"] == pytest.approx(0.07)
    assert out.loc[("BBB", "2024-09-10"), "etf_ownership_pct"] == pytest.approx(0.3)
    assert out.loc[("CCC", "2024-09-10")].isna().all()


def test_an_amendment_of_an_older_report_does_not_replace_the_newest_report() -> None:
    late = filed("N1", "2024-03-31", "2024-09-10", "0000000001-24-000150", {"AAA": 999}, "NPORT-P/A")
    early = filed("N1", "2024-03-31", "2024-06-10", "0000000001-24-000140", {"AAA": 120}, "NPORT-P/A")
    out = at(filings(Q1, Q2, late, early), ["2024-06-09", "2024-06-10", "2024-09-10"])
    assert out.loc[("AAA", "2024-06-09"), "etf_ownership_pct"] == pytest.approx(0.1)  # Q1 as filed
    assert out.loc[("AAA", "2024-06-10"), "etf_ownership_pct"] == pytest.approx(0.12)  # Q1 as amended
    assert out.loc[("BBB", "2024-06-10")].isna().all()  # the amendment restates the whole report
    assert out.loc[("AAA", "2024-09-10")].isna().all()  # Q2 is the newest report; Q1's restatement waits
    assert out.loc[("BBB", "2024-09-10"), "etf_ownership_pct"] == pytest.approx(0.25)


def test_filings_of_one_report_on_one_day_the_amendment_then_the_higher_accession() -> None:
    # the original and an amendment filed the same day: the amendment, even with a lower accession
    original = filed("N1", "2024-06-30", "2024-08-27", "0000000001-24-000900", {"AAA": 10})
    amendment = filed("N1", "2024-06-30", "2024-08-27", "0000000001-24-000800", {"AAA": 20}, "NPORT-P/A")
    out = at(filings(original, amendment), ["2024-08-27"], ("AAA",))
    assert out.loc[("AAA", "2024-08-27"), "etf_ownership_pct"] == pytest.approx(0.02)
    # two amendments the same day: the higher accession number
    second = filed("N1", "2024-06-30", "2024-08-27", "0000000001-24-000801", {"AAA": 30}, "NPORT-P/A")
    out = at(filings(original, amendment, second), ["2024-08-27"], ("AAA",))
    assert out.loc[("AAA", "2024-08-27"), "etf_ownership_pct"] == pytest.approx(0.03)


def test_a_quarterly_filer_stays_covered_and_a_fund_that_stops_filing_is_dropped() -> None:
    # N1 files every quarter on day 60 (the deadline) for two years, then stops: just before a report is
    # public the newest public one is up to 151 days old (2022-09-30 on 2023-02-28), so every day from the
    # first report's public date is covered, until 200 days after the last report date
    reports = []
    for k, q in enumerate(pd.date_range("2022-03-31", "2023-12-31", freq="QE")):
        known = f"{q + pd.Timedelta(days=60):%Y-%m-%d}"
        reports.append(filed("N1", f"{q:%Y-%m-%d}", known, f"0000000001-{q:%y}-{k:06d}", {"AAA": 100 + k}))
    days = [f"{d:%Y-%m-%d}" for d in pd.date_range("2022-05-29", "2024-07-31")]
    out = at(filings(*reports), days, ("AAA",))["etf_ownership_pct"]
    assert math.isnan(out[("AAA", "2022-05-29")])
    assert out[("AAA", "2022-05-30")] == pytest.approx(0.1)  # 2022-03-31 + 60 days
    covered = [("AAA", d) for d in days if "2022-05-30" <= d <= "2024-07-18"]
    assert len(covered) == 781 and out[covered].notna().all()
    # the last report (as of 2023-12-31: 107 shares) is read up to 2023-12-31 + 200 days = 2024-07-18
    assert out[("AAA", "2024-07-18")] == pytest.approx(0.107)
    assert out[[("AAA", d) for d in days if d >= "2024-07-19"]].isna().all()
    assert NPORT_STALE_DAYS == 200


def test_fresh_snapshots_of_an_etf_take_precedence_over_its_report() -> None:
    # N1 has both its N-PORT report and, for a while, daily holdings files (no accession number)
    snapshot = etf([("AAA", "2024-09-02", "N1", 500), ("BBB", "2024-08-20", "N1", 50)])
    raw = pd.concat([filings(Q1, Q2), snapshot], ignore_index=True)
    out = at(raw, ["2024-09-02", "2024-10-04", "2024-10-05", "2024-10-17", "2024-10-18"])
    # the files are the ETF's holdings while one is at most 45 days old: Q2's BBB 250 is not added
    assert out.loc[("AAA", "2024-09-02"), "etf_ownership_pct"] == pytest.approx(0.5)
    assert out.loc[("BBB", "2024-09-02"), "etf_ownership_pct"] == pytest.approx(0.05)
    assert out.loc[("BBB", "2024-10-04"), "etf_ownership_pct"] == pytest.approx(0.05)  # 45 days old
    # BBB's file row is stale from 2024-10-05, AAA's (2024-09-02) still fresh: N1 is read from its files,
    # where BBB is not (as before, per ETF and symbol)
    assert out.loc[("BBB", "2024-10-05")].isna().all()
    assert out.loc[("AAA", "2024-10-17"), "etf_ownership_pct"] == pytest.approx(0.5)
    # 2024-10-18: every file is older than 45 days: the report again (Q2: BBB 250, no AAA)
    assert out.loc[("AAA", "2024-10-18")].isna().all()
    assert out.loc[("BBB", "2024-10-18"), "etf_ownership_pct"] == pytest.approx(0.25)


def test_the_real_millennial_consumer_report_from_its_public_date() -> None:
    # Global X Millennial Consumer ETF's NPORT-P as of 30-NOV-2025, filed (and public) 29-JAN-2026, day 60;
    # AAPL 15,759 shares (holdings.tsv); the sample's eight issuers with their real CUSIPs
    cusips = pd.read_csv(test_nport.FIXTURES / "sample_cusips.csv", dtype=str)
    filing, holdings = test_nport._miln(cusips, equity=True)
    rows, quarantined = nport.etf_rows(filing, holdings, "MILN", test_nport._universe(cusips))
    assert quarantined == [] and len(rows) == 8
    so = 1e9  # any positive number
    out = at(rows, ["2025-11-30", "2026-01-28", "2026-01-29", "2026-02-28"], ("AAPL",), so)
    assert out.loc[("AAPL", "2025-11-30")].isna().all()  # the holdings' date: not yet public
    assert out.loc[("AAPL", "2026-01-28")].isna().all()
    assert out.loc[("AAPL", "2026-01-29"), "etf_ownership_pct"] == 15_759 / so
    assert out.loc[("AAPL", "2026-02-28"), "etf_flow_30d"] == 0.0  # 2026-01-29 is read from it too


# ---- point in time on random reports -----------------------------------------------------------------------
def nport_reports(seed: int, symbols: list[str], first: str, last: str) -> pd.DataFrame:
    """N-PORT-shaped rows: four quarterly filers, N0-N3, reporting each quarter end from ``first`` to
    ``last``, each public 30-60 days later, holding ~70% of ``symbols``; N3 stops filing halfway. 40% of
    the reports are amended (some on the original's day, some twice on one day, some after the next report
    is public), each amendment restating the shares and dropping a symbol. N1 also has daily-file
    snapshots for a while (no accession number), which take precedence then."""
    rng = np.random.default_rng(seed + 2000)
    quarters = pd.date_range(first, last, freq="QE")
    groups: list[list[dict]] = []
    for e, fund in enumerate(["N0", "N1", "N2", "N3"]):
        for k, q in enumerate(quarters[: len(quarters) // 2] if fund == "N3" else quarters):
            held = {s: float(rng.integers(0, 50_000)) for s in symbols if rng.random() < 0.7}
            known = q + pd.Timedelta(days=int(rng.integers(30, 61)))
            day, report = f"{known:%Y-%m-%d}", f"{q:%Y-%m-%d}"
            seq = 1000 * k + 500
            groups.append(filed(fund, report, day, f"00000010{e:02d}-{q:%y}-{seq:06d}", held))
            if rng.random() >= 0.4 or not held:
                continue
            lag = int(rng.choice([0, rng.integers(1, 45), rng.integers(100, 150)]))
            restated = {s: float(rng.integers(0, 50_000)) for s in held}
            restated.pop(list(held)[rng.integers(0, len(held))])
            day = f"{known + pd.Timedelta(days=lag):%Y-%m-%d}"
            seq += int(rng.integers(-100, 100))  # lower than the original's at times: the form decides
            accession = f"00000010{e:02d}-{q:%y}-{seq:06d}"
            groups.append(filed(fund, report, day, accession, restated, "NPORT-P/A"))
            if rng.random() < 0.3:  # a second amendment the same day, with a higher accession number
                again = {s: v + 1 for s, v in restated.items()}
                accession = f"00000010{e:02d}-{q:%y}-{seq + 200:06d}"
                groups.append(filed(fund, report, day, accession, again, "NPORT-P/A"))
    frame = filings(*groups)
    days = pd.Timestamp(quarters[len(quarters) // 2]) + pd.to_timedelta(rng.integers(0, 60, 20), unit="D")
    snapshots = etf([(symbols[rng.integers(0, len(symbols))], f"{d:%Y-%m-%d}", "N1", 1000.0) for d in days])
    return pd.concat([frame, snapshots], ignore_index=True)


RANDOM_DATES = pd.date_range("2023-01-31", "2024-12-31", freq="ME")


@pytest.fixture(scope="module")
def random_reports() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    raw = nport_reports(3, ["AAA", "BBB", "CCC", "DDD"], "2022-06-30", "2024-09-30")
    g = grid([(s, f"{d:%Y-%m-%d}", 1e5) for s in ["AAA", "BBB", "CCC", "DDD"] for d in RANDOM_DATES])
    return raw, g, etf_features(g, raw)


def test_a_fund_that_stops_filing_counts_until_its_last_report_is_stale(random_reports) -> None:
    raw, g, out = random_reports
    amended = raw[raw["form_type"] == "NPORT-P/A"]
    assert amended["accession_number"].nunique() >= 8
    assert out[list(ETF_FEATURES)].notna().mean().min() > 0.8
    # N3 stopped filing: it counts until 200 days after its last report date, then never
    without = etf_features(g, raw[raw["etf_symbol"] != "N3"])
    cut = raw.loc[raw["etf_symbol"] == "N3", "report_date"].max() + pd.Timedelta(days=200)
    # (t - 30 days is read too: etf_flow_30d at t moves while t - 30 is covered)
    late = (out["sample_date"] > cut + pd.Timedelta(days=30)).to_numpy()
    assert late.sum() >= 16 and (~late).sum() >= 16
    pd.testing.assert_frame_equal(without[late], out[late])
    assert (without[~late][list(ETF_FEATURES)] != out[~late][list(ETF_FEATURES)]).any(axis=None)


def test_rows_known_after_t_never_change_a_feature_at_t(random_reports) -> None:
    raw, g, out = random_reports
    for t in RANDOM_DATES:
        rows = (g["sample_date"] == t).to_numpy()
        truncated = etf_features(g[rows], raw[raw["known_at"] <= t])
        pd.testing.assert_frame_equal(truncated, out[rows].reset_index(drop=True))
    # a later report, a later amendment of every report and a later copy of every filing, all known after
    # the last date, change nothing
    last = RANDOM_DATES[-1]
    later = raw.assign(shares=raw["shares"] * 7 + 1, known_at=last + pd.Timedelta(days=1))
    later = later[later["accession_number"].notna()]
    amendments = later.assign(form_type="NPORT-P/A", accession_number=later["accession_number"] + "9")
    newest = later.assign(report_date=last, accession_number=later["accession_number"] + "8")
    leaked = pd.concat([raw, later, amendments, newest], ignore_index=True)
    pd.testing.assert_frame_equal(etf_features(g, leaked), out)


# ---- snapshot rows read as before --------------------------------------------------------------------------
def _snapshot_reference(raw: pd.DataFrame, g: pd.DataFrame) -> pd.DataFrame:
    """The snapshot rule read literally (per (ETF, symbol) the latest row of the last 45 days), in pandas."""
    out = []
    for symbol, t, so in g[["symbol", "sample_date", "shares_outstanding"]].itertuples(index=False):
        mine = raw[raw["symbol"] == symbol]

        def total(d: pd.Timestamp, mine=mine) -> pd.Series:
            x = mine[(mine["known_at"] <= d) & (mine["known_at"] >= d - pd.Timedelta(days=45))]
            latest = x.sort_values(["known_at", "shares"], ascending=False).drop_duplicates("etf_symbol")
            return latest["shares"]

        now, before = total(t), total(t - pd.Timedelta(days=30))
        pct = now.sum() / so if len(now) else math.nan
        out.append(
            {
                "etf_ownership_pct": pct,
                "etf_flow_30d": pct - (before.sum() / so if len(before) else math.nan),
                "etf_concentration": now.nlargest(5).sum() / now.sum() if now.sum() > 0 else math.nan,
            }
        )
    return pd.DataFrame(out)


# sha256 of the float64 bytes of etf_features on the market below, computed by the snapshot-only code
# before N-PORT rows were read (commit 513a7b1). If the simulated market itself changes, recompute it;
# the exact comparison with the literal rule above is the proof that does not depend on the market.
SYNTHETIC_DIGEST = "ba47523bd663156fbbf586d7480e6e4644e92609c524daf00c9459dd41dcfd96"


def test_synthetic_rows_give_the_same_features_bit_for_bit() -> None:
    world = simulate_market(MarketConfig(seed=3, n_symbols=6))
    raw = world.etf_holdings
    assert raw["accession_number"].isna().all() and raw["report_date"].isna().all()
    dates = pd.date_range("2021-01-31", periods=30, freq="ME")
    g = grid([(s, f"{d:%Y-%m-%d}", 1e8) for s in world.universe["symbol"] for d in dates])
    out = etf_features(g, raw)
    assert out[list(ETF_FEATURES)].notna().mean().min() > 0.9
    values = np.ascontiguousarray(out[list(ETF_FEATURES)].to_numpy("float64"))
    assert hashlib.sha256(values.tobytes()).hexdigest() == SYNTHETIC_DIGEST
    # the literal rule, exactly (the shares are whole numbers, so every sum is exact in any order)
    reference = _snapshot_reference(raw, g)
    np.testing.assert_array_equal(values, reference.to_numpy("float64"))
    # blank accession numbers are no accession numbers
    blank = raw.assign(accession_number="", form_type="", cusip="")
    pd.testing.assert_frame_equal(etf_features(g, blank), out)
