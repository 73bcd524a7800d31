"""Import option prints from a Parquet or CSV file (or a folder of them): the shape a vendor's OPRA feed maps
to (README: Options flow, importing prints).

Required columns: print_id, symbol (the underlying), ts (epoch milliseconds, or an ISO timestamp), expiry
(date), strike, option_type (C/P, or call/put), price, size, venue, bid, ask, quote_age_ms, underlying_bid,
underlying_ask, underlying_last, implied_volatility. ``conditions`` is optional (empty = regular); special
prints carry AUCTION, CROSS, COMPLEX, LATE or OOS (any separator). A file that lacks a column or holds an
unusable value is refused with an error naming the file, the column and the first bad row.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from smart_money.options_flow.contracts import PRINT_COLUMNS

NUMERIC = (
    "strike",
    "price",
    "size",
    "bid",
    "ask",
    "quote_age_ms",
    "underlying_bid",
    "underlying_ask",
    "underlying_last",
    "implied_volatility",
)


class PrintImportError(ValueError):
    """An option-prints file cannot be used as it is."""


def files(path: str | Path) -> list[Path]:
    path = Path(path)
    if path.is_dir():
        found = sorted([*path.glob("*.parquet"), *path.glob("*.csv")])
        if not found:
            raise PrintImportError(f"{path}: no .parquet or .csv files of option prints in this folder")
        return found
    if not path.exists():
        raise PrintImportError(f"{path}: no such file of option prints")
    return [path]


def read_prints(path: str | Path) -> pd.DataFrame:
    """Every print in ``path`` (file or folder), validated and in the PRINT_COLUMNS shape, sorted by time."""
    frames = [_read_one(f) for f in files(path)]
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    duplicated = out["print_id"].duplicated()
    if duplicated.any():
        raise PrintImportError(f"{path}: print_id {out.loc[duplicated, 'print_id'].iloc[0]!r} appears twice")
    return out.sort_values(["ts", "print_id"], ignore_index=True)


def _read_one(path: Path) -> pd.DataFrame:
    try:
        raw = (
            pd.read_parquet(path)
            if path.suffix == ".parquet"
            else pd.read_csv(path, dtype={"conditions": str})
        )
    except Exception as exc:  # noqa: BLE001 - any reader failure is the file's fault, said with its name
        raise PrintImportError(f"{path}: cannot be read as {path.suffix[1:]} ({exc})") from exc
    missing = [c for c in PRINT_COLUMNS if c not in raw.columns and c != "conditions"]
    if missing:
        raise PrintImportError(f"{path}: missing column(s) {missing}; expected {list(PRINT_COLUMNS)}")
    frame = raw.copy()
    if "conditions" not in frame:
        frame["conditions"] = ""
    frame["conditions"] = frame["conditions"].fillna("").astype(str)
    frame["print_id"] = frame["print_id"].astype(str)
    frame["symbol"] = frame["symbol"].astype(str).str.strip().str.upper()
    frame["ts"] = _epoch_ms(frame["ts"], path)
    try:
        frame["expiry"] = pd.to_datetime(frame["expiry"]).dt.normalize().astype("datetime64[ms]")
    except (ValueError, TypeError) as exc:
        raise PrintImportError(f"{path}: column expiry holds a value that is not a date ({exc})") from exc
    kind = frame["option_type"].astype(str).str.strip().str.upper().str[0]
    bad = ~kind.isin(["C", "P"])
    if bad.any():
        raise PrintImportError(
            f"{path}: column option_type must be C/P (or call/put); row {int(np.flatnonzero(bad)[0])} has "
            f"{frame['option_type'].iloc[int(np.flatnonzero(bad)[0])]!r}"
        )
    frame["option_type"] = kind
    for column in NUMERIC:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() | ~np.isfinite(values)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise PrintImportError(
                f"{path}: column {column} must be a finite number; row {row} has {frame[column].iloc[row]!r}"
            )
        frame[column] = values
    for column in ("size", "quote_age_ms"):
        frame[column] = frame[column].astype(np.int64)
    if (frame["size"] <= 0).any() or (frame["price"] < 0).any() or (frame["ask"] < frame["bid"]).any():
        raise PrintImportError(f"{path}: sizes must be positive, prices non-negative and ask >= bid")
    return frame[list(PRINT_COLUMNS)]


def _epoch_ms(values: pd.Series, path: Path) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(np.int64)
    try:
        stamps = pd.to_datetime(values, utc=True)
    except (ValueError, TypeError) as exc:
        raise PrintImportError(
            f"{path}: column ts must be epoch milliseconds or a timestamp ({exc})"
        ) from exc
    return (stamps.astype("datetime64[ns, UTC]").astype(np.int64) // 1_000_000).astype(np.int64)
