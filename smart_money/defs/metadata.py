"""Materialization metadata: row count, column schema (with the contract's descriptions) and a preview."""

import dagster as dg
import pandas as pd

from smart_money import gates, tables

PREVIEW_ROWS = 5


def markdown_table(frame: pd.DataFrame, rows: int = PREVIEW_ROWS) -> str:
    if frame.empty:
        return "_(no rows)_"
    return frame.head(rows).to_markdown(index=False, floatfmt=".4g")


def column_schema(frame: pd.DataFrame, table: str | None = None) -> dg.TableSchema:
    """The frame's columns and dtypes, described from ``tables.py`` when the table is a warehouse table."""
    descriptions = getattr(tables.spec(table), "descriptions", {}) if table else {}
    return dg.TableSchema(
        columns=[
            dg.TableColumn(str(c), str(t), description=descriptions.get(str(c)))
            for c, t in frame.dtypes.items()
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
