"""Reading a user's table file (CSV, gzip CSV or Parquet) and checking its columns, for the importers.

A file someone prepared by hand is either right or rejected: the first bad value stops the import with one
error that names the file, the column, the first bad row and its value, and says the fix. A row is named by
its 1-based line in a CSV (the header is line 1) and by its 0-based row index in a Parquet file. Column names
are matched after trimming and lower-casing; columns the importer does not know are ignored. In a CSV, blank
lines are skipped, and an empty cell (or the text ``NaN``) is a missing value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd

CSV_SUFFIXES = (".csv", ".csv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]00:00(?::00(?:\.0+)?)?)?")
# A ticker: letters, digits and . - / ^ (class shares BRK.B / BRK-B, indexes ^GSPC), with at least one letter.
_SYMBOL = re.compile(r"(?=.*[A-Z])[A-Z0-9^][A-Z0-9.\-/^]{0,19}")


class ImportFileError(ValueError):
    """A file given to an importer cannot be read; the message names the file, what is wrong and the fix."""


def kind_by_suffix(path: Path) -> str | None:
    """``"csv"`` or ``"parquet"`` from the file name (case-insensitive), None for any other name."""
    name = path.name.lower()
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    return None


def files_under(path: Path, wanted, error: type[ImportFileError], what: str) -> list[Path]:
    """``[path]`` for a file; for a folder, every file below it (sorted, hidden ones skipped) for which
    ``wanted(file)`` is true. A missing path, or a folder with no such file, is an error."""
    if path.is_file():
        return [path]
    if not path.exists():
        raise error(f"{path}: no such file or folder. Fix: give the path of {what} or of a folder of them.")
    found = sorted(
        p
        for p in path.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts) and wanted(p)
    )
    if not found:
        raise error(f"{path}: the folder holds no {what}. Fix: put the files in it, or give a file's path.")
    return found


@dataclass
class TableFile:
    """One table file's cells as stored (CSV: text; Parquet: its own types), column names normalized."""

    path: Path
    frame: pd.DataFrame
    lines: np.ndarray | None  # the CSV line of each row; None for Parquet
    error: type[ImportFileError]

    def where(self, i: int) -> str:
        return f"line {int(self.lines[i])}" if self.lines is not None else f"row index {i}"

    def fail(self, column: str, i: int, value, problem: str, fix: str) -> NoReturn:
        raise self.error(f"{self.path}: column {column!r}, {self.where(i)}: {value!r} {problem}. Fix: {fix}")

    def fail_first(self, column: str, mask, values, problem: str, fix: str) -> None:
        """Fail on the first row where ``mask`` holds (nothing when it holds nowhere)."""
        hits = np.flatnonzero(np.asarray(mask, dtype=bool))
        if len(hits):
            i = int(hits[0])
            self.fail(column, i, _plain(values.iloc[i]), problem, fix)


def _plain(value):
    """A cell as a plain Python value for the message (numpy scalars print as their value)."""
    return value.item() if isinstance(value, np.generic) else value


def read_table(path: Path, kind: str, error: type[ImportFileError], compression: str | None = "infer"):
    """The cells of a CSV or Parquet file, or an error naming the file when it cannot be parsed at all."""
    try:
        if kind == "parquet":
            frame = pd.read_parquet(path)
            lines = None
        else:
            frame = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                na_values=[],
                skip_blank_lines=False,
                encoding="utf-8-sig",
                compression=compression,
            )
            frame = frame.fillna("")
            lines = np.arange(2, len(frame) + 2)
            blank = (frame.apply(lambda s: s.str.strip()) == "").all(axis=1).to_numpy()
            if blank.any():
                frame, lines = frame.loc[~blank], lines[~blank]
    except Exception as exc:  # the parser's own words say what is wrong (bad quoting, a corrupt archive …)
        raise error(
            f"{path}: cannot be read as {kind.upper()}: {exc}. Fix: write it as {kind.upper()}."
        ) from None
    frame = frame.reset_index(drop=True)  # rows by position (a Parquet file may restore a stored index)
    names = [str(c).strip().lower() for c in frame.columns]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise error(f"{path}: column(s) {twice} appear more than once. Fix: keep one column of each name.")
    frame.columns = names
    return TableFile(path, frame, lines, error)


def require_columns(table: TableFile, required: tuple[str, ...], layout: str) -> None:
    missing = [c for c in required if c not in table.frame.columns]
    if missing:
        raise table.error(
            f"{table.path}: column {missing[0]!r} is missing (the file has {list(table.frame.columns)}). "
            f"Fix: {layout}"
        )


def _text_cells(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """(each cell as stripped text, "" when missing; True where a present cell is not text)."""
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        is_text = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        missing = values.map(lambda v: v is None or (isinstance(v, float) and math.isnan(v))).to_numpy(bool)
        text = values.where(is_text, "").astype(str).str.strip()
        return text, ~is_text & ~missing
    present = values.notna().to_numpy(dtype=bool)
    return pd.Series([""] * len(values), index=values.index, dtype=str), present


def _missing(text: pd.Series) -> np.ndarray:
    return ((text == "") | (text.str.lower() == "nan")).to_numpy(dtype=bool)


def text_column(table: TableFile, column: str, fix: str) -> pd.Series:
    """A required text column, stripped."""
    values = table.frame[column]
    text, not_text = _text_cells(values)
    table.fail_first(
        column, not_text, values, f"is not text (a {type(_first(values, not_text)).__name__})", fix
    )
    table.fail_first(column, text == "", values, "is empty", fix)
    return text


def _first(values: pd.Series, mask: np.ndarray):
    hits = np.flatnonzero(mask)
    return _plain(values.iloc[int(hits[0])]) if len(hits) else None


def symbol_column(table: TableFile, column: str = "symbol") -> pd.Series:
    """Tickers, stripped and upper-cased; each must be text with at least one letter."""
    fix = "give each row the stock's ticker as text, e.g. AAPL or BRK.B"
    symbols = text_column(table, column, fix).str.upper()
    table.fail_first(column, ~symbols.str.fullmatch(_SYMBOL), table.frame[column], "is not a ticker", fix)
    return symbols


def date_column(table: TableFile, column: str, fix: str) -> pd.Series:
    """A required date column (``YYYY-MM-DD``; a Parquet date or midnight timestamp without time zone)."""
    values = table.frame[column]
    if pd.api.types.is_datetime64_any_dtype(values):
        if getattr(values.dtype, "tz", None) is not None:
            table.fail(column, 0, _plain(values.iloc[0]), "has a time zone", fix)
        table.fail_first(column, values.isna(), values, "is missing", fix)
        table.fail_first(column, values != values.dt.normalize(), values, "is a time, not a day", fix)
        return values.astype("datetime64[ms]").reset_index(drop=True)
    if values.dtype == object:  # Parquet date32 arrives as datetime.date objects: read them as ISO text
        values = values.map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
    text, not_text = _text_cells(values)
    table.fail_first(column, not_text, table.frame[column], "is not a date", fix)
    table.fail_first(column, text == "", table.frame[column], "is empty", fix)
    well_formed = text.str.fullmatch(_ISO_DATE).to_numpy(dtype=bool)
    parsed = pd.to_datetime(text.str.slice(0, 10).where(well_formed), format="%Y-%m-%d", errors="coerce")
    table.fail_first(column, pd.isna(parsed), table.frame[column], "is not a date (YYYY-MM-DD)", fix)
    return pd.Series(parsed, dtype="datetime64[ms]").reset_index(drop=True)


def number_column(
    table: TableFile,
    column: str,
    fix: str,
    *,
    required: bool,
    positive: bool = False,
) -> pd.Series:
    """A float column: finite, and > 0 (``positive``) or >= 0. Missing cells are an error when
    ``required``, else NaN."""
    values = table.frame[column]
    if pd.api.types.is_bool_dtype(values):
        table.fail_first(column, values.notna(), values, "is not a number", fix)
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.astype(float).reset_index(drop=True)
        missing = numbers.isna().to_numpy()
    else:
        text, not_text = _text_cells(values)
        table.fail_first(column, not_text, values, "is not a number", fix)
        missing = _missing(text)
        numbers = pd.to_numeric(text.where(~missing), errors="coerce").astype(float).reset_index(drop=True)
        table.fail_first(column, ~missing & numbers.isna().to_numpy(), values, "is not a number", fix)
    if required:
        table.fail_first(column, missing, values, "is missing", fix)
    table.fail_first(column, np.isinf(numbers.to_numpy()), values, "is not finite", fix)
    if positive:
        table.fail_first(column, (numbers <= 0).to_numpy(), values, "is not positive", fix)
    else:
        table.fail_first(column, (numbers < 0).to_numpy(), values, "is negative", fix)
    return numbers


def choice_column(table: TableFile, column: str, allowed: tuple[str, ...], fix: str) -> pd.Series:
    """A text column whose values (trimmed, lower-cased) must be one of ``allowed``."""
    text = text_column(table, column, fix).str.lower()
    table.fail_first(column, ~text.isin(allowed), table.frame[column], f"is not one of {list(allowed)}", fix)
    return text.reset_index(drop=True)
