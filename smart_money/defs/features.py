"""The ``features`` asset (group ``features``): one row per symbol × sample date, point in time."""

import time

import dagster as dg

from smart_money import sample_tables, timeline
from smart_money.defs.metadata import table_metadata
from smart_money.defs.partitions import lookback, monthly_partitions, window_months
from smart_money.defs.raw import (
    raw_congress_trades,
    raw_etf_holdings,
    raw_insider_trades,
    raw_institutional_holdings,
    raw_prices,
    universe,
)
from smart_money.features import catalog
from smart_money.warehouse import Warehouse

FEATURE_NAMES = list(catalog.FEATURE_NAMES)

FEATURES_GROUP = "features"


# The op is not named "features": the features job is, and Dagster refuses a repository (the daemon, the
# UI, a code server) in which an op and a job's graph share a name.
@dg.multi_asset(
    name="build_features",
    partitions_def=monthly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    specs=[
        dg.AssetSpec(
            "features",
            group_name=FEATURES_GROUP,
            kinds={"parquet", "duckdb"},
            deps=[
                dg.AssetDep(universe),
                *[
                    dg.AssetDep(raw, partition_mapping=lookback(timeline.FEATURE_LOOKBACK_MONTHS))
                    for raw in (
                        raw_insider_trades,
                        raw_institutional_holdings,
                        raw_congress_trades,
                        raw_etf_holdings,
                        raw_prices,
                    )
                ],
                # optional options-flow columns (NaN when the options_flow group is off)
                dg.AssetDep("smart_money_events", partition_mapping=lookback(1)),
            ],
        )
    ],
)
def features(
    context: dg.AssetExecutionContext, warehouse: dg.ResourceParam[Warehouse]
) -> dg.MaterializeResult:
    """Smart-money features: one row per symbol × sample date (the 15th, or the trading day before it).

    Uses only raw rows with known_at <= the sample date; every feature's window, units and missing-value
    rule is in docs/features.md. Missing values stay NaN (imputation belongs to the model).
    """
    months = window_months(context)
    if not months:
        raise dg.Failure("features are partitioned by sample month: pass a partition key or range")
    began = time.monotonic()
    frame = sample_tables.build_feature_table(warehouse, months, log=context.log.info)
    counts = warehouse.write_months("features", frame, months, "sample_date")
    context.log.info(
        f"features: {len(frame)} rows × {len(FEATURE_NAMES)} features in {time.monotonic() - began:.1f}s"
    )
    missing = frame[FEATURE_NAMES].isna().mean()
    return dg.MaterializeResult(
        metadata=table_metadata(
            frame,
            {
                "months_written": len(counts),
                "feature_count": len(FEATURE_NAMES),
                "missing_share_mean": float(missing.mean()) if len(frame) else 0.0,
            },
            table="features",
        )
    )


assets = [features]
