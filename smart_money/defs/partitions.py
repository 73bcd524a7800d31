"""Monthly partitions by month of ``known_at`` (raw) or of the sample date (features, labels).

The first partition is the project's history start (2019-01), or ``SMART_MONEY_HISTORY_START`` for a real
source reaching further back; it is read when the code loads, since Dagster fixes partitions then.
"""

import dagster as dg
import pandas as pd

from smart_money import settings, timeline

monthly_partitions = dg.MonthlyPartitionsDefinition(start_date=settings.first_month().isoformat())


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
