"""Daily prices from a file: the ``raw_prices`` table for a source that has none (the SEC has no prices).

The file format (README "Price files"):

* **CSV** (``.csv``, or gzip-compressed ``.csv.gz``) or **Parquet** (``.parquet``, ``.pq``); or a folder:
  every such file below it is read (other files, such as a README, are ignored) and the rows are joined.
* One row per stock and trading day. Columns (names matched trimmed and case-insensitively, others ignored):

  ============  ========  =========================================================================
  column        required  meaning
  ============  ========  =========================================================================
  symbol        yes       the ticker (trimmed and upper-cased; letters, digits, ``. - / ^``)
  date          yes       the trading day, ``YYYY-MM-DD`` (Parquet: a date, or a midnight timestamp)
  close         yes       the closing price in dollars, positive
  adj_close     no        the close adjusted for splits and dividends, positive; without the column
                          it is the close (so give adjusted closes as ``close`` when that is all you
                          have: labels and returns read ``adj_close``)
  volume        no        shares traded, >= 0; empty is unknown (NaN)
  ============  ========  =========================================================================

* Each (symbol, date) appears once, across all files of a folder too.

A price is public on its trading day, so ``known_at`` is the date; ``source`` is ``file``. Any bad value
stops the import with a :class:`PriceFileError` that names the file, the column, the first bad row (its
1-based line in a CSV, header = line 1; its 0-based row index in Parquet) and the value, and says the fix:
a price file is prepared by hand, so it is fixed rather than partly used.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from smart_money import tables
from smart_money.sources.imports import _tabular

SOURCE = "file"
REQUIRED = ("symbol", "date", "close")
LAYOUT = (
    "a price file has the columns symbol, date, close and optionally adj_close and volume "
    "(README 'Price files')."
)


class PriceFileError(_tabular.ImportFileError):
    """A price file is not in the documented format; the message says where and how to fix it."""


def _read_one(path: Path) -> tuple[pd.DataFrame, _tabular.TableFile]:
    kind = _tabular.kind_by_suffix(path)
    if kind is None:
        raise PriceFileError(
            f"{path}: unknown file type {''.join(path.suffixes) or '(no extension)'!r}. Fix: give a "
            f"{', '.join(_tabular.CSV_SUFFIXES + _tabular.PARQUET_SUFFIXES)} file, named so."
        )
    table = _tabular.read_table(path, kind, PriceFileError)
    _tabular.require_columns(table, REQUIRED, LAYOUT)
    columns = table.frame.columns
    symbol = _tabular.symbol_column(table)
    day = _tabular.date_column(table, "date", "write the trading day as YYYY-MM-DD, e.g. 2022-12-28")
    price_fix = "give the price in dollars as a positive number (remove the row if there was no price)"
    close = _tabular.number_column(table, "close", price_fix, required=True, positive=True)
    adj_close = (
        _tabular.number_column(table, "adj_close", price_fix, required=True, positive=True)
        if "adj_close" in columns
        else close.copy()
    )
    volume = (
        _tabular.number_column(
            table, "volume", "give shares traded as a number >= 0, or leave it empty", required=False
        )
        if "volume" in columns
        else pd.Series(float("nan"), index=close.index)
    )
    frame = pd.DataFrame(
        {
            "symbol": symbol.astype(str),
            "date": day,
            "close": close,
            "adj_close": adj_close,
            "volume": volume.astype(float),
        }
    )
    twice = frame.duplicated(["symbol", "date"], keep="first").to_numpy()
    if twice.any():
        i = int(twice.argmax())
        same = (frame["symbol"] == frame["symbol"][i]) & (frame["date"] == frame["date"][i])
        first = int(same.to_numpy().argmax())
        table.fail(
            "symbol, date",
            i,
            f"{frame['symbol'][i]} {frame['date'][i]:%Y-%m-%d}",
            f"is a second price for that stock and day (the first is on {table.where(first)})",
            "keep one row per symbol and date",
        )
    frame["_row"] = range(len(frame))
    return frame, table


def read_prices(path: Path | str) -> pd.DataFrame:
    """Every price in the file, or in the files of the folder, at ``path`` as ``raw_prices`` rows sorted
    by (symbol, date); :class:`PriceFileError` on the first bad value (see the module docstring)."""
    root = Path(path)
    files = _tabular.files_under(
        root, lambda p: _tabular.kind_by_suffix(p) is not None, PriceFileError, "price files (.csv, .parquet)"
    )
    read = [_read_one(f) for f in files]
    for number, (part, _) in enumerate(read):
        part["_file"] = number
    frame = pd.concat([part for part, _ in read], ignore_index=True)
    if frame.empty:
        raise PriceFileError(f"{root}: holds no price rows. Fix: add rows under the header; {LAYOUT}")
    twice = frame.duplicated(["symbol", "date"], keep="first").to_numpy()
    if twice.any():  # within a file this was caught already: the clash is between two files
        second = frame.iloc[int(twice.argmax())]
        same = (frame["symbol"] == second["symbol"]) & (frame["date"] == second["date"])
        first = frame[same].iloc[0]
        first_table, second_table = read[first["_file"]][1], read[second["_file"]][1]
        second_table.fail(
            "symbol, date",
            int(second["_row"]),
            f"{second['symbol']} {second['date']:%Y-%m-%d}",
            f"is also in {first_table.path}, {first_table.where(int(first['_row']))}",
            "give each symbol's price for a day in one file only",
        )
    frame = frame.sort_values(["symbol", "date"], kind="stable").reset_index(drop=True)
    frame["known_at"] = frame["date"]
    frame["source"] = SOURCE
    return _typed(frame)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    spec = tables.RAW_PRICES
    out = frame[spec.column_names].copy()
    for name in ("date", "known_at"):
        out[name] = out[name].astype("datetime64[ms]")
    for name in ("close", "adj_close", "volume"):
        out[name] = out[name].astype("float64")
    for name in ("symbol", "source"):
        out[name] = out[name].astype(str)
    return out


def prices_window(
    frame: pd.DataFrame, symbols: Iterable[str] | None, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """The rows of ``frame`` with ``start <= known_at < end`` and a symbol among ``symbols`` (None = all;
    compared trimmed and upper-cased), as a partition of ``raw_prices`` is asked for."""
    keep = (frame["known_at"] >= pd.Timestamp(start)) & (frame["known_at"] < pd.Timestamp(end))
    if symbols is not None:
        wanted = {str(s).strip().upper() for s in symbols}
        keep &= frame["symbol"].isin(wanted)
    return frame.loc[keep].reset_index(drop=True)
