"""Data gates as Dagster asset checks. Each check reads the partitions of the run's window (every partition
when run on its own) through the warehouse resource and calls a plain gate from :mod:`smart_money.gates`.
Critical gates fail with ERROR severity and are blocking: downstream assets in the same run do not execute.
Every monthly warehouse table has a schema check derived from its declaration in ``tables.py``."""

import dagster as dg
import pandas as pd

from smart_money import gates, sample_tables, timeline
from smart_money.defs.features import features
from smart_money.defs.labels import labels
from smart_money.defs.metadata import check_result
from smart_money.defs.options_flow import smart_money_events
from smart_money.defs.partitions import window_months
from smart_money.defs.raw import assets as raw_assets
from smart_money.defs.raw import raw_prices
from smart_money.features import catalog
from smart_money.warehouse import Warehouse

FEATURE_NAMES = list(catalog.FEATURE_NAMES)


# Names of the hand-written checks; factory checks are named <table>_schema and <table>_completeness.
FEATURES_MISSING_DATA = "features_missing_data"
FEATURES_NO_LOOKAHEAD = "features_no_lookahead"
LABELS_BALANCE = "labels_balance"
LOOKAHEAD_MONTHS_CHECKED = 3


def _read(
    context: dg.AssetCheckExecutionContext, warehouse: Warehouse, table: str
) -> tuple[pd.DataFrame, list[pd.Timestamp]]:
    months = window_months(context)
    if months is None:
        months = warehouse.existing_months(table)
    return warehouse.read_months(table, months), months


def schema_check(asset: dg.AssetsDefinition) -> dg.AssetChecksDefinition:
    """A blocking schema check for the asset's table: pandera (built from ``tables.py``) validates lazily
    and every failure case is kept."""
    table = asset.key.to_user_string()

    @dg.asset_check(
        asset=asset,
        name=f"{table}_schema",
        blocking=True,
        description=f"Every row of {table} matches its declaration in tables.py: columns, types, allowed "
        "values, unique keys (critical if not).",
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: dg.ResourceParam[Warehouse]
    ) -> dg.AssetCheckResult:
        frame, _ = _read(context, warehouse, table)
        return check_result(gates.schema_gate(f"{table}_schema", frame, gates.table_schema(table)))

    return _check


schema_checks = [schema_check(asset) for asset in (*raw_assets, features, labels, smart_money_events)]


def _expected(warehouse: Warehouse, months: list[pd.Timestamp]) -> pd.DataFrame:
    listed = warehouse.read_months("universe", months)
    return pd.DataFrame({"symbol": listed["symbol"], "month": timeline.month_starts(listed["as_of"])})


def _present(frame: pd.DataFrame, date_column: str) -> pd.DataFrame:
    return pd.DataFrame({"symbol": frame["symbol"], "month": timeline.month_starts(frame[date_column])})


def completeness_check(asset: dg.AssetsDefinition, table: str, date_column: str) -> dg.AssetChecksDefinition:
    """A blocking check that >= 85% of the universe's symbol × months have a row in ``table``."""

    @dg.asset_check(
        asset=asset,
        name=f"{table}_completeness",
        blocking=True,
        description=f"≥ 85% of universe symbol × months have a {table} row (critical below).",
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: dg.ResourceParam[Warehouse]
    ) -> dg.AssetCheckResult:
        frame, months = _read(context, warehouse, table)
        result = gates.completeness_gate(
            f"{table}_completeness", _present(frame, date_column), _expected(warehouse, months)
        )
        if "label" in frame.columns:  # rows exist before their forward window completes: say how many
            result.metrics["labels_not_yet_known"] = int(frame["label"].isna().sum())
        return check_result(result)

    return _check


raw_prices_completeness = completeness_check(raw_prices, "raw_prices", "date")
features_completeness = completeness_check(features, "features", "sample_date")
labels_completeness = completeness_check(labels, "labels", "sample_date")


@dg.asset_check(
    asset=features,
    name=FEATURES_MISSING_DATA,
    blocking=False,
    description="Share of NaN per feature; above 10% is a warning: does not block (some features are NaN "
    "by definition when nobody traded, and imputation belongs to the model).",
)
def features_missing_data(
    context: dg.AssetCheckExecutionContext, warehouse: dg.ResourceParam[Warehouse]
) -> dg.AssetCheckResult:
    frame, _ = _read(context, warehouse, "features")
    return check_result(gates.missing_data_gate(FEATURES_MISSING_DATA, frame, FEATURE_NAMES))


@dg.asset_check(
    asset=features,
    name=FEATURES_NO_LOOKAHEAD,
    blocking=True,
    description="Recomputes features for up to 3 sample months from raw data truncated at the "
    "sample date and from raw data with later publications added; both must equal the stored "
    "features (critical otherwise).",
)
def features_no_lookahead(
    context: dg.AssetCheckExecutionContext, warehouse: dg.ResourceParam[Warehouse]
) -> dg.AssetCheckResult:
    frame, months = _read(context, warehouse, "features")
    present = set(timeline.month_starts(frame["sample_date"]).unique())
    months = [m for m in months if m in present]
    if not months:
        return check_result(gates.GateResult(FEATURES_NO_LOOKAHEAD, gates.WARNING, "no features to check"))
    picks = sorted({months[0], months[len(months) // 2], months[-1]})[:LOOKAHEAD_MONTHS_CHECKED]
    context.log.info(f"no-lookahead: recomputing features for {', '.join(f'{m:%Y-%m}' for m in picks)}")
    stored, truncated, with_future, future_rows = sample_tables.lookahead_proof(warehouse, frame, picks)
    return check_result(
        gates.no_lookahead_gate(
            FEATURES_NO_LOOKAHEAD, stored, truncated, with_future, future_rows, FEATURE_NAMES
        )
    )


@dg.asset_check(
    asset=labels,
    name=LABELS_BALANCE,
    blocking=True,
    description="Share of positive labels: 30–70% passes; 5–30% or 70–95% is a warning: does not block "
    "(the model weights classes); below 5% or above 95% is critical and blocks.",
)
def labels_balance(
    context: dg.AssetCheckExecutionContext, warehouse: dg.ResourceParam[Warehouse]
) -> dg.AssetCheckResult:
    frame, _ = _read(context, warehouse, "labels")
    return check_result(gates.label_balance_gate(LABELS_BALANCE, frame["label"]))


checks = [
    *schema_checks,
    raw_prices_completeness,
    features_completeness,
    features_missing_data,
    features_no_lookahead,
    labels_completeness,
    labels_balance,
]
