"""Congress trades from files: the ``raw_congress_trades`` table for a source that has none (the SEC has no
Congress trades).

``known_at`` is the date a trade became PUBLIC: the Senate's ``date_recieved``, the House Clerk's
``FilingDate``, the documented CSV's ``known_at``; never the trade date and never a scraped notification
date. A record with no readable public date, symbol, side or trade date is quarantined with its reason
(:data:`QUARANTINE_COLUMNS`, as the FMP source does), never placed in time by a guess.

A path is a file or a folder. A folder is read whole: every ``.csv``, ``.json``, ``.xml``, ``.parquet`` /
``.pq`` file below it, each optionally gzip-compressed (``.gz``); other files (README, PROVENANCE.md) and
hidden ones are ignored. Each file's format is recognised by its content (gzip by its magic bytes), not its
name, and a file in none of these formats is a :class:`CongressFileError` naming it:

* **The documented CSV** (or the same columns in Parquet): ``symbol``, ``known_at`` (the public disclosure
  date, ``YYYY-MM-DD``), ``transaction_date`` (``YYYY-MM-DD``), ``chamber`` (``house``/``senate``),
  ``member``, ``side`` (``buy``/``sell``), and optionally ``amount_low``/``amount_high`` (dollars, empty
  when unknown). Names are matched trimmed and case-insensitively, other columns are ignored, and, as for a
  price file, the first bad value is an error naming the file, the column, the line and the value, with the
  fix: a ``known_at`` before its ``transaction_date`` and ``amount_low > amount_high`` included.
* **The Senate eFD daily summaries** (senate-stock-watcher-data ``daily_summaries``): a JSON list of
  periodic transaction reports. What the real 2012–2016 file (676 reports, 2,718 transactions) holds:

  - per report ``first_name``, ``last_name``, ``office``, ``ptr_link``, ``bioguide``, ``date_recieved``
    (spelled so, ``MM/DD/YYYY``: the public date) and ``transactions``; 314 reports (filed on paper) have
    none and give nothing;
  - names are in mixed case or all capitals (``PAT ROBERTS`` and ``Pat Roberts``), some with a trailing
    space; ``member`` is first + last name as filed, spaces collapsed;
  - per transaction ``transaction_date`` (``MM/DD/YYYY``), ``owner`` (Self/Spouse/Joint/Child, not kept),
    ``ticker``, ``asset_description``, ``asset_type``, ``type``, ``amount``, ``comment``;
  - ``ticker`` is an HTML anchor to Yahoo whose text is the ticker (``BRK-B``, an option ``SPY160219P…``,
    a bond ``XER.BE`` occur), or ``--`` (787 transactions) even where the description starts with one
    (``HD-The Home Depot, Inc.``): ``--`` is quarantined (no ticker), never read from the description;
  - ``type`` is Purchase (buy), Sale (Full) or Sale (Partial) (sell), or Exchange (20, e.g. ASIX shares
    received for HON shares): neither a buy nor a sell, quarantined;
  - ``asset_type`` Corporate Bond or Municipal Security (a few carry the issuer's ticker, e.g. a Verizon
    bond as VZ) is not a trade in the stock and is quarantined; Stock, Other Securities (funds) and ""
    are kept;
  - ``amount`` is a band, ``$1,001 - $15,000`` → 1001/15000; ``Over $50,000,000`` → 50000001/NaN;
  - 7 transactions are dated after their report's ``date_recieved`` (typos, one by ten months): quarantined.
* **The House transactions JSON** (house-stock-watcher-data's early shape), read with **the House Clerk's
  financial-disclosure index XML** (``<FinancialDisclosure><Member>…``, e.g. ``2022FD.xml``). The index is
  found in the same folder tree when a folder is given, or beside a JSON file given alone (its folder and
  that folder's ``clerk_fd_index/``); a House JSON with no index is an error. What the real files hold:

  - per transaction ``transaction_date``, ``disclosure_date``, ``ticker``, ``asset_description``,
    ``asset_type`` (all Stock), ``type`` (Purchase, Sale, Exchange), ``amount``, ``representative``,
    ``district``, ``owner``, ``filing_id`` (= the index's ``DocID``), ``source_url`` (the PDF);
  - ``known_at`` is the index's ``FilingDate`` (``M/D/YYYY``) for the transaction's ``filing_id``. The
    JSON's ``disclosure_date`` is not the public date (a notification date, days earlier; OCR-garbled too,
    ``09/26/2020`` for a 2022 trade) and is never read. A filing missing from the index, or listed with no
    ``FilingDate`` (the index's withdrawn ``W`` entries have none) or with two different ones, is
    quarantined: no public date;
  - the index has 1,845 entries (608 of type P, the transaction reports) and lists one DocID twice, alike;
  - years are read as scraped, never corrected: ``09/19/2202`` (after the filing date) is quarantined, and
    so is a trade dated after its filing's ``FilingDate``; trades years before their filing are real late
    disclosures (Thomas Suozzi's December 2022 filing reports trades from 2017 on) and are kept;
  - ``amount`` may hold a line break (``$15,001 -\\n$50,000``); a band cut after its dash (``$15,001 -``)
    keeps its low end with the high end NaN (not looked up); an exact amount (``$999.64``) is both ends;
  - ``representative`` is ``member`` as scraped (``Mark Dr Green``).

``symbols`` keeps only rows (and quarantined records) of those tickers; quarantined records whose ticker
could not be read are kept too. Rows are sorted by (known_at, symbol, member), each file in reading order
otherwise; ``source`` is ``file``.
"""

from __future__ import annotations

import gzip
import html
import json
import re
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from smart_money import tables
from smart_money.sources.imports import _tabular

SOURCE = "file"
TABLE = tables.RAW_CONGRESS_TRADES.name
QUARANTINE_COLUMNS = ["table", "symbol", "reason", "record"]
CSV_REQUIRED = ("symbol", "known_at", "transaction_date", "chamber", "member", "side")
CSV_OPTIONAL = ("amount_low", "amount_high")
# Asset types that are not a share of the company even when the report gives the issuer's ticker.
NOT_STOCK_ASSET_TYPES = ("corporate bond", "municipal security")
CLERK_INDEX_FOLDER = "clerk_fd_index"
_DATA_SUFFIXES = (".csv", ".json", ".xml", ".parquet", ".pq")
_US_DATE = re.compile(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*")
_ANCHOR = re.compile(r"<a\b[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)
_NUMBER = r"\$?\s*(\d[\d,]*(?:\.\d+)?)"
_BAND = re.compile(rf"{_NUMBER}\s*-\s*{_NUMBER}")
_OVER = re.compile(rf"(?:over|more than|above)\s*{_NUMBER}", re.IGNORECASE)
_PLUS = re.compile(rf"{_NUMBER}\s*\+")
_CUT = re.compile(rf"{_NUMBER}\s*-")
_EXACT = re.compile(_NUMBER)
_SIDES = {"purchase": "buy", "sale": "sell", "sale (full)": "sell", "sale (partial)": "sell"}
_LAYOUT = (
    "a Congress CSV has the columns symbol, known_at, transaction_date, chamber, member, side and "
    "optionally amount_low, amount_high (README 'Congress files')."
)


class CongressFileError(_tabular.ImportFileError):
    """A Congress file cannot be read; the message names the file, what is wrong and the fix."""


class _Rejected(ValueError):
    """One record cannot be used; the message is its quarantine reason."""


@dataclass
class _Filing:
    """One DocID of the Clerk's index: its public date, or why it has none."""

    known_at: pd.Timestamp | None
    problem: str | None
    entries: list[dict] = field(default_factory=list)


# ---- values -----------------------------------------------------------------------------------------------
def _us_date(value, name: str) -> pd.Timestamp:
    """``MM/DD/YYYY`` (one-digit month and day allowed) as a day; anything else is rejected, never guessed."""
    match = _US_DATE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise _Rejected(f"{name} {value!r} is not a date (MM/DD/YYYY)")
    month, day, year = (int(g) for g in match.groups())
    try:
        return pd.Timestamp(year=year, month=month, day=day)
    except ValueError:
        raise _Rejected(f"{name} {value!r} is not a calendar date") from None


def _dollars(text: str) -> float:
    return float(text.replace(",", ""))


def amount_band(value) -> tuple[float, float]:
    """A disclosed amount as (low, high) dollars: ``$1,001 - $15,000`` → (1001, 15000); ``Over $50,000,000``
    → (50000001, NaN) ("over" excludes the number); ``$50,000,001 +`` → (50000001, NaN); a band cut after
    its dash, ``$15,001 -`` → (15001, NaN); an exact amount ``$999.64`` → (999.64, 999.64); empty →
    (NaN, NaN). Line breaks count as spaces. Anything else is rejected."""
    text = " ".join(str(value or "").split())
    nan = float("nan")
    if text in ("", "--"):
        return nan, nan
    if match := _BAND.fullmatch(text):
        low, high = _dollars(match.group(1)), _dollars(match.group(2))
        if low > high:
            raise _Rejected(f"amount {value!r} has its low end above its high end")
        return low, high
    if match := _OVER.fullmatch(text):
        return _dollars(match.group(1)) + 1, nan
    if match := (_PLUS.fullmatch(text) or _CUT.fullmatch(text)):
        return _dollars(match.group(1)), nan
    if match := _EXACT.fullmatch(text):
        amount = _dollars(match.group(1))
        return amount, amount
    raise _Rejected(f"amount {value!r} is not a dollar amount or band")


def _side(value) -> str:
    kind = " ".join(str(value or "").split()).lower()
    if kind in _SIDES:
        return _SIDES[kind]
    if kind == "exchange":
        raise _Rejected(f"type {value!r} is neither a buy nor a sell (one holding exchanged for another)")
    raise _Rejected(f"type {value!r} is not Purchase, Sale, Sale (Full) or Sale (Partial)")


def _ticker(value) -> str:
    """The ticker of a Senate ``ticker`` cell (an HTML anchor's text) or a House one (plain text)."""
    text = value if isinstance(value, str) else ""
    anchor = _ANCHOR.search(text)
    if anchor:
        text = anchor.group(1)
    elif "<" in text:
        raise _Rejected(f"ticker {value!r} is HTML without an anchor")
    symbol = html.unescape(text).strip().upper()
    if symbol in ("", "--", "N/A"):
        raise _Rejected(
            f"no ticker ({value!r}): the asset is named only in words, and is not matched to a symbol"
        )
    if not _tabular._SYMBOL.fullmatch(symbol):
        raise _Rejected(f"ticker {symbol!r} is not a ticker")
    return symbol


def _stock(asset_type) -> None:
    if str(asset_type or "").strip().lower() in NOT_STOCK_ASSET_TYPES:
        raise _Rejected(f"asset_type {asset_type!r} is not the company's stock")


def _name(*parts) -> str:
    return " ".join(" ".join(str(p or "") for p in parts).split())


def _quarantine(symbol: str | None, reason: str, record: dict) -> dict:
    return {
        "table": TABLE,
        "symbol": symbol,
        "reason": reason,
        "record": json.dumps(record, sort_keys=True, default=str)[:2000],
    }


def _known_symbol(value) -> str | None:
    try:
        return _ticker(value)
    except _Rejected:
        return None


# ---- reading and recognising files ------------------------------------------------------------------------
def _bytes(path: Path) -> tuple[bytes, bool]:
    """The file's bytes, decompressed when it is gzip (by its magic bytes), and whether it was."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data), True
        except (OSError, EOFError, zlib.error) as exc:
            raise CongressFileError(f"{path}: a damaged gzip file ({exc}). Fix: compress it again.") from None
    return data, False


def _unknown(path: Path, detail: str) -> CongressFileError:
    return CongressFileError(
        f"{path}: {detail}, which is no Congress format this importer reads: the documented CSV (columns "
        f"{', '.join(CSV_REQUIRED + CSV_OPTIONAL)}), the Senate eFD daily-summaries JSON (reports with "
        "date_recieved and transactions), the House transactions JSON (transactions with filing_id) or the "
        "House Clerk FD index XML (<FinancialDisclosure>). Fix: convert it to the documented CSV "
        "(README 'Congress files'), or move it out of the folder."
    )


def _recognise(path: Path) -> tuple[str, object]:
    """(kind, parsed content): kind is csv, parquet, senate, house, clerk or empty (a JSON ``[]``)."""
    data, gzipped = _bytes(path)
    if data[:4] == b"PAR1":
        return "parquet", None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _unknown(path, "binary content, not UTF-8 text") from None
    start = text.lstrip()[:1]
    if start == "<":
        try:
            root = ET.fromstring(text)
        except ET.ParseError as exc:
            raise _unknown(path, f"XML that does not parse ({exc})") from None
        if root.tag != "FinancialDisclosure":
            raise _unknown(path, f"XML with root <{root.tag}>")
        return "clerk", root
    if start in ("[", "{"):
        try:
            content = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _unknown(path, f"JSON that does not parse ({exc})") from None
        if not isinstance(content, list):
            raise _unknown(path, f"a JSON {type(content).__name__}, not a list of records")
        if not content:
            return "empty", content
        first = next((r for r in content if isinstance(r, dict)), {})
        if "date_recieved" in first and "transactions" in first:
            return "senate", content
        if "filing_id" in first and "transaction_date" in first:
            return "house", content
        raise _unknown(path, f"JSON records with the fields {sorted(first)[:12]}")
    header = text.split("\n", 1)[0]
    names = {c.strip().strip('"').lower() for c in header.split(",")}
    if set(CSV_REQUIRED) <= names:
        return "csv", "gzip" if gzipped else None
    raise _unknown(path, f"text whose first line is {header[:120]!r}")


def _wanted(path: Path) -> bool:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return name.endswith(_DATA_SUFFIXES)


def _clerk_index(roots: list[tuple[Path, ET.Element]]) -> dict[str, _Filing]:
    """DocID → its filing in the Clerk's index (several index files merged)."""
    entries: dict[str, list[dict]] = {}
    for path, root in roots:
        for member in root.iter("Member"):
            entry = {child.tag: (child.text or "").strip() for child in member}
            if entry.get("DocID"):
                entries.setdefault(entry["DocID"], []).append({**entry, "index_file": path.name})
    index: dict[str, _Filing] = {}
    for doc_id, found in entries.items():
        dates = {e.get("FilingDate", "") for e in found}
        if len(dates) > 1:
            index[doc_id] = _Filing(
                None,
                f"the Clerk's index lists filing {doc_id} with FilingDates "
                f"{sorted(dates)}: no single public date",
                found,
            )
            continue
        (text,) = dates
        if not text:
            index[doc_id] = _Filing(
                None, f"the Clerk's index gives filing {doc_id} no FilingDate: no public date", found
            )
            continue
        try:
            index[doc_id] = _Filing(_us_date(text, "the Clerk's FilingDate"), None, found)
        except _Rejected as exc:
            index[doc_id] = _Filing(None, f"{exc}: no public date", found)
    return index


# ---- the formats ------------------------------------------------------------------------------------------
def _senate(path: Path, reports: list) -> tuple[list[dict], list[dict]]:
    rows: list[dict] = []
    quarantined: list[dict] = []
    for report in reports:
        if not isinstance(report, dict) or not isinstance(report.get("transactions"), list):
            quarantined.append(
                _quarantine(None, "report has no transactions list", {"file": path.name, "report": report})
            )
            continue
        head = {k: v for k, v in report.items() if k != "transactions"}
        for transaction in report["transactions"]:
            record = {"file": path.name, "report": head, "transaction": transaction}
            try:
                if not isinstance(transaction, dict):
                    raise _Rejected(f"transaction is a {type(transaction).__name__}, not an object")
                known_at = _us_date(report.get("date_recieved"), "date_recieved")
                symbol = _ticker(transaction.get("ticker"))
                side = _side(transaction.get("type"))
                _stock(transaction.get("asset_type"))
                traded = _us_date(transaction.get("transaction_date"), "transaction_date")
                if traded > known_at:
                    raise _Rejected(
                        f"transaction_date {traded:%Y-%m-%d} is after date_recieved {known_at:%Y-%m-%d} "
                        "(a typo in the report; not corrected)"
                    )
                low, high = amount_band(transaction.get("amount"))
                member = _name(report.get("first_name"), report.get("last_name")) or _name(
                    report.get("office")
                )
                if not member:
                    raise _Rejected("the report names no senator")
            except _Rejected as exc:
                symbol = _known_symbol(transaction.get("ticker")) if isinstance(transaction, dict) else None
                quarantined.append(_quarantine(symbol, str(exc), record))
                continue
            rows.append(_row(symbol, known_at, traded, "senate", member, side, low, high))
    return rows, quarantined


def _house(path: Path, transactions: list, index: dict[str, _Filing]) -> tuple[list[dict], list[dict]]:
    rows: list[dict] = []
    quarantined: list[dict] = []
    for transaction in transactions:
        record = {"file": path.name, "transaction": transaction}
        try:
            if not isinstance(transaction, dict):
                raise _Rejected(f"transaction is a {type(transaction).__name__}, not an object")
            doc_id = str(transaction.get("filing_id") or "").strip()
            filing = index.get(doc_id)
            if filing is None:
                raise _Rejected(f"filing_id {doc_id!r} is not in the House Clerk's FD index: no public date")
            record["clerk_index"] = filing.entries
            if filing.known_at is None:
                raise _Rejected(filing.problem)
            known_at = filing.known_at
            symbol = _ticker(transaction.get("ticker"))
            side = _side(transaction.get("type"))
            _stock(transaction.get("asset_type"))
            traded = _us_date(transaction.get("transaction_date"), "transaction_date")
            if traded > known_at:
                raise _Rejected(
                    f"transaction_date {traded:%Y-%m-%d} is after the Clerk's FilingDate {known_at:%Y-%m-%d} "
                    "(misread from the PDF; not corrected)"
                )
            low, high = amount_band(transaction.get("amount"))
            member = _name(transaction.get("representative"))
            if not member:
                raise _Rejected("the transaction names no representative")
        except _Rejected as exc:
            symbol = _known_symbol(transaction.get("ticker")) if isinstance(transaction, dict) else None
            quarantined.append(_quarantine(symbol, str(exc), record))
            continue
        rows.append(_row(symbol, known_at, traded, "house", member, side, low, high))
    return rows, quarantined


def _documented(path: Path, kind: str, compression: str | None) -> list[dict]:
    table = _tabular.read_table(path, kind, CongressFileError, compression=compression)
    _tabular.require_columns(table, CSV_REQUIRED, _LAYOUT)
    columns = table.frame.columns
    symbol = _tabular.symbol_column(table)
    known_at = _tabular.date_column(table, "known_at", "write the public disclosure date as YYYY-MM-DD")
    traded = _tabular.date_column(table, "transaction_date", "write the trade date as YYYY-MM-DD")
    chamber = _tabular.choice_column(table, "chamber", ("house", "senate"), "write house or senate")
    member = _tabular.text_column(table, "member", "name the member of Congress").map(_name)
    side = _tabular.choice_column(table, "side", ("buy", "sell"), "write buy or sell")
    fix = "give dollars as a number >= 0, or leave it empty"
    nan = pd.Series(float("nan"), index=symbol.index)
    low = _tabular.number_column(table, "amount_low", fix, required=False) if "amount_low" in columns else nan
    high = (
        _tabular.number_column(table, "amount_high", fix, required=False) if "amount_high" in columns else nan
    )
    table.fail_first(
        "known_at",
        (known_at < traded).to_numpy(),
        table.frame["known_at"],
        "is before the row's transaction_date",
        "known_at is the day the trade was disclosed, on or after transaction_date",
    )
    table.fail_first(
        "amount_low",
        (low > high).to_numpy(),
        table.frame.get("amount_low", low),
        "is above amount_high",
        "give the band's low end in amount_low and its high end in amount_high",
    )
    return [
        _row(s, k, t, c, m, d, lo, hi)
        for s, k, t, c, m, d, lo, hi in zip(
            symbol, known_at, traded, chamber, member, side, low, high, strict=True
        )
    ]


def _row(symbol, known_at, traded, chamber, member, side, low, high) -> dict:
    return {
        "symbol": symbol,
        "known_at": known_at,
        "transaction_date": traded,
        "chamber": chamber,
        "member": member,
        "side": side,
        "amount_low": low,
        "amount_high": high,
        "source": SOURCE,
    }


def _neighbour_indexes(path: Path) -> list[Path]:
    """Clerk index files beside a House JSON given alone: in its folder and that folder's clerk_fd_index/."""
    places = [path.parent, path.parent / CLERK_INDEX_FOLDER]
    return sorted(
        p
        for place in places
        if place.is_dir()
        for p in place.iterdir()
        if p.is_file() and p != path and p.name.lower().endswith((".xml", ".xml.gz"))
    )


def read_congress(path: Path | str, symbols: set[str] | None = None) -> tuple[pd.DataFrame, list[dict]]:
    """The Congress trades in the file or folder at ``path`` as ``raw_congress_trades`` rows, and the records
    quarantined with their reasons (see the module docstring for the formats and rules)."""
    root = Path(path)
    files = _tabular.files_under(root, _wanted, CongressFileError, "Congress files (.csv, .json, .xml)")
    recognised = [(f, *_recognise(f)) for f in files]
    clerk = [(f, content) for f, kind, content in recognised if kind == "clerk"]
    if root.is_file() and recognised[0][1] == "house":
        for candidate in _neighbour_indexes(root):
            kind, content = _recognise(candidate)
            if kind == "clerk":
                clerk.append((candidate, content))
    index = _clerk_index(clerk)
    rows: list[dict] = []
    quarantined: list[dict] = []
    for file, kind, content in recognised:
        if kind == "senate":
            got, bad = _senate(file, content)
        elif kind == "house":
            if not clerk:
                raise CongressFileError(
                    f"{file}: House transactions without the House Clerk's FD index, which gives their "
                    "public date (FilingDate). Fix: put the Clerk's index (e.g. 2022FD.xml, from the Clerk's "
                    f"financial-disclosure download) beside it or in {CLERK_INDEX_FOLDER}/, or give the "
                    "folder."
                )
            got, bad = _house(file, content, index)
        elif kind in ("csv", "parquet"):
            got, bad = _documented(file, kind, content if kind == "csv" else None), []
        else:
            continue
        rows.extend(got)
        quarantined.extend(bad)
    if symbols is not None:
        wanted = {str(s).strip().upper() for s in symbols}
        rows = [r for r in rows if r["symbol"] in wanted]
        quarantined = [q for q in quarantined if q["symbol"] is None or q["symbol"] in wanted]
    return _frame(rows), quarantined


def _frame(rows: list[dict]) -> pd.DataFrame:
    spec = tables.RAW_CONGRESS_TRADES
    if not rows:
        return spec.empty()
    frame = pd.DataFrame.from_records(rows, columns=spec.column_names)
    for name in ("known_at", "transaction_date"):
        frame[name] = pd.to_datetime(frame[name]).astype("datetime64[ms]")
    for name in ("amount_low", "amount_high"):
        frame[name] = frame[name].astype("float64")
    for name in ("symbol", "chamber", "member", "side", "source"):
        frame[name] = frame[name].astype(str)
    return frame.sort_values(["known_at", "symbol", "member"], kind="stable").reset_index(drop=True)
