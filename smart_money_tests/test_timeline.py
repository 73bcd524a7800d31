import pandas as pd

from smart_money import timeline


def test_sample_date_is_the_15th_when_it_trades():
    assert timeline.sample_date("2024-05-01") == pd.Timestamp("2024-05-15")  # a Wednesday


def test_sample_date_falls_back_to_the_trading_day_before_a_weekend():
    # 2022-01-15 is a Saturday -> Friday the 14th
    assert timeline.sample_date("2022-01-01") == pd.Timestamp("2022-01-14")
    # 2023-10-15 is a Sunday -> Friday the 13th
    assert timeline.sample_date("2023-10-01") == pd.Timestamp("2023-10-13")


def test_sample_date_skips_holidays():
    # 2024-02-19 is Presidents' Day; its month's 15th is a Thursday, so no change...
    assert timeline.sample_date("2024-02-01") == pd.Timestamp("2024-02-15")
    # ...but a calendar that lacks the 15th (a holiday) falls back to the day before
    calendar = timeline.trading_days("2024-02-01", "2024-02-29").drop(pd.Timestamp("2024-02-15"))
    assert timeline.sample_date("2024-02-01", calendar) == pd.Timestamp("2024-02-14")


def test_trading_days_exclude_weekends_and_exchange_holidays():
    days = timeline.trading_days("2024-07-01", "2024-07-08")
    assert pd.Timestamp("2024-07-04") not in days  # Independence Day
    assert pd.Timestamp("2024-07-06") not in days  # Saturday
    assert list(days.strftime("%d")) == ["01", "02", "03", "05", "08"]
    assert pd.Timestamp("2024-03-29") not in timeline.trading_days("2024-03-25", "2024-03-29")  # Good Friday


def test_months_in_a_half_open_window():
    months = timeline.months_in_window("2022-01-01", "2022-04-01")
    assert months == [pd.Timestamp("2022-01-01"), pd.Timestamp("2022-02-01"), pd.Timestamp("2022-03-01")]
    assert timeline.months_in_window("2022-01-01", "2022-01-01") == []


def test_default_sample_months_are_36_from_2022_01():
    months = timeline.default_sample_months()
    assert len(months) == 36
    assert months[0] == pd.Timestamp("2022-01-01") and months[-1] == pd.Timestamp("2024-12-01")
