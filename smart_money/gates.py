"""Data gates: pandera schemas and the dataset rules of seed 002, as plain functions over DataFrames.

Each gate returns a :class:`GateResult` with a severity in the seed's validation-report terms:
``critical`` (the data must not be used; Dagster ERROR, blocking), ``warning`` (usable, look at it; WARN) and
``info`` (passed). ``defs/checks.py`` turns them into Dagster asset checks.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors
from pandera.typing import Series

CRITICAL, WARNING, INFO = "critical", "warning", "info"
INSIDER_ROLES = ["director", "officer", "ten_percent_owner", "other"]
COMPLETENESS_MIN = 0.85
MISSING_MAX = 0.10
BALANCE_OK = (0.30, 0.70)
BALANCE_CRITICAL = (0.05, 0.95)


@dataclass
class GateResult:
    """The outcome of one gate, ready to show a person."""

    name: str
    severity: str
    summary: str
    metrics: dict = field(default_factory=dict)
    failures: pd.DataFrame | None = None

    @property
    def passed(self) -> bool:
        return self.severity == INFO


class UniverseModel(pa.DataFrameModel):
    symbol: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 10})
    name: Series[str]
    sector: Series[str]
    shares_outstanding: Series[float] = pa.Field(gt=0, nullable=True)
    is_synthetic: Series[bool]
    as_of: Series[pd.Timestamp]
    source: Series[str]

    class Config:
        unique = ["symbol", "as_of"]


class RawPricesModel(pa.DataFrameModel):
    symbol: Series[str]
    date: Series[pd.Timestamp]
    close: Series[float] = pa.Field(gt=0)
    adj_close: Series[float] = pa.Field(gt=0)
    volume: Series[float] = pa.Field(ge=0, nullable=True)
    known_at: Series[pd.Timestamp]
    source: Series[str]

    class Config:
        unique = ["symbol", "date"]

    @pa.dataframe_check(error="a price is known on its trading date: known_at must equal date")
    def known_on_trading_day(cls, df: pd.DataFrame) -> Series[bool]:
        return df["known_at"] == df["date"]


class RawInsiderTradesModel(pa.DataFrameModel):
    symbol: Series[str]
    known_at: Series[pd.Timestamp]
    transaction_date: Series[pd.Timestamp]
    insider_id: Series[str]
    insider_name: Series[str]
    insider_role: Series[str] = pa.Field(isin=INSIDER_ROLES)
    is_c_suite: Series[bool]
    transaction_code: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 2})
    acquired_disposed: Series[str] = pa.Field(isin=["A", "D"])
    shares: Series[float] = pa.Field(ge=0)
    price: Series[float] = pa.Field(ge=0, nullable=True)
    shares_owned_after: Series[float] = pa.Field(ge=0, nullable=True)
    source: Series[str]

    @pa.dataframe_check(error="a Form 4 is filed on or after its transaction: known_at >= transaction_date")
    def filed_after_trade(cls, df: pd.DataFrame) -> Series[bool]:
        return df["known_at"] >= df["transaction_date"]


class RawInstitutionalHoldingsModel(pa.DataFrameModel):
    symbol: Series[str]
    known_at: Series[pd.Timestamp]
    report_date: Series[pd.Timestamp]
    filer_id: Series[str]
    filer_name: Series[str]
    is_hedge_fund: Series[bool]
    shares: Series[float] = pa.Field(ge=0)
    change_in_shares: Series[float] = pa.Field(nullable=True)
    market_value: Series[float] = pa.Field(ge=0, nullable=True)
    is_new_position: Series[bool]
    is_closed_position: Series[bool]
    source: Series[str]

    class Config:
        unique = ["filer_id", "symbol", "report_date"]

    @pa.dataframe_check(error="a 13F is filed after its quarter ends: known_at > report_date")
    def filed_after_quarter(cls, df: pd.DataFrame) -> Series[bool]:
        return df["known_at"] > df["report_date"]

    @pa.dataframe_check(error="a closed position holds 0 shares")
    def closed_is_zero(cls, df: pd.DataFrame) -> Series[bool]:
        return ~df["is_closed_position"] | (df["shares"] == 0)


class RawCongressTradesModel(pa.DataFrameModel):
    symbol: Series[str]
    known_at: Series[pd.Timestamp]
    transaction_date: Series[pd.Timestamp]
    chamber: Series[str] = pa.Field(isin=["house", "senate"])
    member: Series[str]
    side: Series[str] = pa.Field(isin=["buy", "sell"])
    amount_low: Series[float] = pa.Field(ge=0, nullable=True)
    amount_high: Series[float] = pa.Field(ge=0, nullable=True)
    source: Series[str]

    @pa.dataframe_check(error="a disclosure comes on or after the trade: known_at >= transaction_date")
    def disclosed_after_trade(cls, df: pd.DataFrame) -> Series[bool]:
        return df["known_at"] >= df["transaction_date"]

    @pa.dataframe_check(error="amount_low <= amount_high")
    def amount_band_ordered(cls, df: pd.DataFrame) -> Series[bool]:
        return ~(df["amount_low"] > df["amount_high"])


class RawEtfHoldingsModel(pa.DataFrameModel):
    symbol: Series[str]
    known_at: Series[pd.Timestamp]
    etf_symbol: Series[str]
    shares: Series[float] = pa.Field(ge=0)
    weight: Series[float] = pa.Field(ge=0, le=1, nullable=True)
    market_value: Series[float] = pa.Field(ge=0, nullable=True)
    source: Series[str]

    class Config:
        unique = ["etf_symbol", "symbol", "known_at"]


class LabelsModel(pa.DataFrameModel):
    symbol: Series[str]
    sample_date: Series[pd.Timestamp]
    price_at_sample: Series[float] = pa.Field(gt=0, nullable=True)
    price_after: Series[float] = pa.Field(gt=0, nullable=True)
    return_fwd: Series[float] = pa.Field(gt=-1, nullable=True)
    label: Series[pd.Int8Dtype] = pa.Field(isin=[0, 1], nullable=True)
    label_definition: Series[str]

    class Config:
        unique = ["symbol", "sample_date"]

    @pa.dataframe_check(error="the label's exit date comes after the sample date")
    def exit_after_sample(cls, df: pd.DataFrame) -> Series[bool]:
        return df["label_date"].isna() | (df["label_date"] > df["sample_date"])


RATIO_FEATURES = (
    "insider_buy_ratio_30d",
    "c_suite_activity_ratio",
    "inst_concentration_top10",
    "etf_concentration",
    "congress_recent_activity_7d",
)
COUNT_FEATURES = (
    "insider_cluster_score",
    "inst_new_positions_count",
    "inst_closed_positions_count",
    "congress_buy_count_90d",
    "congress_sell_count_90d",
    "hedgefund_new_entry_count",
    "hedgefund_exit_count",
    "insider_opportunistic_buy_count_30d",
    "insider_routine_buy_count_30d",
    "insider_cluster_buy_count_30d",
)


def features_schema(feature_names: list[str]) -> pa.DataFrameSchema:
    """Schema of the features table: keys unique, every feature float, ratios in [0, 1], counts >= 0."""
    columns = {"symbol": pa.Column(str), "sample_date": pa.Column("datetime64[ns]", coerce=True)}
    for name in feature_names:
        checks = []
        if name in RATIO_FEATURES:
            checks.append(pa.Check.in_range(0, 1))
        elif name in COUNT_FEATURES:
            checks.append(pa.Check.ge(0))
        checks.append(pa.Check(lambda s: ~np.isinf(s), error="finite or NaN"))
        columns[name] = pa.Column(float, checks=checks, nullable=True)
    return pa.DataFrameSchema(columns, unique=["symbol", "sample_date"], name="features")


def schema_gate(
    name: str, frame: pd.DataFrame, schema: pa.DataFrameSchema | type[pa.DataFrameModel]
) -> GateResult:
    """Validate lazily (every failure, not the first) and keep the failure cases."""
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as exc:
        cases = exc.failure_cases
        cols = [
            c for c in ("schema_context", "column", "check", "failure_case", "index") if c in cases.columns
        ]
        cases = cases[cols]
        return GateResult(
            name,
            CRITICAL,
            f"{len(cases)} schema failure(s) in {len(frame)} rows",
            {"rows": len(frame), "failures": len(cases)},
            cases,
        )
    except SchemaError as exc:  # raised for frame-level problems even in lazy mode
        return GateResult(name, CRITICAL, f"schema error: {exc}", {"rows": len(frame), "failures": 1})
    return GateResult(name, INFO, f"{len(frame)} rows match the schema", {"rows": len(frame), "failures": 0})


def completeness_gate(
    name: str, present: pd.DataFrame, expected: pd.DataFrame, minimum: float = COMPLETENESS_MIN
) -> GateResult:
    """Share of expected (symbol, month) pairs that have at least one row; below ``minimum`` is critical."""
    keys = ["symbol", "month"]
    expected = expected[keys].drop_duplicates()
    if expected.empty:
        return GateResult(name, INFO, "no (symbol, month) rows expected in this window", {"expected": 0})
    have = present[keys].drop_duplicates().assign(_present=True)
    merged = expected.merge(have, on=keys, how="left")
    found = merged["_present"].fillna(False).astype(bool)
    ratio = float(found.mean())
    missing = merged.loc[~found, keys].sort_values(keys)
    by_month = merged.assign(found=found).groupby("month")["found"].mean()
    metrics = {
        "expected": len(expected),
        "present": int(found.sum()),
        "completeness": round(ratio, 4),
        "minimum": minimum,
        "worst_month": f"{by_month.idxmin():%Y-%m} ({by_month.min():.1%})",
    }
    severity = INFO if ratio >= minimum else CRITICAL
    summary = f"{ratio:.1%} of expected symbol × month rows present (minimum {minimum:.0%})"
    return GateResult(name, severity, summary, metrics, missing if len(missing) else None)


def label_balance_gate(name: str, labels: pd.Series) -> GateResult:
    """Share of positive labels: 30–70% passes; 5–30% or 70–95% warns (weight classes); beyond is critical."""
    known = labels.dropna()
    if known.empty:
        return GateResult(name, WARNING, "no known labels yet (forward windows not complete)", {"known": 0})
    share = float(known.astype(float).mean())
    metrics = {"known": len(known), "unknown": int(labels.isna().sum()), "positive_share": round(share, 4)}
    if BALANCE_OK[0] <= share <= BALANCE_OK[1]:
        severity = INFO
    elif BALANCE_CRITICAL[0] <= share <= BALANCE_CRITICAL[1]:
        severity = WARNING
    else:
        severity = CRITICAL
    summary = f"{share:.1%} positive labels (seed target 30–70%; below 5% or above 95% blocks)" + (
        "; accept the imbalance and weight classes, as the seed says" if severity == WARNING else ""
    )
    return GateResult(name, severity, summary, metrics)


def missing_data_gate(
    name: str, frame: pd.DataFrame, columns: list[str], maximum: float = MISSING_MAX
) -> GateResult:
    """Share of NaN per feature; any feature above ``maximum`` warns (imputation belongs to the model)."""
    if frame.empty:
        return GateResult(name, WARNING, "no rows to measure", {"rows": 0})
    rates = frame[columns].isna().mean().sort_values(ascending=False)
    over = rates[rates > maximum]
    table = rates.rename("missing_share").reset_index().rename(columns={"index": "feature"})
    metrics = {
        "rows": len(frame),
        "features_over_limit": len(over),
        "maximum": maximum,
        "worst": f"{rates.index[0]} ({rates.iloc[0]:.1%})",
    }
    if len(over):
        summary = f"{len(over)} of {len(columns)} features have more than {maximum:.0%} missing"
        return GateResult(name, WARNING, summary, metrics, table[table["missing_share"] > maximum])
    return GateResult(name, INFO, f"every feature has at most {maximum:.0%} missing", metrics)


def no_lookahead_gate(
    name: str,
    stored: pd.DataFrame,
    truncated: pd.DataFrame,
    with_future: pd.DataFrame,
    future_rows: int,
    feature_names: list[str],
) -> GateResult:
    """Prove from the data that no feature used a record published after its sample date.

    ``truncated`` was recomputed from raw rows with ``known_at <= t`` only and ``with_future`` from raw rows
    that also include later publications; both must equal the stored features. ``future_rows`` counts the
    later records that were offered, so a pass is not vacuous.
    """
    keys = ["symbol", "sample_date"]
    differences = []
    for label, other in (("truncated at t", truncated), ("with later records", with_future)):
        merged = stored[keys + feature_names].merge(
            other[keys + feature_names], on=keys, how="outer", suffixes=("", "__re"), indicator=True
        )
        if (merged["_merge"] != "both").any():
            differences.append(
                pd.DataFrame(
                    {
                        "comparison": [label],
                        "feature": ["(rows)"],
                        "symbol": ["(row sets differ)"],
                        "sample_date": [pd.NaT],
                    }
                )
            )
            continue
        for feature in feature_names:
            a, b = merged[feature].to_numpy(float), merged[f"{feature}__re"].to_numpy(float)
            same = np.isclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True)
            if not same.all():
                bad = merged.loc[~same, keys].assign(comparison=label, feature=feature)
                differences.append(bad)
    dates = sorted(pd.to_datetime(stored["sample_date"]).unique())
    metrics = {
        "sample_dates_checked": ", ".join(f"{d:%Y-%m-%d}" for d in dates),
        "rows_checked": len(stored),
        "later_records_offered": future_rows,
    }
    if differences:
        failures = pd.concat(differences, ignore_index=True)
        return GateResult(
            name,
            CRITICAL,
            f"{len(failures)} feature values change when records published after "
            "the sample date are removed or added: look-ahead leak",
            metrics,
            failures,
        )
    if future_rows == 0:
        return GateResult(
            name,
            WARNING,
            "no records published after the checked sample dates exist yet, so "
            "look-ahead could not be tested",
            metrics,
        )
    return GateResult(name, INFO, f"features identical with and without {future_rows} later records", metrics)
