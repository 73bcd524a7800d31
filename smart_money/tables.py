"""The one declaration of every warehouse table: each column's name, Arrow type, meaning, nullability and
allowed values, the table's unique key, its grain and its partition layout.

Writers cast through ``spec.schema`` so every partition of a table has identical types (an empty month
included), which keeps the DuckDB views stable. :func:`smart_money.gates.table_schema` builds each table's
pandera schema from its spec, and the feature families read their input columns' types from here. Feature
columns come from ``features/catalog.py`` and the options-flow names from ``options_flow/contracts.py``;
neither imports this module, so there is no import cycle.
"""

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from smart_money.features import catalog
from smart_money.options_flow import contracts

DATE = pa.timestamp("ms")
UTC_TIME = pa.timestamp("ms", tz="UTC")
STRING = pa.string()
FLOAT = pa.float64()
BOOL = pa.bool_()
INT8 = pa.int8()
INT64 = pa.int64()

INSIDER_ROLES = ("director", "officer", "ten_percent_owner", "other")
# SEC ownership forms: Forms 3, 4, 5 and their amendments.
OWNERSHIP_FORMS = ("3", "3/A", "4", "4/A", "5", "5/A")
BINARY = (0, 1)
SPLIT_SEGMENTS = ("train", "validation", "test")
SPLIT_METHODS = ("time", "segments", "stratified_random")
MODEL_STATUSES = ("production", "candidate", "retired")
CONFIDENCE_LEVELS = ("HIGH", "MEDIUM", "LOW")
CONVICTIONS = ("BULLISH", "BEARISH")
CORPORATE_EVENT_KINDS = ("earnings", "scheduled_event")


@dataclass(frozen=True)
class Column:
    """One column: name, Arrow type, what a value means (units, which date), and the values it may hold.

    ``allowed`` lists the only values a non-null cell may take; ``ge``/``gt``/``le`` bound a number;
    ``length`` bounds a text's length (min, max); ``finite`` refuses ±inf (NaN stays "missing").
    """

    name: str
    type: pa.DataType
    description: str
    nullable: bool = False
    allowed: tuple | None = None
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    length: tuple[int, int] | None = None
    finite: bool = False


@dataclass(frozen=True)
class TableSpec:
    name: str
    grain: str
    column_specs: tuple[Column, ...]
    # Columns whose values identify a row (unique together); () when a row has no natural key.
    key: tuple[str, ...] = ()
    # Folder levels under data/parquet/<name>/ (``key=value``); () is one file for the whole table.
    partition_keys: tuple[str, ...] = ("month",)

    def __post_init__(self) -> None:
        names = self.column_names
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name}: a column is declared twice in {names}")
        unknown = [k for k in self.key if k not in names]
        if unknown:
            raise ValueError(f"table {self.name}: key columns {unknown} are not columns of the table")

    @property
    def columns(self) -> tuple[tuple[str, pa.DataType], ...]:
        """(name, Arrow type) pairs, in table order."""
        return tuple((c.name, c.type) for c in self.column_specs)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.column_specs]

    @property
    def descriptions(self) -> dict[str, str]:
        """Column name -> its one-line meaning."""
        return {c.name: c.description for c in self.column_specs}

    @property
    def schema(self) -> pa.Schema:
        return pa.schema(list(self.columns))

    def column(self, name: str) -> Column:
        for column in self.column_specs:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name} has no column {name!r}; its columns are {self.column_names}")

    def empty(self) -> pd.DataFrame:
        """A zero-row frame with this table's columns and pandas dtypes."""
        return self.schema.empty_table().to_pandas()


SOURCE = Column(
    "source",
    STRING,
    "the source that produced the row: synthetic, fmp, sec, file (imported from a file: prices, Congress "
    "trades, option prints)",
)
SYMBOL = Column("symbol", STRING, "ticker of the stock")
_SEC_ONLY = "sec; null for other sources"

# ---- universe and raw disclosures --------------------------------------------------------------------------
UNIVERSE = TableSpec(
    "universe",
    "one row per symbol per month (the view `universe` keeps the latest month)",
    (
        Column("symbol", STRING, "ticker of the stock", length=(1, 10)),
        Column("name", STRING, "company name"),
        Column("sector", STRING, "GICS sector name ('Unknown' when the source has none)"),
        Column(
            "shares_outstanding", FLOAT, "shares outstanding at as_of (the denominator of ratios)", True, gt=0
        ),
        Column("is_synthetic", BOOL, "true for the simulated market's made-up companies"),
        Column(
            "as_of", DATE, "the date the row describes; its month is the partition (synthetic: the first day)"
        ),
        SOURCE,
        Column(
            "cik", STRING, f"the issuer's SEC CIK, 10 digits zero-padded ({_SEC_ONLY})", True, length=(10, 10)
        ),
    ),
    key=("symbol", "as_of"),
)

RAW_PRICES = TableSpec(
    "raw_prices",
    "one row per symbol × trading day",
    (
        SYMBOL,
        Column("date", DATE, "the trading day"),
        Column("close", FLOAT, "closing price, dollars", gt=0),
        Column("adj_close", FLOAT, "close adjusted for splits and dividends, dollars", gt=0),
        Column("volume", FLOAT, "shares traded that day", True, ge=0),
        Column("known_at", DATE, "known_at: the date the price became public (the trading day)"),
        SOURCE,
    ),
    key=("symbol", "date"),
)

# The columns of the filing behind an insider trade, as the SEC source normalizes it
# (sources/sec/normalize.py); every one may be null, since the other sources know some or none of them.
FILING_COLUMNS: tuple[Column, ...] = (
    Column(
        "issuer_cik",
        STRING,
        "the issuer's SEC CIK, 10 digits zero-padded (sec; fmp where its payload has companyCik)",
        True,
        length=(10, 10),
    ),
    Column(
        "accession_number",
        STRING,
        "the EDGAR accession number of the filing; an amendment replaces the rows of the filing it amends "
        "(sec; fmp where its link names it; null for synthetic rows, which are never replaced)",
        True,
    ),
    Column(
        "acceptance_time",
        UTC_TIME,
        "when EDGAR accepted the filing (UTC; SEC headers give Eastern time; NaT where unknown; "
        f"{_SEC_ONLY})",
        True,
    ),
    Column(
        "form_type",
        STRING,
        "3, 3/A, 4, 4/A, 5 or 5/A (sec; fmp: its formType; synthetic: 4)",
        True,
        allowed=OWNERSHIP_FORMS,
    ),
    Column(
        "is_amendment",
        BOOL,
        "true for 3/A, 4/A, 5/A: public on its own known_at, from which it replaces the original "
        "(sec; fmp from its formType; synthetic: false)",
        True,
    ),
    Column(
        "aff10b5one",
        BOOL,
        f"the Rule 10b5-1 plan box (schema X0407+); null where not reported ({_SEC_ONLY})",
        True,
    ),
    Column(
        "direct_or_indirect",
        STRING,
        "D: held directly, I: indirectly (sec; fmp: its directOrIndirect)",
        True,
        allowed=("D", "I"),
    ),
    Column(
        "security_title",
        STRING,
        "the title of the security as filed (sec; fmp: its securityName)",
        True,
    ),
    Column(
        "is_derivative",
        BOOL,
        "true for a Table II (derivative) transaction; features read the others (sec; synthetic: false; "
        "null for fmp, which does not say)",
        True,
    ),
    Column(
        "other_owner_ciks",
        STRING,
        "CIKs of the document's other reporting owners, comma-separated in filed order ('' when none; "
        f"{_SEC_ONLY})",
        True,
    ),
    Column(
        "period_of_report",
        DATE,
        f"the filing's period of report (not a public date; {_SEC_ONLY})",
        True,
    ),
    Column(
        "date_of_original_submission",
        DATE,
        f"for an amendment, the filing date of the filing it amends (as filed; {_SEC_ONLY})",
        True,
    ),
)
FILING_COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in FILING_COLUMNS)

RAW_INSIDER_TRADES = TableSpec(
    "raw_insider_trades",
    "one row per Form 4 transaction",
    (
        SYMBOL,
        Column("known_at", DATE, "known_at: the date the record became public (Form 4: the filing date)"),
        Column("transaction_date", DATE, "the date the insider traded"),
        Column("insider_id", STRING, "the reporting owner's id (SEC CIK or the source's id)"),
        Column("insider_name", STRING, "the reporting owner's name"),
        Column("insider_role", STRING, "the owner's relation to the company", allowed=INSIDER_ROLES),
        Column("is_c_suite", BOOL, "true when the officer title is chief executive, financial, operating …"),
        Column(
            "transaction_code",
            STRING,
            "Form 4 transaction code: P open-market purchase, S sale, A award, M exercise, F tax, G gift …",
            length=(1, 2),
        ),
        Column("acquired_disposed", STRING, "A: shares acquired, D: disposed", allowed=("A", "D")),
        Column("shares", FLOAT, "shares in the transaction", ge=0),
        Column("price", FLOAT, "price per share, dollars", True, ge=0),
        Column("shares_owned_after", FLOAT, "shares the owner holds after the transaction", True, ge=0),
        SOURCE,
        *FILING_COLUMNS,
    ),
)

# The filing behind a 13F or N-PORT holding, as the SEC source reads it; null for the other sources.
HOLDING_FILING_COLUMNS: tuple[Column, ...] = (
    Column("cusip", STRING, "the security's CUSIP as filed, 9 characters (sec)", True, length=(9, 9)),
    Column("accession_number", STRING, "the EDGAR accession number of the filing (sec)", True),
    Column(
        "form_type",
        STRING,
        "13F-HR, 13F-HR/A, NPORT-P or NPORT-P/A (sec)",
        True,
        allowed=("13F-HR", "13F-HR/A", "NPORT-P", "NPORT-P/A"),
    ),
)

RAW_INSTITUTIONAL_HOLDINGS = TableSpec(
    "raw_institutional_holdings",
    "one row per 13F filing × symbol × put_call (sec: every version kept; synthetic/FMP: filer × symbol × "
    "quarter)",
    (
        SYMBOL,
        Column("known_at", DATE, "known_at: the date the record became public (13F: the filing date)"),
        Column("report_date", DATE, "the quarter end the holding is reported for"),
        Column("filer_id", STRING, "the 13F filer's id (SEC CIK or the source's id)"),
        Column("filer_name", STRING, "the 13F filer's name"),
        Column("is_hedge_fund", BOOL, "true when the filer is a hedge-fund manager"),
        Column(
            "shares",
            FLOAT,
            "shares held at the quarter end (0 for a closed or, sec, withdrawn position)",
            ge=0,
        ),
        Column(
            "change_in_shares",
            FLOAT,
            "shares held minus the filer's previous quarter (NaN when that quarter is unknown: sec)",
            True,
        ),
        Column("market_value", FLOAT, "value of the position at the quarter end, dollars", True, ge=0),
        Column("is_new_position", BOOL, "true when the filer held none the previous quarter"),
        Column("is_closed_position", BOOL, "true when the filer sold the whole position this quarter"),
        SOURCE,
        *HOLDING_FILING_COLUMNS,
        Column(
            "put_call",
            STRING,
            "PUT or CALL for an option line (sec); null for shares. Share counts of features exclude options",
            True,
            allowed=("PUT", "CALL"),
        ),
        Column(
            "amendment_type",
            STRING,
            "for a 13F-HR/A: RESTATEMENT (replaces the filer's quarter from known_at) or NEW HOLDINGS "
            "(adds to it); null otherwise (sec)",
            True,
            allowed=("RESTATEMENT", "NEW HOLDINGS"),
        ),
    ),
    key=("filer_id", "symbol", "report_date", "put_call", "accession_number"),
)

RAW_CONGRESS_TRADES = TableSpec(
    "raw_congress_trades",
    "one row per reported congressional trade",
    (
        SYMBOL,
        Column(
            "known_at",
            DATE,
            "known_at: the date the record became public (the disclosure date; House: the Clerk's filing "
            "date)",
        ),
        Column("transaction_date", DATE, "the date the member traded"),
        Column("chamber", STRING, "house or senate", allowed=("house", "senate")),
        Column("member", STRING, "the member of Congress"),
        Column("side", STRING, "buy or sell", allowed=("buy", "sell")),
        Column("amount_low", FLOAT, "low end of the disclosed amount band, dollars", True, ge=0),
        Column("amount_high", FLOAT, "high end of the disclosed amount band, dollars", True, ge=0),
        SOURCE,
    ),
)

RAW_ETF_HOLDINGS = TableSpec(
    "raw_etf_holdings",
    "one row per ETF × symbol × as-of date",
    (
        SYMBOL,
        Column(
            "known_at",
            DATE,
            "known_at: the date the record became public (sec: the N-PORT filing date; others: the holdings "
            "snapshot's as-of date or later)",
        ),
        Column("etf_symbol", STRING, "ticker of the ETF"),
        Column("shares", FLOAT, "shares of the stock the ETF holds", ge=0),
        Column("weight", FLOAT, "the holding's share of the ETF's assets, 0-1", True, ge=0, le=1),
        Column("market_value", FLOAT, "value of the holding, dollars", True, ge=0),
        SOURCE,
        *HOLDING_FILING_COLUMNS,
        Column(
            "report_date",
            DATE,
            "the date the holdings are reported as of (sec: N-PORT's report date; file: the holdings file's "
            "as-of date); null otherwise",
            True,
        ),
    ),
    key=("etf_symbol", "symbol", "known_at", "report_date", "accession_number"),
)

SYNTHETIC_TRUTH = TableSpec(
    "synthetic_truth",
    "one row per symbol × month of the simulated market's hidden state (never a feature input)",
    (
        SYMBOL,
        Column("month", DATE, "first day of the month"),
        Column("sample_date", DATE, "the month's sample date (the 15th or the last trading day before)"),
        Column("news_value", FLOAT, "the month's hidden news (standard units)"),
        Column("persistent_state", FLOAT, "the persistent part of the hidden state (AR(1) by month)"),
        Column("news_created", DATE, "the trading day informed insiders learn the month's news"),
        Column("volatility_regime", FLOAT, "multiplier of the stock's volatility this month", gt=0),
        Column(
            "expected_log_return_fwd",
            FLOAT,
            "expected log return over the label window (NaN when the window passes the simulation's end)",
            True,
        ),
        Column(
            "true_probability",
            FLOAT,
            "exact probability of the default label (+5% in 14 days); NaN past the simulation's end",
            True,
            ge=0,
            le=1,
        ),
        SOURCE,
    ),
    key=("symbol", "month"),
)

# ---- features and labels -----------------------------------------------------------------------------------
_FEATURE_BOUNDS = {"ratio": {"ge": 0, "le": 1}, "count": {"ge": 0}, "value": {}}

FEATURES = TableSpec(
    "features",
    "one row per symbol × sample date",
    (
        SYMBOL,
        Column("sample_date", DATE, "the sample date t: the 15th, or the last trading day before it"),
        *(
            Column(
                f.name,
                FLOAT,
                f"{f.description} Units: {f.units}; window {f.window}; {f.missing}.",
                True,
                finite=True,
                **_FEATURE_BOUNDS[f.kind],
            )
            for f in catalog.FEATURES
        ),
        SOURCE,
    ),
    key=("symbol", "sample_date"),
)

_LABEL = "1 when the rule holds, 0 when not, NA while the forward window is incomplete"

LABELS = TableSpec(
    "labels",
    "one row per symbol × sample date",
    (
        SYMBOL,
        Column("sample_date", DATE, "the sample date t"),
        Column("label_date", DATE, "the exit day: first trading day on or after t + horizon", True),
        Column("price_at_sample", FLOAT, "adjusted close at t, dollars", True, gt=0),
        Column("price_after", FLOAT, "adjusted close on label_date, dollars", True, gt=0),
        Column("return_fwd", FLOAT, "price_after / price_at_sample - 1", True, gt=-1),
        Column("excess_return_fwd", FLOAT, "return_fwd minus the universe's equal-weighted mean", True),
        Column("label_return", INT8, f"return_fwd > threshold: {_LABEL}", True, allowed=BINARY),
        Column("label_market_excess", INT8, f"excess_return_fwd > threshold: {_LABEL}", True, allowed=BINARY),
        Column(
            "label_vol_scaled", INT8, f"volatility-scaled return > threshold: {_LABEL}", True, allowed=BINARY
        ),
        Column(
            "label_composite", INT8, f"sector-relative return and signal rule: {_LABEL}", True, allowed=BINARY
        ),
        Column("label_vol_spike", INT8, f"forward volatility spike: {_LABEL}", True, allowed=BINARY),
        Column("label_drawdown", INT8, f"return_fwd < drawdown threshold: {_LABEL}", True, allowed=BINARY),
        Column("label", INT8, f"the configured definition's label: {_LABEL}", True, allowed=BINARY),
        Column("label_definition", STRING, "which definition `label` holds (README: Labels)"),
        SOURCE,
    ),
    key=("symbol", "sample_date"),
)

# ---- model tables ------------------------------------------------------------------------------------------
_PROBABILITY = {"ge": 0, "le": 1}
_SCORE = {"ge": 0, "le": 100}

DATASET_SPLITS = TableSpec(
    "dataset_splits",
    "one row per labelled symbol × sample date of the last dataset_splits run",
    (
        SYMBOL,
        Column("sample_date", DATE, "the sample date t"),
        Column("label_date", DATE, "the label's exit day"),
        Column(
            "label", INT8, "the configured label (rows without a known label are left out)", allowed=BINARY
        ),
        Column("segment", STRING, "train, validation or test", allowed=SPLIT_SEGMENTS),
        Column("embargoed", BOOL, "true when the row's label window reaches the next segment (left out)"),
        Column("split_method", STRING, "how the segments were cut", allowed=SPLIT_METHODS),
        Column("leaky", BOOL, "true for the stratified random split (comparison only)"),
        SOURCE,
    ),
    key=("symbol", "sample_date"),
    partition_keys=(),
)

EVALUATION_SCORES = TableSpec(
    "evaluation_scores",
    "one row per model version × segment × symbol × sample date: the scored rows behind the report",
    (
        Column("model_version", STRING, "the model version that scored the row"),
        Column("segment", STRING, "validation or test", allowed=SPLIT_SEGMENTS),
        SYMBOL,
        Column("sample_date", DATE, "the sample date t"),
        Column("probability", FLOAT, "the model's calibrated probability of the label", **_PROBABILITY),
        Column("raw_score", FLOAT, "the model's uncalibrated score"),
        Column(
            "volatility_baseline",
            FLOAT,
            "calibrated probability of the volatility-only baseline",
            True,
            **_PROBABILITY,
        ),
        Column("volatility_raw", FLOAT, "uncalibrated score of the volatility-only baseline", True),
        Column(
            "logistic_baseline",
            FLOAT,
            "calibrated probability of the logistic baseline",
            True,
            **_PROBABILITY,
        ),
        Column("logistic_raw", FLOAT, "uncalibrated score of the logistic baseline", True),
        Column("rules_score", FLOAT, "the rules engine's score, 0-100", True, **_SCORE),
        Column(
            "true_probability",
            FLOAT,
            "the simulated market's exact probability (synthetic only)",
            True,
            **_PROBABILITY,
        ),
        Column("label", INT8, "the configured label", allowed=BINARY),
        Column("return_fwd", FLOAT, "the forward return behind the label", True),
        SOURCE,
    ),
    key=("model_version", "segment", "symbol", "sample_date"),
    partition_keys=("model_version",),
)

MODEL_REGISTRY = TableSpec(
    "model_registry",
    "one row per trained model version",
    (
        Column("model_version", STRING, "the version: UTC training time and a hash of its inputs"),
        Column("created_at", UTC_TIME, "when the version was trained (UTC)"),
        Column("status", STRING, "production (at most one), candidate or retired", allowed=MODEL_STATUSES),
        Column("reason", STRING, "why the version has its status"),
        Column("label_definition", STRING, "the label the version predicts"),
        Column("validation_auc", FLOAT, "ROC AUC on the validation segment", True, **_PROBABILITY),
        Column(
            "volatility_validation_auc",
            FLOAT,
            "the volatility-only baseline's validation AUC",
            True,
            **_PROBABILITY,
        ),
        Column("test_auc", FLOAT, "ROC AUC on the test segment", True, **_PROBABILITY),
        Column("metrics", STRING, "every metric of the evaluation, as JSON"),
        Column(
            "path",
            STRING,
            "the version's folder, relative to the models directory (POSIX; absolute in older registries)",
        ),
        Column(
            "metadata_sha256",
            STRING,
            "SHA-256 of the version's metadata.json, which records its model files' SHA-256 (null in "
            "older registries: not verified)",
            True,
        ),
        SOURCE,
    ),
    key=("model_version",),
    partition_keys=(),
)

PREDICTIONS = TableSpec(
    "predictions",
    "one row per symbol × sample date × model version",
    (
        SYMBOL,
        Column("sample_date", DATE, "the sample date t the prediction is for"),
        Column("model_version", STRING, "the model version, or rules-only without a production model"),
        Column(
            "probability",
            FLOAT,
            "calibrated probability of the label (NaN for rules-only)",
            True,
            **_PROBABILITY,
        ),
        Column(
            "ml_score", FLOAT, "0-100 with 50 at the train base rate (NaN for rules-only)", True, **_SCORE
        ),
        Column("rules_score", FLOAT, "the rules engine's score, 0-100", **_SCORE),
        Column(
            "conviction_score",
            FLOAT,
            "0.6 × rules_score + 0.4 × ml_score (rules alone without a model)",
            **_SCORE,
        ),
        Column("rules_contribution", FLOAT, "the rules' part of conviction_score", ge=0),
        Column("ml_contribution", FLOAT, "the model's part of conviction_score", ge=0),
        Column("confidence", STRING, "HIGH, MEDIUM or LOW (README: predictions)", allowed=CONFIDENCE_LEVELS),
        Column("predicted_conviction", STRING, "BULLISH when conviction_score >= 50", allowed=CONVICTIONS),
        Column("insider_activity", STRING, "bullish, neutral or bearish"),
        Column("institutional_flow", STRING, "accumulation, neutral or distribution"),
        Column("congressional_sentiment", STRING, "positive, neutral or negative"),
        Column("hedge_fund_positioning", STRING, "long, neutral or short"),
        Column("top_reasons", STRING, "the largest model contributions and the rule reasons, in words"),
        Column("reason_codes", STRING, "the same reasons as ;-separated codes"),
        SOURCE,
    ),
    key=("model_version", "symbol", "sample_date"),
    partition_keys=("model_version", "month"),
)

# ---- the live track record (README: Live track record) -----------------------------------------------------
_REALIZED = "realized after the label window closed"

PREDICTION_OUTCOMES = TableSpec(
    "prediction_outcomes",
    "one row per published prediction (model version × symbol × sample date) whose label window has closed",
    (
        Column(
            "model_version", STRING, "the model version that published the prediction (never a later one)"
        ),
        SYMBOL,
        Column("sample_date", DATE, "the sample date t the prediction is for"),
        Column("probability", FLOAT, "the published calibrated probability of the label", **_PROBABILITY),
        Column("conviction_score", FLOAT, "the published conviction_score", **_SCORE),
        Column("predicted_conviction", STRING, "the published call", allowed=CONVICTIONS),
        Column("confidence", STRING, "the published confidence", allowed=CONFIDENCE_LEVELS),
        Column(
            "baseline_probability",
            FLOAT,
            "the version's volatility-only baseline's calibrated probability on the same row",
            **_PROBABILITY,
        ),
        Column(
            "baseline_conviction",
            STRING,
            "the baseline's call: BULLISH when its probability is above the model's decision threshold",
            allowed=CONVICTIONS,
        ),
        Column("label_definition", STRING, "the label definition the version predicts"),
        Column("label", INT8, f"the version's own label, {_REALIZED}", allowed=BINARY),
        Column("return_fwd", FLOAT, f"the forward return behind the label, {_REALIZED}", gt=-1),
        Column("label_market_excess", INT8, f"the market-excess label, {_REALIZED}", True, allowed=BINARY),
        Column("excess_return_fwd", FLOAT, "return_fwd minus the universe's equal-weighted mean", True),
        Column("label_date", DATE, "the label's exit day"),
        Column(
            "in_sample",
            BOOL,
            "true when the sample date is inside the version's training and validation window (kept out of "
            "the track record)",
        ),
        SOURCE,
    ),
    key=("model_version", "symbol", "sample_date"),
)

TRACK_RECORD = TableSpec(
    "track_record",
    "one row per model version × live sample month × scope (that month, or every live month up to it)",
    (
        Column("model_version", STRING, "the model version whose published predictions are scored"),
        Column(
            "scope",
            STRING,
            "month: that month alone; cumulative: every live month up to it",
            allowed=("month", "cumulative"),
        ),
        Column("month", DATE, "the sample month (first day); for cumulative, the last month included"),
        Column("months", INT64, "live sample months included", ge=1),
        Column("rows", INT64, "scored predictions", ge=0),
        Column("positive_share", FLOAT, "share of rows whose label is 1", True, **_PROBABILITY),
        Column("auc", FLOAT, "ROC AUC of the published probability against the label", True, **_PROBABILITY),
        Column("baseline_auc", FLOAT, "the baseline's AUC on the same rows", True, **_PROBABILITY),
        Column(
            "accuracy",
            FLOAT,
            "hit rate of every call (BULLISH and 1, or BEARISH and 0)",
            True,
            **_PROBABILITY,
        ),
        Column("baseline_accuracy", FLOAT, "hit rate of the baseline's calls", True, **_PROBABILITY),
        Column("bullish_calls", INT64, "BULLISH calls", ge=0),
        Column("hit_rate_bullish", FLOAT, "share of BULLISH calls whose label is 1", True, **_PROBABILITY),
        Column("baseline_bullish_calls", INT64, "the baseline's BULLISH calls", ge=0),
        Column(
            "baseline_hit_rate_bullish",
            FLOAT,
            "share of the baseline's BULLISH calls whose label is 1",
            True,
            **_PROBABILITY,
        ),
        Column("high_calls", INT64, "HIGH-confidence calls", ge=0),
        Column("hit_rate_high", FLOAT, "hit rate of the HIGH-confidence calls", True, **_PROBABILITY),
        Column(
            "baseline_hit_rate_high",
            FLOAT,
            "hit rate of the baseline's calls on the same HIGH rows",
            True,
            **_PROBABILITY,
        ),
        Column("brier", FLOAT, "Brier score of the published probability", True, **_PROBABILITY),
        Column("baseline_brier", FLOAT, "the baseline's Brier score", True, **_PROBABILITY),
        Column(
            "rank_ic", FLOAT, "mean monthly Spearman correlation of the probability with return_fwd", True
        ),
        Column("baseline_rank_ic", FLOAT, "the baseline's mean monthly rank IC", True),
        Column(
            "decile_spread",
            FLOAT,
            "top-minus-bottom decile mean return_fwd (deciles within each month)",
            True,
        ),
        Column("baseline_decile_spread", FLOAT, "the baseline's top-minus-bottom decile spread", True),
        Column(
            "auc_market_excess",
            FLOAT,
            "AUC of the probability against the market-excess label",
            True,
            **_PROBABILITY,
        ),
        Column(
            "baseline_auc_market_excess",
            FLOAT,
            "the baseline's AUC against the market-excess label",
            True,
            **_PROBABILITY,
        ),
        Column(
            "test_auc",
            FLOAT,
            "the version's test-segment AUC of the calibrated probability (reference)",
            True,
            **_PROBABILITY,
        ),
        SOURCE,
    ),
    key=("model_version", "scope", "month"),
    partition_keys=(),
)

MODEL_TABLES = (
    DATASET_SPLITS,
    EVALUATION_SCORES,
    MODEL_REGISTRY,
    PREDICTIONS,
    PREDICTION_OUTCOMES,
    TRACK_RECORD,
)

# ---- serving -----------------------------------------------------------------------------------------------
FEATURE_TOGGLE_AUDIT = TableSpec(
    "feature_toggle_audit",
    "one row per change of a feature toggle (the view `feature_toggles` keeps each feature's latest row)",
    (
        Column("feature_id", STRING, "the product feature switched on or off", length=(1, 200)),
        Column("changed_at", UTC_TIME, "when the change was made (UTC)"),
        Column("actor", STRING, "who made the change", length=(1, 200)),
        Column("old_enabled", BOOL, "the state before the change"),
        Column("new_enabled", BOOL, "the state after the change"),
        Column("reason", STRING, "why, in the actor's words", length=(1, 1000)),
    ),
    partition_keys=(),
)

SERVING_TABLES = (FEATURE_TOGGLE_AUDIT,)

# ---- options flow (README: Options flow) -------------------------------------------------------------------
RAW_OPTION_PRINTS = TableSpec(
    "raw_option_prints",
    "one row per option print (child trade) with the NBBO, underlying quote and IV at the print",
    (
        Column("print_id", STRING, "the print's id, unique across the table"),
        Column("symbol", STRING, "ticker of the underlying"),
        Column("ts", INT64, "the print time, epoch milliseconds (UTC)"),
        Column("known_at", DATE, "known_at: the date the record became public (the print time)"),
        Column("expiry", DATE, "the contract's expiry date"),
        Column("strike", FLOAT, "the contract's strike, dollars", gt=0),
        Column("option_type", STRING, "C call or P put", allowed=contracts.OPTION_TYPES),
        Column("price", FLOAT, "price per share of the contract, dollars", ge=0),
        Column("size", INT64, "contracts traded (100 shares each)", gt=0),
        Column("venue", STRING, "the exchange that printed the trade"),
        Column(
            "conditions", STRING, "condition codes: '' regular; AUCTION, CROSS, COMPLEX, LATE or OOS special"
        ),
        Column("bid", FLOAT, "the contract's NBBO bid at the print, dollars", ge=0),
        Column("ask", FLOAT, "the contract's NBBO ask at the print, dollars", ge=0),
        Column("quote_age_ms", INT64, "age of that NBBO quote at the print, milliseconds", ge=0),
        Column("underlying_bid", FLOAT, "the underlying's bid at the print, dollars", ge=0),
        Column("underlying_ask", FLOAT, "the underlying's ask at the print, dollars", ge=0),
        Column("underlying_last", FLOAT, "the underlying's last trade at the print, dollars", ge=0),
        Column("implied_volatility", FLOAT, "implied volatility at the print (0.3 = 30%)", ge=0),
        SOURCE,
    ),
    key=("print_id",),
)

RAW_CORPORATE_EVENTS = TableSpec(
    "raw_corporate_events",
    "one row per scheduled corporate event (earnings and others) per symbol, by the month of the event",
    (
        SYMBOL,
        Column("event_date", DATE, "the scheduled date of the event"),
        Column("kind", STRING, "earnings or scheduled_event", allowed=CORPORATE_EVENT_KINDS),
        Column(
            "known_at",
            DATE,
            "known_at: the date the event's date became public (when unknown: event_date - "
            f"{contracts.CALENDAR_NOTICE_DAYS} days)",
        ),
        Column(
            "eps_actual", FLOAT, "reported EPS, dollars (public from event_date; no feature reads it)", True
        ),
        Column("eps_estimated", FLOAT, "consensus EPS estimate, dollars", True),
        Column("revenue_actual", FLOAT, "reported revenue, dollars (public from event_date)", True),
        Column("revenue_estimated", FLOAT, "consensus revenue estimate, dollars", True),
        SOURCE,
    ),
    key=("symbol", "event_date", "kind"),
)

SYNTHETIC_FLOW_TRUTH = TableSpec(
    "synthetic_flow_truth",
    "one row per simulated option print: its scenario and true profile or trap (never read by the rules)",
    (
        Column("print_id", STRING, "the print's id in raw_option_prints"),
        Column("scenario_id", STRING, "the simulated scenario the print belongs to"),
        Column(
            "truth",
            STRING,
            "the scenario's true profile, trap or background",
            allowed=(*contracts.PROFILES, *contracts.TRAPS, contracts.BACKGROUND),
        ),
        Column("truth_kind", STRING, "profile, trap or background", allowed=contracts.TRUTH_KINDS),
        Column("known_at", DATE, "the print time (the partition's month)"),
        SOURCE,
    ),
    key=("print_id",),
)

_REASONS = "';'-separated reason codes ('' for none; the catalog view gives a list)"


def _profile_columns(profile: str) -> tuple[Column, ...]:
    """The flat score columns of one profile."""
    return (
        Column(f"{profile}_probability", FLOAT, f"{profile}: the profile's probability", **_PROBABILITY),
        Column(
            f"{profile}_confidence_band",
            STRING,
            f"{profile}: high, medium or low",
            allowed=contracts.CONFIDENCE_BANDS,
        ),
        Column(
            f"{profile}_direction",
            STRING,
            f"{profile}: the profile's reading of direction",
            allowed=contracts.DIRECTIONS,
        ),
        Column(f"{profile}_reasons", STRING, f"{profile}: the evidence present, {_REASONS}"),
    )


# Partitioned by the month of the event's start. The catalog view adds ``profile_scores`` (a list of structs)
# and list versions of the reason columns.
SMART_MONEY_EVENTS = TableSpec(
    "smart_money_events",
    "one row per parent event of option prints",
    (
        Column("event_id", STRING, "E + 16 hex digits, a hash of the event's kind and member prints"),
        Column("symbol", STRING, "ticker of the underlying"),
        Column("event_kind", STRING, "single_leg_event or multi_leg_event", allowed=contracts.EVENT_KINDS),
        Column("member_print_ids", pa.list_(pa.string()), "the print_ids of the event's prints"),
        Column("start_ts", DATE, "time of the event's first print"),
        Column("end_ts", DATE, "time of the event's last print"),
        Column("window_ms", INT64, "end_ts - start_ts, milliseconds", ge=0),
        Column("known_at", DATE, "known_at: when the event closed and became usable (end_ts + 2 s)"),
        *(
            Column(
                name,
                BOOL if name in contracts.BOOL_FEATURES else FLOAT,
                meaning,
                name not in contracts.BOOL_FEATURES,
            )
            for name, meaning in contracts.EVENT_FEATURES.items()
        ),
        *(column for profile in contracts.PROFILES for column in _profile_columns(profile)),
        Column(
            "primary_profile_id",
            STRING,
            "the winning profile (NA when the event abstains)",
            True,
            allowed=contracts.PROFILES,
        ),
        Column(
            "primary_direction",
            STRING,
            "the winning profile's direction (NA when abstained)",
            True,
            allowed=contracts.DIRECTIONS,
        ),
        Column("primary_probability", FLOAT, "the highest profile probability", **_PROBABILITY),
        Column(
            "confidence_band",
            STRING,
            f"the primary profile's band ('{contracts.ABSTAINED_BAND}' when abstained)",
            allowed=(*contracts.CONFIDENCE_BANDS, contracts.ABSTAINED_BAND),
        ),
        Column("abstained", BOOL, "true when no profile reaches the primary threshold"),
        Column("reasons", STRING, f"the primary profile's evidence, {_REASONS}"),
        Column("suppressed_reasons", STRING, f"every false-positive guard that fired, {_REASONS}"),
        Column("structure_reasons", STRING, f"structures recognised (box, straddle, …), {_REASONS}"),
        SOURCE,
    ),
    key=("event_id",),
)

OPTIONS_FLOW_TABLES = (
    "raw_option_prints",
    "raw_corporate_events",
    "synthetic_flow_truth",
    "smart_money_events",
)

RAW_TABLES = (
    RAW_PRICES,
    RAW_INSIDER_TRADES,
    RAW_INSTITUTIONAL_HOLDINGS,
    RAW_CONGRESS_TRADES,
    RAW_ETF_HOLDINGS,
)

# Every warehouse table, in pipeline order.
ALL_TABLES: tuple[TableSpec, ...] = (
    UNIVERSE,
    *RAW_TABLES,
    SYNTHETIC_TRUTH,
    FEATURES,
    LABELS,
    RAW_OPTION_PRINTS,
    RAW_CORPORATE_EVENTS,
    SYNTHETIC_FLOW_TRUTH,
    SMART_MONEY_EVENTS,
    *MODEL_TABLES,
    *SERVING_TABLES,
)
_BY_NAME = {table.name: table for table in ALL_TABLES}


def all_specs() -> tuple[TableSpec, ...]:
    """Every warehouse table's spec, in pipeline order (universe, raw, truth, features, labels, options flow,
    model, serving)."""
    return ALL_TABLES


def spec(name: str) -> TableSpec:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown warehouse table {name!r}; the tables are {sorted(_BY_NAME)}") from None
