"""Materialization metadata: row count, column schema (with the contract's descriptions) and a preview.

A partitioned asset's run may cover many months (a single-run backfill); each month's materialization then
carries its own row count, schema and preview (:func:`partitioned_result`), and only the run's figures
(``run_row_count``, months written, fetch counters) are shared by all of them."""

from collections.abc import Sequence

import dagster as dg
import pandas as pd

from smart_money import gates, tables, timeline

PREVIEW_ROWS = 5


def markdown_table(frame: pd.DataFrame, rows: int = PREVIEW_ROWS) -> str:
    if frame.empty:
        return "_(no rows)_"
    return frame.head(rows).to_markdown(index=False, floatfmt=".4g")


def column_schema(frame: pd.DataFrame, table: str | None = None) -> dg.TableSchema:
    """A warehouse table's columns as ``tables.py`` declares them (Arrow type, meaning, nullability: what the
    writer stores, since it casts through the spec); any other frame's columns and dtypes."""
    if table is None:
        return dg.TableSchema(columns=[dg.TableColumn(str(c), str(t)) for c, t in frame.dtypes.items()])
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                column.name,
                str(column.type),
                description=column.description,
                constraints=dg.TableColumnConstraints(nullable=column.nullable),
            )
            for column in tables.spec(table).column_specs
        ]
    )


def table_metadata(frame: pd.DataFrame, extra: dict | None = None, table: str | None = None) -> dict:
    metadata = {
        "dagster/row_count": dg.MetadataValue.int(len(frame)),
        "dagster/column_schema": column_schema(frame, table),
        "preview": dg.MetadataValue.md(markdown_table(frame)),
    }
    for key, value in (extra or {}).items():
        metadata[key] = value
    return metadata


def partitioned_result(
    context: dg.AssetExecutionContext,
    frame: pd.DataFrame,
    month_column: str,
    table: str,
    extra: dict | None = None,
    check_results: Sequence[dg.AssetCheckResult] = (),
) -> dg.MaterializeResult:
    """The result of a monthly asset's run: every partition of the run gets the row count, schema and
    preview of its own month's rows (by ``month_column``, as the warehouse wrote them); ``extra`` and
    ``run_row_count`` describe the whole run and appear on each partition."""
    keys = timeline.month_starts(frame[month_column]) if len(frame) else None
    groups = frame.groupby(keys.to_numpy()).indices if keys is not None else {}
    positions = {pd.Timestamp(month): rows for month, rows in groups.items()}
    for partition_key in context.partition_keys:
        rows = positions.get(timeline.month_start(partition_key))
        part = frame.iloc[rows] if rows is not None else frame.iloc[0:0]
        context.add_asset_metadata(table_metadata(part, table=table), partition_key=partition_key)
    run = {"run_row_count": dg.MetadataValue.int(len(frame)), **(extra or {})}
    return dg.MaterializeResult(metadata=run, check_results=list(check_results))


FAILURE_ROWS = 20


def dagster_severity(result: gates.GateResult) -> dg.AssetCheckSeverity:
    """ERROR (blocks downstream) for a critical gate, WARN for a warning; a passed gate is WARN too."""
    return dg.AssetCheckSeverity.ERROR if result.severity == gates.CRITICAL else dg.AssetCheckSeverity.WARN


def check_result(result: gates.GateResult) -> dg.AssetCheckResult:
    """A gate's outcome as a Dagster check result, with the failure cases (first 20) as markdown."""
    metadata: dict = {"severity_level": result.severity, "summary": result.summary}
    for key, value in result.metrics.items():
        metadata[key] = value if isinstance(value, (int, float, str, bool)) else str(value)
    if result.failures is not None and len(result.failures):
        metadata["failure_cases"] = dg.MetadataValue.md(markdown_table(result.failures, FAILURE_ROWS))
        metadata["failure_count"] = len(result.failures)
    return dg.AssetCheckResult(passed=result.passed, severity=dagster_severity(result), metadata=metadata)
