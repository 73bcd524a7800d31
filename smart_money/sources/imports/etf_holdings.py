"""ETF holdings from files in ARK Invest's daily layout: ``raw_etf_holdings`` rows for a source that has
none, or real history beyond N-PORT's quarterly reports (ARK publishes its funds' holdings every day).

**Holdings files**: CSV (``.csv``, or gzip ``.csv.gz``), one line per fund, day and position, with ARK's
columns (names matched trimmed and case-insensitively; others ignored):

==================  ========  ========================================================================
column              required  meaning
==================  ========  ========================================================================
date                yes       the day the holdings are as of, ``MM/DD/YYYY`` (ARK) or ``YYYY-MM-DD``
fund                yes       the ETF's ticker (ARKK)
ticker              yes       the position's ticker; empty for cash, money market funds and other
                              positions that are not a listed stock: those lines are not rows
shares              yes*      shares held, ``2,469,443`` (thousands separators allowed), >= 0
company             no        the issuer's name (not kept)
cusip               no        the CUSIP; ARK's own codes (``X9USDDGCM``, ``PIPEACHRU``) are not CUSIPs
                              and become null; digits that are a CUSIP with its leading zeros lost
                              (``84310101`` → ``084310101``, checked by the check digit) are restored
market value ($)    no        dollars, ``$1,959,774,659.23``; empty is unknown
weight (%)          no        share of the fund, ``9.65%`` → 0.0965; empty is unknown
==================  ========  ========================================================================

(* for the lines that have a ticker.) A ticker may carry a Bloomberg US exchange code, which is dropped:
ARK writes DraftKings as ``DKNG UW`` from May 2022 on.

**When a snapshot became public.** ARK publishes each day's holdings that evening, so ``known_at`` is the
as-of date, unless the snapshot was captured later: a capture-times file (CSV with ``as_of_date`` and
``commit_time_utc``, as ark-funds-flat-data's ``<FUND>_snapshot_commits.csv``; the fund is its ``fund``
column or else the file name before ``_snapshot_commits``) gives when each day's file was recorded, and
``known_at`` is the later of the as-of date and the capture's date in US Eastern time (the market's
calendar: a snapshot committed at 00:11 UTC is the same evening in New York). A snapshot cannot be
public before it was captured: ARKK's 10/08/2021 file was committed on 11 October (03:37 Eastern), so it
is known from 11 October, the day 10/11/2021's own snapshot is known too. Of a fund's snapshots known on
the same day only the latest as-of date is kept: the older one is never the newest known state, and is
returned among the records set aside. With a capture file, every as-of date of that fund must be in it.
A holdings file given alone is read with the capture files beside it; a folder is read whole (every
``.csv`` / ``.csv.gz``).

``report_date`` is the as-of date, ``source`` is ``file``; ``accession_number`` and ``form_type`` are
null. Lines of one fund, day and ticker are summed into one row (shares, value, weight; the CUSIP kept
when one is known): ARK lists Archer Aviation's unregistered shares (``PIPEACHRU``) beside its listed ones
under the ticker ACHR on 08/28/2023. Any bad value stops the import with an
:class:`EtfHoldingsFileError` naming the file, the column, the line (1-based, header = line 1) and the
value, and saying the fix, as the price importer does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from smart_money import tables
from smart_money.sources.imports import _tabular
from smart_money.sources.synthetic.identifiers import is_valid_cusip

SOURCE = "file"
TABLE = tables.RAW_ETF_HOLDINGS.name
REQUIRED = ("date", "fund", "ticker", "shares")
CAPTURE_COLUMNS = ("as_of_date", "commit_time_utc")
CAPTURE_NAME = "_snapshot_commits"
MARKET_TIME_ZONE = "America/New_York"
LAYOUT = (
    "an ETF holdings file has ARK's columns date, fund, company, ticker, cusip, shares, "
    "'market value ($)', 'weight (%)' (date, fund, ticker and shares required)."
)
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_NUMBER = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+")
# A Bloomberg composite or exchange code for a US listing (UW Nasdaq Global Select, UN NYSE, US, UQ …).
_EXCHANGE_CODE = re.compile(r"(\S+)\s+U[A-Z]")


class EtfHoldingsFileError(_tabular.ImportFileError):
    """An ETF holdings file is not in the documented format; the message says where and how to fix it."""


# ---- cells -------------------------------------------------------------------------------------------------
def _day(text: str) -> pd.Timestamp | None:
    """``MM/DD/YYYY`` or ``YYYY-MM-DD`` → a day; None when it is neither or not a real date."""
    value = text.strip()
    try:
        if m := _US_DATE.fullmatch(value):
            return pd.Timestamp(year=int(m.group(3)), month=int(m.group(1)), day=int(m.group(2)))
        if m := _ISO_DATE.fullmatch(value):
            return pd.Timestamp(year=int(m.group(1)), month=int(m.group(2)), day=int(m.group(3)))
    except ValueError:
        return None
    return None


def _amount(text: str, *, dollars: bool = False, percent: bool = False) -> float | None:
    """``2,469,443`` / ``$1,959,774,659.23`` / ``9.65%`` → a float >= 0; NaN when empty; None when it
    is not such a number (a minus sign included: holdings are never negative)."""
    value = text.strip()
    if not value:
        return np.nan
    if dollars and value.startswith("$"):
        value = value[1:].strip()
    if percent and value.endswith("%"):
        value = value[:-1].strip()
    if not _NUMBER.fullmatch(value):
        return None
    return float(value.replace(",", ""))


def _cusip(text: str) -> str | None:
    value = text.strip().upper()
    if is_valid_cusip(value):
        return value
    if value.isdigit() and len(value) < 9 and is_valid_cusip(value.zfill(9)):
        return value.zfill(9)  # a spreadsheet read it as a number and dropped the leading zeros
    return None


def _ticker(text: str) -> str:
    value = " ".join(text.strip().upper().split())
    if m := _EXCHANGE_CODE.fullmatch(value):
        return m.group(1)
    return value


def _texts(table: _tabular.TableFile, column: str) -> pd.Series:
    return table.frame[column].astype(str).str.strip()


def _days(table: _tabular.TableFile, column: str) -> pd.Series:
    text = _texts(table, column)
    days = text.map(_day)
    table.fail_first(
        column,
        days.isna().to_numpy(),
        table.frame[column],
        "is not a date (MM/DD/YYYY or YYYY-MM-DD)",
        "write the as-of day as MM/DD/YYYY (e.g. 10/08/2021) or YYYY-MM-DD",
    )
    return pd.Series(pd.to_datetime(days.tolist()), dtype="datetime64[ms]")


def _amounts(table: _tabular.TableFile, column: str, mask: np.ndarray, **kind) -> pd.Series:
    """The numbers of ``column`` on the lines of ``mask`` (NaN elsewhere)."""
    if column not in table.frame.columns:
        return pd.Series(np.nan, index=range(len(table.frame)))
    text = _texts(table, column)
    values = text.map(lambda v: _amount(v, **kind))
    shape = "9.65%" if kind.get("percent") else ("$1,234.56" if kind.get("dollars") else "2,469,443")
    table.fail_first(
        column,
        mask & values.isna().to_numpy() & (text != "").to_numpy(),
        table.frame[column],
        "is not a number >= 0",
        f"write it as a number such as {shape}, or leave it empty if unknown",
    )
    numbers = pd.to_numeric(values.where(pd.Series(mask)), errors="coerce").astype("float64")
    return numbers.reset_index(drop=True)


# ---- files -------------------------------------------------------------------------------------------------
def _is_csv(path: Path) -> bool:
    return _tabular.kind_by_suffix(path) == "csv"


def _capture_fund(table: _tabular.TableFile) -> pd.Series:
    if "fund" in table.frame.columns:
        return _tabular.symbol_column(table, "fund")
    name = table.path.name.lower()
    if CAPTURE_NAME not in name:
        raise EtfHoldingsFileError(
            f"{table.path}: a capture-times file (as_of_date, commit_time_utc) names no fund. Fix: add a "
            f"fund column, or name the file <FUND>{CAPTURE_NAME}.csv (e.g. ARKK{CAPTURE_NAME}.csv)."
        )
    fund = table.path.name[: name.index(CAPTURE_NAME)].strip().upper()
    if not _tabular._SYMBOL.fullmatch(fund):
        raise EtfHoldingsFileError(
            f"{table.path}: the file name gives fund {fund!r}, not a ticker. Fix: name the file "
            f"<FUND>{CAPTURE_NAME}.csv or add a fund column."
        )
    return pd.Series([fund] * len(table.frame))


def _captures(table: _tabular.TableFile) -> pd.DataFrame:
    """One capture file → fund, as_of (day), captured (the capture's day in US Eastern time), line."""
    fund = _capture_fund(table)
    as_of = _days(table, "as_of_date")
    text = _texts(table, "commit_time_utc")
    stamps = pd.to_datetime(text, errors="coerce", utc=True)
    table.fail_first(
        "commit_time_utc",
        stamps.isna().to_numpy(),
        table.frame["commit_time_utc"],
        "is not a date and time",
        "give the capture time in ISO 8601, e.g. 2021-10-12T00:11:21+00:00 (UTC when no zone is given)",
    )
    captured = stamps.dt.tz_convert(MARKET_TIME_ZONE).dt.tz_localize(None).dt.normalize()
    frame = pd.DataFrame(
        {"fund": fund.to_numpy(), "as_of": as_of.to_numpy(), "captured": captured.astype("datetime64[ms]")}
    )
    frame["_line"] = table.lines
    return frame


def _holdings(table: _tabular.TableFile) -> tuple[pd.DataFrame, list[dict]]:
    """One holdings file → its stock lines (with their line numbers) and the lines without a ticker."""
    _tabular.require_columns(table, REQUIRED, LAYOUT)
    frame = table.frame
    fund = _tabular.symbol_column(table, "fund")
    day = _days(table, "date")
    tickers = _texts(table, "ticker").map(_ticker)
    stock = (tickers != "").to_numpy()
    table.fail_first(
        "ticker",
        stock & ~tickers.str.fullmatch(_tabular._SYMBOL).to_numpy(),
        frame["ticker"],
        "is not a ticker",
        "give the stock's ticker (letters, digits, . - /), or leave it empty for cash and other positions",
    )
    shares = _amounts(table, "shares", stock)
    table.fail_first(
        "shares", stock & shares.isna().to_numpy(), frame["shares"], "is missing", "give the shares held"
    )
    value = _amounts(table, "market value ($)", stock, dollars=True)
    weight = _amounts(table, "weight (%)", stock, percent=True)
    table.fail_first(
        "weight (%)",
        stock & (weight > 100).to_numpy(),
        frame["weight (%)"] if "weight (%)" in frame.columns else weight,
        "is more than 100%",
        "give the position's share of the fund in percent (0-100%)",
    )
    cusips = (
        _texts(table, "cusip").map(_cusip) if "cusip" in frame.columns else pd.Series([None] * len(frame))
    )
    rows = pd.DataFrame(
        {
            "symbol": tickers.to_numpy(),
            "etf_symbol": fund.to_numpy(),
            "report_date": day.to_numpy(),
            "shares": shares.to_numpy(),
            "weight": (weight / 100.0).to_numpy(),
            "market_value": value.to_numpy(),
            "cusip": cusips.astype(object).to_numpy(),
            "_line": table.lines,
        }
    )[stock].reset_index(drop=True)
    skipped = [
        {
            "table": TABLE,
            "symbol": "",
            "reason": "no ticker: cash, a money market fund or another position that is not a listed stock",
            "record": json.dumps({"file": str(table.path), "line": int(table.lines[i]), **record})[:2000],
        }
        for i, record in zip(np.flatnonzero(~stock), frame[~stock].to_dict("records"), strict=True)
    ]
    return rows, skipped


def _files(root: Path) -> list[Path]:
    if root.is_file():
        beside = sorted(
            p
            for p in root.parent.iterdir()
            if p != root and p.is_file() and _is_csv(p) and CAPTURE_NAME in p.name.lower()
        )
        return [root, *beside]
    return _tabular.files_under(root, _is_csv, EtfHoldingsFileError, "ETF holdings files (.csv, .csv.gz)")


def _fail_at(table: _tabular.TableFile, line: int, column: str, value, problem: str, fix: str) -> None:
    position = int(np.flatnonzero(table.lines == line)[0])
    table.fail(column, position, value, problem, fix)


def load_etf_holdings(
    path: Path | str, symbols: Iterable[str] | None = None
) -> tuple[pd.DataFrame, list[dict]]:
    """The holdings in the file or folder at ``path`` as ``raw_etf_holdings`` rows sorted by (etf_symbol,
    report_date, symbol), and what was set aside as records with the reason: the lines that are not stocks
    (no ticker), one per line, and each superseded snapshot (see the module docstring).
    ``symbols`` keeps only those tickers' rows (None: all). See the module docstring for the format."""
    root = Path(path)
    holdings: list[tuple[_tabular.TableFile, pd.DataFrame]] = []
    captures: list[tuple[_tabular.TableFile, pd.DataFrame]] = []
    skipped: list[dict] = []
    for file in _files(root):
        table = _tabular.read_table(file, "csv", EtfHoldingsFileError)
        columns = set(table.frame.columns)
        if set(CAPTURE_COLUMNS) <= columns:
            captures.append((table, _captures(table)))
        else:
            rows, lines = _holdings(table)  # a file of neither kind fails here, naming its columns
            holdings.append((table, rows))
            skipped.extend(lines)
    if not holdings:
        raise EtfHoldingsFileError(f"{root}: holds no ETF holdings file. Fix: {LAYOUT}")
    when = _capture_index(captures)
    parts = []
    for number, (table, rows) in enumerate(holdings):
        rows = rows.assign(_file=number)
        captured = _captured_days(table, rows, when)
        rows["known_at"] = np.maximum(rows["report_date"].to_numpy(), captured.to_numpy())
        parts.append(rows)
    frame = pd.concat(parts, ignore_index=True)
    frame = _combine(frame)
    frame, superseded = _latest_per_known_day(frame)
    skipped.extend(superseded)
    if symbols is not None:
        wanted = {str(s).strip().upper() for s in symbols}
        frame = frame[frame["symbol"].isin(wanted)]
    frame = frame.sort_values(["etf_symbol", "report_date", "symbol"], kind="stable").reset_index(drop=True)
    frame["source"] = SOURCE
    frame["accession_number"] = None
    frame["form_type"] = None
    return _typed(frame), skipped


def read_etf_holdings(path: Path | str, symbols: Iterable[str] | None = None) -> pd.DataFrame:
    """:func:`load_etf_holdings` without the list of lines that are not stocks."""
    return load_etf_holdings(path, symbols)[0]


def _capture_index(captures: list[tuple[_tabular.TableFile, pd.DataFrame]]) -> pd.DataFrame:
    """All capture times, one per (fund, as_of): a second one for the same day is an error."""
    if not captures:
        return pd.DataFrame(columns=["fund", "as_of", "captured"])
    seen: dict[tuple[str, pd.Timestamp], tuple[_tabular.TableFile, int]] = {}
    for table, frame in captures:
        for fund, as_of, line in zip(frame["fund"], frame["as_of"], frame["_line"], strict=True):
            key = (fund, pd.Timestamp(as_of))
            if key in seen:
                first_table, first_line = seen[key]
                _fail_at(
                    table,
                    int(line),
                    "as_of_date",
                    f"{fund} {key[1]:%Y-%m-%d}",
                    f"is a second capture time for that fund and day (the first is in {first_table.path}, "
                    f"line {first_line})",
                    "keep one capture time per fund and day",
                )
            seen[key] = (table, int(line))
    return pd.concat([f[["fund", "as_of", "captured"]] for _, f in captures], ignore_index=True)


def _captured_days(table: _tabular.TableFile, rows: pd.DataFrame, when: pd.DataFrame) -> pd.Series:
    """Each row's capture day (NaT for funds without a capture file; a day missing from one is an error)."""
    if when.empty:
        return rows["report_date"].astype("datetime64[ms]")
    funds_with_captures = set(when["fund"])
    merged = rows[["etf_symbol", "report_date"]].merge(
        when.rename(columns={"fund": "etf_symbol", "as_of": "report_date"}),
        on=["etf_symbol", "report_date"],
        how="left",
    )
    missing = rows["etf_symbol"].isin(funds_with_captures).to_numpy() & merged["captured"].isna().to_numpy()
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        _fail_at(
            table,
            int(rows["_line"].iloc[i]),
            "date",
            f"{rows['etf_symbol'].iloc[i]} {rows['report_date'].iloc[i]:%m/%d/%Y}",
            "has no capture time, though the fund's capture-times file lists others",
            "add the day's capture time to the capture file, or remove that file to use the as-of dates",
        )
    return merged["captured"].fillna(rows["report_date"]).astype("datetime64[ms]")


def _combine(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (fund, day, ticker): several lines of one stock (ARK lists unregistered shares apart
    from the listed ones under the same ticker) are summed, keeping the CUSIP when one is known."""
    key = ["etf_symbol", "report_date", "symbol"]
    twice = frame.duplicated(key, keep=False).to_numpy()
    if not twice.any():
        return frame
    single, several = frame[~twice], frame[twice]

    def one_cusip(values: pd.Series):
        known = set(values.dropna())
        return known.pop() if len(known) == 1 else None

    def total(values: pd.Series) -> float:
        return float(values.sum()) if values.notna().all() else np.nan

    merged = several.groupby(key, sort=False, as_index=False).agg(
        shares=("shares", "sum"),
        weight=("weight", total),
        market_value=("market_value", total),
        cusip=("cusip", one_cusip),
        known_at=("known_at", "max"),
        _line=("_line", "first"),
        _file=("_file", "first"),
    )
    return pd.concat([single, merged], ignore_index=True)


def _latest_per_known_day(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """Keep, for each fund and ``known_at``, only the latest as-of snapshot: an older snapshot captured
    late (ARKK's 10/08/2021, known on 10/11 with 10/11's own) is never the newest known one."""
    newest = frame.groupby(["etf_symbol", "known_at"])["report_date"].transform("max")
    old = (frame["report_date"] < newest).to_numpy()
    records = [
        {
            "table": TABLE,
            "symbol": "",
            "reason": f"superseded snapshot: {fund}'s {as_of:%m/%d/%Y} holdings became known on "
            f"{known:%Y-%m-%d} with a later snapshot of that day",
            "record": json.dumps({"fund": fund, "date": f"{as_of:%m/%d/%Y}", "rows": int(n)}),
        }
        for (fund, as_of, known), n in frame[old]
        .groupby(["etf_symbol", "report_date", "known_at"])
        .size()
        .items()
    ]
    return frame[~old], records


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    spec = tables.RAW_ETF_HOLDINGS
    out = frame.reindex(columns=spec.column_names).copy()
    for name in ("known_at", "report_date"):
        out[name] = pd.to_datetime(out[name]).astype("datetime64[ms]")
    for name in ("shares", "weight", "market_value"):
        out[name] = out[name].astype("float64")
    for name in ("symbol", "etf_symbol", "source"):
        out[name] = out[name].astype(str)
    for name in ("cusip", "accession_number", "form_type"):
        out[name] = out[name].astype(object).where(out[name].notna(), None)
    return out
