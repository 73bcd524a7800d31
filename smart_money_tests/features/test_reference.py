"""Cross-check the set-based SQL against a slow, literal reading of the feature definitions.

The reference below loops over grid rows and filters raw rows directly from docs/features.md.
It is deliberately naive (and only used here); the product code must stay set-based.
"""

import math

import numpy as np
import pandas as pd

from smart_money.features.build import RawFrames, build_features
from smart_money.features.catalog import FEATURE_NAMES
from smart_money.sources.sec import holdings13f, normalize, nport
from smart_money_tests.features.test_build import random_panel

DAY = pd.Timedelta(days=1)


def _last(frame: pd.DataFrame, t: pd.Timestamp, days: int) -> pd.DataFrame:
    return frame[(frame["known_at"] > t - days * DAY) & (frame["known_at"] <= t)]


def _positions(x: pd.DataFrame) -> pd.DataFrame:
    return x.assign(
        pos=np.where(x["is_closed_position"], 0.0, x["shares"]),
        mv=np.where(x["is_closed_position"], 0.0, x["market_value"].fillna(0.0)),
    )


def _public_13f(h: pd.DataFrame, t: pd.Timestamp) -> pd.DataFrame:
    """The share rows public at t, each SEC filer-quarter in its version public at t (holdings13f's literal
    reading), with ``first_public``: the day its filer-quarter first became public (a row without an
    accession number is its own filing)."""
    public = holdings13f.quarter_versions(h[h["known_at"] <= t], t)
    filed = public["accession_number"].notna()
    seen = h[(h["known_at"] <= t) & h["accession_number"].notna()]
    first = seen.groupby(["filer_id", "report_date"])["known_at"].min()
    keys = pd.MultiIndex.from_frame(public[["filer_id", "report_date"]])
    public = public.assign(first_public=np.where(filed, first.reindex(keys).to_numpy(), public["known_at"]))
    return _positions(public[public["put_call"].isna()])


def _holdings_asof(h: pd.DataFrame, t: pd.Timestamp) -> pd.DataFrame:
    x = _public_13f(h, t)
    x = x[x["report_date"] > t - 183 * DAY]
    filed = x["accession_number"].notna()
    # a row without a filing: per (filer, symbol) the latest report, a later filing of it replacing the
    # earlier; ties on (report_date, known_at) resolved like the product code: larger position first
    other = x[~filed].sort_values(["report_date", "known_at", "pos", "mv", "is_hedge_fund"], ascending=False)
    other = other.drop_duplicates(["filer_id", "symbol"])
    # an SEC filer's position: its latest quarter reporting the symbol, that quarter's version summed
    sec = x[filed].sort_values("known_at", kind="stable")
    sec = sec.groupby(["filer_id", "symbol", "report_date"], as_index=False).agg(
        pos=("pos", "sum"), mv=("mv", "sum"), is_hedge_fund=("is_hedge_fund", "last")
    )
    sec = sec.sort_values("report_date", ascending=False).drop_duplicates(["filer_id", "symbol"])
    return pd.concat([other[sec.columns], sec], ignore_index=True)


def _etf_asof(e: pd.DataFrame, s: str, t: pd.Timestamp) -> pd.DataFrame:
    # snapshots (no accession number): per (ETF, symbol) the latest row of the last 45 days
    snapshots = e[e["accession_number"].isna()]
    x = snapshots[(snapshots["known_at"] <= t) & (snapshots["known_at"] >= t - 45 * DAY)]
    fresh = set(x["etf_symbol"])
    x = x[x["symbol"] == s]
    x = x.sort_values(["known_at", "shares"], ascending=False).drop_duplicates(["etf_symbol", "symbol"])
    # N-PORT: per ETF without fresh snapshots, its report as known at t among reports at most 200 days old
    # (the ETF's whole filing decides, not the symbol's rows)
    filed = e[e["accession_number"].notna() & ~e["etf_symbol"].isin(fresh)]
    filed = filed[filed["report_date"] >= t - 200 * DAY]
    reports = nport.reports_as_of(filed, t)
    return pd.concat([x, reports[reports["symbol"] == s]])


def _insider(r: dict, trades: pd.DataFrame, prices: pd.DataFrame, s: str, t: pd.Timestamp, so: float) -> None:
    # the rows public at t, each filing in its version public at t (an amendment replaces the original
    # from its own filing date), matched afresh among those rows; Table I (non-derivative) rows only
    public_rows = normalize.as_of(trades, t)
    public_rows = public_rows[~public_rows["is_derivative"].fillna(False).astype(bool)]
    mine = public_rows[public_rows["symbol"] == s]
    w30, w90 = _last(mine, t, 30), _last(mine, t, 90)
    buys, sells = w30[w30["transaction_code"] == "P"], w30[w30["transaction_code"] == "S"]
    n = len(buys) + len(sells)
    r["insider_buy_ratio_30d"] = len(buys) / n if n else math.nan
    r["insider_buy_volume_30d"] = buys["shares"].sum()
    r["insider_sell_volume_30d"] = sells["shares"].sum()
    r["insider_net_flow_30d"] = buys["shares"].sum() - sells["shares"].sum()
    dates = buys["transaction_date"]
    r["insider_cluster_score"] = max(
        (buys[(dates >= d) & (dates <= d + 6 * DAY)]["insider_id"].nunique() for d in dates), default=0
    )
    sign = w90["acquired_disposed"].map({"A": 1.0, "D": -1.0}).fillna(0.0)
    r["insider_ownership_change_90d"] = (sign * w90["shares"]).sum() / so
    premiums = []
    for _, p in buys.iterrows():
        closes = prices[(prices["symbol"] == s) & (prices["date"] <= p["transaction_date"])].sort_values(
            "date"
        )
        if len(closes) and p["price"] > 0:
            premiums.append(p["price"] / closes["close"].iloc[-1] - 1)
    r["insider_avg_premium"] = float(np.mean(premiums)) if premiums else math.nan
    r["c_suite_activity_ratio"] = w30["is_c_suite"].mean() if len(w30) else math.nan
    public = public_rows[public_rows["transaction_code"].isin(["P", "S"])]
    routine = opportunistic = 0
    for _, p in buys.iterrows():
        history = public[public["insider_id"] == p["insider_id"]]["transaction_date"]
        year, month = p["transaction_date"].year, p["transaction_date"].month
        every_year = all((history.dt.year == year - k).any() for k in (1, 2, 3))
        same_month = all(
            ((history.dt.year == year - k) & (history.dt.month == month)).any() for k in (1, 2, 3)
        )
        routine += same_month
        opportunistic += every_year and not same_month
    r["insider_routine_buy_count_30d"] = routine
    r["insider_opportunistic_buy_count_30d"] = opportunistic
    clustered = {
        a["insider_id"]
        for _, a in buys.iterrows()
        for _, b in buys.iterrows()
        if a["insider_id"] != b["insider_id"]
        and abs((a["transaction_date"] - b["transaction_date"]).days) <= 7
    }
    r["insider_cluster_buy_count_30d"] = len(clustered)


def _thirteen_f(r: dict, h: pd.DataFrame, s: str, t: pd.Timestamp, so: float) -> None:
    now, before = _holdings_asof(h, t), _holdings_asof(h, t - 91 * DAY)
    now_s, before_s = now[now["symbol"] == s], before[before["symbol"] == s]
    r["inst_ownership_pct"] = now_s["pos"].sum() / so if len(now_s) else math.nan
    prev = before_s["pos"].sum() / so if len(before_s) else math.nan
    r["inst_ownership_change_1q"] = r["inst_ownership_pct"] - prev
    # rows of filer-quarters first public in the last 91 days, in their version public at t
    public = _public_13f(h, t)
    w = _last(public[(public["symbol"] == s) & (public["first_public"] > t - 91 * DAY)], t, 91)
    r["inst_new_positions_count"] = w["is_new_position"].sum()
    r["inst_closed_positions_count"] = w["is_closed_position"].sum()
    prior = w["shares"] - w["change_in_shares"]
    q = w[~w["is_new_position"] & ~w["is_closed_position"] & (prior > 0)]
    r["inst_avg_position_size_change"] = (
        q["change_in_shares"] / (q["shares"] - q["change_in_shares"])
    ).mean()
    total = now_s["pos"].sum()
    top10 = now_s["pos"].nlargest(10).sum()
    r["inst_concentration_top10"] = top10 / total if total > 0 else math.nan
    age = (t - w["known_at"]).dt.days
    r["inst_momentum_score"] = 100 * (w["change_in_shares"] * np.exp(-age / 30)).sum() / so

    funds = now[now["is_hedge_fund"]]
    aum = funds.groupby("filer_id")["mv"].sum()
    ranked = aum.reset_index().sort_values(["mv", "filer_id"], ascending=[False, True])
    top = set(ranked["filer_id"].head(20))
    held = funds[(funds["symbol"] == s) & funds["filer_id"].isin(top)]["pos"].sum()
    r["hedgefund_top20_exposure"] = held / so if len(now_s) else math.nan
    hf_now = now_s[now_s["is_hedge_fund"]]["pos"].sum() / so if len(now_s) else math.nan
    hf_before = before_s[before_s["is_hedge_fund"]]["pos"].sum() / so if len(before_s) else math.nan
    r["hedgefund_net_change_1q"] = hf_now - hf_before
    hw = w[w["is_hedge_fund"]]
    r["hedgefund_new_entry_count"] = hw["is_new_position"].sum()
    r["hedgefund_exit_count"] = hw["is_closed_position"].sum()
    if hw.empty:
        r["hedgefund_conviction_score"] = 0.0 * so  # NaN only if shares_outstanding is
    else:
        weights = hw["filer_id"].map(aum).fillna(0.0)
        denominator = aum.reindex(hw["filer_id"].unique()).fillna(0.0).sum()
        numerator = (weights * hw["change_in_shares"]).sum()
        r["hedgefund_conviction_score"] = 1e4 * numerator / denominator / so if denominator > 0 else math.nan


def _market(r: dict, prices: pd.DataFrame, s: str, t: pd.Timestamp) -> None:
    """Volatility and beta, literally: log returns per symbol, equal-weighted market mean per day."""
    p = prices[prices["adj_close"] > 0].sort_values(["symbol", "date"])
    p = p.assign(ret=np.log(p["adj_close"] / p.groupby("symbol")["adj_close"].shift(1))).dropna(
        subset=["ret"]
    )
    market = p.groupby("date")["ret"].mean()
    own = p[(p["symbol"] == s) & (p["date"] <= t) & (p["date"] > t - 365 * DAY)].set_index("date")["ret"]
    for name, days, minimum in (("volatility_30d", 30, 10), ("volatility_90d", 90, 30)):
        window = own[own.index > t - days * DAY]
        r[name] = window.std(ddof=1) * math.sqrt(252) if len(window) >= minimum else math.nan
    rm = market.reindex(own.index)
    r["beta_1y"] = own.cov(rm) / rm.var() if len(own) >= 60 and rm.var() > 0 else math.nan


def _options(r: dict, events: pd.DataFrame, s: str, t: pd.Timestamp) -> None:
    """Options-flow summaries, literally: events of the symbol closed in (t - 30 days, t]."""
    if events.empty:
        for name in (
            "net_directional_premium",
            "event_driven_count",
            "retail_whale_share",
            "abstention_share",
        ):
            r[f"options_{name}_30d"] = math.nan
        return
    w = events[(events["symbol"] == s) & (events["known_at"] <= t) & (events["known_at"] > t - 30 * DAY)]
    inst = w[w["primary_profile_id"] == "institutional_directional"]
    bullish = inst.loc[inst["primary_direction"] == "bullish", "premium"].sum()
    bearish = inst.loc[inst["primary_direction"] == "bearish", "premium"].sum()
    r["options_net_directional_premium_30d"] = bullish - bearish
    r["options_event_driven_count_30d"] = float((w["primary_profile_id"] == "event_driven").sum())
    share = (lambda mask: mask.sum() / len(w)) if len(w) else (lambda mask: math.nan)
    r["options_retail_whale_share_30d"] = share(w["primary_profile_id"] == "retail_whale")
    r["options_abstention_share_30d"] = share(w["abstained"])


def reference_features(grid: pd.DataFrame, raw: RawFrames) -> pd.DataFrame:
    rows = []
    for _, g in grid.iterrows():
        s, t = g["symbol"], g["sample_date"]
        so = g["shares_outstanding"] if g["shares_outstanding"] > 0 else math.nan
        r: dict = {}
        _insider(r, raw.insider_trades, raw.prices, s, t, so)
        _thirteen_f(r, raw.institutional_holdings, s, t, so)
        c = raw.congress_trades[raw.congress_trades["symbol"] == s]
        c90 = _last(c, t, 90)
        r["congress_buy_count_90d"] = (c90["side"] == "buy").sum()
        r["congress_sell_count_90d"] = (c90["side"] == "sell").sum()
        r["congress_net_sentiment"] = r["congress_buy_count_90d"] - r["congress_sell_count_90d"]
        r["congress_recent_activity_7d"] = float(len(_last(c, t, 7)) > 0)
        now, before = _etf_asof(raw.etf_holdings, s, t), _etf_asof(raw.etf_holdings, s, t - 30 * DAY)
        r["etf_ownership_pct"] = now["shares"].sum() / so if len(now) else math.nan
        r["etf_flow_30d"] = r["etf_ownership_pct"] - (
            before["shares"].sum() / so if len(before) else math.nan
        )
        total = now["shares"].sum()
        r["etf_concentration"] = now["shares"].nlargest(5).sum() / total if total > 0 else math.nan
        _market(r, raw.prices, s, t)
        _options(r, raw.options_events, s, t)
        rows.append(r)
    return pd.DataFrame(rows)[list(FEATURE_NAMES)].astype("float64")


def test_sql_matches_literal_reference() -> None:
    grid, raw = random_panel(seed=1)
    grid = grid[grid["symbol"].isin(["AAA", "BBB", "FFF"])].reset_index(drop=True)
    # the panel's SEC-shaped rows include replaced filings and derivative rows at these symbols
    sec = raw.insider_trades[raw.insider_trades["symbol"].isin(["AAA", "BBB", "FFF"])]
    assert sec["is_amendment"].eq(True).sum() >= 10 and sec["is_derivative"].eq(True).sum() >= 10
    # and SEC 13F rows: restatements, NEW HOLDINGS amendments, put/call rows, replaced rows, closed rows
    f13 = raw.institutional_holdings[raw.institutional_holdings["symbol"].isin(["AAA", "BBB", "FFF"])]
    assert (
        f13["amendment_type"].eq("RESTATEMENT").sum() >= 20
        and f13["amendment_type"].eq("NEW HOLDINGS").sum() >= 5
    )
    assert f13["put_call"].notna().sum() >= 10 and f13["is_closed_position"].sum() >= 10
    assert holdings13f.hidden_from(f13).notna().sum() >= 20
    etf = raw.etf_holdings
    assert etf["form_type"].eq("NPORT-P/A").sum() >= 10 and etf["accession_number"].isna().sum() >= 900
    fast = build_features(grid, raw)[list(FEATURE_NAMES)]
    slow = reference_features(grid, raw)
    pd.testing.assert_frame_equal(fast, slow, rtol=1e-9, atol=1e-12)
