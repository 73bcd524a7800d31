"""Feature toggles persisted in the warehouse, with an audit log of every change (README: Serving).

The only store is the append-only table ``feature_toggle_audit`` (one Parquet file, rewritten atomically
under a file lock): a feature's state is its latest audit row, or its default when it has none. One file
means a change and its audit entry can never disagree. The catalog views ``feature_toggle_audit`` and
``feature_toggles`` read the file when queried, so only the first change in a data directory refreshes the
catalog to create them (briefly; the change is saved even when another process holds the catalog's lock).
Reading toggles never opens ``warehouse.duckdb``, and a server that changes a toggle imports DuckDB at most
for that first change.
"""

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pandas as pd

from smart_money import tables
from smart_money.warehouse import Warehouse, WarehouseError

log = logging.getLogger(__name__)

TABLE = tables.FEATURE_TOGGLE_AUDIT.name
MAX_REASON = 500
MAX_ACTOR = 100
CATALOG_REFRESH_S = 10.0  # how long a change waits for the catalog's lock before leaving the views stale


@dataclass(frozen=True)
class FeatureToggle:
    id: str
    name: str
    description: str
    default: bool


FEATURES = {
    "smart_money_flow": FeatureToggle(
        "smart_money_flow",
        "Smart Money Flow",
        "Institutional/insider trading conviction signals (14-day horizon)",
        default=False,  # off until an admin turns it on after reviewing the model
    ),
}


class ToggleError(ValueError):
    """A toggle change names an unknown feature or lacks a reason or actor."""


@dataclass
class _AuditRead:
    """One version of the audit file: its ``stat`` signature, its rows and the states derived from them."""

    signature: tuple | None
    audit: pd.DataFrame
    states: dict[str, dict] = field(default_factory=dict)


class ToggleStore:
    """Read and change feature toggles in ``feature_toggle_audit`` of ``warehouse``.

    Reads are cached and revalidated with one ``stat`` of the file, so a change made by another process (the
    CLI, a second server) is seen on the next request. A read is replaced whole, so threads that share the
    store never mix states from two versions of the file.
    """

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self.path = warehouse.keyed_path(TABLE, {})
        self._cached: _AuditRead | None = None

    def _file_signature(self) -> tuple | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _current(self) -> _AuditRead:
        signature = self._file_signature()  # before reading: a newer file only costs one more read
        current = self._cached
        if current is None or current.signature != signature:
            current = _AuditRead(signature, self.warehouse.read_keyed(TABLE))
            self._cached = current
        return current

    def audit_log(self) -> pd.DataFrame:
        """Every change, oldest first."""
        return self._current().audit

    def is_enabled(self, feature_id: str) -> bool:
        return bool(self.state(feature_id)["enabled"])

    def known_enabled(self, feature_id: str) -> bool | None:
        """The feature's state if it is known for the file as it is now (one ``stat``); None when the
        file must be read first (then call ``is_enabled`` in a thread). Never reads the file."""
        current = self._cached
        if current is None or current.signature != self._file_signature():
            return None
        state = current.states.get(feature_id)
        return None if state is None else bool(state["enabled"])

    def state(self, feature_id: str) -> dict:
        """The feature's current state: enabled, and who changed it last, when and why (None if never)."""
        toggle = _feature(feature_id)
        current = self._current()
        state = current.states.get(feature_id)
        if state is None:
            rows = current.audit
            state = current.states[feature_id] = self._state(toggle, rows[rows["feature_id"] == feature_id])
        return state

    @staticmethod
    def _state(toggle: FeatureToggle, rows: pd.DataFrame) -> dict:
        if rows.empty:
            return {
                "id": toggle.id,
                "name": toggle.name,
                "description": toggle.description,
                "default": toggle.default,
                "enabled": toggle.default,
                "updated_at": None,
                "updated_by": None,
                "reason": None,
            }
        last = rows.iloc[-1]
        return {
            "id": toggle.id,
            "name": toggle.name,
            "description": toggle.description,
            "default": toggle.default,
            "enabled": bool(last["new_enabled"]),
            "updated_at": pd.Timestamp(last["changed_at"]).isoformat(),
            "updated_by": str(last["actor"]),
            "reason": str(last["reason"]),
        }

    def history(self, feature_id: str | None = None, limit: int = 50) -> list[dict]:
        """The newest ``limit`` audit rows (newest first) as JSON-ready dicts."""
        rows = self.audit_log()
        if feature_id is not None:
            _feature(feature_id)
            rows = rows[rows["feature_id"] == feature_id]
        out = []
        for row in rows.iloc[::-1].head(limit).itertuples(index=False):
            out.append(
                {
                    "feature_id": row.feature_id,
                    "changed_at": pd.Timestamp(row.changed_at).isoformat(),
                    "actor": row.actor,
                    "old_enabled": bool(row.old_enabled),
                    "new_enabled": bool(row.new_enabled),
                    "reason": row.reason,
                }
            )
        return out

    def set(self, feature_id: str, enabled: bool, actor: str, reason: str) -> dict:
        """Record a change (also when the state stays the same: the audit shows who confirmed it)."""
        _feature(feature_id)
        actor, reason = (actor or "").strip(), (reason or "").strip()
        if not actor or len(actor) > MAX_ACTOR:
            raise ToggleError(f"actor must be 1-{MAX_ACTOR} characters (who made the change), got {actor!r}")
        if not reason or len(reason) > MAX_REASON:
            raise ToggleError(f"reason must be 1-{MAX_REASON} characters (why the change), got {len(reason)}")
        with self._locked():
            self._cached = None  # re-read under the lock: another process may have written
            current = self.audit_log()
            old = self.state(feature_id)["enabled"]
            row = pd.DataFrame(
                [
                    {
                        "feature_id": feature_id,
                        "changed_at": pd.Timestamp.now(tz="UTC").floor("ms"),
                        "actor": actor,
                        "old_enabled": bool(old),
                        "new_enabled": bool(enabled),
                        "reason": reason,
                    }
                ]
            )
            frame = pd.concat([current, row], ignore_index=True) if len(current) else row
            first = not self.path.exists()
            # no catalog refresh under the file lock (it could wait a minute for the catalog); below, a
            # busy catalog only delays the views
            self.warehouse.write_keyed(TABLE, frame, refresh=False)
            self._cached = None
        if first or not self.warehouse.catalog_path.exists():
            self._refresh_catalog()
        return self.state(feature_id)

    def _refresh_catalog(self) -> None:
        """Create the catalog's toggle views; the change itself is already saved."""
        try:
            self.warehouse.refresh_catalog(timeout_s=CATALOG_REFRESH_S)
        except WarehouseError as exc:
            log.warning(
                "toggles: the change is saved; the catalog views feature_toggles and feature_toggle_audit "
                "appear with the next catalog refresh (%s)",
                exc,
            )

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.parent / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _feature(feature_id: str) -> FeatureToggle:
    if feature_id not in FEATURES:
        raise ToggleError(f"unknown feature {feature_id!r}; known features: {', '.join(FEATURES)}")
    return FEATURES[feature_id]
