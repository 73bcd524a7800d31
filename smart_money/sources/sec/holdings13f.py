"""Parsed 13F filings → ``raw_institutional_holdings`` rows, point in time, and the version of each filer's
quarter that was public at a date.

The input is two frames, whichever path read them (the SEC's quarterly Form 13F data sets or the per-filing
information tables): one row per filing (accession_number, filer_cik, filer_name, form_type, filing_date,
period_of_report, report_type, amendment_type) and one per information-table line (accession_number, cusip,
value_usd in dollars, shares, shares_type, put_call, and the rest of the line as filed).
:func:`institutional_rows` alone decides what a row is.

The rules (README "SEC EDGAR source"):

* **One row per (filing, universe symbol, put_call).** Lines of one filing with the same symbol and put_call
  (several managers, several investment discretions) are summed: shares and value. ``cusip`` is the CUSIP of
  the largest of those lines (two CUSIPs of one symbol in a filing are summed too). Lines whose CUSIP is not
  in the caller's CUSIP → symbol map give no row and are not checked (the caller reports that coverage).
* **Principal amounts are not shares.** A line with ``shares_type`` PRN (bonds, notes: ``shares`` is a
  face value in dollars) gives no row. Only SH lines do.
* **Put/call lines are kept** as rows with ``put_call`` PUT or CALL (``shares`` = the shares under the
  options). The features leave them out of every share count and every position count.
* **known_at** is the filing date (the day the filing became public), ``report_date`` the period of
  report (a calendar quarter end), ``filer_id`` the filer's CIK (10 digits), ``source`` "sec".
* **13F NOTICE** filings (``report_type`` 13F NOTICE, or a 13F-NT form) report no holdings of their own:
  no rows, and they are not a version of the filer's quarter. A line attached to one is quarantined. A 13F
  COMBINATION REPORT lists the holdings the filer reports itself: it is read like a holdings report (a
  position moved to another manager's report therefore shows as closed).
* **Versions of a filer's quarter.** The filings of one (filer, quarter) are ordered by (filing date,
  originals before amendments, accession number). An original 13F-HR or a 13F-HR/A RESTATEMENT is a
  complete report: from its filing date on it replaces everything filed for the quarter before it (a second
  original 13F-HR too). A 13F-HR/A NEW HOLDINGS adds its lines to the newest complete report from its
  filing date on. The version public at t is the newest complete report filed by t plus the NEW HOLDINGS
  amendments filed by t after it (:func:`quarter_versions`). The table keeps every filing's rows as filed,
  append-only, each with its own known_at; the replacement is applied where rows are read
  (:func:`hidden_from`), never by rewriting old rows.
* **Positions against the previous quarter as known then.** ``change_in_shares``, ``is_new_position`` and
  ``is_closed_position`` compare a filing with the version of the filer's previous calendar quarter that
  was public on the filing's own date (same-day filings included). A restatement of Q1 filed after the Q2
  filing therefore leaves Q2's rows as published; it is the Q1 rows that get restated.
  - A complete report's row: change = shares - previous shares (0 when the previous quarter did not hold
    the symbol); new when the previous quarter held none and now shares > 0.
  - **Closed position:** a symbol the previous quarter held (shares > 0, put_call null) that the complete
    report does not list gives a row with shares 0, market_value 0, change = -previous shares,
    ``is_closed_position`` true, so the features can count exits.
  - **Withdrawn:** a complete report also carries a 0-share row for every (symbol, put_call) of the
    version it replaces that it no longer lists (change = -previous shares, NaN when the previous quarter
    is unknown; closed only as above), so the table itself says that the position is gone from the
    quarter, and the newest row of a (filer, symbol, quarter) always carries the quarter's position.
  - A NEW HOLDINGS row adds to the quarter: for a symbol the version already holds, change = the added
    shares (the position was compared with the previous quarter already); otherwise it is compared with
    the previous quarter like a complete report's row, and it hides the quarter's 0-share row of the
    symbol from its filing date on.
  - **First quarter in the data** (no version of the previous quarter public on the filing date: the
    filer's first 13F, a skipped quarter, or a previous quarter filed late): change_in_shares NaN (unknown,
    not 0), not new, and no closed rows: nothing says what the filer held before.
* **Quarantined** (with the reason; never a crash, never silently dropped): a filing without accession
  number, filing date (nothing says when it became public), CIK, a 13F-HR/13F-HR/A form, a known report
  type, or a calendar quarter end before its filing date as period; a 13F-HR/A that does not say
  RESTATEMENT or NEW HOLDINGS (an original that does); a repeated accession number (the first is used).
  Lines of universe CUSIPs: of an unknown or NOTICE filing, a shares_type other than SH/PRN, a put_call
  other than PUT/CALL, shares missing or negative, a negative value. A missing value gives market_value NaN.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from smart_money import tables

SOURCE = "sec"
TABLE = tables.RAW_INSTITUTIONAL_HOLDINGS.name
COLUMNS: tuple[str, ...] = tuple(tables.RAW_INSTITUTIONAL_HOLDINGS.column_names)
SCHEMA: pa.Schema = tables.RAW_INSTITUTIONAL_HOLDINGS.schema

FILING_FIELDS: tuple[str, ...] = (
    "accession_number",
    "filer_cik",
    "filer_name",
    "form_type",
    "filing_date",
    "period_of_report",
    "report_type",
    "amendment_type",
)
# The line fields a row is made of; the others (issuer_name, voting_*, ...) only travel into quarantine.
LINE_FIELDS: tuple[str, ...] = ("accession_number", "cusip", "value_usd", "shares", "shares_type", "put_call")

ORIGINAL, AMENDMENT = "13F-HR", "13F-HR/A"
NOTICE_FORMS = ("13F-NT", "13F-NT/A")
RESTATEMENT, NEW_HOLDINGS = "RESTATEMENT", "NEW HOLDINGS"
HOLDINGS_REPORT, NOTICE_REPORT, COMBINATION_REPORT = (
    "13F HOLDINGS REPORT",
    "13F NOTICE",
    "13F COMBINATION REPORT",
)
REPORT_TYPES = (HOLDINGS_REPORT, NOTICE_REPORT, COMBINATION_REPORT)
PUT_CALL = ("PUT", "CALL")
SHARES, PRINCIPAL = "SH", "PRN"

_QUARTER = ["filer", "quarter"]
_KEY = ["accession", "symbol", "put_call"]
_FILED_COLUMNS = ["pos", *_QUARTER, "known_at", "accession", "form", "amend", "symbol", "option", "shares"]
_FILED_COLUMNS += ["value", "seq", "base", "complete"]


# ---- small normalizers -------------------------------------------------------------------------------------
def _text(series: pd.Series, upper: bool = False) -> pd.Series:
    """Stripped text as object values, None for missing or empty."""
    out = series.astype("string").str.strip()
    if upper:
        out = out.str.upper()
    out = out.mask(out.eq("").fillna(True))
    return out.astype(object).where(out.notna(), None)


def _day(series: pd.Series) -> pd.Series:
    dates = pd.to_datetime(series, errors="coerce")
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = dates.dt.tz_localize(None)
    return dates.dt.normalize().astype("datetime64[ns]")


def _cik(series: pd.Series) -> pd.Series:
    """10-digit CIK text (zero-padded), None when the value is not a CIK."""

    def one(value) -> str | None:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return None
        text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()
        return text.zfill(10) if text.isdigit() and len(text) <= 10 else None

    return series.map(one).astype(object)


def _shown(value) -> str:
    """A value as a message shows it: numbers plainly, text quoted."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return repr(float(value))
    return repr(value)


def _json(record: Mapping) -> str:
    return json.dumps(dict(record), sort_keys=True, default=str)[:2000]


def _quarantine(symbol: str | None, reason: str, record: Mapping, accession: str | None) -> dict:
    return {
        "table": TABLE,
        "symbol": symbol,
        "reason": reason,
        "record": _json(record),
        "accession_number": accession or "",
    }


def _require(frame: pd.DataFrame, fields: tuple[str, ...], name: str) -> None:
    missing = [f for f in fields if f not in frame.columns]
    if missing:
        raise ValueError(f"13F {name} frame is missing columns {missing}; it needs {list(fields)}")


def _sequence(filings: pd.DataFrame) -> pd.DataFrame:
    """The order of a quarter's filings: ``seq`` (0, 1, ... by filing date, originals before amendments,
    accession number) and ``base``, the seq of the newest complete report at or before it (-1: none yet).

    ``filings`` has filer, quarter, known_at, form, accession and complete.
    """
    out = filings.assign(is_amendment=filings["form"].eq(AMENDMENT))
    out = out.sort_values([*_QUARTER, "known_at", "is_amendment", "accession"], kind="stable")
    out["seq"] = out.groupby(_QUARTER, sort=False).cumcount()
    out["base"] = np.where(out["complete"], out["seq"], -1)
    out["base"] = out.groupby(_QUARTER, sort=False)["base"].cummax()
    return out.drop(columns="is_amendment").reset_index(drop=True)


# ---- filings → rows ----------------------------------------------------------------------------------------
def _filing_reasons(f: pd.DataFrame) -> pd.Series:
    """The quarantine reason of each (non-notice) filing, None when it is usable."""
    reasons = pd.Series(None, index=f.index, dtype=object)

    def flag(mask: pd.Series, message: Callable[[pd.Series], str]) -> None:
        todo = mask.fillna(False).astype(bool) & reasons.isna()
        for i in f.index[todo]:
            reasons[i] = message(f.loc[i])

    flag(f["accession"].isna(), lambda r: "no accession number: the filing cannot be identified")
    dup = f["accession"].notna() & f["accession"].duplicated(keep="first")
    counts = f["accession"].value_counts()
    flag(
        dup,
        lambda r: f"accession number {r.accession} is given {counts[r.accession]} times; the first is kept",
    )
    flag(
        f["known_at"].isna(),
        lambda r: (
            f"no filing date ({r.raw_filing_date!r}): nothing says when the 13F became public, so it is "
            "not placed in time"
        ),
    )
    flag(f["filer"].isna(), lambda r: f"filer_cik {r.raw_cik!r} is not a CIK (digits, at most 10)")
    flag(~f["form"].isin([ORIGINAL, AMENDMENT]), lambda r: f"form_type {r.form!r} is not 13F-HR or 13F-HR/A")
    flag(
        ~f["report"].isin(REPORT_TYPES),
        lambda r: f"report_type {r.report!r} is not one of {list(REPORT_TYPES)}",
    )
    flag(
        f["quarter"].isna() | ~f["quarter"].dt.is_quarter_end.fillna(False).astype(bool),
        lambda r: f"period_of_report {r.raw_period!r} is not a calendar quarter end",
    )
    flag(
        f["quarter"] >= f["known_at"],
        lambda r: (
            f"period_of_report {r.quarter:%Y-%m-%d} is not before the filing date {r.known_at:%Y-%m-%d}"
        ),
    )
    flag(
        f["form"].eq(AMENDMENT) & ~f["amend"].isin([RESTATEMENT, NEW_HOLDINGS]),
        lambda r: (
            f"a 13F-HR/A with amendment_type {r.amend!r}: it must say RESTATEMENT or NEW HOLDINGS to "
            "take its place among the quarter's versions"
        ),
    )
    flag(
        f["form"].eq(ORIGINAL) & f["amend"].notna(),
        lambda r: f"an original 13F-HR with amendment_type {r.amend!r}: only a 13F-HR/A amends",
    )
    return reasons


def _lines_frame(lines: pd.DataFrame, cusip_to_symbol: Mapping[str, str]) -> pd.DataFrame:
    """The lines of universe CUSIPs, normalized, with their position in ``lines`` (``line``)."""
    mapping = {str(k).strip().upper(): v for k, v in cusip_to_symbol.items()}
    cusip = lines["cusip"].astype("string").str.strip().str.upper()
    symbol = cusip.map(mapping)
    mapped = symbol.notna().to_numpy()
    sub = lines.loc[mapped]
    out = pd.DataFrame(
        {
            "line": np.flatnonzero(mapped),
            "accession": _text(sub["accession_number"]).to_numpy(),
            "cusip": cusip[mapped].astype(object).to_numpy(),
            "symbol": symbol[mapped].astype(object).to_numpy(),
            "shares_type": _text(sub["shares_type"], upper=True).to_numpy(),
            "put_call": _text(sub["put_call"], upper=True).to_numpy(),
            "shares": pd.to_numeric(sub["shares"], errors="coerce").astype("float64").to_numpy(),
            "value": pd.to_numeric(sub["value_usd"], errors="coerce").astype("float64").to_numpy(),
            "raw_shares": sub["shares"].to_numpy(),
            "raw_value": sub["value_usd"].to_numpy(),
        }
    )
    return out


def _line_reasons(x: pd.DataFrame, status: pd.Series) -> pd.Series:
    """The quarantine reason of each universe line ("" for a PRN line, which is left out; None: usable)."""
    reasons = pd.Series(None, index=x.index, dtype=object)

    def flag(mask, message: Callable[[pd.Series], str]) -> None:
        todo = pd.Series(mask, index=x.index).fillna(False).astype(bool) & reasons.isna()
        for i in x.index[todo]:
            reasons[i] = message(x.loc[i])

    flag(status.eq("quarantined"), lambda r: "")  # its filing's quarantine record stands for it
    flag(status.eq("unknown"), lambda r: f"accession number {r.accession!r} is not among the 13F filings")
    flag(status.eq("notice"), lambda r: "a line of a 13F NOTICE, which reports no holdings of its own")
    flag(x["shares_type"].eq(PRINCIPAL), lambda r: "")
    flag(
        ~x["shares_type"].isin([SHARES]),
        lambda r: f"shares_type {r.shares_type!r} is neither SH (shares) nor PRN (principal amount)",
    )
    flag(
        x["put_call"].notna() & ~x["put_call"].isin(PUT_CALL),
        lambda r: f"put_call {r.put_call!r} is not PUT or CALL",
    )
    bad_shares = ~np.isfinite(x["shares"]) | (x["shares"] < 0)
    flag(bad_shares, lambda r: f"shares {_shown(r.raw_shares)} is not a number >= 0")
    raw_missing = x["raw_value"].map(lambda v: v is None or (not isinstance(v, str) and pd.isna(v)))
    raw_missing |= x["raw_value"].map(lambda v: isinstance(v, str) and not v.strip())
    bad_value = (x["value"].isna() & ~raw_missing) | np.isinf(x["value"]) | (x["value"] < 0)
    flag(bad_value, lambda r: f"value_usd {_shown(r.raw_value)} is not a number >= 0")
    return reasons


def _positions(x: pd.DataFrame) -> pd.DataFrame:
    """One position per (filing, symbol, put_call): lines summed, the CUSIP of the largest line."""
    x = x.assign(
        pc=x["put_call"].fillna(""),
        value_missing=x["value"].isna(),
        value0=x["value"].fillna(0.0),
        order=-x["value"].fillna(-1.0),
    ).sort_values(["accession", "symbol", "pc", "order", "cusip"], kind="stable")
    grouped = x.groupby(["accession", "symbol", "pc"], sort=True)
    out = grouped.agg(
        cusip=("cusip", "first"),
        shares=("shares", "sum"),
        value=("value0", "sum"),
        value_missing=("value_missing", "any"),
    ).reset_index()
    out["value"] = out["value"].where(~out["value_missing"], np.nan)
    out["put_call"] = out["pc"].where(out["pc"] != "", None)
    return out.drop(columns=["pc", "value_missing"])


def _versions(filings: pd.DataFrame, positions: pd.DataFrame, points: pd.DataFrame) -> pd.DataFrame:
    """Per point (``accession`` of the asking filing; filer, quarter, j = a seq of that quarter) the
    positions of the quarter's version right after its filing j: shares per (symbol, put_call)."""
    cols = [*_KEY, "shares", "cusip"]
    if points.empty or positions.empty:
        return pd.DataFrame(columns=cols)
    at = points.merge(
        filings[[*_QUARTER, "seq", "base"]].rename(columns={"seq": "j", "base": "base_j"}),
        on=[*_QUARTER, "j"],
    )
    members = at.merge(filings[[*_QUARTER, "seq", "accession"]], on=_QUARTER, suffixes=("", "_member"))
    members = members[(members["seq"] >= members["base_j"]) & (members["seq"] <= members["j"])]
    held = members[["accession", "accession_member"]].merge(
        positions[["accession", "symbol", "put_call", "shares", "cusip"]].rename(
            columns={"accession": "accession_member"}
        ),
        on="accession_member",
    )
    held = held.assign(pc=held["put_call"].fillna(""))
    out = (
        held.groupby(["accession", "symbol", "pc"], sort=True)
        .agg(shares=("shares", "sum"), cusip=("cusip", "first"))
        .reset_index()
    )
    out["put_call"] = out["pc"].where(out["pc"] != "", None)
    return out[cols]


def _merge_key(left: pd.DataFrame, right: pd.DataFrame, how: str = "left", **kw) -> pd.DataFrame:
    """Merge on (accession, symbol, put_call), a null put_call matching a null put_call."""
    lk = left.assign(pc=left["put_call"].fillna(""))
    rk = right.assign(pc=right["put_call"].fillna("")).drop(columns="put_call")
    out = lk.drop(columns="put_call").merge(rk, on=["accession", "symbol", "pc"], how=how, **kw)
    out["put_call"] = out["pc"].where(out["pc"] != "", None)
    return out.drop(columns="pc")


def institutional_rows(
    filings: pd.DataFrame,
    lines: pd.DataFrame,
    cusip_to_symbol: Mapping[str, str],
    is_hedge_fund: Callable[[str, str], bool],
) -> tuple[pd.DataFrame, list[dict]]:
    """The ``raw_institutional_holdings`` rows of parsed 13F filings and the quarantined records.

    ``is_hedge_fund(cik, filer_name)`` flags a filer. The rules are the module's docstring. The result is
    the same for the same input in any row order; rows are sorted by (known_at, filer_id, report_date,
    accession_number, symbol, put_call).
    """
    _require(filings, FILING_FIELDS, "filings")
    _require(lines, LINE_FIELDS, "lines")
    quarantined: list[dict] = []

    f = pd.DataFrame(
        {
            "accession": _text(filings["accession_number"]).to_numpy(),
            "filer": _cik(filings["filer_cik"]).to_numpy(),
            "name": _text(filings["filer_name"]).to_numpy(),
            "form": _text(filings["form_type"], upper=True).to_numpy(),
            "report": _text(filings["report_type"], upper=True).to_numpy(),
            "amend": _text(filings["amendment_type"], upper=True).to_numpy(),
            "known_at": _day(filings["filing_date"]).to_numpy(),
            "quarter": _day(filings["period_of_report"]).to_numpy(),
            "raw_filing_date": filings["filing_date"].to_numpy(),
            "raw_period": filings["period_of_report"].to_numpy(),
            "raw_cik": filings["filer_cik"].to_numpy(),
        }
    )
    notice = f["report"].eq(NOTICE_REPORT) | f["form"].isin(NOTICE_FORMS)
    reasons = _filing_reasons(f)
    reasons[notice & f["accession"].notna()] = None  # a notice is never a version: nothing to check
    usable = reasons.isna() & ~notice

    x = _lines_frame(lines, cusip_to_symbol)
    line_counts = x["accession"].value_counts()
    for i in f.index[reasons.notna()]:
        record = {k: filings.iloc[i][k] for k in FILING_FIELDS}
        record["universe_lines"] = int(line_counts.get(f.at[i, "accession"], 0))
        quarantined.append(_quarantine(None, reasons[i], record, f.at[i, "accession"]))

    notices = set(f.loc[notice, "accession"].dropna())
    good = set(f.loc[usable, "accession"])
    status = pd.Series(
        np.select(
            [
                x["accession"].isin(good),
                x["accession"].isin(notices),
                x["accession"].isin(set(f["accession"])),
            ],
            ["ok", "notice", "quarantined"],
            "unknown",
        ),
        index=x.index,
    )
    line_reasons = _line_reasons(x, status)
    for i in x.index[line_reasons.notna() & line_reasons.ne("")]:
        record = lines.iloc[int(x.at[i, "line"])].to_dict()
        quarantined.append(_quarantine(x.at[i, "symbol"], line_reasons[i], record, x.at[i, "accession"]))
    x = x[line_reasons.isna()]

    h = f[usable].copy()
    if h.empty:
        return _frame([]), quarantined
    h["complete"] = h["form"].eq(ORIGINAL) | h["amend"].eq(RESTATEMENT)
    h = _sequence(h)
    p = _positions(x)

    # the previous quarter's version public on each filing's date (its last seq filed by that day)
    h["previous"] = (h["quarter"] - pd.offsets.QuarterEnd(1)).dt.normalize()
    days = h.groupby([*_QUARTER, "known_at"], as_index=False)["seq"].max().rename(columns={"seq": "j"})
    asked = h[["accession", "filer", "previous", "known_at"]].sort_values("known_at", kind="stable")
    found = pd.merge_asof(
        asked,
        days.rename(columns={"quarter": "previous"}).sort_values("known_at", kind="stable"),
        on="known_at",
        by=["filer", "previous"],
        direction="backward",
    )
    h = h.merge(found[["accession", "j"]], on="accession", how="left")
    h["prev_known"] = h["j"].notna()
    prev_points = h.loc[h["prev_known"], ["accession", "filer", "previous", "j"]].rename(
        columns={"previous": "quarter"}
    )
    prev_points["j"] = prev_points["j"].astype("int64")
    before_points = h.loc[h["seq"] > 0, ["accession", *_QUARTER, "seq"]].assign(j=lambda d: d["seq"] - 1)
    prev = _versions(h, p, prev_points).rename(columns={"shares": "prev", "cusip": "cusip_prev"})
    before = _versions(h, p, before_points.drop(columns="seq")).rename(
        columns={"shares": "before", "cusip": "cusip_before"}
    )
    info = h.set_index("accession")

    # the rows of each filing's own lines
    own = _merge_key(_merge_key(p, prev), before)
    own = own.join(info[["complete", "prev_known"]], on="accession")
    previous = own["prev"].fillna(0.0)
    compared = np.where(own["prev_known"], own["shares"] - previous, np.nan)
    held_before = own["before"].fillna(0.0) > 0
    addition = ~own["complete"] & held_before
    own["change_in_shares"] = np.where(addition, own["shares"], compared)
    own["is_new_position"] = ~addition & own["prev_known"] & (previous == 0) & (own["shares"] > 0)
    own["is_closed_position"] = (
        own["complete"] & own["put_call"].isna() & own["prev_known"] & (previous > 0) & (own["shares"] == 0)
    )
    own["market_value"] = own["value"]

    # closed and withdrawn rows of complete reports: keys held before that the report no longer lists
    held_prev = prev[prev["put_call"].isna() & (prev["prev"] > 0)]
    gone = _merge_key(held_prev, before, how="outer")
    gone = gone[gone["accession"].isin(set(h.loc[h["complete"], "accession"]))]
    gone = _merge_key(gone, p[[*_KEY, "shares"]])
    gone = gone[gone["shares"].isna()].drop(columns="shares")
    gone = _merge_key(
        gone.drop(columns=["prev", "cusip_prev"]), prev
    )  # the previous shares of withdrawn option keys too
    gone = gone.join(info[["prev_known"]], on="accession")
    gone_prev = gone["prev"].fillna(0.0)
    gone = gone.assign(
        cusip=gone["cusip_before"].fillna(gone["cusip_prev"]),
        shares=0.0,
        market_value=0.0,
        change_in_shares=np.where(gone["prev_known"], 0.0 - gone_prev, np.nan),
        is_new_position=False,
        is_closed_position=gone["put_call"].isna() & gone["prev_known"] & (gone_prev > 0),
    )

    cols = [
        *_KEY,
        "cusip",
        "shares",
        "market_value",
        "change_in_shares",
        "is_new_position",
        "is_closed_position",
    ]
    rows = pd.concat([own[cols], gone[cols]], ignore_index=True)
    rows = rows.join(info[["filer", "name", "form", "amend", "known_at", "quarter"]], on="accession")
    names = rows[["filer", "name"]].drop_duplicates()
    flags = {
        (c, n): bool(is_hedge_fund(c, n or "")) for c, n in zip(names["filer"], names["name"], strict=True)
    }
    out = pd.DataFrame(
        {
            "symbol": rows["symbol"],
            "known_at": rows["known_at"],
            "report_date": rows["quarter"],
            "filer_id": rows["filer"],
            "filer_name": rows["name"].fillna(""),
            "is_hedge_fund": [flags[(c, n)] for c, n in zip(rows["filer"], rows["name"], strict=True)],
            "shares": rows["shares"].astype("float64"),
            "change_in_shares": rows["change_in_shares"].astype("float64"),
            "market_value": rows["market_value"].astype("float64"),
            "is_new_position": rows["is_new_position"].astype(bool),
            "is_closed_position": rows["is_closed_position"].astype(bool),
            "source": SOURCE,
            "cusip": rows["cusip"],
            "accession_number": rows["accession"],
            "form_type": rows["form"],
            "put_call": rows["put_call"],
            "amendment_type": rows["amend"],
        }
    )
    out = out.assign(_pc=out["put_call"].fillna("")).sort_values(
        ["known_at", "filer_id", "report_date", "accession_number", "symbol", "_pc"], kind="stable"
    )
    return _frame(out.drop(columns="_pc")), quarantined


def _frame(rows) -> pd.DataFrame:
    """Rows with :data:`COLUMNS` in order and the table's types (empty → typed empty)."""
    if len(rows) == 0:
        return SCHEMA.empty_table().to_pandas()
    records = pd.DataFrame(rows).reindex(columns=list(COLUMNS))
    return pa.Table.from_pandas(records, schema=SCHEMA, preserve_index=False).to_pandas()


# ---- reading rows point in time ----------------------------------------------------------------------------
def _filed(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows that come from a 13F filing (an accession number), by position (``pos``), and their filings
    in quarter order (:func:`_sequence`). A filing is (filer, quarter, accession, known_at): a copy of a
    filing's rows with another date is another filing."""
    missing = [c for c in ("accession_number", "form_type", "amendment_type", "put_call") if c not in rows]
    if missing:
        raise ValueError(f"institutional holdings are missing the 13F filing columns {missing}")
    if rows["accession_number"].isna().all():  # synthetic and FMP rows: no filing to read
        return pd.DataFrame(columns=_FILED_COLUMNS), pd.DataFrame(columns=[*_QUARTER, "seq", "base"])
    accession = _text(rows["accession_number"])
    known = _day(rows["known_at"])
    quarter = _day(rows["report_date"])
    filer = _text(rows["filer_id"])
    filed = (accession.notna() & known.notna() & quarter.notna() & filer.notna()).to_numpy()
    sub = rows.loc[filed]
    closed = sub["is_closed_position"].astype("boolean").fillna(False).astype(bool).to_numpy()
    shares = pd.to_numeric(sub["shares"], errors="coerce").astype("float64").to_numpy()
    value = pd.to_numeric(sub["market_value"], errors="coerce").astype("float64").to_numpy()
    r = pd.DataFrame(
        {
            "pos": np.flatnonzero(filed),
            "filer": filer[filed].to_numpy(),
            "quarter": quarter[filed].to_numpy(),
            "known_at": known[filed].to_numpy(),
            "accession": accession[filed].to_numpy(),
            "form": _text(sub["form_type"], upper=True).to_numpy(),
            "amend": _text(sub["amendment_type"], upper=True).to_numpy(),
            "symbol": _text(sub["symbol"]).to_numpy(),
            "option": _text(sub["put_call"]).notna().to_numpy(),
            # a closed position holds nothing, whatever its shares column says (the synthetic rule too)
            "shares": np.where(closed, 0.0, shares),
            "value": np.where(closed, 0.0, np.nan_to_num(value, nan=0.0)),
        }
    )
    keys = [*_QUARTER, "accession", "known_at"]
    filings = r.drop_duplicates(keys)[[*keys, "form", "amend"]]
    complete = filings["form"].eq(ORIGINAL) | (
        filings["form"].eq(AMENDMENT) & filings["amend"].eq(RESTATEMENT)
    )
    addition = filings["form"].eq(AMENDMENT) & filings["amend"].eq(NEW_HOLDINGS)
    odd = ~(complete | addition)
    if odd.any():
        bad = filings[odd].iloc[0]
        raise ValueError(
            f"institutional holdings: accession {bad.accession} has form_type {bad.form!r} and "
            f"amendment_type {bad.amend!r}; a 13F row is a 13F-HR, or a 13F-HR/A that says RESTATEMENT or "
            "NEW HOLDINGS "
            "(sources.sec.holdings13f.institutional_rows quarantines the others)"
        )
    filings = _sequence(filings.assign(complete=complete.to_numpy()))
    r = r.merge(filings[[*keys, "seq", "base", "complete"]], on=keys, how="left")
    return r, filings


def _hidden(r: pd.DataFrame, filings: pd.DataFrame, n: int) -> np.ndarray:
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    if r.empty:
        return out
    filings = filings.assign(rank=filings.groupby(_QUARTER)["complete"].cumsum())
    nxt = filings.loc[filings["complete"], [*_QUARTER, "rank", "known_at"]]
    nxt = nxt.assign(rank=nxt["rank"] - 1).rename(columns={"known_at": "next_complete"})
    filings = filings.merge(nxt, on=[*_QUARTER, "rank"], how="left")
    r = r.merge(filings[[*_QUARTER, "seq", "next_complete"]], on=[*_QUARTER, "seq"], how="left")
    zero = r[~r["option"] & (r["shares"] == 0)]
    adds = r[~r["option"] & (r["shares"] > 0) & ~r["complete"]]
    pairs = zero[["pos", *_QUARTER, "symbol", "seq"]].merge(
        adds[[*_QUARTER, "symbol", "seq", "known_at"]], on=[*_QUARTER, "symbol"], suffixes=("", "_add")
    )
    added = pairs[pairs["seq_add"] > pairs["seq"]].groupby("pos")["known_at"].min()
    hide = pd.concat([r.set_index("pos")["next_complete"], added]).groupby(level=0).min()
    out[hide.index.to_numpy()] = hide.to_numpy().astype("datetime64[us]")
    return out


def _position(r: pd.DataFrame, filings: pd.DataFrame, n: int) -> np.ndarray:
    out = np.full((n, 2), np.nan)
    r = r[~r["option"]]
    if r.empty:
        return out
    day_end = filings.groupby([*_QUARTER, "known_at"], as_index=False)["seq"].max()
    bases = filings[[*_QUARTER, "seq", "base"]].rename(columns={"base": "base_j"})
    day_end = day_end.merge(bases, on=[*_QUARTER, "seq"]).rename(columns={"seq": "j"})
    asking = r[["pos", *_QUARTER, "symbol", "known_at"]].merge(day_end, on=[*_QUARTER, "known_at"])
    pairs = asking.merge(r[[*_QUARTER, "symbol", "seq", "shares", "value"]], on=[*_QUARTER, "symbol"])
    pairs = pairs[(pairs["seq"] >= pairs["base_j"]) & (pairs["seq"] <= pairs["j"])]
    total = pairs.groupby("pos")[["shares", "value"]].sum()
    out[total.index.to_numpy()] = total.to_numpy()
    return out


def _first(r: pd.DataFrame, n: int) -> np.ndarray:
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    if not r.empty:
        first = r.groupby(_QUARTER)["known_at"].transform("min")
        out[r["pos"].to_numpy()] = first.to_numpy().astype("datetime64[us]")
    return out


def hidden_from(rows: pd.DataFrame) -> pd.Series:
    """Per row, the date from which a later filing of its filer-quarter replaces it (NaT: never), on the
    input's index. A row belongs to the version public at t while ``known_at <= t < hidden_from``.

    A row is replaced by the next complete report (13F-HR, 13F-HR/A RESTATEMENT) of its filer-quarter; a
    0-share row (closed or withdrawn) also by a later NEW HOLDINGS row of its symbol. Both depend only on
    filings public by that date, so one pass over all rows gives, at every t, what a pass over the rows
    public at t would (:func:`quarter_versions` is the literal reading). Rows without an accession number
    (synthetic, FMP) are never replaced.
    """
    r, filings = _filed(rows)
    return pd.Series(_hidden(r, filings, len(rows)), index=rows.index, dtype="datetime64[us]")


def quarter_position(rows: pd.DataFrame) -> pd.DataFrame:
    """Per share row (put_call null) of a filing, the filer's position in its symbol in the version of its
    quarter public at the end of the row's filing day: ``shares`` and ``market_value`` summed over that
    version's rows (a closed row counts 0, a missing value 0). NaN for other rows; on the input's index.

    A NEW HOLDINGS row's position thus includes the shares the quarter already held, and rows of one day
    agree whichever filing of the day they come from. The latest row of a (filer, symbol) known by t carries
    the position of the version public at t: a complete report lists (or withdraws) every symbol of the
    version it replaces, and an addition that leaves a symbol alone does not change it.
    """
    r, filings = _filed(rows)
    return pd.DataFrame(
        _position(r, filings, len(rows)), index=rows.index, columns=["shares", "market_value"]
    )


def first_public(rows: pd.DataFrame) -> pd.Series:
    """Per filing row, the date its filer-quarter first became public: the earliest known_at among the filing
    rows of its (filer_id, report_date); NaT for a row without an accession number (it is its own filing).
    On the input's index."""
    r, _ = _filed(rows)
    return pd.Series(_first(r, len(rows)), index=rows.index, dtype="datetime64[us]")


def reading_columns(rows: pd.DataFrame) -> pd.DataFrame:
    """What a reader of the table needs per row, in one pass, on the input's index: ``is_option`` (put_call
    set), ``hidden_from``, ``first_public`` and the ``quarter_shares`` / ``quarter_value`` of
    :func:`quarter_position`."""
    r, filings = _filed(rows)
    n = len(rows)
    position = _position(r, filings, n)
    put_call = rows["put_call"]
    option = np.zeros(n, dtype=bool) if put_call.isna().all() else _text(put_call).notna().to_numpy()
    return pd.DataFrame(
        {
            "is_option": option,
            "hidden_from": _hidden(r, filings, n),
            "first_public": _first(r, n),
            "quarter_shares": position[:, 0],
            "quarter_value": position[:, 1],
        },
        index=rows.index,
    )


def quarter_versions(rows: pd.DataFrame, t) -> pd.DataFrame:
    """The rows public at ``t``, each filer-quarter in its version public at ``t``: the newest complete report
    (13F-HR or RESTATEMENT) filed by t with the NEW HOLDINGS amendments filed by t after it, less the 0-share
    rows of symbols such an amendment added back. Rows without an accession number are all kept.

    The literal reading, filing by filing (for checks and notebooks); it equals
    ``rows[(known_at <= t) & ~(hidden_from(rows) <= t)]``.
    """
    t = pd.Timestamp(t)
    visible = rows[_day(rows["known_at"]).to_numpy() <= np.datetime64(t.normalize())]
    r, _ = _filed(visible)
    keep = np.ones(len(visible), dtype=bool)
    groups: dict[tuple, list[dict]] = {}
    for row in r.to_dict("records"):
        groups.setdefault((row["filer"], row["quarter"]), []).append(row)
    for group in groups.values():
        filings = {(x["accession"], x["known_at"]): x for x in group}.values()
        order = sorted(filings, key=lambda x: (x["known_at"], x["form"] == AMENDMENT, x["accession"]))
        start = max((i for i, x in enumerate(order) if x["complete"]), default=0)
        current = {(x["accession"], x["known_at"]): i for i, x in enumerate(order) if i >= start}
        # per symbol, the last filing of the version that adds shares of it (a NEW HOLDINGS row > 0)
        added_at: dict[str, int] = {}
        for x in group:
            at = current.get((x["accession"], x["known_at"]))
            if at is not None and not x["complete"] and not x["option"] and x["shares"] > 0:
                added_at[x["symbol"]] = max(added_at.get(x["symbol"], -1), at)
        for x in group:
            at = current.get((x["accession"], x["known_at"]))
            if at is None or (not x["option"] and x["shares"] == 0 and added_at.get(x["symbol"], -1) > at):
                keep[x["pos"]] = False
    return visible[keep]
