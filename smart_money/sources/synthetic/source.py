"""The simulated market served through the :class:`~smart_money.sources.base.Source` interface."""

import pandas as pd

from smart_money.sources.base import Source, Symbols
from smart_money.sources.synthetic.market import SOURCE, MarketConfig, simulate_market
from smart_money.timeline import month_start, to_timestamp


class SyntheticMarketSource(Source):
    """Slices one deterministic simulated market by symbol and ``known_at`` window."""

    name = SOURCE

    def __init__(self, config: MarketConfig | None = None) -> None:
        self.config = config or MarketConfig()

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
        from smart_money.options_flow.tape import synthetic_calendar

        start, end = to_timestamp(start), to_timestamp(end)
        names = list(symbols) if symbols is not None else list(self.world.universe["symbol"])
        frame = synthetic_calendar(names, start, end)
        frame = frame[(frame["event_date"] >= start) & (frame["event_date"] < end)].reset_index(drop=True)
        return frame.assign(source=self.name)
