"""Materialization metadata: row count, column schema (with the contract's descriptions) and a preview."""

import dagster as dg
import pandas as pd

from smart_money import tables

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
