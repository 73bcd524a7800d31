"""Data gates: every table's pandera schema, built from its declaration in :mod:`smart_money.tables`, and the
dataset rules (README: Data gates), as plain functions over DataFrames.

Each gate returns a :class:`GateResult` whose ``severity`` is one of three levels: ``PASSED`` (the gate
holds), ``WARNING`` (usable, look at it) and ``CRITICAL`` (the data must not be used; a blocking check
fails). ``defs/checks.py`` turns them into Dagster asset checks.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
from pandera.errors import SchemaError, SchemaErrors

from smart_money import tables

PASSED, WARNING, CRITICAL = "passed", "warning", "critical"
COMPLETENESS_MIN = 0.85
MISSING_MAX = 0.10
BALANCE_OK = (0.30, 0.70)
BALANCE_CRITICAL = (0.05, 0.95)
MAPPED_VALUE_MIN = 0.80  # share of a quarter's 13F value whose CUSIPs map to symbols


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
        return self.severity == PASSED


# ---- table schemas -----------------------------------------------------------------------------------------
RowRule = tuple[str, Callable[[pd.DataFrame], pd.Series]]

# Rules across the columns of a row, per table: (what must hold, a test that is True on every good row).
ROW_RULES: dict[str, tuple[RowRule, ...]] = {
    "raw_prices": (
        (
            "a price is known on its trading date: known_at must equal date",
            lambda d: d["known_at"] == d["date"],
        ),
    ),
    "raw_insider_trades": (
        (
            "a Form 4 is filed on or after its transaction: known_at >= transaction_date",
            lambda d: d["known_at"] >= d["transaction_date"],
        ),
    ),
    "raw_institutional_holdings": (
        (
            "a 13F is filed after its quarter ends: known_at > report_date",
            lambda d: d["known_at"] > d["report_date"],
        ),
        ("a closed position holds 0 shares", lambda d: ~d["is_closed_position"] | (d["shares"] == 0)),
    ),
    "raw_congress_trades": (
        (
            "a disclosure comes on or after the trade: known_at >= transaction_date",
            lambda d: d["known_at"] >= d["transaction_date"],
        ),
        ("amount_low <= amount_high", lambda d: ~(d["amount_low"] > d["amount_high"])),
    ),
    "synthetic_truth": (
        (
            "the sample date lies in its month",
            lambda d: d["sample_date"].dt.to_period("M") == d["month"].dt.to_period("M"),
        ),
    ),
    "labels": (
        (
            "the label's exit date comes after the sample date",
            lambda d: d["label_date"].isna() | (d["label_date"] > d["sample_date"]),
        ),
    ),
    "raw_option_prints": (
        (
            "a print is known at its time: known_at must equal ts (epoch ms)",
            lambda d: d["known_at"] == pd.to_datetime(d["ts"], unit="ms"),
        ),
        ("the NBBO is not crossed: ask >= bid", lambda d: d["ask"] >= d["bid"]),
    ),
    "raw_corporate_events": (
        (
            "a scheduled event is public on or before its date: known_at <= event_date",
            lambda d: d["known_at"] <= d["event_date"],
        ),
    ),
    "smart_money_events": (
        ("an event ends on or after its start: end_ts >= start_ts", lambda d: d["end_ts"] >= d["start_ts"]),
        ("an event is known once it has closed: known_at >= end_ts", lambda d: d["known_at"] >= d["end_ts"]),
        (
            "an event abstains exactly when it has no primary profile",
            lambda d: d["abstained"] == d["primary_profile_id"].isna(),
        ),
    ),
    "dataset_splits": (
        ("the label's exit date comes after the sample date", lambda d: d["label_date"] > d["sample_date"]),
    ),
}


def _is_utc(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.DatetimeTZDtype) and str(series.dtype.tz) == "UTC"


def _dtype(column: tables.Column) -> tuple[object, bool, list[pa.Check]]:
    """(pandera dtype, coerce, extra checks) for a column's Arrow type. Integer and boolean columns that may
    be null are read back from Parquet as float or object, so they are coerced to pandas' nullable types."""
    arrow = column.type
    if pyarrow.types.is_string(arrow):
        return str, False, []
    if pyarrow.types.is_timestamp(arrow):
        if arrow.tz is None:
            return pd.Timestamp, False, []
        return None, False, [pa.Check(_is_utc, error=f"{column.name} holds UTC timestamps")]
    if pyarrow.types.is_floating(arrow):
        return np.dtype(arrow.to_pandas_dtype()).name, False, []
    if pyarrow.types.is_integer(arrow):
        numpy_name = np.dtype(arrow.to_pandas_dtype()).name  # int8, int64
        return (numpy_name.capitalize(), True, []) if column.nullable else (numpy_name, False, [])
    if pyarrow.types.is_boolean(arrow):
        return ("boolean", True, []) if column.nullable else (bool, False, [])
    if pyarrow.types.is_list(arrow):
        return object, False, []
    raise TypeError(f"column {column.name}: no pandera dtype for Arrow type {arrow}")


def _column(column: tables.Column) -> pa.Column:
    dtype, coerce, checks = _dtype(column)
    if column.allowed is not None:
        checks.append(pa.Check.isin(list(column.allowed)))
    if column.ge is not None:
        checks.append(pa.Check.ge(column.ge))
    if column.gt is not None:
        checks.append(pa.Check.gt(column.gt))
    if column.le is not None:
        checks.append(pa.Check.le(column.le))
    if column.length is not None:
        checks.append(pa.Check.str_length(*column.length))
    if column.finite:
        checks.append(pa.Check(lambda s: ~np.isinf(s), error="finite or NaN"))
    return pa.Column(
        dtype, checks=checks, nullable=column.nullable, coerce=coerce, description=column.description
    )


def table_schema(table: str | tables.TableSpec) -> pa.DataFrameSchema:
    """The pandera schema of a warehouse table, from its :class:`~smart_money.tables.TableSpec`: every column
    with its dtype, nullability and allowed values or range, the unique key, and the table's row rules."""
    spec = tables.spec(table) if isinstance(table, str) else table
    rules = [pa.Check(test, error=error) for error, test in ROW_RULES.get(spec.name, ())]
    return pa.DataFrameSchema(
        {c.name: _column(c) for c in spec.column_specs},
        checks=rules,
        unique=list(spec.key) or None,
        name=spec.name,
    )


def schema_gate(
    name: str, frame: pd.DataFrame, schema: pa.DataFrameSchema | type[pa.DataFrameModel]
) -> GateResult:
    """Validate lazily (every failure, not the first) and keep the failure cases. ``schema`` is usually
    ``table_schema(table)``."""
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
    return GateResult(
        name, PASSED, f"{len(frame)} rows match the schema", {"rows": len(frame), "failures": 0}
    )


def completeness_gate(
    name: str, present: pd.DataFrame, expected: pd.DataFrame, minimum: float = COMPLETENESS_MIN
) -> GateResult:
    """Share of expected (symbol, month) pairs that have at least one row; below ``minimum`` is critical."""
    keys = ["symbol", "month"]
    expected = expected[keys].drop_duplicates()
    if expected.empty:
        return GateResult(name, PASSED, "no (symbol, month) rows expected in this window", {"expected": 0})
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
    severity = PASSED if ratio >= minimum else CRITICAL
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
        severity = PASSED
    elif BALANCE_CRITICAL[0] <= share <= BALANCE_CRITICAL[1]:
        severity = WARNING
    else:
        severity = CRITICAL
    summary = f"{share:.1%} positive labels (target 30–70%; below 5% or above 95% blocks)" + (
        "; accept the imbalance and weight the classes" if severity == WARNING else ""
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
    return GateResult(name, PASSED, f"every feature has at most {maximum:.0%} missing", metrics)


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
    return GateResult(
        name, PASSED, f"features identical with and without {future_rows} later records", metrics
    )


def mapped_value_gate(name: str, coverage: pd.DataFrame, minimum: float = MAPPED_VALUE_MIN) -> GateResult:
    """Per 13F quarter, the share of the reported share-position value (every filing read, options and
    principal amounts aside) whose CUSIP maps to a universe symbol; a quarter below ``minimum`` warns: either
    CUSIPs failed to map or the universe is a small part of what institutions hold. Nothing is wrong, but
    holdings are missing from the features. ``coverage`` has report_date, value_total, value_mapped."""
    if coverage.empty:
        return GateResult(name, WARNING, "no 13F value to measure", {"quarters": 0})
    table = coverage.assign(
        share_mapped=coverage["value_mapped"] / coverage["value_total"].where(coverage["value_total"] > 0)
    ).sort_values("report_date")
    low = table[table["share_mapped"].fillna(0.0) < minimum]
    worst = table.loc[table["share_mapped"].fillna(0.0).idxmin()]
    metrics = {
        "quarters": len(table),
        "quarters_below": len(low),
        "minimum": minimum,
        "worst": f"{pd.Timestamp(worst['report_date']):%Y-%m-%d} ({worst['share_mapped']:.1%})",
    }
    if len(low):
        summary = (
            f"{len(low)} of {len(table)} quarter(s) have less than {minimum:.0%} of 13F value mapped to "
            f"symbols (worst {metrics['worst']})"
        )
        return GateResult(name, WARNING, summary, metrics, low)
    return GateResult(name, PASSED, f"every quarter has at least {minimum:.0%} of 13F value mapped", metrics)


# ---- model group: the artifacts the report, the registry and serving rely on ------------------------------
def _bad_metrics(metrics: dict) -> list[str]:
    """Segment AUCs that are defined but not probabilities (undefined ones, null, are allowed: a segment
    with one class has none)."""
    bad = []
    for segment in ("validation", "test"):
        auc = (metrics.get(segment) or {}).get("auc")
        if auc is not None and not (isinstance(auc, (int, float)) and 0.0 <= auc <= 1.0):
            bad.append(f"{segment} AUC {auc!r} is not in [0, 1]")
    return bad


def model_artifact_gate(name: str, folder: str, error: str | None, metadata: dict | None) -> GateResult:
    """The saved model folder verifies (every file against the SHA-256 metadata.json records, the metadata
    complete) and its AUCs are probabilities; critical otherwise, since serving would refuse the model."""
    if error is not None:
        return GateResult(name, CRITICAL, error, {"model_path": folder})
    problems = _bad_metrics((metadata or {}).get("metrics", {}))
    metrics = {"model_path": folder, "files_verified": True}
    if problems:
        return GateResult(name, CRITICAL, "; ".join(problems), metrics)
    return GateResult(
        name, PASSED, f"{folder}: every file matches the SHA-256 metadata.json records", metrics
    )


def report_gate(
    name: str, version: str, report_html: str | None, scored_rows: int, stored_rows: int
) -> GateResult:
    """The report of ``version`` exists, names the version, and evaluation_scores holds exactly the scored
    rows behind it; critical otherwise."""
    problems = []
    if report_html is None:
        problems.append("report.html is missing")
    elif version not in report_html:
        problems.append(f"report.html does not name the model version {version}")
    if stored_rows != scored_rows:
        problems.append(
            f"evaluation_scores holds {stored_rows} rows for {version}, the model scored {scored_rows}"
        )
    metrics = {"scored_rows": scored_rows, "evaluation_scores_rows": stored_rows}
    if problems:
        return GateResult(name, CRITICAL, "; ".join(problems), metrics)
    return GateResult(name, PASSED, f"report of {version} written; {stored_rows} scored rows stored", metrics)


def _share(value) -> bool:
    return value is None or (isinstance(value, (int, float)) and 0.0 <= value <= 1.0)


def options_flow_evaluation_gate(name: str, result: dict | None, profiles: int) -> GateResult:
    """The options-flow evaluation adds up: the confusion matrix counts every event once, every
    (event, profile) pair falls in one calibration bin, and every rate is a share; critical otherwise.
    No evaluation (no simulated tape) passes: there is nothing to score."""
    if result is None:
        return GateResult(name, PASSED, "no simulated options tape: nothing to score")
    events = int(result["events"])
    confusion = sum(sum(row.values()) for row in result["confusion"].values())
    pairs = sum(int(b["pairs"]) for b in result["calibration"])
    problems = []
    if confusion != events:
        problems.append(f"the confusion matrix counts {confusion} events, the evaluation {events}")
    if pairs != events * profiles:
        problems.append(
            f"calibration bins hold {pairs} pairs, expected {events} events × {profiles} profiles"
        )
    rates = {"abstention_rate": result["abstention_rate"], "recall": result["profile_events_recall"]}
    for profile, figures in result["per_profile"].items():
        rates[f"{profile} precision"], rates[f"{profile} recall"] = figures["precision"], figures["recall"]
    for trap, figures in result["traps"].items():
        rates[f"{trap} false-positive rate"] = figures["false_positive_rate"]
    problems += [f"{label} {value!r} is not in [0, 1]" for label, value in rates.items() if not _share(value)]
    metrics = {"events": events, "confusion_events": confusion, "calibration_pairs": pairs}
    if problems:
        return GateResult(name, CRITICAL, "; ".join(problems), metrics)
    return GateResult(
        name, PASSED, f"{events} events: confusion and calibration account for every one", metrics
    )
