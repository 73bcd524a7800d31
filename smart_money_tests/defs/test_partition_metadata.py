"""What the Dagster UI shows for the default build (the session's default market, built through the stage
jobs as `make run` does): each partition of a single-run backfill carries its own month's row count, schema
and preview; every partition of every partitioned asset is materialized (none shows as missing); and every
column of every column schema has its description from tables.py."""

import dagster as dg
import pandas as pd
import pytest

from smart_money import timeline


def _latest(instance, key: str, partition: str | None = None) -> dict:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=dg.AssetKey(key), asset_partitions=[partition] if partition else None
        ),
        limit=1,
    ).records
    assert records, (key, partition)
    return {k: v.value for k, v in records[0].asset_materialization.metadata.items()}


@pytest.mark.parametrize(
    "table, month_column",
    [("raw_insider_trades", "known_at"), ("universe", "as_of"), ("features", "sample_date")],
)
def test_each_partition_of_a_single_run_backfill_records_its_own_rows(
    built_default_market, table, month_column
):
    instance, warehouse = built_default_market["instance"], built_default_market["warehouse"]
    months = warehouse.existing_months(table)
    picks = [months[0], months[len(months) // 2], months[-1]]
    counts = {}
    for month in picks:
        meta = _latest(instance, table, f"{month:%Y-%m-%d}")
        stored = warehouse.read_months(table, [month])
        assert meta["dagster/row_count"] == len(stored), (table, month)
        assert (timeline.month_starts(stored[month_column]) == month).all()
        counts[month] = meta["dagster/row_count"]
        assert meta["run_row_count"] == len(warehouse.read_months(table, months))
        preview = meta["preview"]
        assert "_(no rows)_" in preview if stored.empty else str(stored.iloc[0]["symbol"]) in preview
    assert max(counts.values()) < meta["run_row_count"]  # no partition carries the whole run's count


def test_raw_insider_trades_2025_01_shows_that_months_count(built_default_market):
    meta = _latest(built_default_market["instance"], "raw_insider_trades", "2025-01-01")
    stored = built_default_market["warehouse"].read_months("raw_insider_trades", [pd.Timestamp("2025-01-01")])
    assert meta["dagster/row_count"] == len(stored) > 0
    assert meta["run_row_count"] > 20 * len(stored)


def test_the_default_build_leaves_no_partition_missing(built_default_market):
    defs, instance = built_default_market["defs"], built_default_market["instance"]
    graph = defs.resolve_asset_graph()
    partitioned = [k for k in graph.get_all_asset_keys() if graph.get(k).partitions_def is not None]
    assert len(partitioned) == 14  # 7 raw, 4 options flow, features, labels, prediction_outcomes
    for key in partitioned:
        expected = set(graph.get(key).partitions_def.get_partition_keys())
        assert instance.get_materialized_partitions(key) == expected, key.to_user_string()


def test_every_column_schema_describes_every_column(built_default_market):
    instance = built_default_market["instance"]
    graph = built_default_market["defs"].resolve_asset_graph()
    seen = 0
    for key in graph.get_all_asset_keys():
        partitions = graph.get(key).partitions_def
        partition = partitions.get_partition_keys()[-1] if partitions else None
        meta = _latest(instance, key.to_user_string(), partition)
        schema = meta.get("dagster/column_schema")
        if schema is None:
            continue
        seen += 1
        empty = [c.name for c in schema.columns if not (c.description or "").strip()]
        assert schema.columns and not empty, (key.to_user_string(), empty)
    assert seen == 17  # the 14 monthly tables, dataset_splits, predictions and track_record
