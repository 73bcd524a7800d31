"""Typed features per parent event, one vectorized group-by over the event's prints (their names and meanings
are ``contracts.EVENT_FEATURES``).

Only what is on the tape at the event's time is used: the prints, the NBBO and underlying quote at each
print, the implied volatility, and the corporate-event calendar (scheduled dates, public in advance).
Anything known later (next-day open interest, the price after the event) is never an input.
"""

import numpy as np
import pandas as pd

from smart_money.options_flow.contracts import DAY_MS, FEATURE_COLUMNS
from smart_money.options_flow.pricing import bs_delta

EVENT_SPAN_DAYS = 14


def event_features(events: pd.DataFrame, calendar: pd.DataFrame) -> pd.DataFrame:
    """One row per event: keys (event_id, symbol, event_kind, start/end ts, window) and FEATURE_COLUMNS.

    ``events`` are reconstructed prints (``parent_events.reconstruct``); ``calendar`` has symbol, event_date.
    """
    e = events
    if e.empty:
        return pd.DataFrame(columns=["event_id", "symbol", "event_kind", "start_ts", "end_ts", "window_ms"])
    spot = ((e["underlying_bid"] + e["underlying_ask"]) / 2).to_numpy(float)
    strike = e["strike"].to_numpy(float)
    is_call = (e["option_type"] == "C").to_numpy()
    size = e["size"].to_numpy(float)
    ts = e["ts"].to_numpy(np.int64)
    trade_day = (ts // DAY_MS) * DAY_MS
    expiry_ms = pd.to_datetime(e["expiry"]).to_numpy("datetime64[ms]").astype(np.int64)
    dte = np.maximum((expiry_ms - trade_day) / DAY_MS, 0.0)
    otm = np.where(is_call, strike / spot - 1.0, 1.0 - strike / spot)  # > 0: out of the money
    delta = bs_delta(spot, strike, (dte + 0.5) / 365.0, e["implied_volatility"].to_numpy(float), is_call)
    side = e["side"].to_numpy(float)
    mid = ((e["bid"] + e["ask"]) / 2).to_numpy(float)
    spread_rel = (e["ask"] - e["bid"]).to_numpy(float) / np.maximum(mid, 0.01)

    frame = pd.DataFrame(
        {
            "event_id": e["event_id"].to_numpy(),
            "symbol": e["symbol"].to_numpy(),
            "event_kind": e["event_kind"].to_numpy(),
            "ts": ts,
            "size": size,
            "premium": e["price"].to_numpy(float) * size * 100.0,
            "buy": size * (side > 0),
            "sell": size * (side < 0),
            "w_position": size * e["spread_position"].to_numpy(float),
            "quote_age": e["quote_age_ms"].to_numpy(float),
            "venue": e["venue"].to_numpy(),
            "special": e["special"].to_numpy(float),
            "w_dte": size * dte,
            "w_otm": size * otm,
            "abs_otm": np.abs(strike / spot - 1.0),
            "call_size": size * is_call,
            "iv": e["implied_volatility"].to_numpy(float),
            "spread_rel": spread_rel,
            "spread_abs": (e["ask"] - e["bid"]).to_numpy(float),
            "spot": spot,
            "w_delta": size * side * delta,
            "w_bias": size * side * np.where(is_call, 1.0, -1.0),
            "contract": e["contract"].to_numpy(),
            "strike": strike,
            "expiry_ms": expiry_ms,
            "side": side,
        }
    )
    g = frame.groupby("event_id", sort=False)
    out = g.agg(
        symbol=("symbol", "first"),
        event_kind=("event_kind", "first"),
        start_ts=("ts", "min"),
        end_ts=("ts", "max"),
        n_prints=("ts", "size"),
        n_legs=("contract", "nunique"),
        total_size=("size", "sum"),
        premium=("premium", "sum"),
        buy=("buy", "sum"),
        sell=("sell", "sum"),
        w_position=("w_position", "sum"),
        quote_age_ms=("quote_age", "mean"),
        venue_count=("venue", "nunique"),
        special_share=("special", "mean"),
        w_dte=("w_dte", "sum"),
        w_otm=("w_otm", "sum"),
        atm_proximity=("abs_otm", "min"),
        call_size=("call_size", "sum"),
        iv_first=("iv", "first"),
        iv_last=("iv", "last"),
        spread_first=("spread_rel", "first"),
        spread_last=("spread_rel", "last"),
        spread_rel=("spread_rel", "mean"),
        spread_abs=("spread_abs", "mean"),
        spot_first=("spot", "first"),
        spot_last=("spot", "last"),
        w_delta=("w_delta", "sum"),
        w_bias=("w_bias", "sum"),
        n_strikes=("strike", "nunique"),
        n_expiries=("expiry_ms", "nunique"),
        first_expiry_ms=("expiry_ms", "min"),
        side_min=("side", "min"),
        side_max=("side", "max"),
    )
    total = out["total_size"].to_numpy(float)
    out["window_ms"] = out["end_ts"] - out["start_ts"]
    out["avg_size"] = total / out["n_prints"]
    out["buy_share"] = out["buy"] / total
    out["sell_share"] = out["sell"] / total
    out["spread_position"] = out["w_position"] / total
    span = out["window_ms"].to_numpy(float)
    out["inter_fill_ms"] = np.where(out["n_prints"] > 1, span / np.maximum(out["n_prints"] - 1, 1), np.nan)
    out["dte"] = out["w_dte"] / total
    out["moneyness"] = out["w_otm"] / total
    out["call_share"] = out["call_size"] / total
    out["iv_shock"] = out["iv_last"] - out["iv_first"]
    out["spread_widening"] = out["spread_last"] / np.maximum(out["spread_first"], 1e-6)
    out["underlying_move"] = out["spot_last"] / out["spot_first"] - 1.0
    out["net_delta"] = out["w_delta"] / total
    # +1: all size bought calls or sold puts (bullish); -1: bought puts or sold calls; 0: balanced
    out["directional_bias"] = out["w_bias"] / total
    out["both_sides"] = (out["side_min"] < 0) & (out["side_max"] > 0)
    by_contract = frame.groupby(["event_id", "contract"], sort=False)["size"].sum()
    per_event = by_contract.groupby(level=0, sort=False)
    out["leg_size_symmetry"] = per_event.min() / per_event.max()
    out["strike_concentration"] = (
        frame.groupby(["event_id", "strike"], sort=False)["size"].sum().groupby(level=0, sort=False).max()
        / total
    )
    calls_any = frame.assign(c=frame["call_size"] > 0).groupby("event_id", sort=False)["c"]
    out["calls_and_puts"] = calls_any.any() & ~calls_any.all()
    days, after = _calendar(out, calendar)
    out["days_to_event"] = days
    out["expiry_after_event_days"] = after
    # share of the premium in expiries that span the next known event by at most EVENT_SPAN_DAYS
    event_ms = pd.Series(out["first_expiry_ms"].to_numpy(float) - after * DAY_MS, index=out.index)
    per_print = event_ms.reindex(frame["event_id"]).to_numpy()
    spans = (frame["expiry_ms"].to_numpy(float) >= per_print) & (
        frame["expiry_ms"].to_numpy(float) <= per_print + EVENT_SPAN_DAYS * DAY_MS
    )
    spanning = pd.Series(frame["premium"].to_numpy() * spans).groupby(
        frame["event_id"].to_numpy(), sort=False
    )
    out["pre_event_concentration"] = spanning.sum().reindex(out.index).to_numpy() / out["premium"].to_numpy()
    keys = ["symbol", "event_kind", "start_ts", "end_ts", "window_ms"]
    return out.reset_index()[["event_id", *keys, *FEATURE_COLUMNS]]


def _calendar(out: pd.DataFrame, calendar: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Days from the event's day to the symbol's next scheduled corporate event (on or after that day), and
    days from that corporate event to the event's first expiry (NaN when none is scheduled)."""
    n = len(out)
    days = np.full(n, np.nan)
    after = np.full(n, np.nan)
    if calendar is None or calendar.empty:
        return days, after
    day = (out["start_ts"].to_numpy(np.int64) // DAY_MS) * DAY_MS
    left = pd.DataFrame({"symbol": out["symbol"].to_numpy(), "day": day, "row": np.arange(n)})
    right = pd.DataFrame(
        {
            "symbol": calendar["symbol"].to_numpy(),
            "event_ms": pd.to_datetime(calendar["event_date"]).to_numpy("datetime64[ms]").astype(np.int64),
            "known_ms": pd.to_datetime(calendar["known_at"]).to_numpy("datetime64[ms]").astype(np.int64)
            if "known_at" in calendar
            else np.iinfo(np.int64).min,
        }
    )
    left = left.sort_values("day")
    right = right.sort_values("event_ms")
    matched = pd.merge_asof(
        left, right, left_on="day", right_on="event_ms", by="symbol", direction="forward"
    ).sort_values("row")
    # point in time: a calendar entry not yet public when the event started does not exist for it
    event_ms = matched["event_ms"].to_numpy(float, copy=True)
    event_ms[matched["known_ms"].to_numpy(float) > out["start_ts"].to_numpy(float)] = np.nan
    days = (event_ms - matched["day"].to_numpy(float)) / DAY_MS
    after = (out["first_expiry_ms"].to_numpy(float) - event_ms) / DAY_MS
    return days, after
