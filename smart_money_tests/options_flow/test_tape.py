"""The simulated tape trades when the market does: trading days of the price calendar, 09:30-16:00 New York
time (daylight saving included), and so do the events and alerts built from it."""

import pandas as pd
import pytest

from smart_money import timeline
from smart_money.options_flow import classify
from smart_money.options_flow.tape import TapeConfig, session_opens, simulate

NEW_YORK = "America/New_York"


def _new_york(epoch_ms: pd.Series) -> pd.Series:
    return pd.to_datetime(epoch_ms.astype("int64"), unit="ms", utc=True).dt.tz_convert(NEW_YORK)


def _assert_in_regular_hours(times: pd.Series, calendar: pd.DatetimeIndex) -> None:
    days = times.dt.tz_localize(None).dt.normalize()
    assert days.isin(calendar).all(), sorted(set(days[~days.isin(calendar)].dt.strftime("%a %Y-%m-%d")))
    minutes = times.dt.hour * 60 + times.dt.minute
    assert minutes.between(9 * 60 + 30, 16 * 60 - 1).all(), times[~minutes.between(570, 959)].head()


@pytest.fixture(scope="module")
def tape():
    """Four weeks of the noisy demo tape across the switch to daylight saving time (2024-03-10) and Good
    Friday (2024-03-29), with background flow."""
    config = TapeConfig(start="2024-03-02", days=20, mode="demo", background_ratio=3.0, scenarios_per_kind=20)
    prints, truth, calendar = simulate(config)
    return config, prints, calendar


def test_prints_fall_on_trading_days_in_regular_hours(tape):
    config, prints, _ = tape
    days = timeline.trading_days("2024-03-01", "2024-04-30")[:21]
    assert days[0] == pd.Timestamp("2024-03-01") and pd.Timestamp("2024-03-29") not in days
    expected = days[1:21]  # the 20 trading days on or after Saturday 2024-03-02
    times = _new_york(prints["ts"])
    _assert_in_regular_hours(times, expected)
    # the tape uses every one of its trading days, so it spans four calendar weeks, not 20 calendar days
    assert set(times.dt.tz_localize(None).dt.normalize()) == set(expected)
    utc_hours = pd.to_datetime(prints["ts"], unit="ms").dt.hour
    winter = (times.dt.month == 3) & (times.dt.day < 10)
    before, after = utc_hours[winter], utc_hours[~winter]
    assert before.min() == 14 and after.min() == 13  # 09:30 ET is 14:30 UTC in winter, 13:30 in summer


def test_events_and_alerts_are_timed_inside_the_session_too(tape):
    config, prints, calendar = tape
    events, _ = classify.classify(prints, calendar)
    days = timeline.trading_days("2024-03-01", "2024-04-30")
    for column in ("start_ts", "end_ts"):
        times = events[column].dt.tz_localize("UTC").dt.tz_convert(NEW_YORK)
        _assert_in_regular_hours(times, days)
    alerts = events[~events["abstained"]]
    assert len(alerts) > 100  # the alerts view lists end_ts of the events that are not abstentions


def test_session_opens_skip_holidays_and_follow_daylight_saving():
    days, opens = session_opens("2024-06-14", 5)  # Juneteenth (Wednesday 06-19) is an exchange holiday
    assert [f"{d:%m-%d}" for d in days] == ["06-14", "06-17", "06-18", "06-20", "06-21"]
    assert pd.to_datetime(opens[0], unit="ms") == pd.Timestamp("2024-06-14 13:30")
    _, winter = session_opens("2024-12-02", 1)
    assert pd.to_datetime(winter[0], unit="ms") == pd.Timestamp("2024-12-02 14:30")
