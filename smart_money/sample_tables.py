"""The sample tables, ``features`` and ``labels`` (one row per symbol × sample date), assembled from the
warehouse's raw partitions.

Plain functions (no Dagster) so they can be called from assets, checks, notebooks and tests alike.
"""

from collections.abc import Callable, Sequence

import pandas as pd

from smart_money import settings, timeline
from smart_money.features import catalog
from smart_money.features.build import RawFrames, build_features
from smart_money.labels import LabelConfig, build_labels
from smart_money.warehouse import Warehouse, WarehouseError

FEATURE_NAMES = list(catalog.FEATURE_NAMES)

RAW_TABLE_FIELDS = {
    "raw_insider_trades": "insider_trades",
    "raw_institutional_holdings": "institutional_holdings",
    "raw_congress_trades": "congress_trades",
    "raw_etf_holdings": "etf_holdings",
    "raw_prices": "prices",
}
Log = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def sample_grid(warehouse: Warehouse, months: Sequence[pd.Timestamp]) -> pd.DataFrame:
    """One row per universe symbol × sample month: symbol, sample_date, month, sector, shares_outstanding."""
    months = [timeline.month_start(m) for m in months]
    universe = warehouse.read_months("universe", months, require=True)
    dates = dict(zip(months, timeline.sample_dates(months), strict=True))
    grid = universe.assign(month=timeline.month_starts(universe["as_of"]))
    grid["sample_date"] = grid["month"].map(dates)
    cols = ["symbol", "sample_date", "month", "sector", "shares_outstanding", "source"]
    return grid[cols].sort_values(["sample_date", "symbol"]).reset_index(drop=True)


def load_raw(
    warehouse: Warehouse,
    first_month: pd.Timestamp,
    last_month: pd.Timestamp,
    tables: Sequence[str] = tuple(RAW_TABLE_FIELDS),
) -> RawFrames:
    """Raw partitions (by month of ``known_at``) from ``first_month`` to ``last_month`` inclusive."""
    history_start = timeline.month_start(settings.first_month())
    months = timeline.months_between(max(timeline.month_start(first_month), history_start), last_month)
    frames = {}
    for table, field in RAW_TABLE_FIELDS.items():
        frames[field] = (
            warehouse.read_months(table, months, require=True)
            if table in tables
            else warehouse.read_months(table, [])
        )
    frames["options_events"] = options_events(warehouse, first_month, last_month)
    return RawFrames(**frames)


def options_events(warehouse: Warehouse, first_month: pd.Timestamp, last_month: pd.Timestamp):
    """The months of ``smart_money_events`` the options-flow features need (30 days back), or an empty
    frame when the options flow is off (``SMART_MONEY_OPTIONS_FLOW``) or has never been materialized."""
    columns = ["symbol", "known_at", "primary_profile_id", "primary_direction", "premium", "abstained"]
    empty = warehouse.read_months("smart_money_events", [])[columns]
    if not settings.options_flow_features():
        return empty
    available = set(warehouse.existing_months("smart_money_events"))
    # load_raw is asked from the features' look-back start: the events need one month before the sample
    first = timeline.month_start(first_month) + pd.DateOffset(months=timeline.FEATURE_LOOKBACK_MONTHS - 1)
    wanted = [m for m in timeline.months_between(first, last_month) if m in available]
    if not wanted:
        return empty
    return warehouse.read_months("smart_money_events", wanted)[columns]


def feature_lookback_start(month: pd.Timestamp) -> pd.Timestamp:
    """First raw month a feature for ``month`` may need (see ``timeline.FEATURE_LOOKBACK_MONTHS``)."""
    return timeline.month_start(month) - pd.DateOffset(months=timeline.FEATURE_LOOKBACK_MONTHS)


def build_feature_table(
    warehouse: Warehouse, months: Sequence[pd.Timestamp], log: Log = _quiet
) -> pd.DataFrame:
    """Features for every universe symbol at the sample date of each month (point in time)."""
    months = sorted(timeline.month_start(m) for m in months)
    grid = sample_grid(warehouse, months)
    log(f"features: {len(grid)} symbol × sample-date rows over {len(months)} month(s)")
    raw = load_raw(warehouse, feature_lookback_start(months[0]), months[-1])
    log("features: raw rows read: " + ", ".join(f"{k}={len(v)}" for k, v in vars(raw).items()))
    return features_for(grid, raw)


def features_for(grid: pd.DataFrame, raw: RawFrames) -> pd.DataFrame:
    """Features for the ``grid``'s symbol × sample-date rows from the raw frames given (no warehouse)."""
    features = build_features(grid[["symbol", "sample_date", "shares_outstanding"]], raw)
    features = features.merge(
        grid[["symbol", "sample_date", "source"]], on=["symbol", "sample_date"], how="left"
    )
    return features[["symbol", "sample_date", *FEATURE_NAMES, "source"]]


def build_label_table(
    warehouse: Warehouse,
    months: Sequence[pd.Timestamp],
    config: LabelConfig | None = None,
    features: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Labels for every universe symbol at the sample date of each month, from prices after that date."""
    months = sorted(timeline.month_start(m) for m in months)
    grid = sample_grid(warehouse, months)
    first = months[0] - pd.DateOffset(months=timeline.LABEL_LOOKBACK_MONTHS)
    available = set(warehouse.existing_months("raw_prices"))
    last = months[-1] + pd.DateOffset(months=timeline.LABEL_LOOKAHEAD_MONTHS)
    wanted = [
        m for m in timeline.months_between(max(first, timeline.month_start(settings.first_month())), last)
    ]
    missing_past = [m for m in wanted if m <= months[-1] and m not in available]
    if missing_past:
        raise WarehouseError(
            f"labels: raw_prices for {missing_past[0]:%Y-%m} is not materialized; "
            "materialize raw_prices first"
        )
    prices = warehouse.read_months("raw_prices", [m for m in wanted if m in available])
    labels = build_labels(grid, prices, features, config)
    labels = labels.merge(grid[["symbol", "sample_date", "source"]], on=["symbol", "sample_date"], how="left")
    return labels


def lookahead_proof(
    warehouse: Warehouse, stored: pd.DataFrame, months: Sequence[pd.Timestamp], future_days: int = 120
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int]:
    """Recompute stored features for ``months`` twice: from raw truncated at each sample date, and from raw
    that also holds up to ``future_days`` of later publications. Returns (stored subset, truncated,
    with_future, number of later records offered)."""
    stored_parts, truncated_parts, future_parts, future_rows = [], [], [], 0
    available = set(warehouse.existing_months("raw_prices"))
    for month in sorted(timeline.month_start(m) for m in months):
        grid = sample_grid(warehouse, [month])
        t = grid["sample_date"].iloc[0] if len(grid) else timeline.sample_date(month)
        horizon = timeline.month_start(t + pd.Timedelta(days=future_days))
        last = max(m for m in [month, *[m for m in available if month < m <= horizon]])
        raw = load_raw(warehouse, feature_lookback_start(month), last)
        cut = RawFrames(**{k: v[v["known_at"] <= t] for k, v in vars(raw).items()})
        later = {
            k: v[(v["known_at"] > t) & (v["known_at"] <= t + pd.Timedelta(days=future_days))]
            for k, v in vars(raw).items()
        }
        future_rows += sum(len(v) for v in later.values())
        offered = RawFrames(**{k: pd.concat([vars(cut)[k], later[k]], ignore_index=True) for k in later})
        stored_parts.append(stored[pd.to_datetime(stored["sample_date"]) == t])
        truncated_parts.append(features_for(grid, cut))
        future_parts.append(features_for(grid, offered))
    return (
        pd.concat(stored_parts, ignore_index=True),
        pd.concat(truncated_parts, ignore_index=True),
        pd.concat(future_parts, ignore_index=True),
        future_rows,
    )
