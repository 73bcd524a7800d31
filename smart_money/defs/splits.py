"""``dataset_splits`` (group ``model``): labelled rows divided into time-ordered, embargoed segments.

Besides the ``dataset_splits`` table, the asset's output is its summary (method, horizon, embargo), which
the model and the embargo check take as a declared input."""

import dagster as dg
import pandas as pd
from pydantic import Field

from smart_money import gates, settings, timeline
from smart_money.defs.artifacts import ARTIFACTS
from smart_money.defs.features import features
from smart_money.defs.labels import labels
from smart_money.defs.metadata import markdown_table, table_metadata
from smart_money.modeling.splits import (
    SplitConfig,
    SplitError,
    split_problems,
    split_rows,
    split_summary,
)
from smart_money.warehouse import Warehouse

MODEL_GROUP = "model"
DATASET_SPLITS_EMBARGO = "dataset_splits_embargo"


class DatasetSplitsConfig(dg.Config):
    """How the labelled sample months are divided (README: Model: splits)."""

    method: str = Field(
        default="time",
        description="time: train/validation/test by fractions of the sample months, in order; segments: the "
        "explicit date ranges below; stratified_random: a stratified random split (LEAKY, for comparison "
        "only).",
    )
    train_fraction: float = Field(default=0.70, description="Share of sample months in train (method time).")
    validation_fraction: float = Field(default=0.15, description="Share in validation; test gets the rest.")
    embargo_days: int = Field(
        default=timeline.LABEL_HORIZON_DAYS,
        description="Minimum days between a used row's sample date and the next segment (>= label horizon).",
    )
    train_start: str | None = Field(
        default=None, description="method segments: first train date (YYYY-MM-DD)."
    )
    train_end: str | None = Field(default=None, description="method segments: last train date.")
    validation_start: str | None = Field(default=None, description="method segments: first validation date.")
    validation_end: str | None = Field(default=None, description="method segments: last validation date.")
    test_start: str | None = Field(default=None, description="method segments: first test date.")
    test_end: str | None = Field(default=None, description="method segments: last test date.")
    sample_start: str | None = Field(
        default=None, description="First sample month read (YYYY-MM); default SMART_MONEY_SAMPLE_START."
    )
    sample_end: str | None = Field(
        default=None,
        description="Last sample month read (YYYY-MM, or 'latest': the newest materialized features "
        "month); default SMART_MONEY_SAMPLE_END.",
    )
    random_state: int = Field(default=42, description="Seed of the stratified random split.")

    def split_config(self) -> SplitConfig:
        segments = {}
        if self.method == "segments":
            bounds = {
                "train": (self.train_start, self.train_end),
                "validation": (self.validation_start, self.validation_end),
                "test": (self.test_start, self.test_end),
            }
            absent = [
                f"{s}_{e}"
                for s, pair in bounds.items()
                for e, v in zip(("start", "end"), pair, strict=True)
                if not v
            ]
            if absent:
                raise SplitError(f"method 'segments' needs {absent} (YYYY-MM-DD)")
            segments = bounds
        return SplitConfig(
            method=self.method,
            train_fraction=self.train_fraction,
            validation_fraction=self.validation_fraction,
            embargo_days=self.embargo_days,
            segments=segments,
            random_state=self.random_state,
        )

    def months(self, warehouse: Warehouse) -> list[pd.Timestamp]:
        first = timeline.month_start(
            f"{self.sample_start}-01" if self.sample_start else settings.sample_start()
        )
        latest = (self.sample_end or "").lower() == "latest" or (
            self.sample_end is None and settings.sample_end_is_latest()
        )
        if latest:
            available = warehouse.existing_months("features")
            if not available:
                raise SplitError("sample_end 'latest': features has no materialized month")
            return timeline.months_between(first, available[-1])
        last = timeline.month_start(f"{self.sample_end}-01" if self.sample_end else settings.sample_end())
        return timeline.months_between(first, last)


def horizon_days(labels_frame: pd.DataFrame) -> int:
    """The label horizon the labels were built with (calendar days to the exit, at least)."""
    known = labels_frame[labels_frame["label"].notna()]
    days = (pd.to_datetime(known["label_date"]) - pd.to_datetime(known["sample_date"])).dt.days
    return int(days.min()) if len(days) else timeline.LABEL_HORIZON_DAYS


@dg.asset(group_name=MODEL_GROUP, deps=[features, labels], kinds={"parquet"}, io_manager_key=ARTIFACTS)
def dataset_splits(
    context: dg.AssetExecutionContext, config: DatasetSplitsConfig, warehouse: dg.ResourceParam[Warehouse]
) -> dg.Output[dict]:
    """Dataset splits: one row per labelled symbol × sample date with its segment (train / validation /
    test) and whether the embargo drops it. Time-ordered by sample month; a row whose label window reaches
    the next segment is embargoed (dropped and counted)."""
    try:
        months = config.months(warehouse)
    except SplitError as exc:
        raise dg.Failure(f"dataset_splits: {exc}") from exc
    label_frame = warehouse.read_months("labels", months, require=True)
    horizon = horizon_days(label_frame)
    try:
        rows = split_rows(label_frame, config.split_config(), horizon)
    except SplitError as exc:
        raise dg.Failure(f"dataset_splits: {exc}") from exc
    rows = rows.merge(label_frame[["symbol", "sample_date", "source"]], on=["symbol", "sample_date"])
    warehouse.write_keyed("dataset_splits", rows)
    summary = split_summary(rows)
    if config.method == "stratified_random":
        context.log.warning("dataset_splits: stratified random split requested: LEAKY, for comparison only")
    context.log.info("dataset_splits:\n" + summary.to_string(index=False))
    handle = {
        "method": config.method,
        "leaky": config.method == "stratified_random",
        "horizon_days": horizon,
        "embargo_days": config.embargo_days,
        "rows": len(rows),
        "sample_start": f"{months[0]:%Y-%m}",
        "sample_end": f"{months[-1]:%Y-%m}",
    }
    return dg.Output(
        handle,
        metadata=table_metadata(
            rows,
            {
                "method": config.method,
                "leaky": handle["leaky"],
                "horizon_days": horizon,
                "embargo_days": config.embargo_days,
                "embargoed_rows": int(rows["embargoed"].sum()),
                "unlabelled_rows_dropped": int(label_frame["label"].isna().sum()),
                "rows_outside_segments": int(label_frame["label"].notna().sum() - len(rows)),
                "segments": dg.MetadataValue.md(markdown_table(summary, 10)),
            },
            table="dataset_splits",
        ),
    )


@dg.asset_check(
    asset=dataset_splits,
    name=DATASET_SPLITS_EMBARGO,
    blocking=True,
    description="Segments are ordered (train < validation < test), disjoint and embargoed (no used row's "
    "label window reaches the next segment); shows each segment's label balance. A leaky random split warns.",
)
def dataset_splits_embargo(
    dataset_splits: dict, warehouse: dg.ResourceParam[Warehouse]
) -> dg.AssetCheckResult:
    rows = warehouse.read_keyed("dataset_splits")
    summary = split_summary(rows)
    leaky = bool(rows["leaky"].any()) if len(rows) else False
    embargo = int(dataset_splits["embargo_days"])
    problems = split_problems(rows, embargo) if not leaky else []
    metadata = {
        "segments": dg.MetadataValue.md(markdown_table(summary, 10)),
        "embargo_days": embargo,
        "leaky": leaky,
    }
    if leaky:
        metadata["summary"] = "stratified random split: segments share months (leaky, comparison only)"
        metadata["severity_level"] = "warning"
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN, metadata=metadata)
    metadata["summary"] = "; ".join(problems) if problems else "ordered, disjoint and embargoed"
    metadata["severity_level"] = gates.CRITICAL if problems else gates.PASSED
    return dg.AssetCheckResult(passed=not problems, severity=dg.AssetCheckSeverity.ERROR, metadata=metadata)


assets = [dataset_splits]
checks = [dataset_splits_embargo]
