"""Raw assets (group ``raw``): one monthly partition per month of ``known_at``, fetched from the source.

Re-materializing a partition overwrites it; a CLI partition range is one run (single-run backfill policy)
and the asset then receives all months at once, fetches them in one call and writes each month.
"""

import time

import dagster as dg
import pandas as pd

from smart_money import tables, warehouse
from smart_money.defs.partitions import monthly_partitions, window_months
from smart_money.defs.reporting import table_metadata
from smart_money.defs.resources import SmartMoneySource

RAW_GROUP = "raw"
_SINGLE_RUN = dg.BackfillPolicy.single_run()


def _window(context: dg.AssetExecutionContext) -> tuple[list[pd.Timestamp], pd.Timestamp, pd.Timestamp]:
    months = window_months(context)
    if not months:
        raise dg.Failure("raw assets are partitioned by month: pass a partition key or a partition range")
    return months, months[0], months[-1] + pd.DateOffset(months=1)


def _month_counts(counts: dict[str, int]) -> dict:
    values = list(counts.values())
    return {
        "months_written": dg.MetadataValue.int(len(counts)),
        "rows_per_month_min": dg.MetadataValue.int(min(values)),
        "rows_per_month_max": dg.MetadataValue.int(max(values)),
    }


@dg.asset(
    group_name=RAW_GROUP,
    partitions_def=monthly_partitions,
    backfill_policy=_SINGLE_RUN,
    kinds={"parquet"},
)
def universe(context: dg.AssetExecutionContext, source: SmartMoneySource) -> dg.MaterializeResult:
    """The symbols listed in each month: one row per symbol per month (symbol, name, sector, shares
    outstanding, is_synthetic). The warehouse view ``universe`` keeps each symbol's latest month."""
    months, _, _ = _window(context)
    frame = pd.concat([source.universe(m) for m in months], ignore_index=True)
    counts = warehouse.write_months("universe", frame, months, "as_of")
    warehouse.refresh_catalog()
    context.log.info(f"universe: {frame['symbol'].nunique()} symbols over {len(months)} month(s)")
    fetched = _fetch_metadata(source, "universe", months[0], months[-1], context.log)
    return dg.MaterializeResult(
        metadata=table_metadata(frame, {**_month_counts(counts), "source": source.source_name, **fetched})
    )


def _fetch_metadata(
    source: SmartMoneySource, table: str, start: pd.Timestamp, end: pd.Timestamp, log
) -> dict:
    """Request and cache figures of the fetch, and its quarantined records (written beside the warehouse)."""
    stats, quarantined = source.fetch_report(table)
    metadata: dict = {f"fetch_{k}": v for k, v in stats.items() if isinstance(v, (int, float))}
    metadata["quarantined_records"] = len(quarantined)
    if len(quarantined):
        path = warehouse.write_quarantine(table, quarantined, f"{start:%Y-%m-%d}_{end:%Y-%m-%d}")
        reasons = quarantined["reason"].str.replace(r"\d[\d.,-]*", "#", regex=True).value_counts().head(10)
        log.warning(f"{table}: {len(quarantined)} record(s) quarantined in {path}: {reasons.to_dict()}")
        metadata["quarantine_path"] = dg.MetadataValue.path(str(path))
        metadata["quarantine_reasons"] = dg.MetadataValue.md(
            reasons.rename("records").to_frame().to_markdown()
        )
    return metadata


def _symbols(months: list[pd.Timestamp]) -> list[str]:
    listed = warehouse.read_months("universe", months, require=True)
    return sorted(listed["symbol"].unique())


def _raw_table_asset(table: str, method: str, doc: str) -> dg.AssetsDefinition:
    @dg.asset(
        name=table,
        group_name=RAW_GROUP,
        partitions_def=monthly_partitions,
        backfill_policy=_SINGLE_RUN,
        deps=[universe],
        kinds={"parquet"},
        description=doc,
    )
    def _asset(context: dg.AssetExecutionContext, source: SmartMoneySource) -> dg.MaterializeResult:
        months, start, end = _window(context)
        symbols = _symbols(months)
        began = time.monotonic()
        context.log.info(
            f"{table}: fetching {len(symbols)} symbols, known_at {start:%Y-%m-%d} to {end:%Y-%m-%d}"
        )
        frame = getattr(source, method)(symbols, start, end)
        counts = warehouse.write_months(table, frame, months, "known_at")
        warehouse.refresh_catalog()
        fetched = _fetch_metadata(source, table, start, end, context.log)
        context.log.info(
            f"{table}: wrote {len(frame)} rows in {len(months)} partition(s) "
            f"in {time.monotonic() - began:.1f}s"
            + (f"; {fetched['fetch_requests']} requests so far" if "fetch_requests" in fetched else "")
        )
        return dg.MaterializeResult(
            metadata=table_metadata(frame, {**_month_counts(counts), "source": source.source_name, **fetched})
        )

    return _asset


raw_prices = _raw_table_asset(
    "raw_prices",
    "prices",
    "Daily prices: one row per symbol × trading day (close, adj_close, volume); known_at = the trading date.",
)
raw_insider_trades = _raw_table_asset(
    "raw_insider_trades",
    "insider_trades",
    "SEC Form 4 transactions: one row per transaction; known_at = the filing date (not the trade date).",
)
raw_institutional_holdings = _raw_table_asset(
    "raw_institutional_holdings",
    "institutional_holdings",
    "13F positions: one row per filer × symbol × quarter; known_at = the filing date (not the quarter end).",
)
raw_congress_trades = _raw_table_asset(
    "raw_congress_trades",
    "congress_trades",
    "STOCK Act trades by members of Congress: one row per reported trade; known_at = the disclosure date.",
)
raw_etf_holdings = _raw_table_asset(
    "raw_etf_holdings",
    "etf_holdings",
    "ETF positions: one row per ETF × symbol × as-of date; known_at = the as-of date.",
)


@dg.asset(
    group_name=RAW_GROUP,
    partitions_def=monthly_partitions,
    backfill_policy=_SINGLE_RUN,
    deps=[universe],
    kinds={"parquet"},
)
def synthetic_truth(context: dg.AssetExecutionContext, source: SmartMoneySource) -> dg.MaterializeResult:
    """The simulated market's hidden state: one row per symbol × month (news value, persistent state,
    volatility regime, each sample's true probability of the default label). For evaluation only: no
    feature reads it. Empty for real sources."""
    months, start, end = _window(context)
    frame = source.synthetic_truth(_symbols(months), start, end)
    applicable = frame is not None
    if frame is None:
        frame = tables.SYNTHETIC_TRUTH.empty()
    warehouse.write_months("synthetic_truth", frame, months, "month")
    warehouse.refresh_catalog()
    return dg.MaterializeResult(
        metadata=table_metadata(frame, {"applicable": applicable, "source": source.source_name})
    )


assets = [
    universe,
    raw_prices,
    raw_insider_trades,
    raw_institutional_holdings,
    raw_congress_trades,
    raw_etf_holdings,
    synthetic_truth,
]
