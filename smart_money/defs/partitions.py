"""Monthly partitions by month of ``known_at`` (raw) or of the sample date (features, labels, options flow).

Raw partitions run over the source's history: from its first month (the project's history start, 2019-01, or
``SMART_MONEY_HISTORY_START``) to its last complete month (``settings.last_complete_month``: 2025-01 for
the synthetic market, the as-of date's for a live source with ``FMP_AS_OF`` / ``SEC_AS_OF``). A live source
without an as-of date gets Dagster's rolling end, the same rule, which grows each month while the code stays
loaded. Sample partitions (features, labels and the options-flow tables) run over the sample months
(``SMART_MONEY_SAMPLE_START`` … ``SMART_MONEY_SAMPLE_END``, 2022-01 … 2024-12). So no partition the build
cannot fill shows as missing. ``build_definitions`` sets both from its source; the module-level
``monthly_partitions`` is the environment's raw partitions, which the assets are declared with.
"""

from collections.abc import Iterable
from datetime import date

import dagster as dg
import pandas as pd

from smart_money import settings, timeline


def monthly(first: date | pd.Timestamp, last: date | pd.Timestamp | None) -> dg.MonthlyPartitionsDefinition:
    """Monthly partitions from ``first``'s month through ``last``'s (None: through the last complete month,
    rolling)."""
    end = None if last is None else (timeline.month_start(last) + pd.DateOffset(months=1)).date().isoformat()
    return dg.MonthlyPartitionsDefinition(
        start_date=timeline.month_start(first).date().isoformat(), end_date=end
    )


def source_months(history_start: date, history_end: date | None) -> tuple[pd.Timestamp, pd.Timestamp | None]:
    """A source's first month and last complete month (None: a live source, up to the last complete month
    whenever it is asked)."""
    last = None if history_end is None else timeline.month_start(settings.last_complete_month(history_end))
    return timeline.month_start(history_start), last


monthly_partitions = monthly(
    settings.first_month(), settings.last_month() if settings.history_end() is not None else None
)


def partition_months(partitions_def: dg.MonthlyPartitionsDefinition) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last month of a partitions definition (its last month as of now, for a rolling end)."""
    keys = partitions_def.get_partition_keys()
    return timeline.month_start(keys[0]), timeline.month_start(keys[-1])


def repartitioned(
    assets: Iterable[dg.AssetsDefinition], partitions_def: dg.MonthlyPartitionsDefinition
) -> list[dg.AssetsDefinition]:
    """The monthly assets with ``partitions_def`` instead of the one they were declared with."""
    return [
        a.map_asset_specs(lambda spec: spec.replace_attributes(partitions_def=partitions_def)) for a in assets
    ]


def window_months(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> list[pd.Timestamp] | None:
    """Months of the run's partition window, or None when the run is not partitioned."""
    op_context = (
        context.op_execution_context if isinstance(context, dg.AssetCheckExecutionContext) else context
    )
    if not (op_context.has_partition_key or op_context.has_partition_key_range):
        return None
    window = op_context.partition_time_window
    return timeline.months_in_window(window.start, window.end)


def lookback(months: int, ahead: int = 0) -> dg.TimeWindowPartitionMapping:
    """Depend on the previous ``months`` (and the next ``ahead``) monthly partitions as well."""
    return dg.TimeWindowPartitionMapping(
        start_offset=-months, end_offset=ahead, allow_nonexistent_upstream_partitions=True
    )
