"""The simulated tape: labelled scenario templates for the six profiles, the false-positive traps and neutral
background flow, in the print shape of ``contracts.PRINT_COLUMNS``.

A scenario is a coherent bundle: its child prints, the NBBO at each print (bid, ask, quote age), the
underlying's quote path and the implied-volatility response. Templates are generated in bulk (one NumPy draw
per template and field, no per-print Python loop), so a demo tape of millions of prints takes seconds.

Every print falls on a trading day of the price calendar (``timeline.trading_days``: weekdays without exchange
holidays) inside regular trading hours, 09:30-16:00 New York time (13:30-20:00 UTC in summer, 14:30-21:00
in winter). ``TapeConfig.days`` counts trading days from ``start``.

Modes:
- ``test``: seeded, deterministic, low noise; every template's features sit well inside its rules, so the
  expected labels are exact;
- ``demo``: seeded, realistic background flow (``background_ratio`` neutral prints per scenario print) with
  noisier template parameters.

The hidden labels (``synthetic_flow_truth``: print_id, scenario_id, truth) never reach the rules.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from smart_money.options_flow.contracts import BACKGROUND, CALENDAR_NOTICE_DAYS, DAY_MS, PRINT_COLUMNS
from smart_money.options_flow.pricing import bs_price
from smart_money.timeline import trading_days

VENUES = np.array(["AMEX", "ARCA", "BOX", "CBOE", "C2", "EDGX", "GEMX", "ISE", "MIAX", "NOM", "PHLX", "BZX"])
MARKET_TIME_ZONE = "America/New_York"
OPEN_TIME, SESSION_MS = pd.Timedelta(hours=9, minutes=30), 390 * 60_000  # regular hours 09:30-16:00 ET
MIN_GAP_MS = 60_000  # scenarios of one symbol start at least a minute apart (no accidental merging)


@dataclass(frozen=True)
class TapeConfig:
    """What to simulate: which symbols and days, how many scenarios of each kind, and the noise."""

    symbols: tuple[str, ...] = tuple(f"SYN{i:03d}" for i in range(1, 21))
    start: str = "2024-06-03"
    days: int = 10  # trading days from ``start`` (the first one on or after it)
    scenarios_per_kind: int = 20
    mode: str = "test"  # "test" | "demo"
    background_ratio: float = 0.0  # neutral background prints per scenario print (demo: e.g. 3.0)
    seed: int = 11
    id_prefix: str = "P"  # print ids are <prefix><9 digits>: give each month its own prefix

    def __post_init__(self):
        if self.mode not in ("test", "demo"):
            raise ValueError(f"TapeConfig.mode={self.mode!r}: use 'test' or 'demo'")


def attention_names(symbols: tuple[str, ...]) -> set[str]:
    """The simulated market's meme/attention names: every fifth symbol."""
    return {s for i, s in enumerate(symbols) if i % 5 == 0}


def synthetic_calendar(symbols, first_month, last_month) -> pd.DataFrame:
    """The simulated market's scheduled corporate events: per symbol one a month, on day 6-10 of the month
    (earnings in the months after a quarter ends, other scheduled events otherwise), public
    ``CALENDAR_NOTICE_DAYS`` before. Columns as ``raw_corporate_events`` (without source)."""
    months = pd.date_range(
        pd.Timestamp(first_month).to_period("M").to_timestamp(),
        pd.Timestamp(last_month).to_period("M").to_timestamp(),
        freq="MS",
    )
    rows = []
    for month in months:
        kind = "earnings" if month.month in (1, 4, 7, 10) else "scheduled_event"
        for i, symbol in enumerate(symbols):
            day = month + pd.Timedelta(days=5 + i % 5)
            rows.append({"symbol": symbol, "event_date": day, "kind": kind})
    frame = pd.DataFrame(rows, columns=["symbol", "event_date", "kind"])
    frame["known_at"] = frame["event_date"] - pd.Timedelta(days=CALENDAR_NOTICE_DAYS)
    for column in ("eps_actual", "eps_estimated", "revenue_actual", "revenue_estimated"):
        frame[column] = np.nan
    return frame


def session_opens(start: str | pd.Timestamp, days: int) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """The first ``days`` trading days on or after ``start`` and each one's 09:30 New York open in epoch
    ms (UTC), daylight saving time included: a simulated print never falls on a weekend, a holiday or
    outside regular hours."""
    first = pd.Timestamp(start)
    calendar = trading_days(first, first + pd.Timedelta(days=2 * days + 14))[:days]
    opens = (calendar + OPEN_TIME).tz_localize(MARKET_TIME_ZONE).tz_convert("UTC")
    return calendar, (opens.as_unit("ms").asi8).astype(np.int64)


def corporate_events(config: TapeConfig) -> pd.DataFrame:
    """The calendar the tape's event-driven scenarios align with (the months the tape covers and the next)."""
    start = pd.Timestamp(config.start)
    return synthetic_calendar(config.symbols, start, start + pd.Timedelta(days=config.days + 31))


def spot_prices(symbols: tuple[str, ...], seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    return dict(zip(symbols, np.round(rng.uniform(20, 400, len(symbols)), 2), strict=True))


def _strike(spot: np.ndarray, moneyness: np.ndarray) -> np.ndarray:
    raw = spot * (1 + moneyness)
    step = np.where(raw < 50, 0.5, np.where(raw < 200, 1.0, 5.0))
    return np.round(raw / step) * step


class TapeBuilder:
    """Builds a tape (prints, truth, corporate events) for a ``TapeConfig``."""

    def __init__(self, config: TapeConfig = TapeConfig()):
        self.config = config
        self.rng = np.random.default_rng(config.seed)
        self.spots = spot_prices(config.symbols, config.seed)
        self.events = corporate_events(config)
        self.attention = sorted(attention_names(config.symbols))
        self.plain = [s for s in config.symbols if s not in set(self.attention)]
        self.noise = 0.0 if config.mode == "test" else 1.0
        self.days, self.opens_ms = session_opens(config.start, config.days)
        self._slots: dict[str, int] = {}
        self._scenario = 0
        self._frames: list[pd.DataFrame] = []

    # ---- placing scenarios in time ------------------------------------------------------------------------
    def _start_times(self, symbols: np.ndarray, day_offsets: np.ndarray | None = None) -> np.ndarray:
        """Distinct start times per symbol, MIN_GAP_MS apart, inside trading hours; ``day_offsets`` are
        indices into the tape's trading days."""
        out = np.empty(len(symbols), dtype=np.int64)
        per_day = (SESSION_MS - 120_000) // MIN_GAP_MS  # a scenario lasts well under two minutes
        for i, symbol in enumerate(symbols):
            slot = self._slots.get(symbol, 0)
            self._slots[symbol] = slot + 1
            day = (slot // per_day) if day_offsets is None else int(day_offsets[i])
            day = min(day, len(self.days) - 1)
            out[i] = self.opens_ms[day] + (slot % per_day) * MIN_GAP_MS
        return out

    def _pick(self, names: list[str], k: int) -> np.ndarray:
        return np.array([names[i % len(names)] for i in self.rng.permutation(k * 7)[:k]])

    # ---- one leg of K scenarios ---------------------------------------------------------------------------
    def _leg(
        self,
        symbols: np.ndarray,
        start_ms: np.ndarray,
        n: int,
        *,
        dte,
        moneyness,
        is_call,
        side_buy_share: float,
        size_range: tuple[int, int],
        gap_ms: tuple[int, int],
        venues: int,
        iv0=0.35,
        iv_shock=0.0,
        spread_rel=(0.02, 0.05),
        spread_widen=1.0,
        quote_age=(5, 200),
        underlying_move=0.0,
        conditions: str = "",
        expiry_override=None,
        leg_offset_ms: int = 0,
        fixed_sizes=None,
        side_override=None,
        strike_override=None,
    ) -> pd.DataFrame:
        k = len(symbols)
        rng = self.rng
        noise = self.noise
        spot0 = np.array([self.spots[s] for s in symbols]) * (1 + rng.normal(0, 0.002, k))
        dte = np.broadcast_to(np.asarray(dte, dtype=float), (k,)).copy()
        trade_day = pd.to_datetime(start_ms, unit="ms").normalize()
        expiry = (
            trade_day + pd.to_timedelta(dte.astype(int), unit="D")
            if expiry_override is None
            else pd.DatetimeIndex(expiry_override)
        )
        dte = ((expiry - trade_day).days.to_numpy()).astype(float)
        money = np.broadcast_to(np.asarray(moneyness, dtype=float), (k,))
        calls = np.broadcast_to(np.asarray(is_call, dtype=bool), (k,))
        signed = np.where(calls, money, -money)  # OTM calls above spot, OTM puts below
        strike = _strike(spot0, signed) if strike_override is None else np.asarray(strike_override, float)
        gaps = rng.integers(gap_ms[0], gap_ms[1] + 1, (k, n))
        gaps[:, 0] = leg_offset_ms
        ts = start_ms[:, None] + np.cumsum(gaps, axis=1)
        progress = np.linspace(0, 1, n)[None, :]
        spot = spot0[:, None] * (1 + underlying_move * progress + noise * rng.normal(0, 0.0003, (k, n)))
        iv = (iv0 + noise * rng.normal(0, 0.02, (k, 1))) + iv_shock * progress
        years = (dte[:, None] * DAY_MS - (ts - ts[:, :1])) / (365 * DAY_MS)
        mid = bs_price(spot, strike[:, None], years, iv, calls[:, None])
        mid = np.maximum(mid, 0.05)
        rel = rng.uniform(spread_rel[0], spread_rel[1], (k, 1)) * (1 + (spread_widen - 1) * progress)
        half = np.maximum(mid * rel / 2, 0.01)
        bid, ask = np.round(np.maximum(mid - half, 0.01), 2), np.round(mid + half, 2)
        ask = np.maximum(ask, bid + 0.01)
        if side_override is not None:
            buy = np.broadcast_to(np.asarray(side_override, dtype=bool)[:, None], (k, n))
        else:
            if self.noise == 0 and side_buy_share != 0.5:  # test mode: every print on the template's side
                side_buy_share = 1.0 if side_buy_share > 0.5 else 0.0
            buy = rng.random((k, n)) < side_buy_share
        price = np.where(buy, ask, bid)
        if fixed_sizes is not None:
            size = np.broadcast_to(np.asarray(fixed_sizes)[:, None], (k, n))
        else:
            size = rng.integers(size_range[0], size_range[1] + 1, (k, n))
        venue_pool = rng.integers(0, len(VENUES), (k, venues))
        venue = VENUES[np.take_along_axis(venue_pool, rng.integers(0, venues, (k, n)), axis=1)]
        age = rng.integers(quote_age[0], quote_age[1] + 1, (k, n))
        half_u = np.round(spot * 0.0002, 2) + 0.01
        frame = pd.DataFrame(
            {
                "symbol": np.repeat(symbols, n),
                "ts": ts.ravel(),
                "expiry": np.repeat(expiry.to_numpy(), n),
                "strike": np.repeat(strike, n),
                "option_type": np.repeat(np.where(calls, "C", "P"), n),
                "price": price.ravel(),
                "size": size.ravel().astype(np.int64),
                "venue": venue.ravel(),
                "conditions": conditions,
                "bid": bid.ravel(),
                "ask": ask.ravel(),
                "quote_age_ms": age.ravel().astype(np.int64),
                "underlying_bid": np.round(spot - half_u, 2).ravel(),
                "underlying_ask": np.round(spot + half_u, 2).ravel(),
                "underlying_last": np.round(spot, 2).ravel(),
                "implied_volatility": np.round(iv * np.ones((k, n)), 4).ravel(),
            }
        )
        return frame

    def _add(self, frame: pd.DataFrame, truth: str, kind: str, scenario: np.ndarray) -> None:
        frame = frame.copy()
        frame["scenario_id"] = scenario
        frame["truth"] = truth
        frame["truth_kind"] = kind
        self._frames.append(frame)

    def _scenario_ids(self, k: int, n: int) -> np.ndarray:
        ids = np.arange(self._scenario, self._scenario + k)
        self._scenario += k
        return np.repeat([f"S{i:07d}" for i in ids], n)

    # ---- templates ----------------------------------------------------------------------------------------
    def _k(self) -> int:
        return self.config.scenarios_per_kind

    def institutional_directional(
        self, trap_conditions: str = "", truth="institutional_directional", kind="profile", **over
    ):
        k = self._k()
        symbols = self._pick(self.plain, k)
        start = self._start_times(symbols)
        calls = self.rng.random(k) < 0.5
        n = 8
        frame = self._leg(
            symbols,
            start,
            n,
            dte=self.rng.integers(30, 120, k),
            moneyness=self.rng.uniform(0.02, 0.06, k),
            is_call=calls,
            side_buy_share=0.97 if self.noise == 0 else 0.85,
            size_range=(300, 900),
            gap_ms=(5, 60),
            venues=5,
            iv_shock=0.01,
            conditions=trap_conditions,
            **over,
        )
        self._add(frame, truth, kind, self._scenario_ids(k, n))

    def retail_whale(self, truth="retail_whale", kind="profile", tiny: bool = False):
        k = self._k()
        symbols = self._pick(self.attention, k)
        start = self._start_times(symbols)
        n = 30 if tiny else 12
        frame = self._leg(
            symbols,
            start,
            n,
            dte=self.rng.integers(0, 4, k),
            moneyness=self.rng.uniform(0.06, 0.15, k),
            is_call=True,
            side_buy_share=0.95 if self.noise == 0 else 0.85,
            size_range=(1, 5) if tiny else (40, 150),
            gap_ms=(100, 900),
            venues=2,
            iv_shock=0.08,
            spread_rel=(0.04, 0.08),
        )
        self._add(frame, truth, kind, self._scenario_ids(k, n))

    def event_driven(self):
        k = self._k()
        symbols = self._pick(self.plain, k)
        first = pd.Timestamp(self.config.start)
        upcoming = self.events[self.events["event_date"] >= first + pd.Timedelta(days=2)]
        events = (
            upcoming.sort_values("event_date").drop_duplicates("symbol").set_index("symbol")["event_date"]
        )
        event_day = pd.DatetimeIndex(events.loc[symbols].to_numpy())
        # trade on the last trading day 2-5 days before the event (inside the tape), expiry 1-10 days after
        target = event_day - pd.to_timedelta(self.rng.integers(2, 6, k), unit="D")
        offsets = np.clip(self.days.searchsorted(target, side="right") - 1, 0, None)
        start = self._start_times(symbols, offsets)
        expiry = event_day + pd.to_timedelta(self.rng.integers(1, 10, k), unit="D")
        n = 8
        frame = self._leg(
            symbols,
            start,
            n,
            dte=0,
            moneyness=self.rng.uniform(0.0, 0.025, k),
            is_call=self.rng.random(k) < 0.5,
            side_buy_share=0.95 if self.noise == 0 else 0.85,
            size_range=(100, 400),
            gap_ms=(20, 300),
            venues=3,
            iv_shock=0.04,
            spread_widen=2.5,
            expiry_override=expiry,
        )
        self._add(frame, "event_driven", "profile", self._scenario_ids(k, n))

    def vol_seller(self):
        k = self._k()
        symbols = self._pick(self.plain, k)
        start = self._start_times(symbols)
        n = 8
        frame = self._leg(
            symbols,
            start,
            n,
            dte=self.rng.integers(20, 60, k),
            moneyness=self.rng.uniform(0.05, 0.12, k),
            is_call=self.rng.random(k) < 0.5,
            side_buy_share=0.03 if self.noise == 0 else 0.15,
            size_range=(200, 600),
            gap_ms=(10, 200),
            venues=4,
            iv_shock=-0.01,
        )
        self._add(frame, "vol_seller", "profile", self._scenario_ids(k, n))

    def arbitrage(self):
        """A box: buy call K1, sell call K2, buy put K2, sell put K1, same size, printed together."""
        k = self._k()
        symbols = self._pick(self.plain, k)
        start = self._start_times(symbols)
        dte = self.rng.integers(30, 200, k)
        size = self.rng.integers(100, 500, k)
        trade_day = pd.to_datetime(start, unit="ms").normalize()
        expiry = trade_day + pd.to_timedelta(dte, unit="D")
        spot = np.array([self.spots[s] for s in symbols])
        strikes = {m: _strike(spot, np.full(k, m)) for m in (-0.05, 0.05)}  # K1 below, K2 above the spot
        legs = []
        for offset, (money, call, buy) in enumerate(
            ((-0.05, True, True), (0.05, True, False), (0.05, False, True), (-0.05, False, False))
        ):
            legs.append(
                self._leg(
                    symbols,
                    start,
                    1,
                    dte=dte,
                    moneyness=0.0,
                    strike_override=strikes[money],
                    is_call=call,
                    side_buy_share=1.0,
                    size_range=(1, 1),
                    gap_ms=(0, 0),
                    venues=1,
                    conditions="COMPLEX",
                    expiry_override=expiry,
                    leg_offset_ms=offset * 3,
                    fixed_sizes=size,
                    side_override=np.full(k, buy),
                )
            )
        ids = self._scenario_ids(k, 1)
        for leg in legs:
            self._add(leg, "arbitrage", "profile", ids)

    def hedge_reactive(self):
        k = self._k()
        symbols = self._pick(self.plain, k)
        start = self._start_times(symbols)
        up = self.rng.random(k) < 0.5
        n = 12
        frame = self._leg(
            symbols,
            start,
            n,
            dte=self.rng.integers(0, 2, k),
            moneyness=self.rng.uniform(0.0, 0.005, k),
            is_call=up,
            side_buy_share=0.9 if self.noise == 0 else 0.8,
            size_range=(50, 300),
            gap_ms=(5, 50),
            venues=6,
            underlying_move=np.where(up, 0.012, -0.012)[:, None],
        )
        self._add(frame, "hedge_reactive", "profile", self._scenario_ids(k, n))

    def stale_quote(self):
        self.institutional_directional(truth="stale_quote", kind="trap", quote_age=(3_000, 9_000))

    def wide_spread(self):
        self.institutional_directional(truth="wide_spread", kind="trap", spread_rel=(0.35, 0.6))

    def structure_trade(self):
        """A bought straddle: call and put at the same strike, same size, printed together (no direction)."""
        k = self._k()
        symbols = self._pick(self.plain, k)
        start = self._start_times(symbols)
        dte = self.rng.integers(20, 90, k)
        size = self.rng.integers(200, 600, k)
        trade_day = pd.to_datetime(start, unit="ms").normalize()
        expiry = trade_day + pd.to_timedelta(dte, unit="D")
        ids = self._scenario_ids(k, 3)
        strike = _strike(np.array([self.spots[s] for s in symbols]), np.zeros(k))
        for offset, call in enumerate((True, False)):
            leg = self._leg(
                symbols,
                start,
                3,
                dte=dte,
                moneyness=0.0,
                is_call=call,
                side_buy_share=1.0,
                size_range=(1, 1),
                gap_ms=(0, 2),
                venues=2,
                expiry_override=expiry,
                leg_offset_ms=offset,
                fixed_sizes=size,
                side_override=np.full(k, True),
                strike_override=strike,
            )
            self._add(leg, "structure_trade", "trap", ids)

    def background(self, prints: int):
        """Neutral flow: single small prints on random contracts, far apart in time."""
        if prints <= 0:
            return
        symbols = np.array(self.config.symbols)[self.rng.integers(0, len(self.config.symbols), prints)]
        day = self.rng.integers(0, len(self.days), prints)
        ts = self.opens_ms[day] + self.rng.integers(0, SESSION_MS, prints)
        frame = self._leg(
            symbols,
            ts.astype(np.int64),
            1,
            dte=self.rng.integers(1, 120, prints),
            moneyness=self.rng.uniform(-0.1, 0.15, prints),
            is_call=self.rng.random(prints) < 0.55,
            side_buy_share=0.5,
            size_range=(1, 10),
            gap_ms=(0, 0),
            venues=8,
        )
        frame["conditions"] = np.where(self.rng.random(prints) < 0.03, "LATE", "")
        self._add(frame, BACKGROUND, "background", self._scenario_ids(prints, 1))

    # ---- the whole tape ---------------------------------------------------------------------------------
    def build(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """(prints, synthetic_flow_truth, corporate_events), prints sorted by time."""
        self.institutional_directional()
        self.retail_whale()
        self.event_driven()
        self.vol_seller()
        self.arbitrage()
        self.hedge_reactive()
        self.institutional_directional("AUCTION", truth="auction", kind="trap")
        self.institutional_directional("COMPLEX", truth="complex", kind="trap")
        self.stale_quote()
        self.wide_spread()
        self.retail_whale(truth="retail_frenzy", kind="trap", tiny=True)
        self.structure_trade()
        scenario_prints = sum(len(f) for f in self._frames)
        self.background(int(round(scenario_prints * self.config.background_ratio)))
        tape = pd.concat(self._frames, ignore_index=True)
        tape = tape.sort_values(["ts", "symbol", "strike", "option_type"], kind="stable", ignore_index=True)
        tape["print_id"] = self.config.id_prefix + pd.Series(np.arange(len(tape))).astype(str).str.zfill(9)
        tape["expiry"] = pd.to_datetime(tape["expiry"]).astype("datetime64[ms]")
        truth = tape[["print_id", "scenario_id", "truth", "truth_kind"]].copy()
        prints = tape[list(PRINT_COLUMNS)].copy()
        return prints, truth, self.events.copy()


def simulate(config: TapeConfig = TapeConfig()) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(prints, synthetic_flow_truth, corporate_events) for ``config``."""
    return TapeBuilder(config).build()
