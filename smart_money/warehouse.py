"""Monthly-partitioned Parquet storage and the DuckDB catalog over it.

Layout: ``<data_dir>/parquet/<table>/month=YYYY-MM/part.parquet`` for the monthly tables; the model tables
use their own keys (``model_version=<v>/``) or one ``part.parquet`` for the whole table. A partition is
written to a temporary file in the same folder and renamed over the old one, so a reader never sees half a
file and a failed write leaves the previous partition intact. ``<data_dir>/warehouse.duckdb`` holds only
views, so several processes can write partitions at once; only the short catalog refresh after each write
takes the DuckDB write lock. Refreshes and queries take ``warehouse.duckdb.lock`` first (exclusive and
shared), so many runs finishing together on shared storage neither lose a view nor meet a lock error.

Every partition is written with Parquet page checksums and gets a sidecar ``part.parquet.sha256`` holding the
file's SHA-256; every read verifies both, so a flipped bit on disk fails naming the table, partition and file
instead of becoming a wrong value. Identical inputs give byte-identical files.

A :class:`Warehouse` is a plain object over one data directory (and the models directory beside it). The
pipeline receives it from the Dagster ``warehouse`` resource; the server, the CLI and notebooks build their
own from the settings.
"""

import fcntl
import hashlib
import time
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from smart_money import files, tables
from smart_money.options_flow.contracts import PROFILES
from smart_money.timeline import month_start, month_starts

PART_FILE = "part.parquet"
CHECKSUM_SUFFIX = ".sha256"
CATALOG_FILE = "warehouse.duckdb"
CATALOG_LOCK_FILE = "warehouse.duckdb.lock"
ORPHAN_AGE_S = 60.0  # a temporary file this old beside a partition is left by a killed write


class WarehouseError(RuntimeError):
    """The warehouse cannot be read or written as asked."""


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


def table_names() -> list[str]:
    """Every warehouse table, in pipeline order."""
    return [spec.name for spec in tables.all_specs()]


def _partition_glob(spec: tables.TableSpec) -> str:
    return "/".join([*(f"{k}=*" for k in spec.partition_keys), PART_FILE])


def checksum_path(path: Path) -> Path:
    return path.with_name(path.name + CHECKSUM_SUFFIX)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _describe(path: Path) -> str:
    """``table`` and partition (``month=2024-06``) of a partition file, for error messages."""
    parts = path.parts
    if "parquet" in parts:
        inner = parts[parts.index("parquet") + 1 : -1]
        if inner:
            return f"{inner[0]}" + (f" partition {'/'.join(inner[1:])}" if len(inner) > 1 else "")
    return path.name


_verified: dict[Path, tuple] = {}  # path -> the stat of it and its checksum when last verified


def verify_partition(path: Path) -> None:
    """Raise :class:`WarehouseError` unless ``path`` matches the SHA-256 recorded beside it (a file is hashed
    again only when it or its checksum changed since it was last verified)."""
    recorded = checksum_path(path)
    try:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size, recorded.stat().st_mtime_ns)
    except FileNotFoundError:
        stamp = None
    if stamp is not None and _verified.get(path) == stamp:
        return
    if not recorded.exists():
        raise WarehouseError(
            f"{_describe(path)}: {path} has no recorded checksum ({recorded.name}); it was not written by "
            "the warehouse or its write was interrupted: re-materialize this partition"
        )
    expected = recorded.read_text().split()[0] if recorded.stat().st_size else ""
    actual = file_sha256(path)
    if actual != expected:
        raise WarehouseError(
            f"{_describe(path)}: {path} is corrupt (SHA-256 {actual[:12]}… differs from the recorded "
            f"{expected[:12] or 'nothing'}…): re-materialize this partition"
        )
    if stamp is not None:
        _verified[path] = stamp


def read_partition(
    path: Path, schema: pa.Schema | None = None, columns: list[str] | None = None, filters=None
) -> pa.Table:
    """One verified partition file: checksum, then Parquet page checksums while decoding."""
    verify_partition(path)
    try:
        return pq.read_table(
            path, schema=schema, columns=columns, filters=filters, page_checksum_verification=True
        )
    except (OSError, pa.ArrowException) as exc:
        raise WarehouseError(f"{_describe(path)}: {path} cannot be read ({exc}); re-materialize it") from exc


def _remove_orphans(folder: Path) -> None:
    """Temporary files left beside a partition by a killed write (never a live one: they are old)."""
    if not folder.exists():
        return
    cutoff = time.time() - ORPHAN_AGE_S
    for orphan in folder.glob(f".*{files.TEMP_SUFFIX}"):
        try:
            if orphan.stat().st_mtime < cutoff:
                orphan.unlink()
        except FileNotFoundError:
            pass


def _month_of(folder: Path) -> pd.Timestamp:
    return pd.Timestamp(f"{folder.name.split('=', 1)[1]}-01")


class Warehouse:
    """The Parquet partitions and DuckDB catalog under ``data_dir``, and the model artifacts under
    ``models_dir``."""

    def __init__(self, data_dir: Path | str, models_dir: Path | str | None = None) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.models_dir = Path(models_dir).resolve() if models_dir is not None else None

    def __repr__(self) -> str:
        return f"Warehouse({str(self.data_dir)!r}, models_dir={self.models_dir and str(self.models_dir)!r})"

    # -- layout ---------------------------------------------------------------------------------------
    @property
    def parquet_root(self) -> Path:
        return self.data_dir / "parquet"

    @property
    def catalog_path(self) -> Path:
        return self.data_dir / CATALOG_FILE

    def artifact_dir(self, name: str) -> Path:
        """``<data_dir>/<name>/``: files an asset keeps beside the tables (e.g. ``options_flow``)."""
        return self.data_dir / name

    def model_folder(self, model_name: str, version: str) -> Path:
        if self.models_dir is None:
            raise WarehouseError(f"{self!r} has no models directory; pass models_dir")
        return self.models_dir / model_name / version

    def partition_path(self, table: str, month: pd.Timestamp) -> Path:
        return self.parquet_root / table / f"month={month_start(month):%Y-%m}" / PART_FILE

    def keyed_path(self, table: str, keys: dict[str, str]) -> Path:
        """``<parquet>/<table>/<k1>=<v1>/.../part.parquet``: ``keys`` are the table's ``partition_keys``."""
        spec = tables.spec(table)
        if tuple(keys) != spec.partition_keys:
            raise WarehouseError(f"{table}: partition keys are {spec.partition_keys}, got {tuple(keys)}")
        folder = self.parquet_root / table
        for key, value in keys.items():
            value = str(value)
            if not value or any(c in value for c in "/\\=*") or value.startswith("."):
                raise WarehouseError(f"{table}: {key}={value!r} cannot be a folder name")
            folder = folder / f"{key}={value}"
        return folder / PART_FILE

    # -- writes (each public write ends with one catalog refresh) --------------------------------------
    def _write_arrow(self, arrow: pa.Table, path: Path) -> Path:
        """Write the partition and then its checksum, each atomically. A crash between the two leaves a
        file whose checksum does not match: the next read refuses it, it is never read silently."""
        _remove_orphans(path.parent)
        digest: dict[str, str] = {}

        def write(tmp: Path) -> None:
            pq.write_table(arrow, tmp, compression="zstd", write_page_checksum=True)
            digest["sha256"] = file_sha256(tmp)

        files.write_atomic(path, write)
        files.write_text_atomic(checksum_path(path), f"{digest['sha256']}  {PART_FILE}\n")
        return path

    def _write_partition(self, table: str, month: pd.Timestamp, frame: pd.DataFrame) -> Path:
        return self._write_arrow(to_arrow(frame, tables.spec(table)), self.partition_path(table, month))

    def write_months(
        self, table: str, frame: pd.DataFrame, months: Iterable[pd.Timestamp], month_column: str
    ) -> dict[str, int]:
        """Split ``frame`` by the calendar month of ``month_column`` and atomically replace every month
        (empty ones too); return rows per month. Rows outside ``months`` are an error: they would silently
        land nowhere."""
        months = [month_start(m) for m in months]
        keys = month_starts(frame[month_column]) if len(frame) else None
        if keys is not None:
            outside = sorted(set(keys.unique()) - set(months))
            if outside:
                raise WarehouseError(
                    f"{table}: {len(frame[keys.isin(outside)])} rows have {month_column} outside the "
                    f"partitions being written (first: {outside[0]:%Y-%m}); a source returned rows outside "
                    "the asked window"
                )
        counts = {}
        for month in months:
            part = frame[keys == month] if keys is not None else frame
            self._write_partition(table, month, part)
            counts[f"{month:%Y-%m}"] = len(part)
        self.refresh_catalog()
        return counts

    def write_keyed(
        self, table: str, frame: pd.DataFrame, keys: dict[str, str] | None = None, refresh: bool = True
    ) -> Path:
        """Atomically replace one keyed partition (or, with no keys, the whole single-file table); then
        refresh the catalog unless ``refresh`` is False (a writer holding a lock refreshes later)."""
        path = self._write_arrow(to_arrow(frame, tables.spec(table)), self.keyed_path(table, keys or {}))
        if refresh:
            self.refresh_catalog()
        return path

    def write_quarantine(self, table: str, frame: pd.DataFrame, label: str) -> Path:
        """Records a source could not validate, with their reasons, in
        ``<data>/quarantine/<table>/<label>.jsonl`` (atomic; re-fetching the same window replaces it)."""
        path = self.data_dir / "quarantine" / table / f"{label}.jsonl"
        return files.write_atomic(path, lambda tmp: frame.to_json(tmp, orient="records", lines=True))

    # -- reads ----------------------------------------------------------------------------------------
    def _read_files(self, spec: tables.TableSpec, paths: list[Path]) -> pd.DataFrame:
        frames = [read_partition(p, spec.schema).to_pandas() for p in paths]
        frames = [f for f in frames if len(f)]
        if not frames:
            return spec.empty()
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]

    def read_keyed(self, table: str, keys: dict[str, str] | None = None) -> pd.DataFrame:
        """Read one keyed partition (or every partition when ``keys`` is None); empty frame if absent."""
        spec = tables.spec(table)
        if keys is not None or not spec.partition_keys:
            paths = [self.keyed_path(table, keys or {})]
        else:
            paths = sorted((self.parquet_root / table).glob(_partition_glob(spec)))
        return self._read_files(spec, [p for p in paths if p.exists()])

    def existing_months(self, table: str) -> list[pd.Timestamp]:
        root = self.parquet_root / table
        if not root.exists():
            return []
        return [_month_of(f) for f in sorted(root.glob("month=*")) if (f / PART_FILE).exists()]

    def existing_keyed_months(self, table: str, keys: dict[str, str]) -> list[pd.Timestamp]:
        """Months present under a keyed table's other keys, e.g. predictions for one model version."""
        spec = tables.spec(table)
        if spec.partition_keys[-1:] != ("month",) or tuple(keys) != spec.partition_keys[:-1]:
            raise WarehouseError(
                f"{table}: keys {tuple(keys)} do not lead to its month level {spec.partition_keys}"
            )
        folder = self.keyed_path(table, {**keys, "month": "0000-00"}).parent.parent
        if not folder.exists():
            return []
        return sorted(_month_of(p) for p in folder.glob("month=*") if (p / PART_FILE).exists())

    def read_months(
        self, table: str, months: Iterable[pd.Timestamp] | None = None, require: bool = False
    ) -> pd.DataFrame:
        """Read the given months of ``table`` (all months when None) as one frame with the table's dtypes.

        With ``require=True`` a missing month raises an error that names it and says what to materialize.
        """
        spec = tables.spec(table)
        wanted = self.existing_months(table) if months is None else [month_start(m) for m in months]
        paths, absent = [], []
        for month in wanted:
            path = self.partition_path(table, month)
            if path.exists():
                paths.append(path)
            else:
                absent.append(month)
        if require and absent:
            raise WarehouseError(
                f"{table}: {len(absent)} month(s) not materialized (first: {absent[0]:%Y-%m}) under "
                f"{self.parquet_root}; materialize {table} for those partitions first"
            )
        return self._read_files(spec, paths)

    def damaged_partitions(self) -> list[tuple[Path, str]]:
        """Every partition file whose checksum is missing or does not match, with the reason (empty: all
        verified). Notebooks and health checks call it before trusting the DuckDB views."""
        damaged = []
        for path in self.partition_files():
            try:
                verify_partition(path)
            except WarehouseError as exc:
                damaged.append((path, str(exc)))
        return damaged

    def partition_files(self) -> list[Path]:
        return sorted(self.parquet_root.glob(f"**/{PART_FILE}"))

    def has_data(self, table: str) -> bool:
        """True when ``table`` has at least one partition file."""
        root = self.parquet_root / table
        return root.exists() and any(root.glob(_partition_glob(tables.spec(table))))

    def empty_tables(self, names: Iterable[str] | None = None) -> list[str]:
        """The tables among ``names`` (default: the raw tables) with no row in any partition, read from the
        Parquet footers only: the report and the page list them, so a missing source is never silent."""
        chosen = [t.name for t in tables.RAW_TABLES] if names is None else list(names)
        empty = []
        for table in chosen:
            root = self.parquet_root / table
            paths = sorted(root.glob(_partition_glob(tables.spec(table)))) if root.exists() else []
            rows = 0
            for path in paths:
                try:
                    rows += pq.read_metadata(path).num_rows
                except (OSError, pa.ArrowInvalid):
                    continue  # a damaged file is reported by verify_partition, not here
                if rows:
                    break
            if not rows:
                empty.append(table)
        return empty

    # -- the catalog ----------------------------------------------------------------------------------
    def _view_sql(self, table: str) -> str:
        spec = tables.spec(table)
        glob = (self.parquet_root / table / _partition_glob(spec)).as_posix()
        # The model tables store every column in the file, so folder names are not read as columns.
        hive = "" if spec.partition_keys == ("month",) else ", hive_partitioning = false"
        select = f"SELECT * FROM read_parquet('{glob}', union_by_name = true{hive})"
        if table == "universe":
            return select + " QUALIFY row_number() OVER (PARTITION BY symbol ORDER BY as_of DESC) = 1"
        if table == "smart_money_events":
            return _events_view_sql(select)
        return select

    def refresh_catalog(self, timeout_s: float = 60.0) -> list[str]:
        """(Re)create one view per table that has at least one partition; return the view names.

        A view over a glob that matches nothing is an error in DuckDB, so tables without files get no view.
        """
        self.data_dir.mkdir(parents=True, exist_ok=True)
        names = [t for t in table_names() if self.has_data(t)]
        statements = [f"CREATE OR REPLACE VIEW {t} AS {self._view_sql(t)}" for t in names]
        if "universe" in names:
            history = self._view_sql("universe").split(" QUALIFY")[0]
            statements.append(f"CREATE OR REPLACE VIEW universe_history AS {history}")
        if "smart_money_events" in names:  # one line per alert
            statements.append(
                "CREATE OR REPLACE VIEW smart_money_alerts AS SELECT symbol, end_ts AS time, "
                "primary_profile_id AS label, primary_direction AS direction, primary_probability AS score, "
                "event_id FROM smart_money_events WHERE NOT abstained"
            )
        if "feature_toggle_audit" in names:
            audit = self._view_sql("feature_toggle_audit")
            statements.append(
                f"CREATE OR REPLACE VIEW feature_toggles AS {audit} "
                "QUALIFY row_number() OVER (PARTITION BY feature_id ORDER BY changed_at DESC) = 1"
            )
        import duckdb  # here, not at import: the server reads Parquet only and keeps its memory small

        deadline = time.monotonic() + timeout_s
        with self._catalog_lock(fcntl.LOCK_EX, deadline):
            while True:
                try:
                    with duckdb.connect(str(self.catalog_path)) as con:
                        for sql in statements:
                            con.execute(sql)
                    return names
                except duckdb.IOException as exc:  # a process outside the lock (a notebook) holds it
                    if time.monotonic() > deadline:
                        raise WarehouseError(
                            f"could not lock {self.catalog_path} for {timeout_s}s: {exc}"
                        ) from exc
                    time.sleep(0.25)

    @contextmanager
    def _catalog_lock(self, kind: int, deadline: float):
        """``warehouse.duckdb.lock`` beside the catalog: refreshes take it exclusively and queries shared,
        so when many runs finish together (each refreshing) and readers query, nobody meets DuckDB's own
        single-writer lock. ``flock`` also holds across machines on an NFS mount (Linux emulates it with
        POSIX locks there)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / CATALOG_LOCK_FILE, "a") as handle:
            while True:
                try:
                    fcntl.flock(handle, kind | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise WarehouseError(
                            f"{self.catalog_path} stayed locked by another refresh past the timeout; "
                            "retry, or look for a stuck process"
                        ) from None
                    time.sleep(0.02)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def query(self, sql: str, timeout_s: float = 60.0) -> pd.DataFrame:
        """Run a read-only query against the catalog (a short read-only connection, taken between
        refreshes)."""
        import duckdb

        if not self.catalog_path.exists():
            raise WarehouseError(
                f"no warehouse at {self.catalog_path}; run `make run` (or materialize the raw assets) first"
            )
        deadline = time.monotonic() + timeout_s
        with self._catalog_lock(fcntl.LOCK_SH, deadline):
            while True:
                try:
                    with duckdb.connect(str(self.catalog_path), read_only=True) as con:
                        return con.execute(sql).df()
                except duckdb.IOException as exc:  # a writer outside the lock
                    if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)


def _events_view_sql(select: str) -> str:
    """``smart_money_events`` with reason columns as lists, and ``profile_scores`` as a list of
    {profile_id, probability, confidence_band, direction, reasons} built from the flat columns."""

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
