"""The synthetic source's option tape, month by month: prints on the price calendar's trading days, in regular
hours, each month's tape inside its own month."""

import pandas as pd

from smart_money import timeline
from smart_money.sources.synthetic import OptionTapeConfig, SyntheticMarketSource

SYMBOLS = [f"SYN{i:03d}" for i in range(1, 21)]


def test_monthly_tapes_trade_on_trading_days_in_hours_and_stay_in_their_month():
    source = SyntheticMarketSource(tape=OptionTapeConfig(n_symbols=20, scenarios_per_kind=4))
    # February 2023 has 19 trading days (Presidents Day), fewer than the tape's 20: it must not spill over
    prints = source.option_prints(SYMBOLS, pd.Timestamp("2023-02-01"), pd.Timestamp("2023-04-01"))
    assert len(prints) > 1000 and (prints["source"] == "synthetic").all()
    local = pd.to_datetime(prints["ts"], unit="ms", utc=True).dt.tz_convert("America/New_York")
    days = local.dt.tz_localize(None).dt.normalize()
    calendar = timeline.trading_days("2023-02-01", "2023-03-31")
    assert days.isin(calendar).all() and (local.dt.day_of_week < 5).all()
    minutes = local.dt.hour * 60 + local.dt.minute
    assert minutes.between(570, 959).all()  # 09:30 to 15:59 New York time
    month = prints["print_id"].str.slice(1, 7)  # P<yyyymm>-…: the tape (month) a print comes from
    assert (month == days.dt.strftime("%Y%m")).all()
    february = days[month == "202302"]
    assert february.nunique() == 19 and pd.Timestamp("2023-02-20") not in set(february)
    assert days[month == "202303"].nunique() == 20  # March has 23 trading days: the first 20 are used
    assert (prints["known_at"] == pd.to_datetime(prints["ts"], unit="ms")).all()
