"""Raw assets: one monthly partition per month of ``known_at`` (the date a record became public), fetched
from the ``source`` resource and written through the ``warehouse`` resource.

Every raw table comes from one factory, so each reports the same metadata (rows per month, fetch figures,
quarantined records) and gets a schema check (``checks.py``). Re-materializing a partition overwrites it; a
partition range is one run (single-run backfill policy), fetched in one call and written month by month.
Group ``raw`` holds the disclosures and prices; the option prints and the corporate calendar are raw tables
of group ``options_flow``.
"""

import time

import dagster as dg
import pandas as pd

from smart_money import gates, tables
from smart_money.defs.metadata import check_result, markdown_table, partitioned_result
from smart_money.defs.partitions import monthly_partitions, window_months
from smart_money.defs.resources import SmartMoneySource
from smart_money.warehouse import Warehouse

RAW_GROUP = "raw"
VALUE_MAPPED_CHECK = "raw_institutional_holdings_value_mapped"
OPTIONS_FLOW_GROUP = "options_flow"
_SINGLE_RUN = dg.BackfillPolicy.single_run()


def _window(context: dg.AssetExecutionContext) -> tuple[list[pd.Timestamp], pd.Timestamp, pd.Timestamp]:
    months = window_months(context)
    if not months:
        raise dg.Failure(
            f"{context.asset_key.to_user_string()} is partitioned by month: pass a partition "
            "key or a partition range"
        )
    return months, months[0], months[-1] + pd.DateOffset(months=1)


def _month_counts(counts: dict[str, int]) -> dict:
    values = list(counts.values())
    return {
        "months_written": dg.MetadataValue.int(len(counts)),
        "rows_per_month_min": dg.MetadataValue.int(min(values)),
        "rows_per_month_max": dg.MetadataValue.int(max(values)),
    }


def _fetch_metadata(
    source: SmartMoneySource, warehouse: Warehouse, table: str, start: pd.Timestamp, end: pd.Timestamp, log
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


@dg.asset(
    group_name=RAW_GROUP,
    partitions_def=monthly_partitions,
    backfill_policy=_SINGLE_RUN,
    kinds={"parquet"},
)
def universe(
    context: dg.AssetExecutionContext, source: SmartMoneySource, warehouse: dg.ResourceParam[Warehouse]
) -> dg.MaterializeResult:
    """The symbols listed in each month: one row per symbol per month (symbol, name, sector, shares
    outstanding, is_synthetic). The warehouse view ``universe`` keeps each symbol's latest month."""
    months, start, end = _window(context)
    frame = pd.concat([source.universe(m) for m in months], ignore_index=True)
    counts = warehouse.write_months("universe", frame, months, "as_of")
    context.log.info(f"universe: {frame['symbol'].nunique()} symbols over {len(months)} month(s)")
    fetched = _fetch_metadata(
        source, warehouse, "universe", start, end - pd.DateOffset(months=1), context.log
    )
    return partitioned_result(
        context,
        frame,
        "as_of",
        "universe",
        {**_month_counts(counts), "source": source.source_name, **fetched},
    )


def _symbols(warehouse: Warehouse, months: list[pd.Timestamp]) -> list[str]:
    listed = warehouse.read_months("universe", months, require=True)
    return sorted(listed["symbol"].unique())


def value_mapped_result(source: SmartMoneySource) -> dg.AssetCheckResult:
    """The mapped-value gate over the 13F periods the source read (a source whose holdings come with
    symbols passes: it maps nothing)."""
    coverage = source.value_mapped()
    if coverage is None:
        return dg.AssetCheckResult(
            passed=True,
            metadata={
                "summary": f"the {source.source_name} source's holdings come with symbols: nothing to map"
            },
        )
    result = check_result(gates.mapped_value_gate(VALUE_MAPPED_CHECK, coverage))
    unmapped = source.largest_unmapped()
    if len(unmapped):
        result = result._replace(
            metadata={
                **result.metadata,
                "largest_unmapped": dg.MetadataValue.md(markdown_table(unmapped, 10)),
            }
        )
    return result


def raw_table_asset(
    table: str,
    method: str,
    doc: str,
    group: str = RAW_GROUP,
    month_column: str = "known_at",
    check_specs: tuple[dg.AssetCheckSpec, ...] = (),
) -> dg.AssetsDefinition:
    """A raw asset: ``source.<method>(symbols, start, end)`` for the run's months, written by
    ``month_column`` (``known_at`` unless the table is partitioned by another date). ``check_specs`` are
    checks the asset computes itself from what the fetch saw (the 13F mapped-value gate)."""

    @dg.asset(
        name=table,
        group_name=group,
        partitions_def=monthly_partitions,
        backfill_policy=_SINGLE_RUN,
        deps=[universe],
        kinds={"parquet"},
        description=doc,
        check_specs=list(check_specs),
    )
    def _asset(
        context: dg.AssetExecutionContext, source: SmartMoneySource, warehouse: dg.ResourceParam[Warehouse]
    ) -> dg.MaterializeResult:
        months, start, end = _window(context)
        symbols = _symbols(warehouse, months)
        began = time.monotonic()
        context.log.info(
            f"{table}: fetching {len(symbols)} symbols, {month_column} {start:%Y-%m-%d} to {end:%Y-%m-%d}"
        )
        frame = getattr(source, method)(symbols, start, end)
        applicable = frame is not None
        if frame is None:  # hidden truth of a simulated source: empty for real ones
            frame = tables.spec(table).empty()
        if applicable and frame.empty:
            context.log.warning(
                f"{table}: the {source.source_name} source has no rows for {start:%Y-%m-%d} to {end:%Y-%m-%d}"
                + (
                    " (set SMART_MONEY_OPTION_PRINTS to import a vendor file: README, Options flow)"
                    if table == "raw_option_prints"
                    else ""
                )
            )
        counts = warehouse.write_months(table, frame, months, month_column)
        fetched = _fetch_metadata(source, warehouse, table, start, end, context.log)
        context.log.info(
            f"{table}: wrote {len(frame)} rows in {len(months)} partition(s) "
            f"in {time.monotonic() - began:.1f}s"
            + (f"; {fetched['fetch_requests']} requests so far" if "fetch_requests" in fetched else "")
        )
        extra = {**_month_counts(counts), "source": source.source_name, **fetched}
        if not applicable:
            extra["applicable"] = False
        checks = [value_mapped_result(source)] if check_specs else []
        return partitioned_result(context, frame, month_column, table, extra, check_results=checks)

    return _asset


raw_prices = raw_table_asset(
    "raw_prices",
    "prices",
    "Daily prices: one row per symbol × trading day (close, adj_close, volume); known_at = the trading date.",
)
raw_insider_trades = raw_table_asset(
    "raw_insider_trades",
    "insider_trades",
    "SEC Form 4 transactions: one row per transaction; known_at = the filing date (not the trade date).",
)
raw_institutional_holdings = raw_table_asset(
    "raw_institutional_holdings",
    "institutional_holdings",
    "13F positions: one row per filer × symbol × quarter (sec: per filing, every version kept); known_at = "
    "the filing date (not the quarter end).",
    check_specs=(
        dg.AssetCheckSpec(
            VALUE_MAPPED_CHECK,
            asset="raw_institutional_holdings",
            description="Per 13F quarter, the share of reported share-position value whose CUSIP maps to a "
            f"universe symbol; below {gates.MAPPED_VALUE_MIN:.0%} is a warning: does not block (sec source).",
        ),
    ),
)
raw_congress_trades = raw_table_asset(
    "raw_congress_trades",
    "congress_trades",
    "STOCK Act trades by members of Congress: one row per reported trade; known_at = the disclosure date.",
)
raw_etf_holdings = raw_table_asset(
    "raw_etf_holdings",
    "etf_holdings",
    "ETF positions: one row per ETF × symbol × as-of date; known_at = the as-of date.",
)
synthetic_truth = raw_table_asset(
    "synthetic_truth",
    "synthetic_truth",
    "The simulated market's hidden state: one row per symbol × month (news value, persistent state, "
    "volatility regime, each sample's true probability of the default label). For evaluation only: no "
    "feature reads it. Empty for real sources.",
    month_column="month",
)
raw_option_prints = raw_table_asset(
    "raw_option_prints",
    "option_prints",
    "Option prints: one row per print (contract, price, size, venue, conditions) with the NBBO, quote age, "
    "underlying quote and implied volatility at the print; known_at = the print time. The simulated tape "
    "for the synthetic source, a vendor file with SMART_MONEY_OPTION_PRINTS, empty otherwise.",
    group=OPTIONS_FLOW_GROUP,
)
synthetic_flow_truth = raw_table_asset(
    "synthetic_flow_truth",
    "synthetic_flow_truth",
    "Hidden labels of the simulated tape: one row per print with its scenario and true profile or trap. "
    "Never read by the rules; only the options-flow evaluation reads it. Empty for real or imported prints.",
    group=OPTIONS_FLOW_GROUP,
)
raw_corporate_events = raw_table_asset(
    "raw_corporate_events",
    "corporate_events",
    "Scheduled corporate events: one row per symbol × event (earnings and others) with its date and kind, "
    "partitioned by the month of the event (a calendar is read ahead); known_at = when the date became "
    "public, and only rows known at a print's time are used.",
    group=OPTIONS_FLOW_GROUP,
    month_column="event_date",
)

raw_assets = [
    universe,
    raw_prices,
    raw_insider_trades,
    raw_institutional_holdings,
    raw_congress_trades,
    raw_etf_holdings,
    synthetic_truth,
]
options_flow_raw_assets = [raw_option_prints, synthetic_flow_truth, raw_corporate_events]
assets = [*raw_assets, *options_flow_raw_assets]
