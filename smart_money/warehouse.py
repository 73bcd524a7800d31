"""Monthly-partitioned Parquet storage and the DuckDB catalog over it.

Layout: ``<data_dir>/parquet/<table>/month=YYYY-MM/part.parquet`` for the monthly tables; the model tables
use their own keys (``model_version=<v>/``) or one ``part.parquet`` for the whole table. A partition is
written to a temporary
file in the same folder and renamed over the old one, so a reader never sees half a file and a failed write
leaves the previous partition intact. ``<data_dir>/warehouse.duckdb`` holds only views (and, later, small
tables), so several processes can write partitions at once; only the short catalog refresh takes the
DuckDB write lock, and it retries while another process holds it.
"""

import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from smart_money import settings, tables
from smart_money.timeline import month_start, month_starts

PART_FILE = "part.parquet"


class WarehouseError(RuntimeError):
    """The warehouse cannot be read or written as asked."""


def parquet_root(data_dir: Path | None = None) -> Path:
    return (data_dir or settings.data_dir()) / "parquet"


def catalog_path(data_dir: Path | None = None) -> Path:
    return (data_dir or settings.data_dir()) / "warehouse.duckdb"


def partition_path(table: str, month: pd.Timestamp, data_dir: Path | None = None) -> Path:
    return parquet_root(data_dir) / table / f"month={month_start(month):%Y-%m}" / PART_FILE


def to_arrow(frame: pd.DataFrame, spec: tables.TableSpec) -> pa.Table:
    """Cast a frame to the table's schema, naming the table and column when a value does not fit."""
    missing = [c for c in spec.column_names if c not in frame.columns]
    if missing:
        raise WarehouseError(f"{spec.name}: frame lacks columns {missing}; expected {spec.column_names}")
    arrays = []
    for name, dtype in spec.columns:
        column = frame[name]
        try:
            if pa.types.is_timestamp(dtype):
                column = pd.to_datetime(column)
            arrays.append(pa.array(column, type=dtype, from_pandas=True))
        except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError, TypeError) as exc:
            raise WarehouseError(f"{spec.name}.{name}: cannot store values as {dtype}: {exc}") from exc
    return pa.Table.from_arrays(arrays, schema=spec.schema)


def _write_atomic(arrow: pa.Table, path: Path) -> Path:
    """Write ``arrow`` to a temporary file beside ``path`` and rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{PART_FILE}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(arrow, tmp, compression="zstd")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_partition(
    table: str, month: pd.Timestamp, frame: pd.DataFrame, data_dir: Path | None = None
) -> Path:
    """Atomically replace one month of ``table`` with ``frame`` (idempotent: same input, same file)."""
    spec = tables.spec(table)
    return _write_atomic(to_arrow(frame, spec), partition_path(table, month, data_dir))


def write_quarantine(table: str, frame: pd.DataFrame, label: str, data_dir: Path | None = None) -> Path:
    """Records a source could not validate, with their reasons: ``<data>/quarantine/<table>/<label>.jsonl``
    (atomic; re-fetching the same window replaces the file)."""
    path = (data_dir or settings.data_dir()) / "quarantine" / table / f"{label}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        frame.to_json(tmp, orient="records", lines=True)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def keyed_path(table: str, keys: dict[str, str], data_dir: Path | None = None) -> Path:
    """``<parquet>/<table>/<k1>=<v1>/.../part.parquet`` for a table whose ``partition_keys`` are ``keys``."""
    spec = tables.spec(table)
    if tuple(keys) != spec.partition_keys:
        raise WarehouseError(f"{table}: partition keys are {spec.partition_keys}, got {tuple(keys)}")
    folder = parquet_root(data_dir) / table
    for key, value in keys.items():
        value = str(value)
        if not value or any(c in value for c in "/\\=*") or value.startswith("."):
            raise WarehouseError(f"{table}: {key}={value!r} cannot be a folder name")
        folder = folder / f"{key}={value}"
    return folder / PART_FILE


def write_keyed(
    table: str, frame: pd.DataFrame, keys: dict[str, str] | None = None, data_dir: Path | None = None
) -> Path:
    """Atomically replace one keyed partition (or, with no keys, the whole single-file table)."""
    spec = tables.spec(table)
    return _write_atomic(to_arrow(frame, spec), keyed_path(table, keys or {}, data_dir))


def read_keyed(table: str, keys: dict[str, str] | None = None, data_dir: Path | None = None) -> pd.DataFrame:
    """Read one keyed partition (or every partition when ``keys`` is None); empty frame if absent."""
    spec = tables.spec(table)
    if keys is not None or not spec.partition_keys:
        paths = [keyed_path(table, keys or {}, data_dir)]
    else:
        paths = sorted((parquet_root(data_dir) / table).glob(_partition_glob(spec)))
    frames = [pq.read_table(p, schema=spec.schema).to_pandas() for p in paths if p.exists()]
    frames = [f for f in frames if len(f)]
    if not frames:
        return spec.empty()
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _partition_glob(spec: tables.TableSpec) -> str:
    return "/".join([*(f"{k}=*" for k in spec.partition_keys), PART_FILE])


def write_months(
    table: str,
    frame: pd.DataFrame,
    months: Iterable[pd.Timestamp],
    month_column: str,
    data_dir: Path | None = None,
) -> dict[str, int]:
    """Split ``frame`` by the calendar month of ``month_column`` and write every month (empty ones too).

    Rows outside ``months`` are an error: they would silently land nowhere.
    """
    months = [month_start(m) for m in months]
    keys = month_starts(frame[month_column]) if len(frame) else None
    if keys is not None:
        outside = sorted(set(keys.unique()) - set(months))
        if outside:
            raise WarehouseError(
                f"{table}: {len(frame[keys.isin(outside)])} rows have {month_column} outside the partitions "
                f"being written (first: {outside[0]:%Y-%m}); a source returned rows outside the asked window"
            )
    counts = {}
    for month in months:
        part = frame[keys == month] if keys is not None else frame
        write_partition(table, month, part, data_dir)
        counts[f"{month:%Y-%m}"] = len(part)
    return counts


def existing_months(table: str, data_dir: Path | None = None) -> list[pd.Timestamp]:
    root = parquet_root(data_dir) / table
    if not root.exists():
        return []
    months = []
    for folder in sorted(root.glob("month=*")):
        if (folder / PART_FILE).exists():
            months.append(pd.Timestamp(f"{folder.name.split('=', 1)[1]}-01"))
    return months


def existing_keyed_months(
    table: str, keys: dict[str, str], data_dir: Path | None = None
) -> list[pd.Timestamp]:
    """Months present under a keyed table's other keys, e.g. predictions for one model version."""
    spec = tables.spec(table)
    if spec.partition_keys[-1:] != ("month",) or tuple(keys) != spec.partition_keys[:-1]:
        raise WarehouseError(
            f"{table}: keys {tuple(keys)} do not lead to its month level {spec.partition_keys}"
        )
    folder = keyed_path(table, {**keys, "month": "0000-00"}, data_dir).parent.parent
    if not folder.exists():
        return []
    return sorted(
        pd.Timestamp(f"{p.name.split('=', 1)[1]}-01")
        for p in folder.glob("month=*")
        if (p / PART_FILE).exists()
    )


def read_months(
    table: str,
    months: Iterable[pd.Timestamp] | None = None,
    data_dir: Path | None = None,
    require: bool = False,
) -> pd.DataFrame:
    """Read the given months of ``table`` (all months when None) as one frame with the table's dtypes.

    With ``require=True`` a missing month raises an error that names it and says what to materialize.
    """
    spec = tables.spec(table)
    wanted = existing_months(table, data_dir) if months is None else [month_start(m) for m in months]
    paths, absent = [], []
    for month in wanted:
        path = partition_path(table, month, data_dir)
        (paths if path.exists() else absent).append(path if path.exists() else month)
    if require and absent:
        raise WarehouseError(
            f"{table}: {len(absent)} month(s) not materialized (first: {absent[0]:%Y-%m}) under "
            f"{parquet_root(data_dir)}; materialize {table} for those partitions first"
        )
    if not paths:
        return spec.empty()
    frames = [pq.read_table(p, schema=spec.schema).to_pandas() for p in paths]
    frames = [f for f in frames if len(f)]
    if not frames:
        return spec.empty()
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _view_sql(table: str, data_dir: Path) -> str:
    spec = tables.spec(table)
    glob = (parquet_root(data_dir) / table / _partition_glob(spec)).as_posix()
    # The model tables store every column in the file, so folder names are not read as columns.
    hive = "" if spec.partition_keys == ("month",) else ", hive_partitioning = false"
    select = f"SELECT * FROM read_parquet('{glob}', union_by_name = true{hive})"
    if table == "universe":
        return select + " QUALIFY row_number() OVER (PARTITION BY symbol ORDER BY as_of DESC) = 1"
    if table == "smart_money_events":
        return _events_view_sql(select)
    return select


def _events_view_sql(select: str) -> str:
    """``smart_money_events`` as the issue's contract: reason columns as lists, and ``profile_scores`` as a
    list of {profile_id, probability, confidence_band, direction, reasons} built from the flat columns."""
    from smart_money.options_flow.tape import PROFILES

    def codes(column: str) -> str:
        return f"list_filter(string_split({column}, ';'), lambda x: x <> '')"

    scores = ", ".join(
        f"struct_pack(profile_id := '{p}', probability := {p}_probability, "
        f"confidence_band := {p}_confidence_band, direction := {p}_direction, "
        f"reasons := {codes(p + '_reasons')})"
        for p in PROFILES
    )
    lists = ", ".join(f"{codes(c)} AS {c}" for c in ("reasons", "suppressed_reasons", "structure_reasons"))
    return f"SELECT * REPLACE ({lists}), [{scores}] AS profile_scores FROM ({select})"


def has_data(table: str, data_dir: Path | None = None) -> bool:
    """True when ``table`` has at least one partition file."""
    root = parquet_root(data_dir) / table
    return root.exists() and any(root.glob(_partition_glob(tables.spec(table))))


def refresh_catalog(data_dir: Path | None = None, timeout_s: float = 60.0) -> list[str]:
    """(Re)create one view per table that has at least one partition; return the view names.

    A view over a glob that matches nothing is an error in DuckDB, so tables without files get no view.
    """
    data_dir = data_dir or settings.data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    names = [t for t in table_names() if has_data(t, data_dir)]
    statements = [f"CREATE OR REPLACE VIEW {t} AS {_view_sql(t, data_dir)}" for t in names]
    if "universe" in names:
        history = _view_sql("universe", data_dir).split(" QUALIFY")[0]
        statements.append(f"CREATE OR REPLACE VIEW universe_history AS {history}")
    if "smart_money_events" in names:  # the compatibility shape: one line per alert
        statements.append(
            "CREATE OR REPLACE VIEW smart_money_alerts AS SELECT symbol, end_ts AS time, "
            "primary_profile_id AS label, primary_direction AS direction, primary_probability AS score, "
            "event_id FROM smart_money_events WHERE NOT abstained"
        )
    if "feature_toggle_audit" in names:
        audit = _view_sql("feature_toggle_audit", data_dir)
        statements.append(
            f"CREATE OR REPLACE VIEW feature_toggles AS {audit} "
            "QUALIFY row_number() OVER (PARTITION BY feature_id ORDER BY changed_at DESC) = 1"
        )
    import duckdb  # here, not at import: the server reads Parquet only and keeps its memory small

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with duckdb.connect(str(catalog_path(data_dir))) as con:
                for sql in statements:
                    con.execute(sql)
            return names
        except duckdb.IOException as exc:  # another process holds the single write lock
            if time.monotonic() > deadline:
                raise WarehouseError(
                    f"could not lock {catalog_path(data_dir)} for {timeout_s}s: {exc}"
                ) from exc
            time.sleep(0.25)


def table_names() -> list[str]:
    """Every warehouse table, in pipeline order."""
    return [
        "universe",
        *[t.name for t in tables.RAW_TABLES],
        "synthetic_truth",
        "features",
        "labels",
        *tables.OPTIONS_FLOW_TABLES,
        *[t.name for t in tables.MODEL_TABLES],
        *[t.name for t in tables.SERVING_TABLES],
    ]


def query(sql: str, data_dir: Path | None = None) -> pd.DataFrame:
    """Run a read-only query against the catalog (a short read-only connection)."""
    import duckdb

    path = catalog_path(data_dir)
    if not path.exists():
        raise WarehouseError(f"no warehouse at {path}; run `make run` (or materialize the raw assets) first")
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).df()
