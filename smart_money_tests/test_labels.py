import numpy as np
import pandas as pd
import pytest

from smart_money import timeline
from smart_money.labels import LabelConfig, build_labels


def _prices(
    closes: dict[str, list[float]], start: str = "2023-09-01", end: str = "2023-11-30"
) -> pd.DataFrame:
    days = timeline.trading_days(start, end)
    rows = []
    for symbol, values in closes.items():
        series = np.resize(np.array(values, dtype=float), len(days)) if len(values) < len(days) else values
        rows.append(pd.DataFrame({"symbol": symbol, "date": days, "adj_close": series[: len(days)]}))
    return pd.concat(rows, ignore_index=True)


def _grid(symbols, sample="2023-11-15", sector="Energy"):
    return pd.DataFrame({"symbol": symbols, "sample_date": pd.Timestamp(sample), "sector": sector})


def test_return_label_uses_first_trading_day_on_or_after_t_plus_14():
    days = timeline.trading_days("2023-09-01", "2023-12-31")
    t = pd.Timestamp("2023-11-15")
    # t + 14 = 2023-11-29 (a Wednesday, a trading day): exit there
    close = pd.Series(100.0, index=days)
    close[days > t] = 103.0
    close[days >= pd.Timestamp("2023-11-29")] = 106.0
    prices = pd.DataFrame({"symbol": "SYN001", "date": days, "adj_close": close.to_numpy()})
    out = build_labels(_grid(["SYN001"]), prices).iloc[0]
    assert out["price_at_sample"] == 100.0
    assert out["label_date"] == pd.Timestamp("2023-11-29")
    assert out["price_after"] == 106.0
    assert out["return_fwd"] == pytest.approx(0.06)  # 106 / 100 - 1
    assert out["label_return"] == 1 and out["label"] == 1
    assert out["label_drawdown"] == 0


def test_exit_moves_past_a_holiday_and_the_threshold_splits_the_labels():
    days = timeline.trading_days("2023-09-01", "2023-12-31")
    # t = 2023-11-09; t + 14 = 2023-11-23 is Thanksgiving -> exit Friday 2023-11-24
    after = days >= pd.Timestamp("2023-11-24")
    prices = pd.concat(
        [
            pd.DataFrame({"symbol": "UP", "date": days, "adj_close": np.where(after, 105.1, 100.0)}),
            pd.DataFrame({"symbol": "FLAT", "date": days, "adj_close": np.where(after, 104.9, 100.0)}),
        ]
    )
    out = build_labels(_grid(["UP", "FLAT"], "2023-11-09"), prices).set_index("symbol")
    assert (out["label_date"] == pd.Timestamp("2023-11-24")).all()
    assert out.loc["UP", "label_return"] == 1  # +5.1%
    assert out.loc["FLAT", "label_return"] == 0  # +4.9%


def test_label_is_na_while_the_forward_window_is_incomplete():
    days = timeline.trading_days("2023-09-01", "2023-11-20")  # prices stop 5 days after t
    prices = pd.DataFrame({"symbol": "SYN001", "date": days, "adj_close": 100.0})
    out = build_labels(_grid(["SYN001"]), prices).iloc[0]
    assert pd.isna(out["label"]) and pd.isna(out["return_fwd"]) and pd.isna(out["label_date"])


def test_market_excess_and_drawdown_definitions():
    days = timeline.trading_days("2023-09-01", "2023-12-31")
    after = days >= pd.Timestamp("2023-11-29")
    a = np.where(after, 110.0, 100.0)  # +10%
    b = np.where(after, 88.0, 100.0)  # -12%
    prices = pd.concat(
        [pd.DataFrame({"symbol": s, "date": days, "adj_close": c}) for s, c in (("SYN001", a), ("SYN002", b))]
    )
    out = build_labels(_grid(["SYN001", "SYN002"]), prices, config=LabelConfig(definition="market_excess"))
    out = out.set_index("symbol")
    # universe mean return = (0.10 - 0.12) / 2 = -0.01; excess = 0.11 and -0.11
    assert out.loc["SYN001", "excess_return_fwd"] == pytest.approx(0.11)
    assert out.loc["SYN001", "label_market_excess"] == 1 and out.loc["SYN002", "label_market_excess"] == 0
    assert out.loc["SYN001", "label"] == 1 and (out["label_definition"] == "market_excess").all()
    assert out.loc["SYN002", "label_drawdown"] == 1 and out.loc["SYN001", "label_drawdown"] == 0


def test_composite_uses_smart_money_criteria_when_the_sector_move_is_small():
    days = timeline.trading_days("2023-09-01", "2023-12-31")
    prices = pd.concat([pd.DataFrame({"symbol": s, "date": days, "adj_close": 100.0}) for s in ("A", "B")])
    features = pd.DataFrame(
        {
            "symbol": ["A", "B"],
            "sample_date": pd.Timestamp("2023-11-15"),
            "insider_buy_ratio_30d": [0.8, 0.8],
            "inst_ownership_change_1q": [0.03, 0.01],
            "congress_net_sentiment": [1.0, 1.0],
        }
    )
    out = build_labels(_grid(["A", "B"]), prices, features).set_index("symbol")
    assert out.loc["A", "label_composite"] == 1  # all three strong signals
    assert out.loc["B", "label_composite"] == 0  # ownership +1 point only


def test_unknown_definition_is_a_clear_error():
    with pytest.raises(ValueError, match="label definition 'up_big' is unknown"):
        LabelConfig(definition="up_big")
