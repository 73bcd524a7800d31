import pandas as pd
import pytest

from smart_money import timeline
from smart_money.modeling import splits


def _labels(months: int = 36, symbols: int = 4, horizon_days: int = 14) -> pd.DataFrame:
    dates = timeline.sample_dates(
        timeline.months_between(
            pd.Timestamp("2022-01-01"), pd.Timestamp("2022-01-01") + pd.DateOffset(months=months - 1)
        )
    )
    rows = [
        {
            "symbol": f"SYN{s:03d}",
            "sample_date": d,
            "label_date": d + pd.Timedelta(days=horizon_days),
            "label": (s + i) % 2,
        }
        for i, d in enumerate(dates)
        for s in range(symbols)
    ]
    return pd.DataFrame(rows)


def test_default_split_is_70_15_15_of_the_months_in_time_order():
    rows = splits.split_rows(_labels(), splits.SplitConfig(), 14)
    summary = splits.split_summary(rows).set_index("segment")
    assert summary["months"].tolist() == [25, 5, 6]
    assert summary.loc["train", "last_sample_date"] < summary.loc["validation", "first_sample_date"]
    assert summary.loc["validation", "last_sample_date"] < summary.loc["test", "first_sample_date"]
    assert splits.split_problems(rows, 14) == []
    assert not rows["leaky"].any()


def test_no_label_window_crosses_a_segment_boundary_with_a_long_horizon():
    """With a 40-day label window the last train and validation month reach the next segment: dropped."""
    labels = _labels(horizon_days=40)
    rows = splits.split_rows(labels, splits.SplitConfig(embargo_days=40), 40)
    used = rows[~rows["embargoed"]]
    for current, following in (("train", "validation"), ("validation", "test")):
        next_start = used.loc[used["segment"] == following, "sample_date"].min()
        assert (used.loc[used["segment"] == current, "label_date"] < next_start).all()
    assert rows["embargoed"].sum() == 1 * 2 * 4  # the last month before each of two boundaries, 4 symbols
    assert splits.split_problems(rows, 40) == []
    # Without the embargo flag the same rows are reported as crossing.
    assert splits.split_problems(rows.assign(embargoed=False), 40)


def test_embargo_shorter_than_the_horizon_is_refused():
    with pytest.raises(splits.SplitError, match="embargo_days=7 is shorter than the label horizon"):
        splits.split_rows(_labels(), splits.SplitConfig(embargo_days=7), 14)


def test_named_segments_are_honoured_and_checked():
    config = splits.SplitConfig(
        method="segments",
        segments={
            "train": ("2022-01-01", "2023-06-30"),
            "validation": ("2023-07-01", "2023-12-31"),
            "test": ("2024-01-01", "2024-12-31"),
        },
    )
    rows = splits.split_rows(_labels(), config, 14)
    summary = splits.split_summary(rows).set_index("segment")
    assert summary["months"].tolist() == [18, 6, 12]
    bad = splits.SplitConfig(
        method="segments",
        segments={
            "train": ("2022-01-01", "2023-08-31"),
            "validation": ("2023-07-01", "2023-12-31"),
            "test": ("2024-01-01", "2024-12-31"),
        },
    )
    with pytest.raises(splits.SplitError, match="overlap"):
        splits.split_rows(_labels(), bad, 14)


def test_stratified_random_split_is_flagged_leaky_and_fails_the_time_checks():
    rows = splits.split_rows(_labels(), splits.SplitConfig(method="stratified_random"), 14)
    assert rows["leaky"].all()
    assert set(rows["segment"]) == {"train", "validation", "test"}
    assert any("more than one segment" in p for p in splits.split_problems(rows, 14))


def test_unlabelled_rows_are_dropped_and_too_few_months_is_a_clear_error():
    labels = _labels(months=3)
    labels.loc[labels.index[:4], "label"] = pd.NA  # the whole first month: 2 labelled months remain
    with pytest.raises(splits.SplitError, match="2 labelled sample month"):
        splits.split_rows(labels.astype({"label": "Int8"}), splits.SplitConfig(), 14)
