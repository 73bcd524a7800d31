"""What the server knows: the production model, the features table and the universe, read from Parquet.

The server never opens ``warehouse.duckdb``: the pipeline may hold its write lock at any time. It reads the
Parquet partitions (written atomically, so never half a file) and the registry file, and notices a new model
or new feature months by ``stat``-ing them at most every ``refresh_seconds``.

Predictions are computed a whole sample date at a time (vectorized LightGBM, SHAP and rules) and each
symbol's response body is kept, JSON-encoded and deflated, in an in-process cache keyed by (symbol, sample
date, model version): a repeated request costs a dictionary lookup and a 10 µs inflate.

The server degrades and never dies on a damaged file. A model is loaded only after its files verify and it
loaded in a child process (``serve.model_check``); a refused production model is replaced by the newest
retired model that verifies, else by the rules alone. A damaged features month is left out of the snapshot
and every answer that could come from it is a :class:`DataUnavailable` (503 naming the file); the other
months keep answering. ``health`` lists every damaged file the server reads.
"""

import json
import logging
import math
import os
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

from smart_money import tables, timeline
from smart_money.modeling import predictions as prediction_logic
from smart_money.modeling import registry as registry_logic
from smart_money.modeling import rules, training
from smart_money.serve import model_check
from smart_money.warehouse import Warehouse, WarehouseError, read_partition, verify_partition

log = logging.getLogger(__name__)
T = TypeVar("T")
WORKER_THREAD = "smart-money-scoring"

SIGNALS = tuple(rules.CATEGORY_VALUES)
TOP_FEATURE_CONTRIBUTIONS = 5
FEATURE_DIGITS = 7  # significant digits of feature values in responses (the float's full repr is noise)
OPTIONS_DAYS = 30  # the options-flow events a prediction lists: closed in the 30 days up to its date
OPTIONS_EVENTS = 5  # at most this many options-flow events per symbol, the newest


# The tables the server reads besides features, universe and the registry: the health check verifies them.
ACTIVITY_TABLES = ("raw_insider_trades", "raw_congress_trades", "raw_institutional_holdings")
EVENTS_TABLE = "smart_money_events"
FEATURE_KEYS = ("symbol", "sample_date", "source")
# what a damaged partition read can raise: the warehouse's error, and a damaged checksum file's own errors
READ_ERRORS = (WarehouseError, OSError, ValueError)


class NotFound(LookupError):
    """The symbol is not served or has no features on or before the asked date (HTTP 404); ``field`` names
    the request field at fault (``symbol`` or ``date``)."""

    def __init__(self, message: str, field: str = "symbol") -> None:
        super().__init__(message)
        self.field = field


class DataUnavailable(RuntimeError):
    """The answer needs a file that is damaged (HTTP 503, naming the file); other answers are unaffected."""

    def __init__(self, path: Path | str, message: str) -> None:
        super().__init__(message)
        self.path = str(path)


def problem(component: str, path: Path | str | None, message: str) -> dict:
    """One entry of ``/healthz`` ``problems``: what is degraded, the file at fault and why."""
    return {"component": component, "file": None if path is None else str(path), "message": message}


@dataclass(frozen=True)
class DamagedMonth:
    """A features month whose partition could not be read; answers that could come from it are 503s."""

    month: pd.Timestamp
    sample_date: pd.Timestamp  # the month's sample date: answers on or after it could come from it
    path: str
    message: str


@dataclass
class ServingModel:
    """The model predictions use: the production model, or none (rules-only cold start)."""

    model: training.FittedModel | None
    version: str
    base_rate: float | None
    info: dict
    columns: list[str]  # the features table's feature columns (the catalog, as stored)

    @property
    def feature_names(self) -> list[str]:
        """What a caller's vector must hold: the model's features, or the stored ones at cold start."""
        return list(self.model.feature_names) if self.model is not None else list(self.columns)


@dataclass
class Snapshot:
    """One consistent view of the registry, features and universe; replaced whole when a file changes."""

    signature: tuple
    serving: ServingModel
    features: pd.DataFrame
    dates: dict[str, np.ndarray]  # symbol -> sorted sample dates (datetime64[ns])
    rows: dict[str, np.ndarray]  # symbol -> row positions in ``features``, same order
    names: dict[str, str]
    synthetic: bool
    data_source: str
    registry: pd.DataFrame
    model_files: tuple[Path, ...] = ()  # the files of the models the load considered
    model_signature: tuple = ()  # their stats, taken before they were read
    damaged_months: tuple[DamagedMonth, ...] = ()
    problems: tuple[dict, ...] = ()  # what this load found damaged or refused (``health`` adds the rest)
    empty_tables: tuple[
        str, ...
    ] = ()  # raw tables without a row (a source that has none): the page lists them
    bodies: OrderedDict = field(default_factory=OrderedDict)  # (sample_date, version) -> {symbol: deflated}
    zdict: bytes = b""  # the deflate dictionary of ``bodies``: one full response body


def _json_value(value, digits: int | None = None):
    """A JSON-ready scalar: NaN/inf become None; ``digits`` rounds floats to that many significant digits."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if digits is not None:
            return float(f"{value:.{digits}g}")
    return value


def _deflate(body: bytes, zdict: bytes) -> bytes:
    """Cached bodies are deflated against one full body (~5x smaller: they share most of their keys and
    text), so every sample date fits in the cache; inflating one costs about 10 µs."""
    deflater = zlib.compressobj(1, zdict=zdict)
    return deflater.compress(body) + deflater.flush()


def _inflate(body: bytes, zdict: bytes) -> bytes:
    inflater = zlib.decompressobj(zdict=zdict)
    return inflater.decompress(body) + inflater.flush()


def encode(payload: dict) -> bytes:
    """Compact strict JSON; the payloads hold None, never NaN or inf (see ``_json_value``)."""
    return json.dumps(payload, separators=(",", ":"), allow_nan=False).encode()


def _stats(paths) -> tuple:
    """(path, inode, mtime, size) of each path, or (path, None) when it is absent: what a reload compares."""
    out = []
    for path in paths:
        try:
            st = os.stat(path)
            out.append((str(path), st.st_ino, st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            out.append((str(path), None))
    return tuple(out)


def _sample_date(month: pd.Timestamp) -> pd.Timestamp:
    """A month's sample date (the 15th or the trading day before); its first day if the calendar fails."""
    try:
        return timeline.sample_date(month)
    except Exception:  # the calendar only refines the 503 window; the month's start is the safe bound
        return timeline.month_start(month)


def _model_info(row: pd.Series, metadata: dict) -> dict:
    """What responses say about the serving model (metadata verified by ``training.check_metadata``)."""
    metrics = metadata["metrics"]
    return {
        "version": str(row["model_version"]),
        "algorithm": "LightGBM",
        "accuracy": _json_value(metrics["test"].get("accuracy")),
        "auc": _json_value(metrics["test"].get("auc")),
        "validation_auc": _json_value(metrics["validation"].get("auc")),
        "status": str(row["status"]),
        "trained_at": str(metadata["created_at"]),
        "label_definition": str(metadata["label_definition"]),
        "metrics_segment": "test",
    }


class PredictionService:
    """Predictions, registry and universe for the API, with reloads and the in-process cache."""

    def __init__(self, warehouse: Warehouse, refresh_seconds: float = 2.0, cache_dates: int = 48) -> None:
        self.warehouse = warehouse
        self.refresh_seconds = refresh_seconds
        self.cache_dates = cache_dates
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        self._lock = threading.RLock()  # one reload and one sample date's scoring at a time
        self._cache_lock = threading.Lock()  # short: the cache's order and counters, shared by threads
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=WORKER_THREAD)
        self.cache_hits = 0
        self.cache_misses = 0
        self._loaded: dict[tuple, tuple[training.FittedModel, dict]] = {}  # the last verified model

    # ---- loading ---------------------------------------------------------------------------------------
    def _signature(self) -> tuple:
        paths = [self.warehouse.keyed_path(registry_logic.TABLE, {})]
        for table in ("features", "universe", EVENTS_TABLE):  # events: the listed options flow
            paths += [self.warehouse.partition_path(table, m) for m in self._months(table)]
        return _stats(paths)

    def _months(self, table: str) -> list[pd.Timestamp]:
        return self.warehouse.existing_months(table)

    def snapshot(self) -> Snapshot:
        """The current snapshot, reloaded when a registry, features or universe file changed."""
        now = time.monotonic()
        if self._snapshot is not None and now - self._checked < self.refresh_seconds:
            return self._snapshot
        with self._lock:
            self._checked = now
            signature, snap = self._signature(), self._snapshot
            # the model folders the last load read are watched too: a restored or damaged model is noticed
            if (
                snap is None
                or signature != snap.signature
                or _stats(snap.model_files) != snap.model_signature
            ):
                self._snapshot = self._on_worker(self._load, signature)
            return self._snapshot

    def _on_worker(self, fn: Callable[..., T], *args) -> T:
        """``fn(*args)`` on the service's one worker thread. Reloads and scoring allocate large temporaries
        and start LightGBM's OpenMP threads; done from every thread of the server's pool, each thread would
        keep its own malloc arena and OpenMP team (about 100 MB more under 8 concurrent clients)."""
        if threading.current_thread().name.startswith(WORKER_THREAD):
            return fn(*args)
        return self._worker.submit(fn, *args).result()

    def _load(self, signature: tuple) -> Snapshot:
        started = time.perf_counter()
        problems: list[dict] = []
        columns = [c for c in tables.spec("features").column_names if c not in FEATURE_KEYS]
        previous = self._snapshot
        unreadable = None
        try:
            registry = registry_logic.read(self.warehouse)
        except READ_ERRORS as exc:
            path = self.warehouse.keyed_path(registry_logic.TABLE, {})
            registry, unreadable = None, str(exc)
            kept = f"; still serving {previous.serving.version}, verified before" if previous else ""
            problems.append(problem(registry_logic.TABLE, path, f"{exc}{kept}"))
            log.error("serve: the model registry cannot be read (%s)%s", exc, kept)
        if registry is None and previous is not None:  # keep the last verified model, never a guess
            registry, serving = previous.registry, previous.serving
            model_files, model_signature = previous.model_files, previous.model_signature
        else:
            registry = registry if registry is not None else tables.MODEL_REGISTRY.empty()
            watched: dict[Path, tuple] = {}
            serving = self._serving_model(registry, columns, problems, watched)
            model_files, model_signature = tuple(watched), tuple(watched.values())
            if unreadable is not None:  # not a cold start: the registry cannot say which model serves
                error = f"the registry cannot be read: {unreadable}"
                serving.info.update(status="model_unavailable", error=error)
        features, damaged = self._read_features(problems)
        features = features.sort_values(["symbol", "sample_date"], ignore_index=True)
        dates, rows = {}, {}
        if len(features):
            sample = features["sample_date"].to_numpy("datetime64[ns]")
            for symbol, index in features.groupby("symbol", sort=False).indices.items():
                rows[symbol] = index
                dates[symbol] = sample[index]
        universe = self._newest_universe(problems)
        names, synthetic = {}, False
        if len(universe):
            latest = universe.sort_values("as_of").drop_duplicates("symbol", keep="last")
            names = dict(zip(latest["symbol"], latest["name"], strict=True))
            synthetic = bool(latest["is_synthetic"].any())
        sources = sorted(set(features["source"])) if len(features) else []
        data_source = ",".join(sources) if sources else "none"
        synthetic = synthetic or "synthetic" in sources
        pa.default_memory_pool().release_unused()  # hand Arrow's read buffers back to the OS
        log.info(
            "serve: loaded %d feature rows for %d symbols, model %s in %.2fs",
            len(features),
            len(rows),
            serving.version,
            time.perf_counter() - started,
        )
        snapshot = Snapshot(
            signature,
            serving,
            features,
            dates,
            rows,
            names,
            synthetic,
            data_source,
            registry,
            model_files=model_files,
            model_signature=model_signature,
            damaged_months=tuple(damaged),
            problems=tuple(problems),
            empty_tables=tuple(self.warehouse.empty_tables()),
        )
        return snapshot

    def _read_features(self, problems: list[dict]) -> tuple[pd.DataFrame, list[DamagedMonth]]:
        """Every readable features month; the damaged ones are left out and listed."""
        spec = tables.spec("features")
        frames, damaged = [], []
        for month in self._months("features"):
            path = self.warehouse.partition_path("features", month)
            try:
                frame = read_partition(path, spec.schema).to_pandas()
            except FileNotFoundError:
                continue  # replaced or removed since it was listed: the next check sees the change
            except READ_ERRORS as exc:
                damaged.append(DamagedMonth(month, _sample_date(month), str(path), str(exc)))
                problems.append(problem("features", path, str(exc)))
                log.error("serve: features %s is damaged and not served: %s", f"{month:%Y-%m}", exc)
                continue
            if len(frame):
                frames.append(frame)
        if not frames:
            return spec.empty(), damaged
        return (pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]), damaged

    def _newest_universe(self, problems: list[dict]) -> pd.DataFrame:
        """The newest universe month that has rows (names and flags: one month is enough). Empty months
        (a build outside the source's history) and damaged ones are skipped; a damaged one is listed."""
        spec = tables.spec("universe")
        for month in reversed(self._months("universe")):
            path = self.warehouse.partition_path("universe", month)
            try:
                frame = read_partition(path, spec.schema).to_pandas()
            except FileNotFoundError:
                continue
            except READ_ERRORS as exc:
                problems.append(problem("universe", path, f"{exc}; names come from an older month"))
                continue
            if len(frame):
                return frame
        return spec.empty()

    def _serving_model(
        self, registry: pd.DataFrame, columns: list[str], problems: list[dict], watched: dict[Path, tuple]
    ) -> ServingModel:
        """The production model if it verifies, else the newest retired one that does, else the rules.
        ``watched`` receives the stats of the model files considered, taken before they are read.

        Every refusal is logged and listed in ``problems``; the model's ``info`` says what is served
        instead and why."""
        candidates = registry_logic.fallback_rows(registry)
        if not candidates:
            version = registry_logic.RULES_ONLY_VERSION
            info = {"version": version, "algorithm": "rules", "status": "cold_start"}
            return ServingModel(None, version, None, info, columns)
        refused: list[str] = []
        for row in candidates:
            version = str(row["model_version"])
            try:
                folder = registry_logic.model_folder(row["path"], self.warehouse.models_dir)
            except ValueError as exc:
                folder, reason = None, str(exc)
            else:
                # their stats from before they are read: a change during the load reloads again
                for path in (folder / f for f in (training.METADATA_FILE, *training.MODEL_FILES)):
                    watched[path] = _stats([path])[0]
                reason = None
            if folder is not None:
                try:
                    model, metadata = self._verified_model(folder, row)
                except (training.ModelError, OSError) as exc:
                    reason = str(exc)
            if reason is not None:
                refused.append(f"{row['status']} model {version} cannot be loaded: {reason}")
                problems.append(problem("model", folder, refused[-1]))
                log.error("serve: %s", refused[-1])
                continue
            info = _model_info(row, metadata)
            if refused:
                info["error"] = "; ".join(refused) + f"; serving {row['status']} model {version} instead"
            return ServingModel(model, version, float(metadata["base_rate_train"]), info, columns)
        version = registry_logic.RULES_ONLY_VERSION
        info = {
            "version": version,
            "algorithm": "rules",
            "status": "model_unavailable",
            "error": "; ".join(refused) + "; serving the rules alone",
        }
        return ServingModel(None, version, None, info, columns)

    def _verified_model(self, folder: Path, row: pd.Series) -> tuple[training.FittedModel, dict]:
        """The model in ``folder`` once its files verify against the registry row and it loaded in a
        child process (LightGBM may crash on a damaged file: then only the child dies)."""
        files = training.read_model_files(folder, registry_logic.recorded_sha256(row))
        if str(files.metadata["version"]) != str(row["model_version"]):
            raise training.ModelError(
                f"{folder / training.METADATA_FILE} is version {str(files.metadata['version'])[:80]!r}, "
                f"the registry's row is {row['model_version']}: the path points at another model"
            )
        key = (str(folder), files.sha256[training.MODEL_FILE], files.sha256[training.METADATA_FILE])
        if key in self._loaded:
            return self._loaded[key]
        verdict = model_check.check(folder, *key[1:])
        if verdict is not None:
            raise training.ModelError(verdict)
        loaded = (training.model_from_files(files), files.metadata)  # the very bytes the child loaded
        self._loaded = {key: loaded}  # keep only the newest: a model's Booster holds its trees
        return loaded

    # ---- look-ups ----------------------------------------------------------------------------------------
    def sample_date_for(
        self, symbol: str, on_or_before: pd.Timestamp | None, snap: Snapshot | None = None
    ) -> pd.Timestamp:
        """The newest sample date of ``symbol`` on or before the asked date (point in time) in ``snap``
        (default: the current snapshot). DataUnavailable when a damaged features month could hold a newer
        one: an older sample would be a wrong answer."""
        snap = snap or self.snapshot()
        dates = snap.dates.get(symbol)
        if dates is None:
            damaged = len(snap.damaged_months)
            damaged = f"; {damaged} damaged features month(s) are not served" if damaged else ""
            raise NotFound(
                f"symbol {symbol!r} is not in the features table ({len(snap.dates)} symbols served{damaged})"
            )
        if on_or_before is None:
            position = len(dates) - 1
        else:
            position = np.searchsorted(dates, np.datetime64(on_or_before, "ns"), side="right") - 1
        found = pd.Timestamp(dates[position]) if position >= 0 else None
        for month in reversed(snap.damaged_months):  # newest first
            if (found is None or month.sample_date > found) and (
                on_or_before is None or month.sample_date <= on_or_before
            ):
                # the answer may be in the damaged month: never answer with an older one
                raise DataUnavailable(
                    month.path,
                    f"features for {month.month:%Y-%m} are damaged, so the answer for {symbol} "
                    f"on {'the newest date' if on_or_before is None else f'{on_or_before:%Y-%m-%d}'} "
                    f"is unavailable: {month.message}",
                )
        if found is None:
            raise NotFound(
                f"no features for {symbol} on or before {on_or_before:%Y-%m-%d}; "
                f"its first sample date is {pd.Timestamp(dates[0]):%Y-%m-%d}: ask for that date or later",
                field="date",
            )
        return found

    def prediction(self, symbol: str, on_or_before: pd.Timestamp | None = None) -> bytes:
        """The JSON ``data`` object for ``symbol`` (cached by symbol, sample date and model version).

        Can block: it may check the files, reload them and score a whole sample date."""
        snap = self.snapshot()  # one snapshot for the look-up and the body, also while another reloads
        sample = self.sample_date_for(symbol, on_or_before, snap)
        body = self._cached_body(snap, sample, symbol)
        if body is not None:
            return body
        with self._cache_lock:
            self.cache_misses += 1
        return _inflate(self._bodies_for_date(snap, sample)[symbol], snap.zdict)

    def cached_prediction(self, symbol: str, on_or_before: pd.Timestamp | None = None) -> bytes | None:
        """What :meth:`prediction` returns, when it is in memory: the files were checked less than
        ``refresh_seconds`` ago and the body is cached. None otherwise (then call ``prediction`` in a thread).

        Never blocks (no file, no reload, no scoring), so the event loop may call it; NotFound as in
        ``prediction``."""
        snap = self._snapshot
        if snap is None or time.monotonic() - self._checked >= self.refresh_seconds:
            return None
        return self._cached_body(snap, self.sample_date_for(symbol, on_or_before, snap), symbol)

    def _cached_body(self, snap: Snapshot, sample: pd.Timestamp, symbol: str) -> bytes | None:
        key = (sample, snap.serving.version)
        with self._cache_lock:
            bodies = snap.bodies.get(key)
            if bodies is None:
                return None
            self.cache_hits += 1
            snap.bodies.move_to_end(key)
        return _inflate(bodies[symbol], snap.zdict)

    def _bodies_for_date(self, snap: Snapshot, sample: pd.Timestamp) -> dict[str, bytes]:
        with self._lock:
            key = (sample, snap.serving.version)
            if key in snap.bodies:
                return snap.bodies[key]
            started = time.perf_counter()
            bodies = self._on_worker(self._score_date, snap, sample)
            with self._cache_lock:
                snap.bodies[key] = bodies
                while len(snap.bodies) > self.cache_dates:
                    snap.bodies.popitem(last=False)
            log.info(
                "serve: predicted %d symbols for %s with %s in %.3fs",
                len(bodies),
                f"{sample:%Y-%m-%d}",
                snap.serving.version,
                time.perf_counter() - started,
            )
            return bodies

    def _score_date(self, snap: Snapshot, sample: pd.Timestamp) -> dict[str, bytes]:
        """Every symbol's deflated body for one sample date (sets the snapshot's deflate dictionary)."""
        frame = snap.features[snap.features["sample_date"] == sample].reset_index(drop=True)
        try:
            recent, unavailable = self.options_events(sample), None
        except DataUnavailable as exc:  # the conviction does not depend on it: answer, and say so
            recent, unavailable = {}, str(exc)
        payloads = self._payloads(snap, frame, snap.data_source, recent, unavailable)
        encoded = {p["symbol"]: encode(p) for p in payloads}
        if not snap.zdict and encoded:
            snap.zdict = next(iter(encoded.values()))
        return {symbol: _deflate(body, snap.zdict) for symbol, body in encoded.items()}

    def predict_vector(self, symbol: str, values: list[float | None]) -> bytes:
        """Score a caller's feature vector (in the model's feature order; null = missing)."""
        snap = self.snapshot()
        names = snap.serving.feature_names
        row = {name: (np.nan if v is None else float(v)) for name, v in zip(names, values, strict=True)}
        frame = pd.DataFrame([{"symbol": symbol, "sample_date": pd.NaT, **row, "source": "request"}])
        for name in [*snap.serving.columns, *rules.REQUIRED_FEATURES]:  # the rules need theirs
            if name not in frame:
                frame[name] = np.nan
        return encode(self._on_worker(self._payloads, snap, frame, "request")[0])

    def options_events(
        self, as_of: pd.Timestamp, symbol: str | None = None, days: int = OPTIONS_DAYS
    ) -> dict[str, list[dict]] | None:
        """Per symbol, its most recent profiled (non-abstained) options events that closed in
        ``(as_of - days, as_of]``, newest first, with their reasons; None when there is no options flow.
        DataUnavailable naming the file when a partition of the window is damaged."""
        months = set(self.warehouse.existing_months(EVENTS_TABLE))
        if not months:
            return None
        as_of = pd.Timestamp(as_of)
        first = as_of - pd.Timedelta(days=days)
        wanted = [m for m in timeline.months_between(first, as_of) if m in months]
        columns = [
            "event_id",
            "symbol",
            "event_kind",
            "end_ts",
            "known_at",
            "abstained",
            "primary_profile_id",
            "primary_direction",
            "primary_probability",
            "confidence_band",
            "premium",
            "dte",
            "reasons",
            "structure_reasons",
            "suppressed_reasons",
        ]  # not the member print lists: the largest column and not shown
        frames = []
        for month in wanted:
            path = self.warehouse.partition_path(EVENTS_TABLE, month)
            try:
                frames.append(read_partition(path, columns=columns).to_pandas())
            except READ_ERRORS as exc:
                message = f"the options flow for {month:%Y-%m} is unavailable: {exc}"
                raise DataUnavailable(path, message) from exc
        if not frames:
            return {}
        events = pd.concat(frames, ignore_index=True)
        keep = (~events["abstained"]) & (events["known_at"] <= as_of) & (events["known_at"] > first)
        if symbol is not None:
            keep &= events["symbol"] == symbol
        events = events[keep].sort_values(["symbol", "known_at"], ascending=[True, False])
        events = events.groupby("symbol", sort=False).head(OPTIONS_EVENTS)
        out: dict[str, list[dict]] = {}
        for r in events.itertuples(index=False):  # at most OPTIONS_EVENTS per symbol
            out.setdefault(r.symbol, []).append(
                {
                    "event_id": r.event_id,
                    "time": f"{pd.Timestamp(r.end_ts):%Y-%m-%dT%H:%M:%S}",
                    "kind": r.event_kind,
                    "profile": r.primary_profile_id,
                    "direction": r.primary_direction,
                    "probability": round(float(r.primary_probability), 4),
                    "confidence_band": r.confidence_band,
                    "premium": round(float(r.premium), 2),
                    "dte": _json_value(float(r.dte)),
                    "reasons": [c for c in r.reasons.split(";") if c],
                    "structure_reasons": [c for c in r.structure_reasons.split(";") if c],
                    "suppressed_reasons": [c for c in r.suppressed_reasons.split(";") if c],
                }
            )
        return out

    def _payloads(
        self,
        snap: Snapshot,
        frame: pd.DataFrame,
        data_source: str,
        recent: dict | None = None,
        options_unavailable: str | None = None,
    ) -> list[dict]:
        serving = snap.serving
        contributions = None if serving.model is None else serving.model.contributions(frame)
        result = prediction_logic.predict(
            frame, serving.model, serving.base_rate, serving.version, contributions
        )
        top, model_reasons = None, []
        if contributions is not None:
            shap = contributions.to_numpy()
            # the same order as the reasons in words: the first TOP_CONTRIBUTIONS are the model's reasons
            order = prediction_logic.top_contributions(shap, TOP_FEATURE_CONTRIBUTIONS)
        names = serving.feature_names
        columns = serving.columns
        values = frame[columns].to_numpy(float)
        model_values = frame[names].to_numpy(float)
        now_ms = int(time.time() * 1000)
        weights = (
            {"rules": rules.RULES_WEIGHT, "ml": rules.ML_WEIGHT}
            if serving.model is not None
            else {"rules": 1.0, "ml": 0.0}
        )
        cols = {c: result[c].tolist() for c in result.columns if c != "sample_date"}
        samples = pd.to_datetime(result["sample_date"]).tolist()
        out = []
        for i, symbol in enumerate(cols["symbol"]):
            if serving.model is not None:
                top = [
                    {
                        "feature": names[j],
                        "value": _json_value(float(model_values[i, j]), FEATURE_DIGITS),
                        "shap": round(float(shap[i, j]), 6),
                    }
                    for j in order[i]
                ]
                model_reasons = [
                    {
                        **prediction_logic.model_reason(names[j], float(model_values[i, j]), shap[i, j]),
                        "value": _json_value(float(model_values[i, j]), FEATURE_DIGITS),
                    }
                    for j in order[i][: prediction_logic.TOP_CONTRIBUTIONS]
                ]
            sample = samples[i]
            signals = {s: cols[s][i] for s in SIGNALS}
            codes = [c for c in cols["reason_codes"][i].split(";") if c]
            conviction = round(float(cols["conviction_score"][i]), 4)
            out.append(
                {
                    "symbol": symbol,
                    "name": snap.names.get(symbol),
                    "sample_date": None if pd.isna(sample) else f"{sample:%Y-%m-%d}",
                    "predicted_conviction": cols["predicted_conviction"][i],
                    "conviction_score": conviction,
                    "confidence": cols["confidence"][i],
                    "probability": _json_value(round(float(cols["probability"][i]), 6)),
                    "rules_score": round(float(cols["rules_score"][i]), 4),
                    "ml_score": _json_value(round(float(cols["ml_score"][i]), 4)),
                    "combined_score": conviction,
                    "contributions": {
                        "rules": round(float(cols["rules_contribution"][i]), 4),
                        "ml": round(float(cols["ml_contribution"][i]), 4),
                        "weights": weights,
                        "top_features": top,
                    },
                    "reasons": [t for t in cols["top_reasons"][i].split(" | ") if t],
                    "model_reasons": model_reasons,
                    "rule_reasons": [
                        {**r, "signal": signals[r["category"]]}
                        for r in rules.rule_reasons(
                            ";".join(c for c in codes if not c.startswith(prediction_logic.MODEL_CODE_PREFIX))
                        )
                    ],
                    "reason_codes": codes,
                    "features": {
                        n: _json_value(float(v), FEATURE_DIGITS)
                        for n, v in zip(columns, values[i], strict=True)
                    },
                    "signals": signals,
                    "model": serving.info,
                    "options_flow": None
                    if recent is None
                    else {
                        "window_days": OPTIONS_DAYS,
                        "events": recent.get(symbol, []),
                        **({"unavailable": options_unavailable} if options_unavailable else {}),
                    },
                    "data_source": data_source,
                    "synthetic": snap.synthetic if data_source != "request" else False,
                    "timestamp": now_ms,
                }
            )
        return out

    # ---- registry, universe, health ----------------------------------------------------------------------
    def models(self) -> list[dict]:
        snap = self.snapshot()
        out = []
        for row in snap.registry.iloc[::-1].itertuples(index=False):
            try:
                metrics = json.loads(row.metrics)
            except (TypeError, ValueError):  # a registry written by hand: show the row, not a 500
                metrics = {}
            out.append(
                {
                    "version": row.model_version,
                    "status": row.status,
                    "reason": row.reason,
                    "created_at": pd.Timestamp(row.created_at).isoformat(),
                    "algorithm": "LightGBM",
                    "label_definition": row.label_definition,
                    "validation_auc": _json_value(row.validation_auc),
                    "volatility_validation_auc": _json_value(row.volatility_validation_auc),
                    "test_auc": _json_value(row.test_auc),
                    "test_accuracy": _json_value(metrics.get("test", {}).get("accuracy")),
                    "source": row.source,
                    "serving": row.model_version == snap.serving.version,
                }
            )
        return out

    def symbols(self, prefix: str = "", limit: int = 20) -> list[dict]:
        snap = self.snapshot()
        prefix = prefix.upper()
        matches = [s for s in sorted(snap.dates) if s.startswith(prefix)][:limit]
        return [{"symbol": s, "name": snap.names.get(s)} for s in matches]

    def problems(self) -> list[dict]:
        """Every damaged file the server reads and every refused model: those the last load found, and
        a verification of the partitions read per request (activity, options flow). Each file is hashed
        again only when it changed, so a check costs a few hundred ``stat`` calls."""
        snap = self.snapshot()
        found = list(snap.problems)
        seen = {p["file"] for p in found}
        for table in (*ACTIVITY_TABLES, EVENTS_TABLE):
            for month in self._months(table):
                path = self.warehouse.partition_path(table, month)
                if str(path) in seen:
                    continue
                try:
                    verify_partition(path)
                except FileNotFoundError:
                    continue
                except READ_ERRORS as exc:
                    found.append(problem(table, path, str(exc)))
        return found

    def meta(self) -> dict:
        snap = self.snapshot()
        latest = max((d[-1] for d in snap.dates.values()), default=None)
        return {
            "model": snap.serving.info,
            "data_source": snap.data_source,
            "synthetic": snap.synthetic,
            "empty_tables": list(snap.empty_tables),
            "symbols": len(snap.dates),
            "feature_rows": len(snap.features),
            "latest_sample_date": None if latest is None else f"{pd.Timestamp(latest):%Y-%m-%d}",
            "feature_names": snap.serving.feature_names,
            "categories": {
                c: {"points": rules.POINTS[c], "values": rules.CATEGORY_VALUES[c], "description": d}
                for c, d in rules.CATEGORY_DESCRIPTIONS.items()
            },
            "cache": {"hits": self.cache_hits, "misses": self.cache_misses, "dates": len(snap.bodies)},
        }
