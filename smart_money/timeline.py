"""The one module that owns time: history window, trading calendar, sample-date rule, label horizon.

Everything else imports these so that "when" is decided in one place. Months are represented as
``pd.Timestamp`` at midnight on the 1st; dates are midnight ``pd.Timestamp`` without time zone.
"""

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd
from pandas.tseries.holiday import (
    AbstractHolidayCalendar,
    GoodFriday,
    Holiday,
    USLaborDay,
    USMartinLutherKingJr,
    USMemorialDay,
    USPresidentsDay,
    USThanksgivingDay,
    nearest_workday,
)

# Three years before the first default sample month: the routine-insider rule needs the same calendar
# month in each of the three prior years, and 13F features need two quarters of filings.
HISTORY_START = date(2019, 1, 1)
# The synthetic market runs to here so that the last default sample month (2024-12) has its label window.
HISTORY_END = date(2025, 1, 31)
# The default sample window: 36 months, 2022-01 .. 2024-12 (README: Configuration).
SAMPLE_START = date(2022, 1, 1)
SAMPLE_END = date(2024, 12, 1)
SAMPLE_DAY = 15
LABEL_HORIZON_DAYS = 14
# How far back (in months) a feature for sample month M may read raw partitions: 30-day windows reach into
# the previous month and the routine-insider rule needs the three prior calendar years of that month.
FEATURE_LOOKBACK_MONTHS = 49
# Labels read trailing prices (volatility over ~90 days) and the month after (the forward window).
LABEL_LOOKBACK_MONTHS = 5
LABEL_LOOKAHEAD_MONTHS = 1


class ExchangeHolidays(AbstractHolidayCalendar):
    """NYSE-like full-day holidays (close enough for a simulated market and for sample-date rules)."""

    rules = [
        Holiday("New Year's Day", month=1, day=1, observance=nearest_workday),
        USMartinLutherKingJr,
        USPresidentsDay,
        GoodFriday,
        USMemorialDay,
        Holiday("Juneteenth", month=6, day=19, start_date="2022-01-01", observance=nearest_workday),
        Holiday("Independence Day", month=7, day=4, observance=nearest_workday),
        USLaborDay,
        USThanksgivingDay,
        Holiday("Christmas Day", month=12, day=25, observance=nearest_workday),
    ]


def to_timestamp(value: date | str | pd.Timestamp) -> pd.Timestamp:
    """Normalize a date-like value to a midnight, time-zone-free Timestamp."""
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert(None)
    return ts.normalize()


def month_start(value: date | str | pd.Timestamp) -> pd.Timestamp:
    ts = to_timestamp(value)
    return pd.Timestamp(year=ts.year, month=ts.month, day=1)


def month_starts(values: pd.Series) -> pd.Series:
    """Vectorized :func:`month_start` for a column of dates."""
    return pd.to_datetime(values).dt.to_period("M").dt.to_timestamp()


def months_between(start: date | str | pd.Timestamp, end: date | str | pd.Timestamp) -> list[pd.Timestamp]:
    """Month starts from the month of ``start`` through the month of ``end``, both inclusive."""
    return list(pd.date_range(month_start(start), month_start(end), freq="MS"))


def months_in_window(
    start: date | str | pd.Timestamp, end_exclusive: date | str | pd.Timestamp
) -> list[pd.Timestamp]:
    """Month starts of a half-open time window such as a Dagster partition time window."""
    first = month_start(start)
    last = to_timestamp(end_exclusive) - pd.Timedelta(days=1)
    if last < first:
        return []
    return months_between(first, last)


def trading_days(start: date | str | pd.Timestamp, end: date | str | pd.Timestamp) -> pd.DatetimeIndex:
    """Weekdays between ``start`` and ``end`` (inclusive) that are not exchange holidays."""
    start_ts, end_ts = to_timestamp(start), to_timestamp(end)
    holidays = ExchangeHolidays().holidays(start_ts - pd.Timedelta(days=7), end_ts + pd.Timedelta(days=7))
    days = pd.bdate_range(start_ts, end_ts)
    return days[~days.isin(holidays)]


def sample_date(month: date | str | pd.Timestamp, calendar: pd.DatetimeIndex | None = None) -> pd.Timestamp:
    """The sample date of a month: the 15th, or the last trading day before it."""
    return sample_dates([month], calendar)[0]


def sample_dates(
    months: Iterable[date | str | pd.Timestamp], calendar: pd.DatetimeIndex | None = None
) -> list[pd.Timestamp]:
    """Sample dates for several months (see :func:`sample_date`)."""
    targets = [month_start(m) + pd.Timedelta(days=SAMPLE_DAY - 1) for m in months]
    if not targets:
        return []
    if calendar is None:
        calendar = trading_days(min(targets) - pd.Timedelta(days=20), max(targets))
    values = calendar.values
    positions = np.searchsorted(values, np.array(targets, dtype="datetime64[ns]"), side="right") - 1
    if (positions < 0).any():
        raise ValueError(
            f"calendar starts after the sample date of {min(targets):%Y-%m}; extend the calendar"
        )
    return [pd.Timestamp(values[p]) for p in positions]


def default_sample_months() -> list[pd.Timestamp]:
    return months_between(SAMPLE_START, SAMPLE_END)
