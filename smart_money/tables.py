"""Storage contract of every warehouse table: column names and Arrow types, in order.

Writers cast through these schemas so every partition of a table has identical types (an empty month
included), which keeps the DuckDB views stable. Semantics (allowed values, ranges) are checked by the pandera
gates in :mod:`smart_money.gates`.
"""

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

DATE = pa.timestamp("ms")


@dataclass(frozen=True)
class TableSpec:
    name: str
    grain: str
    columns: tuple[tuple[str, pa.DataType], ...]
    # Folder levels under data/parquet/<name>/ (``key=value``); () is one file for the whole table.
    partition_keys: tuple[str, ...] = ("month",)

    @property
    def column_names(self) -> list[str]:
        return [c for c, _ in self.columns]

    @property
    def schema(self) -> pa.Schema:
        return pa.schema(list(self.columns))

    def empty(self) -> pd.DataFrame:
        """A zero-row frame with this table's columns and pandas dtypes."""
        return self.schema.empty_table().to_pandas()


UNIVERSE = TableSpec(
    "universe",
    "one row per symbol per month (the view `universe` keeps the latest month)",
    (
        ("symbol", pa.string()),
        ("name", pa.string()),
        ("sector", pa.string()),
        ("shares_outstanding", pa.float64()),
        ("is_synthetic", pa.bool_()),
        ("as_of", DATE),
        ("source", pa.string()),
    ),
)

RAW_PRICES = TableSpec(
    "raw_prices",
    "one row per symbol × trading day",
    (
        ("symbol", pa.string()),
        ("date", DATE),
        ("close", pa.float64()),
        ("adj_close", pa.float64()),
        ("volume", pa.float64()),
        ("known_at", DATE),
        ("source", pa.string()),
    ),
)

RAW_INSIDER_TRADES = TableSpec(
    "raw_insider_trades",
    "one row per Form 4 transaction",
    (
        ("symbol", pa.string()),
        ("known_at", DATE),
        ("transaction_date", DATE),
        ("insider_id", pa.string()),
        ("insider_name", pa.string()),
        ("insider_role", pa.string()),
        ("is_c_suite", pa.bool_()),
        ("transaction_code", pa.string()),
        ("acquired_disposed", pa.string()),
        ("shares", pa.float64()),
        ("price", pa.float64()),
        ("shares_owned_after", pa.float64()),
        ("source", pa.string()),
    ),
)

RAW_INSTITUTIONAL_HOLDINGS = TableSpec(
    "raw_institutional_holdings",
    "one row per 13F filer × symbol × quarter",
    (
        ("symbol", pa.string()),
        ("known_at", DATE),
        ("report_date", DATE),
        ("filer_id", pa.string()),
        ("filer_name", pa.string()),
        ("is_hedge_fund", pa.bool_()),
        ("shares", pa.float64()),
        ("change_in_shares", pa.float64()),
        ("market_value", pa.float64()),
        ("is_new_position", pa.bool_()),
        ("is_closed_position", pa.bool_()),
        ("source", pa.string()),
    ),
)

RAW_CONGRESS_TRADES = TableSpec(
    "raw_congress_trades",
    "one row per reported congressional trade",
    (
        ("symbol", pa.string()),
        ("known_at", DATE),
        ("transaction_date", DATE),
        ("chamber", pa.string()),
        ("member", pa.string()),
        ("side", pa.string()),
        ("amount_low", pa.float64()),
        ("amount_high", pa.float64()),
        ("source", pa.string()),
    ),
)

RAW_ETF_HOLDINGS = TableSpec(
    "raw_etf_holdings",
    "one row per ETF × symbol × as-of date",
    (
        ("symbol", pa.string()),
        ("known_at", DATE),
        ("etf_symbol", pa.string()),
        ("shares", pa.float64()),
        ("weight", pa.float64()),
        ("market_value", pa.float64()),
        ("source", pa.string()),
    ),
)

SYNTHETIC_TRUTH = TableSpec(
    "synthetic_truth",
    "one row per symbol × month of the simulated market's hidden state (never a feature input)",
    (
        ("symbol", pa.string()),
        ("month", DATE),
        ("sample_date", DATE),
        ("news_value", pa.float64()),
        ("persistent_state", pa.float64()),
        ("news_created", DATE),
        ("volatility_regime", pa.float64()),
        ("expected_log_return_fwd", pa.float64()),
        ("true_probability", pa.float64()),
        ("source", pa.string()),
    ),
)

LABELS = TableSpec(
    "labels",
    "one row per symbol × sample date",
    (
        ("symbol", pa.string()),
        ("sample_date", DATE),
        ("label_date", DATE),
        ("price_at_sample", pa.float64()),
        ("price_after", pa.float64()),
        ("return_fwd", pa.float64()),
        ("excess_return_fwd", pa.float64()),
        ("label_return", pa.int8()),
        ("label_market_excess", pa.int8()),
        ("label_vol_scaled", pa.int8()),
        ("label_composite", pa.int8()),
        ("label_vol_spike", pa.int8()),
        ("label_drawdown", pa.int8()),
        ("label", pa.int8()),
        ("label_definition", pa.string()),
        ("source", pa.string()),
    ),
)


DATASET_SPLITS = TableSpec(
    "dataset_splits",
    "one row per labelled symbol × sample date of the last dataset_splits run",
    (
        ("symbol", pa.string()),
        ("sample_date", DATE),
        ("label_date", DATE),
        ("label", pa.int8()),
        ("segment", pa.string()),
        ("embargoed", pa.bool_()),
        ("split_method", pa.string()),
        ("leaky", pa.bool_()),
        ("source", pa.string()),
    ),
    partition_keys=(),
)

EVALUATION_SCORES = TableSpec(
    "evaluation_scores",
    "one row per model version × segment × symbol × sample date: the scored rows behind the report",
    (
        ("model_version", pa.string()),
        ("segment", pa.string()),
        ("symbol", pa.string()),
        ("sample_date", DATE),
        ("probability", pa.float64()),
        ("raw_score", pa.float64()),
        ("volatility_baseline", pa.float64()),
        ("volatility_raw", pa.float64()),
        ("logistic_baseline", pa.float64()),
        ("logistic_raw", pa.float64()),
        ("rules_score", pa.float64()),
        ("true_probability", pa.float64()),
        ("label", pa.int8()),
        ("return_fwd", pa.float64()),
        ("source", pa.string()),
    ),
    partition_keys=("model_version",),
)

MODEL_REGISTRY = TableSpec(
    "model_registry",
    "one row per trained model version",
    (
        ("model_version", pa.string()),
        ("created_at", pa.timestamp("ms", tz="UTC")),
        ("status", pa.string()),
        ("reason", pa.string()),
        ("label_definition", pa.string()),
        ("validation_auc", pa.float64()),
        ("volatility_validation_auc", pa.float64()),
        ("test_auc", pa.float64()),
        ("metrics", pa.string()),
        ("path", pa.string()),
        ("source", pa.string()),
    ),
    partition_keys=(),
)

PREDICTIONS = TableSpec(
    "predictions",
    "one row per symbol × sample date × model version",
    (
        ("symbol", pa.string()),
        ("sample_date", DATE),
        ("model_version", pa.string()),
        ("probability", pa.float64()),
        ("ml_score", pa.float64()),
        ("rules_score", pa.float64()),
        ("conviction_score", pa.float64()),
        ("rules_contribution", pa.float64()),
        ("ml_contribution", pa.float64()),
        ("confidence", pa.string()),
        ("predicted_conviction", pa.string()),
        ("insider_activity", pa.string()),
        ("institutional_flow", pa.string()),
        ("congressional_sentiment", pa.string()),
        ("hedge_fund_positioning", pa.string()),
        ("top_reasons", pa.string()),
        ("reason_codes", pa.string()),
        ("source", pa.string()),
    ),
    partition_keys=("model_version", "month"),
)

MODEL_TABLES = (DATASET_SPLITS, EVALUATION_SCORES, MODEL_REGISTRY, PREDICTIONS)

FEATURE_TOGGLE_AUDIT = TableSpec(
    "feature_toggle_audit",
    "one row per change of a feature toggle (the view `feature_toggles` keeps each feature's latest row)",
    (
        ("feature_id", pa.string()),
        ("changed_at", pa.timestamp("ms", tz="UTC")),
        ("actor", pa.string()),
        ("old_enabled", pa.bool_()),
        ("new_enabled", pa.bool_()),
        ("reason", pa.string()),
    ),
    partition_keys=(),
)

SERVING_TABLES = (FEATURE_TOGGLE_AUDIT,)

# ---- options flow (issue 6) ------------------------------------------------------------------------------
RAW_OPTION_PRINTS = TableSpec(
    "raw_option_prints",
    "one row per option print (child trade) with the NBBO, underlying quote and IV at the print",
    (
        ("print_id", pa.string()),
        ("symbol", pa.string()),
        ("ts", pa.int64()),
        ("known_at", DATE),
        ("expiry", DATE),
        ("strike", pa.float64()),
        ("option_type", pa.string()),
        ("price", pa.float64()),
        ("size", pa.int64()),
        ("venue", pa.string()),
        ("conditions", pa.string()),
        ("bid", pa.float64()),
        ("ask", pa.float64()),
        ("quote_age_ms", pa.int64()),
        ("underlying_bid", pa.float64()),
        ("underlying_ask", pa.float64()),
        ("underlying_last", pa.float64()),
        ("implied_volatility", pa.float64()),
        ("source", pa.string()),
    ),
)

RAW_CORPORATE_EVENTS = TableSpec(
    "raw_corporate_events",
    "one row per scheduled corporate event (earnings and others) per symbol, by the month of the event",
    (
        ("symbol", pa.string()),
        ("event_date", DATE),
        ("kind", pa.string()),
        ("known_at", DATE),
        ("eps_actual", pa.float64()),
        ("eps_estimated", pa.float64()),
        ("revenue_actual", pa.float64()),
        ("revenue_estimated", pa.float64()),
        ("source", pa.string()),
    ),
)

SYNTHETIC_FLOW_TRUTH = TableSpec(
    "synthetic_flow_truth",
    "one row per simulated option print: its scenario and true profile or trap (never read by the rules)",
    (
        ("print_id", pa.string()),
        ("scenario_id", pa.string()),
        ("truth", pa.string()),
        ("truth_kind", pa.string()),
        ("known_at", DATE),
        ("source", pa.string()),
    ),
)


def smart_money_events_spec() -> TableSpec:
    """Parent events with their typed features and the flat per-profile scores (month of the event's start).
    The catalog view adds ``profile_scores`` (a list of structs) and list versions of the reason columns."""
    from smart_money.options_flow.event_features import FEATURE_COLUMNS
    from smart_money.options_flow.tape import PROFILES

    bools = ("both_sides", "calls_and_puts")
    per_profile = [
        (f"{p}_{k}", pa.float64() if k == "probability" else pa.string())
        for p in PROFILES
        for k in ("probability", "confidence_band", "direction", "reasons")
    ]
    columns = [
        ("event_id", pa.string()),
        ("symbol", pa.string()),
        ("event_kind", pa.string()),
        ("member_print_ids", pa.list_(pa.string())),
        ("start_ts", DATE),
        ("end_ts", DATE),
        ("window_ms", pa.int64()),
        ("known_at", DATE),
        *[(name, pa.bool_() if name in bools else pa.float64()) for name in FEATURE_COLUMNS],
        *per_profile,
        ("primary_profile_id", pa.string()),
        ("primary_direction", pa.string()),
        ("primary_probability", pa.float64()),
        ("confidence_band", pa.string()),
        ("abstained", pa.bool_()),
        ("reasons", pa.string()),
        ("suppressed_reasons", pa.string()),
        ("structure_reasons", pa.string()),
        ("source", pa.string()),
    ]
    return TableSpec("smart_money_events", "one row per parent event of option prints", tuple(columns))


OPTIONS_FLOW_TABLES = (
    "raw_option_prints",
    "raw_corporate_events",
    "synthetic_flow_truth",
    "smart_money_events",
)


def features_spec() -> TableSpec:
    """The features table: keys, every catalog feature (float64), and the source."""
    from smart_money.features.catalog import FEATURE_NAMES

    columns = [("symbol", pa.string()), ("sample_date", DATE)]
    columns += [(name, pa.float64()) for name in FEATURE_NAMES]
    columns += [("source", pa.string())]
    return TableSpec("features", "one row per symbol × sample date", tuple(columns))


RAW_TABLES = (
    RAW_PRICES,
    RAW_INSIDER_TRADES,
    RAW_INSTITUTIONAL_HOLDINGS,
    RAW_CONGRESS_TRADES,
    RAW_ETF_HOLDINGS,
)


def spec(name: str) -> TableSpec:
    if name == "features":
        return features_spec()
    if name == "smart_money_events":
        return smart_money_events_spec()
    options_flow = (RAW_OPTION_PRINTS, RAW_CORPORATE_EVENTS, SYNTHETIC_FLOW_TRUTH)
    for table in (
        UNIVERSE,
        *RAW_TABLES,
        SYNTHETIC_TRUTH,
        LABELS,
        *MODEL_TABLES,
        *SERVING_TABLES,
        *options_flow,
    ):
        if table.name == name:
            return table
    raise KeyError(f"unknown warehouse table {name!r}")
