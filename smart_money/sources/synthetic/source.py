"""The simulated market served through the :class:`~smart_money.sources.base.Source` interface."""

from dataclasses import dataclass

import pandas as pd

from smart_money import tables
from smart_money.options_flow.tape import TapeConfig, simulate, synthetic_calendar
from smart_money.sources.base import Source, Symbols
from smart_money.sources.synthetic.market import SOURCE, MarketConfig, simulate_market
from smart_money.timeline import month_start, to_timestamp, trading_days


@dataclass(frozen=True)
class OptionTapeConfig:
    """The simulated options tape: each month, its first ``days`` trading days (all of them in a shorter
    month) of prints in regular hours for the first ``n_symbols`` symbols, with ``scenarios_per_kind``
    scenarios of every profile and trap template."""

    n_symbols: int = 500
    scenarios_per_kind: int = 10
    mode: str = "demo"  # "demo": with background flow; "test": scenarios only
    background_ratio: float = 3.0  # demo: neutral background prints per scenario print
    seed: int = 11  # each month adds its index, so months differ and rebuild identically
    days: int = 20  # trading days a month (the price calendar's: weekdays without exchange holidays)


class SyntheticMarketSource(Source):
    """Slices one deterministic simulated market by symbol and ``known_at`` window."""

    name = SOURCE

    def __init__(self, config: MarketConfig | None = None, tape: OptionTapeConfig | None = None) -> None:
        self.config = config or MarketConfig()
        self.tape = tape or OptionTapeConfig()

    @property
    def world(self):
        return simulate_market(self.config)

    def universe(self, as_of: pd.Timestamp) -> pd.DataFrame:
        as_of = month_start(as_of)
        if not month_start(self.config.start) <= as_of <= to_timestamp(self.config.end):
            return self.world.universe.iloc[0:0].assign(as_of=pd.Series(dtype="datetime64[ns]"))
        return self.world.universe.assign(as_of=as_of)

    def _slice(
        self, frame: pd.DataFrame, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame:
        start, end = to_timestamp(start), to_timestamp(end)
        if end <= start:
            raise ValueError(
                f"empty known_at window: start={start:%Y-%m-%d} must be before end={end:%Y-%m-%d}"
            )
        mask = (frame["known_at"] >= start) & (frame["known_at"] < end)
        if symbols is not None:
            mask &= frame["symbol"].isin(list(symbols))
        return frame[mask].reset_index(drop=True)

    def prices(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        return self._slice(self.world.prices, symbols, start, end)

    def insider_trades(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        return self._slice(self.world.insider_trades, symbols, start, end)

    def institutional_holdings(
        self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame:
        return self._slice(self.world.institutional_holdings, symbols, start, end)

    def congress_trades(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        return self._slice(self.world.congress_trades, symbols, start, end)

    def etf_holdings(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        return self._slice(self.world.etf_holdings, symbols, start, end)

    def synthetic_truth(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        truth = self.world.truth
        start, end = to_timestamp(start), to_timestamp(end)
        mask = (truth["month"] >= start) & (truth["month"] < end)
        if symbols is not None:
            mask &= truth["symbol"].isin(list(symbols))
        return truth[mask].reset_index(drop=True)

    def corporate_events(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """The simulated calendar (``options_flow.tape.synthetic_calendar``): events dated in the window,
        each with the date it became known; the option tape's event-driven scenarios align with it."""
        start, end = to_timestamp(start), to_timestamp(end)
        names = list(symbols) if symbols is not None else list(self.world.universe["symbol"])
        frame = synthetic_calendar(names, start, end)
        frame = frame[(frame["event_date"] >= start) & (frame["event_date"] < end)].reset_index(drop=True)
        return frame.assign(source=self.name)

    def _tapes(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp):
        start, end = to_timestamp(start), to_timestamp(end)
        names = sorted(symbols if symbols is not None else self.world.universe["symbol"])
        for month in pd.date_range(month_start(start), end - pd.Timedelta(days=1), freq="MS"):
            config = TapeConfig(
                symbols=tuple(names[: self.tape.n_symbols]),
                start=f"{month:%Y-%m-%d}",
                days=min(self.tape.days, len(trading_days(month, month + pd.offsets.MonthEnd(0)))),
                scenarios_per_kind=self.tape.scenarios_per_kind,
                mode=self.tape.mode,
                background_ratio=self.tape.background_ratio,
                seed=self.tape.seed + month.year * 12 + month.month,
                id_prefix=f"P{month:%Y%m}-",
            )
            prints, truth, _ = simulate(config)
            yield prints, truth

    @staticmethod
    def _in_window(frame: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        start, end = to_timestamp(start), to_timestamp(end)
        return frame[(frame["known_at"] >= start) & (frame["known_at"] < end)].reset_index(drop=True)

    def option_prints(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """The simulated tape (``options_flow.tape``) of every month in the window; ``known_at`` is the
        print time."""
        frames = [
            prints.assign(source=self.name, known_at=pd.to_datetime(prints["ts"].astype("int64"), unit="ms"))
            for prints, _ in self._tapes(symbols, start, end)
        ]
        if not frames:
            return super().option_prints(symbols, start, end)
        return self._in_window(pd.concat(frames, ignore_index=True), start, end)

    def synthetic_flow_truth(self, symbols: Symbols, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Each simulated print's scenario and true profile or trap (for the options-flow evaluation)."""
        frames = [
            truth.assign(source=self.name, known_at=pd.to_datetime(prints["ts"].astype("int64"), unit="ms"))
            for prints, truth in self._tapes(symbols, start, end)
        ]
        if not frames:
            return tables.spec("synthetic_flow_truth").empty()
        return self._in_window(pd.concat(frames, ignore_index=True), start, end)
