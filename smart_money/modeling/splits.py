"""Time-ordered train / validation / test segments with an embargo between them.

A row is one labelled (symbol, sample_date). Segments are whole sample months, in time order, so no month
feeds two segments. A row whose label window (sample_date .. label_date) reaches the first sample date of
the next segment, or whose sample date lies within ``embargo_days`` of it, is dropped from training and
scoring and counted as ``embargoed``. A stratified random split is available only as an explicit, leaky
option: rows of one month then sit in every segment and the report says so.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from smart_money import timeline

SEGMENTS: tuple[str, ...] = ("train", "validation", "test")
METHODS: tuple[str, ...] = ("time", "segments", "stratified_random")


class SplitError(ValueError):
    """The split configuration cannot produce three usable segments."""


@dataclass(frozen=True)
class SplitConfig:
    """How labelled rows are divided into train / validation / test.

    method: ``time`` (fractions of the sample months, in order), ``segments`` (explicit inclusive date
    ranges in ``segments``) or ``stratified_random`` (leaky, for comparison only).
    """

    method: str = "time"
    train_fraction: float = 0.70
    validation_fraction: float = 0.15
    embargo_days: int = timeline.LABEL_HORIZON_DAYS
    segments: dict[str, tuple[str, str]] = field(default_factory=dict)
    random_state: int = 42

    def validate(self, horizon_days: int) -> None:
        if self.method not in METHODS:
            raise SplitError(f"split method {self.method!r} is not one of {METHODS}")
        if self.method != "segments" and not (
            0 < self.train_fraction < 1
            and 0 < self.validation_fraction < 1
            and self.train_fraction + self.validation_fraction < 1
        ):
            raise SplitError(
                f"train_fraction={self.train_fraction} and validation_fraction={self.validation_fraction} "
                "must be in (0, 1) and sum to less than 1 (the rest is test)"
            )
        if self.embargo_days < horizon_days:
            raise SplitError(
                f"embargo_days={self.embargo_days} is shorter than the label horizon ({horizon_days} days): "
                "a label window could straddle two segments; use at least the horizon"
            )
        if self.method == "segments":
            if sorted(self.segments) != sorted(SEGMENTS):
                raise SplitError(
                    f"segments must name exactly {SEGMENTS} with (start, end) dates, "
                    f"got {sorted(self.segments)}"
                )
            bounds = [tuple(pd.Timestamp(d) for d in self.segments[s]) for s in SEGMENTS]
            for name, (start, end) in zip(SEGMENTS, bounds, strict=True):
                if start > end:
                    raise SplitError(f"segment {name}: start {start:%Y-%m-%d} is after end {end:%Y-%m-%d}")
            for (a, (_, a_end)), (b, (b_start, _)) in zip(
                zip(SEGMENTS, bounds, strict=True), zip(SEGMENTS[1:], bounds[1:], strict=True), strict=False
            ):
                if b_start <= a_end:
                    raise SplitError(
                        f"segments {a} and {b} overlap or are out of order: {b} starts {b_start:%Y-%m-%d}, "
                        f"{a} ends {a_end:%Y-%m-%d}"
                    )


def split_rows(labels: pd.DataFrame, config: SplitConfig, horizon_days: int) -> pd.DataFrame:
    """Assign every labelled row a segment and an ``embargoed`` flag.

    ``labels`` needs symbol, sample_date, label_date and label; rows without a known label are dropped
    (their forward window is incomplete). Returns symbol, sample_date, label_date, label, segment, embargoed,
    split_method, leaky, sorted by sample_date and symbol.
    """
    config.validate(horizon_days)
    rows = labels.loc[labels["label"].notna(), ["symbol", "sample_date", "label_date", "label"]].copy()
    rows["sample_date"] = pd.to_datetime(rows["sample_date"])
    rows["label_date"] = pd.to_datetime(rows["label_date"])
    rows["label"] = rows["label"].astype("int8")
    rows = rows.sort_values(["sample_date", "symbol"]).reset_index(drop=True)
    if rows.empty:
        raise SplitError(
            "no labelled rows: materialize labels for sample months whose forward window is over"
        )
    if config.method == "stratified_random":
        rows["segment"] = _stratified_random(rows, config)
        rows["embargoed"] = False
    else:
        rows["segment"] = _time_segments(rows, config)
        rows = rows[rows["segment"].notna()].reset_index(drop=True)
        rows["embargoed"] = _embargoed(rows, config.embargo_days)
    rows["split_method"] = config.method
    rows["leaky"] = config.method == "stratified_random"
    return rows


def _time_segments(rows: pd.DataFrame, config: SplitConfig) -> pd.Series:
    dates = rows["sample_date"]
    if config.method == "segments":
        segment = pd.Series(pd.NA, index=rows.index, dtype="object")
        for name in SEGMENTS:
            start, end = (pd.Timestamp(d) for d in config.segments[name])
            segment[(dates >= start) & (dates <= end)] = name
        for name in SEGMENTS:
            if not (segment == name).any():
                raise SplitError(f"segment {name} {config.segments[name]} holds no labelled sample date")
        return segment
    months = np.sort(timeline.month_starts(dates).unique())
    n = len(months)
    n_train = int(round(n * config.train_fraction))
    n_validation = int(round(n * config.validation_fraction))
    n_test = n - n_train - n_validation
    if min(n_train, n_validation, n_test) < 1:
        raise SplitError(
            f"{n} labelled sample month(s) cannot be split {config.train_fraction:.0%} / "
            f"{config.validation_fraction:.0%} / rest with at least one month each; "
            "materialize more sample months"
        )
    month_segment = dict(
        zip(months, ["train"] * n_train + ["validation"] * n_validation + ["test"] * n_test, strict=True)
    )
    return timeline.month_starts(dates).map(month_segment)


def _embargoed(rows: pd.DataFrame, embargo_days: int) -> pd.Series:
    embargoed = pd.Series(False, index=rows.index)
    for current, following in zip(SEGMENTS, SEGMENTS[1:], strict=False):
        next_start = rows.loc[rows["segment"] == following, "sample_date"].min()
        here = rows["segment"] == current
        reaches = (rows["label_date"] >= next_start) | (
            rows["sample_date"] + pd.Timedelta(days=embargo_days) >= next_start
        )
        embargoed |= here & reaches
    return embargoed


def _stratified_random(rows: pd.DataFrame, config: SplitConfig) -> pd.Series:
    from sklearn.model_selection import train_test_split

    index = rows.index.to_numpy()
    holdout = 1 - config.train_fraction
    train, rest = train_test_split(
        index, test_size=holdout, stratify=rows["label"], random_state=config.random_state
    )
    val_share = config.validation_fraction / holdout
    validation, _ = train_test_split(
        rest, train_size=val_share, stratify=rows.loc[rest, "label"], random_state=config.random_state
    )
    segment = pd.Series("test", index=rows.index, dtype="object")
    segment[train] = "train"
    segment[validation] = "validation"
    return segment


def split_summary(splits: pd.DataFrame) -> pd.DataFrame:
    """Per segment: first and last sample date, rows used, rows embargoed, positive share of used rows."""
    records = []
    for name in SEGMENTS:
        part = splits[splits["segment"] == name]
        used = part[~part["embargoed"]]
        records.append(
            {
                "segment": name,
                "first_sample_date": part["sample_date"].min(),
                "last_sample_date": part["sample_date"].max(),
                "months": int(timeline.month_starts(part["sample_date"]).nunique()) if len(part) else 0,
                "rows": len(used),
                "embargoed": int(part["embargoed"].sum()),
                "positive_share": float(used["label"].mean()) if len(used) else float("nan"),
                "last_label_date": used["label_date"].max(),
            }
        )
    return pd.DataFrame.from_records(records)


def split_problems(splits: pd.DataFrame, embargo_days: int) -> list[str]:
    """Everything that makes ``splits`` unsafe to train on: out of order, overlapping or not embargoed.

    An empty list means: train < validation < test by sample date, no sample date or row in two segments,
    and every used row's label window ends before the next segment's first sample date, at least
    ``embargo_days`` after the row's sample date.
    """
    problems = []
    used = splits[~splits["embargoed"]]
    for name in SEGMENTS:
        if not (used["segment"] == name).any():
            problems.append(f"segment {name} has no usable row")
    if problems:
        return problems
    keys = splits[["symbol", "sample_date"]].duplicated().sum()
    if keys:
        problems.append(f"{keys} (symbol, sample_date) rows appear more than once")
    per_date = splits.groupby("sample_date")["segment"].nunique()
    if (per_date > 1).any():
        problems.append(
            f"{int((per_date > 1).sum())} sample date(s) feed more than one segment "
            f"(first: {per_date[per_date > 1].index[0]:%Y-%m-%d}): not a time split"
        )
    for current, following in zip(SEGMENTS, SEGMENTS[1:], strict=False):
        here = used[used["segment"] == current]
        next_start = used.loc[used["segment"] == following, "sample_date"].min()
        if here["sample_date"].max() >= next_start:
            problems.append(
                f"{current} reaches {here['sample_date'].max():%Y-%m-%d}, after {following} starts"
            )
        late = here[here["label_date"] >= next_start]
        if len(late):
            problems.append(
                f"{len(late)} {current} row(s) have label windows reaching into {following} "
                f"(first label date {late['label_date'].min():%Y-%m-%d} >= {next_start:%Y-%m-%d})"
            )
        close = here[here["sample_date"] + pd.Timedelta(days=embargo_days) >= next_start]
        if len(close):
            problems.append(
                f"{len(close)} {current} row(s) lie within the {embargo_days}-day embargo before {following}"
            )
    return problems
