"""SEC ownership records (Forms 3, 4, 5 and their amendments) → ``raw_insider_trades`` rows: the one
normalization both paths use.

The per-filing path (``ownership.py``, the XML document) and the bulk path (``datasets.py``, the SEC's
quarterly Insider Transactions Data Set) each turn their input into the same plain records, :class:`Filing`,
:class:`Owner` and :class:`Transaction`, holding the values *as filed* (text numbers, text dates, footnote
ids); :func:`filing_rows` alone decides what a row is. That is what makes the two paths give identical rows.

The contract (README "SEC EDGAR source"):

* **One row per reported transaction**: every ``nonDerivativeTransaction`` and ``derivativeTransaction``
  (data set: every ``NONDERIV_TRANS`` and ``DERIV_TRANS`` row). Derivative-table rows are included with
  ``is_derivative`` true (``shares`` is then the number of derivative securities, ``price`` the price of
  the derivative); features keep reading non-derivative rows unless they opt in. Holdings (Form 3 lines,
  ``*Holding`` elements, ``*_HOLDING`` tables) are not transactions and give no rows.
* **known_at** is the filing date: the SEC header's ``FILING-DATE`` / ``FILED AS OF DATE``, submissions JSON
  ``filingDate``, data set ``SUBMISSION.FILING_DATE``. The XML has none, so the caller passes it. A document
  without one is quarantined (reason ``no filing date``): nothing says when it became public, and it is
  never placed in time by its signature, period or transaction date.
* **acceptance_time** (UTC) where known: SEC headers give Eastern time ``YYYYMMDDhhmmss`` (converted with
  the America/New_York rules, so EST and EDT are both right); submissions JSON gives UTC. The data set has
  none (NaT).
* **Several reporting owners** on one document: the transaction is counted once, attributed to the FIRST
  owner listed (the XML's first ``reportingOwner``; the data set's first ``REPORTINGOWNER`` row of the
  accession), and ``other_owner_ciks`` lists the others' CIKs, comma-separated in filed order ("" when
  none). Shares are never counted twice.
* **insider_role** from the first owner's relationship flags, the first that is set of officer, director,
  ten_percent_owner, other (``other`` also when no flag is set).
* **is_c_suite** from the first owner's officer title by :func:`is_c_suite` (see there); a title that says
  "See Remarks" is read from the filing's remarks.
* **Numbers** are decimal text rounded half-up to 2 places, the precision the data set stores
  (``NUMBER(16,2)``), so both paths agree to the cent.
  - ``shares`` is required: a transaction whose shares are missing, given only as a footnote reference,
    or given only as ``transactionTotalValue`` (allowed for derivatives) is quarantined with that reason.
  - ``price`` missing or given only as a footnote reference (conversions, reclassifications, RSU
    settlements) is NaN, never 0 and never a guess; a reported zero (awards, gifts, conversions) stays 0.0.
  - ``shares_owned_after`` missing, footnote-only or given as ``valueOwnedFollowingTransaction`` is NaN.
  - Negative numbers, unparseable numbers and a code or acquired/disposed value outside the lists are
    quarantined with a reason.
* **transaction_date** as filed (``DD-MON-YYYY`` or ISO, a time-zone suffix ignored). A missing or
  footnote-only date is quarantined. A date after the filing date (typos such as 2026 for 2024 occur in the
  real data set) is quarantined, not corrected: the table promises ``known_at >= transaction_date``.
* **aff10b5one**, the Rule 10b5-1 box (schema X0407 and later): true for "1"/"true", false for "0"/"false",
  null where not reported (older schemas, or a data set without the column). A 10b5-1 plan mentioned only
  in a footnote is not read as the flag.
* **Amendments** (``3/A``, ``4/A``, ``5/A``): rows carry ``form_type``, ``is_amendment``,
  ``date_of_original_submission`` and become public on the amendment's own filing date.
  :func:`amendment_supersessions` and :func:`as_of` give the point-in-time view in which an amendment
  replaces the rows of the filing it amends from its filing date on.
* **symbol** is the issuer's CIK looked up in the caller's CIK → universe symbol map, never the filing's
  free-text ``issuerTradingSymbol``. An issuer missing from the map is quarantined.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa

from smart_money import tables

SOURCE = "sec"
TABLE = "raw_insider_trades"
EASTERN = ZoneInfo("America/New_York")
CENT = Decimal("0.01")
OWNERSHIP_FORMS = tables.OWNERSHIP_FORMS
# Transaction codes of the Ownership XML technical specification (TransCodeList, plus K, W and Z of later
# releases); anything else is quarantined.
TRANSACTION_CODES = frozenset("ACDEFGHIJKLMOPSUWXZ")

# The row is tables.RAW_INSIDER_TRADES: its base columns plus the filing's columns (tables.FILING_COLUMNS).
EXTRA_COLUMNS: tuple[tables.Column, ...] = tables.FILING_COLUMNS
EXTRA_COLUMN_NAMES: tuple[str, ...] = tables.FILING_COLUMN_NAMES
COLUMNS: tuple[str, ...] = tuple(tables.RAW_INSIDER_TRADES.column_names)
SCHEMA: pa.Schema = tables.RAW_INSIDER_TRADES.schema


class Rejected(ValueError):
    """A record that cannot become a valid row; the message is the quarantine reason."""


# ---- the records both paths produce ------------------------------------------------------------------------
@dataclass(frozen=True)
class Owner:
    """One reporting owner, in filed order."""

    cik: str
    name: str
    is_director: bool = False
    is_officer: bool = False
    is_ten_percent_owner: bool = False
    is_other: bool = False
    officer_title: str = ""
    other_text: str = ""


@dataclass(frozen=True)
class Filing:
    """One ownership filing (one document). Dates and flags are as filed (text); see :func:`parse_date`."""

    accession_number: str | None
    issuer_cik: str | None
    form_type: str | None
    filing_date: object = None  # date, datetime or text; None when unknown
    acceptance_time: object = None  # aware datetime (UTC) or None
    period_of_report: object = None
    date_of_original_submission: object = None
    aff10b5one: str | None = None  # "1"/"0"/"true"/"false" as filed, None when not reported
    remarks: str = ""
    owners: tuple[Owner, ...] = ()
    schema_version: str | None = None


@dataclass(frozen=True)
class Amount:
    """A value as filed: its text (None when absent) and the footnote ids attached to it."""

    value: str | None = None
    footnotes: tuple[str, ...] = ()

    @property
    def footnote_only(self) -> bool:
        return self.value is None and bool(self.footnotes)


@dataclass(frozen=True)
class Transaction:
    """One Table I or Table II transaction as filed; ``index`` is its position in its table (0-based)."""

    is_derivative: bool
    index: int
    security_title: str | None = None
    transaction_date: Amount = field(default_factory=Amount)
    transaction_code: str | None = None
    acquired_disposed: Amount = field(default_factory=Amount)
    shares: Amount = field(default_factory=Amount)
    total_value: Amount = field(default_factory=Amount)
    price: Amount = field(default_factory=Amount)
    shares_owned_after: Amount = field(default_factory=Amount)
    value_owned_after: Amount = field(default_factory=Amount)
    direct_or_indirect: str | None = None


# ---- small parsers shared by both paths --------------------------------------------------------------------
_MONTHS = {m: i for i, m in enumerate(("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC").split(), 1)}
_DMY = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")


def parse_date(value, field_name: str = "date") -> date | None:
    """A date as filed → ``date``; None for empty. Accepts ``DD-MON-YYYY`` (data set), ISO ``YYYY-MM-DD``
    with an optional time or zone suffix (XML, JSON), and ``YYYYMMDD`` (SEC headers). Impossible dates raise
    :class:`Rejected` naming the field; plausible typos (a year 2026 in 2024) are kept as filed."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    text = str(value).strip()
    if not text:
        return None
    try:
        if m := _DMY.fullmatch(text):
            month = _MONTHS.get(m.group(2).upper())
            if month is None:
                raise ValueError(f"month {m.group(2)!r}")
            return date(int(m.group(3)), month, int(m.group(1)))
        if m := _ISO.match(text):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if m := _COMPACT.fullmatch(text):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError as error:
        raise Rejected(f"{field_name} {text!r} is not a valid date ({error})") from None
    raise Rejected(f"{field_name} {text!r} is not a date (expected DD-MON-YYYY, YYYY-MM-DD or YYYYMMDD)")


def eastern_to_utc(text: str | None) -> datetime | None:
    """An SEC header ``ACCEPTANCE-DATETIME`` (Eastern, ``YYYYMMDDhhmmss``) → an aware UTC datetime."""
    if text is None or not str(text).strip():
        return None
    raw = str(text).strip()
    try:
        local = datetime.strptime(raw, "%Y%m%d%H%M%S")
    except ValueError:
        raise Rejected(f"acceptance time {raw!r} is not YYYYMMDDhhmmss") from None
    return local.replace(tzinfo=EASTERN).astimezone(UTC)


def acceptance_utc(value) -> datetime | None:
    """An acceptance time in any form the SEC gives it → an aware UTC datetime (None when absent).

    ``YYYYMMDDhhmmss`` (SEC headers) and naive datetimes are Eastern time; ISO text with a zone
    (submissions JSON ``2022-05-06T22:30:57.000Z``) and aware datetimes keep their zone."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if re.fullmatch(r"\d{14}", text):
            return eastern_to_utc(text)
        try:
            value = pd.Timestamp(text)
        except ValueError:
            raise Rejected(f"acceptance time {text!r} is neither YYYYMMDDhhmmss nor ISO 8601") from None
    if isinstance(value, datetime):
        stamp = pd.Timestamp(value)
        if pd.isna(stamp):
            return None
        if stamp.tzinfo is None:
            stamp = stamp.tz_localize(EASTERN)
        return stamp.tz_convert("UTC").to_pydatetime()
    raise Rejected(f"acceptance time {value!r} is not a date and time")


def parse_flag(value) -> bool | None:
    """ "1"/"true" → True, "0"/"false" → False (any case), empty → None; other text → None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return {"1": True, "true": True, "0": False, "false": False}.get(text)


def cik(value) -> str:
    """Any CIK spelling (int 320193, "320193", "0000320193") → the 10-digit zero-padded text."""
    text = str(value).strip()
    if not text.isdigit() or len(text) > 10:
        raise Rejected(f"CIK {value!r} is not 1-10 digits")
    return text.zfill(10)


def cik_map(cik_to_symbol: Mapping) -> dict[str, str]:
    """The caller's CIK → symbol map with every key in the 10-digit form."""
    out: dict[str, str] = {}
    for key, symbol in cik_to_symbol.items():
        try:
            out[cik(key)] = str(symbol)
        except Rejected as error:
            raise ValueError(
                f"cik_to_symbol: {error}; give CIKs as digits, e.g. 320193 or '0000320193'"
            ) from None
    return out


def _number(amount: Amount, name: str, *, required: bool) -> float:
    if amount.value is None:
        if required:
            if amount.footnotes:
                raise Rejected(f"{name} is given only as a footnote reference ({','.join(amount.footnotes)})")
            raise Rejected(f"{name} is missing")
        return math.nan
    try:
        number = Decimal(amount.value.strip())
    except InvalidOperation:
        raise Rejected(f"{name} {amount.value!r} is not a number") from None
    if not number.is_finite():
        raise Rejected(f"{name} {amount.value!r} is not a finite number")
    if number < 0:
        raise Rejected(f"{name} {amount.value} is negative")
    return float(number.quantize(CENT, rounding=ROUND_HALF_UP))


# ---- roles -------------------------------------------------------------------------------------------------
_C_SUITE_PATTERNS = (
    # "Chief <anything> Officer", e.g. Chief Digital & Tech Officer, but not "Chief of Staff".
    re.compile(r"\bchief\b(?![\s-]+of\b)[^;]*?\bofficer\b", re.IGNORECASE),
    re.compile(r"\bchief\s+executive\b", re.IGNORECASE),
    # The C-suite abbreviations, written in capitals: CEO, CFO, COO, CTO, CAO, CLO, CIO, CHRO ...
    re.compile(r"\bC[A-Z]{1,3}O\b"),
    re.compile(r"\b(?:ceo|cfo|coo)\b", re.IGNORECASE),
    # Principal executive / financial / operating officer (the SEC's words for CEO, CFO, COO).
    re.compile(r"\bprincipal\s+(?:executive|financial|operating)\s+officer\b", re.IGNORECASE),
    # President, Co-President, "President and CEO" - but not Vice President / Vice-President.
    re.compile(r"(?<!vice )(?<!vice-)(?<!vice)\bpresident\b", re.IGNORECASE),
)
_SEE_REMARKS = re.compile(r"\bsee\s+(?:remarks?|explanation)\b", re.IGNORECASE)


def is_c_suite(officer_title: str | None, remarks: str = "") -> bool:
    """True when the officer title names a chief officer.

    The rule: "Chief … Officer" (any words between, not "Chief of …"), "Chief Executive", the capitalised
    abbreviations C?O / C??O / C???O (CEO, CFO, COO, CTO, CAO, CLO, CHRO …; ceo/cfo/coo in any case),
    "Principal Executive/Financial/Operating Officer", and "President" not preceded by "Vice". General
    counsel, secretary, SVP/EVP, Vice President, controller and "Principal Accounting Officer" are not.
    A title that says "See Remarks" (or "See Explanation") is read from the filing's remarks instead.
    """
    title = (officer_title or "").strip()
    if _SEE_REMARKS.search(title):
        title = remarks or ""
    return any(p.search(title) for p in _C_SUITE_PATTERNS)


def insider_role(owner: Owner) -> str:
    """The owner's role: the first relationship flag set of officer, director, ten_percent_owner, other."""
    if owner.is_officer:
        return "officer"
    if owner.is_director:
        return "director"
    if owner.is_ten_percent_owner:
        return "ten_percent_owner"
    return "other"


# ---- filings → rows ----------------------------------------------------------------------------------------
def quarantine_entry(
    filing: Filing, transaction: Transaction | None, symbol: str | None, reason: str
) -> dict:
    """One quarantine record: the FMP source's keys + accession_number, is_derivative, transaction_index."""
    record = {"filing": {k: v for k, v in asdict(filing).items() if k != "owners"}}
    if transaction is not None:
        record["transaction"] = asdict(transaction)
    return {
        "table": TABLE,
        "symbol": symbol or "",
        "accession_number": filing.accession_number or "",
        "is_derivative": None if transaction is None else transaction.is_derivative,
        "transaction_index": None if transaction is None else transaction.index,
        "reason": reason,
        "record": json.dumps(record, sort_keys=True, default=str)[:2000],
    }


def _filing_fields(filing: Filing, cik_to_symbol: Mapping[str, str]) -> dict:
    """The row fields every transaction of the filing shares; raises Rejected for a filing-level problem."""
    filed = parse_date(filing.filing_date, "filing date")
    if filed is None:
        raise Rejected(
            "no filing date: nothing says when the document became public, so it is not placed in time"
        )
    if not filing.accession_number:
        raise Rejected("no accession number")
    form = (filing.form_type or "").strip().upper()
    if form not in OWNERSHIP_FORMS:
        raise Rejected(f"form type {filing.form_type!r} is not one of {', '.join(OWNERSHIP_FORMS)}")
    if not filing.issuer_cik:
        raise Rejected("no issuer CIK")
    issuer = cik(filing.issuer_cik)
    symbol = cik_to_symbol.get(issuer)
    if symbol is None:
        raise Rejected(f"issuer CIK {issuer} is not in the CIK → symbol map of the universe")
    if not filing.owners:
        raise Rejected("no reporting owner")
    first = filing.owners[0]
    if not str(first.cik or "").strip():
        raise Rejected("the first reporting owner has no CIK")
    acceptance = acceptance_utc(filing.acceptance_time)
    return {
        "symbol": symbol,
        "known_at": pd.Timestamp(filed),
        "insider_id": cik(first.cik),
        "insider_name": (first.name or "").strip() or cik(first.cik),
        "insider_role": insider_role(first),
        "is_c_suite": is_c_suite(first.officer_title, filing.remarks),
        "source": SOURCE,
        "issuer_cik": issuer,
        "accession_number": filing.accession_number.strip(),
        "acceptance_time": pd.NaT if acceptance is None else pd.Timestamp(acceptance),
        "form_type": form,
        "is_amendment": form.endswith("/A"),
        "aff10b5one": parse_flag(filing.aff10b5one),
        "other_owner_ciks": ",".join(cik(o.cik) for o in filing.owners[1:]),
        "period_of_report": _timestamp(parse_date(filing.period_of_report, "period of report")),
        "date_of_original_submission": _timestamp(
            parse_date(filing.date_of_original_submission, "date of original submission")
        ),
        "_filed": filed,
    }


def _timestamp(day: date | None):
    return pd.NaT if day is None else pd.Timestamp(day)


def _transaction_fields(t: Transaction, filed: date) -> dict:
    if t.transaction_date.value is None:
        raise Rejected(
            "transaction date is given only as a footnote reference"
            if t.transaction_date.footnote_only
            else "transaction date is missing"
        )
    traded = parse_date(t.transaction_date.value, "transaction date")
    if traded > filed:
        raise Rejected(
            f"transaction date {traded:%Y-%m-%d} is after the filing date {filed:%Y-%m-%d} (kept as filed, "
            "not corrected)"
        )
    code = (t.transaction_code or "").strip().upper()
    if not code:
        raise Rejected("transaction code is missing")
    if code not in TRANSACTION_CODES:
        raise Rejected(f"transaction code {t.transaction_code!r} is not a Form 4 code")
    side = (t.acquired_disposed.value or "").strip().upper()
    if side not in ("A", "D"):
        raise Rejected(f"acquired/disposed code {t.acquired_disposed.value!r} is not A or D")
    if t.shares.value is None and t.total_value.value is not None:
        raise Rejected("shares are not reported, only the transaction's total value")
    direct = (t.direct_or_indirect or "").strip().upper() or None
    return {
        "transaction_date": pd.Timestamp(traded),
        "transaction_code": code,
        "acquired_disposed": side,
        "shares": _number(t.shares, "shares", required=True),
        "price": _number(t.price, "price", required=False),
        "shares_owned_after": _number(t.shares_owned_after, "shares owned after", required=False),
        "direct_or_indirect": direct if direct in ("D", "I") else None,
        "security_title": (t.security_title or "").strip() or None,
        "is_derivative": t.is_derivative,
    }


def filing_rows(
    filing: Filing, transactions: Sequence[Transaction], cik_to_symbol: Mapping[str, str]
) -> tuple[list[dict], list[dict]]:
    """The rows of one filing and the quarantined transactions, each with its reason.

    Every transaction ends in exactly one of the two lists (a filing-level problem, such as no filing date,
    quarantines each of its transactions with that reason), so rows + quarantined = transactions filed.
    ``cik_to_symbol`` keys must be 10-digit CIKs (see :func:`cik_map`).
    """
    try:
        shared = _filing_fields(filing, cik_to_symbol)
    except Rejected as reason:
        symbol = None
        if filing.issuer_cik:
            try:
                symbol = cik_to_symbol.get(cik(filing.issuer_cik))
            except Rejected:
                symbol = None
        return [], [quarantine_entry(filing, t, symbol, str(reason)) for t in transactions]
    filed = shared.pop("_filed")
    rows, quarantined = [], []
    ordered = sorted(transactions, key=lambda t: (t.is_derivative, t.index))
    for t in ordered:
        try:
            rows.append({**shared, **_transaction_fields(t, filed)})
        except Rejected as reason:
            quarantined.append(quarantine_entry(filing, t, shared["symbol"], str(reason)))
    return [{c: r[c] for c in COLUMNS} for r in rows], quarantined


def frame(rows: Sequence[dict]) -> pd.DataFrame:
    """Rows as a frame with :data:`COLUMNS` in order and the types of :data:`SCHEMA` (empty → typed empty)."""
    if not rows:
        return SCHEMA.empty_table().to_pandas()
    records = pd.DataFrame.from_records(list(rows), columns=list(COLUMNS))
    return pa.Table.from_pandas(records, schema=SCHEMA, preserve_index=False).to_pandas()


# ---- amendments, point in time -----------------------------------------------------------------------------
def _family(form: str) -> str:
    return str(form).split("/", 1)[0]


# The columns :func:`amendment_supersessions` reads to match an amendment to the filing it amends.
AMENDMENT_COLUMNS: tuple[str, ...] = (
    "accession_number",
    "issuer_cik",
    "insider_id",
    "form_type",
    "is_amendment",
    "known_at",
    "acceptance_time",
    "period_of_report",
    "date_of_original_submission",
)


def amendment_supersessions(rows: pd.DataFrame) -> pd.DataFrame:
    """Which filing each amendment replaces: one row per (replaced accession, amendment accession).

    An amendment (``is_amendment``) replaces filings of the same form family (4/A → a 4 or an earlier
    4/A) by the same issuer (``issuer_cik``) and first owner (``insider_id``) that came before it, chosen
    as: those matching both ``period_of_report`` and ``date_of_original_submission`` = their filing date;
    if none, those matching ``period_of_report``; if none, those filed on ``date_of_original_submission``.
    "Before" is the order (known_at, originals before amendments, acceptance_time, accession_number), so a
    same-day original is replaced and of two amendments of one filing the later replaces the earlier.

    Columns: ``accession_number`` (the replaced filing), ``superseded_by``, ``superseded_at`` (the
    amendment's known_at: the replacement holds from that day on). Whether an amendment replaces a filing
    depends only on filings public by the amendment's own date, so computing this once over all rows and
    filtering ``superseded_at <= t`` gives the same answer as computing it over the rows public at t.
    """
    cols = ["accession_number", "superseded_by", "superseded_at"]
    if rows.empty or not rows["is_amendment"].any():
        return pd.DataFrame(columns=cols)
    present = [c for c in AMENDMENT_COLUMNS if c in rows.columns]
    filings = rows[present].drop_duplicates("accession_number").copy()
    if "acceptance_time" not in filings:
        filings["acceptance_time"] = pd.NaT
    filings["family"] = filings["form_type"].map(_family)
    filings["accepted_utc"] = pd.to_datetime(filings["acceptance_time"], utc=True).fillna(
        pd.Timestamp.max.tz_localize("UTC")
    )
    filings = filings.sort_values(
        ["known_at", "is_amendment", "accepted_utc", "accession_number"], kind="stable"
    )
    filings["sequence"] = range(len(filings))
    group = ["issuer_cik", "insider_id", "family"]
    filings = filings.dropna(subset=["accession_number", "issuer_cik", "insider_id"])  # nothing to match on
    amendments = filings.loc[
        filings["is_amendment"],
        [
            *group,
            "accession_number",
            "sequence",
            "known_at",
            "period_of_report",
            "date_of_original_submission",
        ],
    ]
    earlier = filings[[*group, "accession_number", "sequence", "known_at", "period_of_report"]]
    pairs = amendments.merge(earlier, on=group, suffixes=("", "_earlier"))
    pairs = pairs[pairs["sequence_earlier"] < pairs["sequence"]]
    same_period = pairs["period_of_report"].notna() & pairs["period_of_report_earlier"].eq(
        pairs["period_of_report"]
    )
    same_origin = pairs["date_of_original_submission"].notna() & pairs["known_at_earlier"].eq(
        pairs["date_of_original_submission"]
    )
    # the first rule that matches anything wins: both, then the period alone, then the original date alone
    pairs = pairs.assign(rank=np.select([same_period & same_origin, same_period, same_origin], [1, 2, 3], 0))
    pairs = pairs[pairs["rank"] > 0]
    pairs = pairs[pairs["rank"] == pairs.groupby("accession_number")["rank"].transform("min")]
    direct = pd.DataFrame(
        {
            "accession_number": pairs["accession_number_earlier"].to_numpy(),
            "superseded_by": pairs["accession_number"].to_numpy(),
            "superseded_at": pairs["known_at"].to_numpy(),
            "by_sequence": pairs["sequence"].to_numpy(),
        }
    )
    # Amendments of the same filing form a chain: each later one also replaces the earlier ones.
    chain = direct.merge(direct, on="accession_number", suffixes=("", "_later"))
    chain = chain[chain["by_sequence"] < chain["by_sequence_later"]]
    chained = pd.DataFrame(
        {
            "accession_number": chain["superseded_by"].to_numpy(),
            "superseded_by": chain["superseded_by_later"].to_numpy(),
            "superseded_at": chain["superseded_at_later"].to_numpy(),
        }
    )
    out = pd.concat([direct[cols], chained], ignore_index=True)
    return out.drop_duplicates(["accession_number", "superseded_by"]).reset_index(drop=True)


def as_of(rows: pd.DataFrame, t, supersessions: pd.DataFrame | None = None) -> pd.DataFrame:
    """The rows public at ``t``, each filing in the version public at ``t``.

    A row is visible when its ``known_at <= t`` and no amendment public by ``t`` (``superseded_at <= t``)
    replaces its filing. A feature for sample date t reads exactly this slice. Pass ``supersessions``
    (:func:`amendment_supersessions` of all rows, computed once) to slice many dates cheaply.
    """
    t = pd.Timestamp(t)
    visible = rows[rows["known_at"] <= t]
    replaced = amendment_supersessions(visible) if supersessions is None else supersessions
    gone = set(replaced.loc[replaced["superseded_at"] <= t, "accession_number"])
    return visible[~visible["accession_number"].isin(gone)]
