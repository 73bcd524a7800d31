"""Materialization metadata: row count, column schema and a small markdown preview."""

import dagster as dg
import pandas as pd

PREVIEW_ROWS = 5


def markdown_table(frame: pd.DataFrame, rows: int = PREVIEW_ROWS) -> str:
    if frame.empty:
        return "_(no rows)_"
    return frame.head(rows).to_markdown(index=False, floatfmt=".4g")


def table_metadata(frame: pd.DataFrame, extra: dict | None = None) -> dict:
    schema = dg.TableSchema(columns=[dg.TableColumn(str(c), str(t)) for c, t in frame.dtypes.items()])
    metadata = {
        "dagster/row_count": dg.MetadataValue.int(len(frame)),
        "dagster/column_schema": schema,
        "preview": dg.MetadataValue.md(markdown_table(frame)),
    }
    for key, value in (extra or {}).items():
        metadata[key] = value
    return metadata


def upstream_metadata(context, asset: str) -> dict:
    """Metadata of ``asset``'s latest materialization: how a downstream asset learns exactly which model
    version its upstream wrote (never "the newest folder in models/")."""
    event = context.instance.get_latest_materialization_event(dg.AssetKey(asset))
    if event is None or event.asset_materialization is None:
        raise dg.Failure(f"{asset} has never been materialized; materialize it first")
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}
