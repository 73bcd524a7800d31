"""Feature toggles persisted in the warehouse, with an audit log of every change (README: Serving).

The only store is the append-only table ``feature_toggle_audit`` (one Parquet file, rewritten atomically
under a file lock): a feature's state is its latest audit row, or its default when it has none. One file
means a change and its audit entry can never disagree. The catalog views ``feature_toggle_audit`` and
``feature_toggles`` read the file when queried, so only the first change in a data directory refreshes the
catalog to create them (briefly; the change is saved even when another process holds the catalog's lock).
Reading toggles never opens ``warehouse.duckdb``, and a server that changes a toggle imports DuckDB at most
for that first change.

A damaged audit file (its checksum fails) never takes predictions down and is never overwritten: the
toggles keep their last verified state (in a process that never read the file, their defaults), and
reading the audit log or changing a toggle is a :class:`TogglesUnavailable` naming the file until it is
restored or moved away.
"""

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pandas as pd

from smart_money import tables
from smart_money.serve.text import control_characters, quote
from smart_money.warehouse import Warehouse, WarehouseError

READ_ERRORS = (WarehouseError, OSError, ValueError)  # a damaged file, or a damaged checksum beside it

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
    """A toggle change names an unknown feature or lacks a reason or actor; ``field`` names the input at
    fault (``feature_id``, ``reason`` or ``actor``)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class TogglesUnavailable(ToggleError):
    """The audit file is damaged: the audit log cannot be shown and no toggle can be changed."""

    def __init__(self, path, message: str) -> None:
        super().__init__(message)
        self.path = str(path)


def check_text(field: str, value: str, limit: int, what: str) -> str:
    """``value`` stripped; ToggleError naming ``field`` unless it is 1-``limit`` printable characters."""
    bad = control_characters(value or "")  # before stripping: as the API refuses them
    if bad:
        raise ToggleError(f"{field} must not contain control characters, got {', '.join(bad[:5])}", field)
    value = (value or "").strip()
    if not value or len(value) > limit:
        raise ToggleError(f"{field} must be 1-{limit} characters ({what}), got {len(value)}", field)
    return value


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
        self._cached: _AuditRead | None = None  # the last verified read
        self._failed: tuple[tuple | None, str] | None = None  # (signature, why) of a damaged file

    def _file_signature(self) -> tuple | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _current(self) -> _AuditRead:
        """The audit file as it is now, or the last verified read when it is damaged (see ``damage``)."""
        signature = self._file_signature()  # before reading: a newer file only costs one more read
        current = self._cached
        if current is not None and current.signature == signature:
            return current
        if self._failed is not None and self._failed[0] == signature:
            return self._last_verified()
        try:
            current = _AuditRead(signature, self.warehouse.read_keyed(TABLE))
        except READ_ERRORS as exc:
            kept = "its last verified state" if self._cached is not None else "its default"
            message = (
                f"{TABLE}: {self.path} cannot be read ({exc}); every toggle stays at {kept}. Restore the "
                "file, or move it away to start a new audit log at the defaults"
            )
            if self._failed is None or self._failed[1] != message:
                log.error("toggles: %s", message)
            self._failed = (signature, message)
            return self._last_verified()
        self._cached, self._failed = current, None
        return current

    def _last_verified(self) -> _AuditRead:
        if self._cached is None:  # never read in this process: the defaults, until the file is restored
            self._cached = _AuditRead(("unverified",), tables.FEATURE_TOGGLE_AUDIT.empty())
        return self._cached

    def damage(self) -> str | None:
        """Why the audit file cannot be read, or None when it reads (re-checked at most once per change)."""
        self._current()
        return None if self._failed is None else self._failed[1]

    def _require_readable(self) -> None:
        message = self.damage()
        if message is not None:
            raise TogglesUnavailable(self.path, message)

    def audit_log(self) -> pd.DataFrame:
        """Every change, oldest first (TogglesUnavailable when the file is damaged)."""
        self._require_readable()
        return self._current().audit

    def is_enabled(self, feature_id: str) -> bool:
        """The feature's state; its last verified state while the audit file is damaged."""
        return bool(self._state_of(feature_id)["enabled"])

    def known_enabled(self, feature_id: str) -> bool | None:
        """The feature's state if it is known for the file as it is now (one ``stat``); None when the
        file must be read first (then call ``is_enabled`` in a thread). Never reads the file."""
        current, signature = self._cached, self._file_signature()
        if current is None:
            return None
        if current.signature != signature and (self._failed is None or self._failed[0] != signature):
            return None
        state = current.states.get(feature_id)
        return None if state is None else bool(state["enabled"])

    def state(self, feature_id: str) -> dict:
        """The feature's current state: enabled, and who changed it last, when and why (None if never).
        TogglesUnavailable when the audit file is damaged."""
        _feature(feature_id)
        self._require_readable()
        return self._state_of(feature_id)

    def _state_of(self, feature_id: str) -> dict:
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
        actor = check_text("actor", actor, MAX_ACTOR, "who made the change")
        reason = check_text("reason", reason, MAX_REASON, "why the change")
        with self._locked():
            # re-read under the lock (another process may have written); a damaged file is never replaced
            kept, self._cached, self._failed = self._cached, None, None
            try:
                current = self.audit_log()
            except TogglesUnavailable:
                self._cached = kept if kept is not None else self._cached  # the last verified state stays
                raise
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
        import duckdb  # imported by the refresh anyway

        try:
            self.warehouse.refresh_catalog(timeout_s=CATALOG_REFRESH_S)
        except (WarehouseError, duckdb.Error) as exc:
            # DuckDB reads every table's file schemas to create the views: one damaged partition anywhere
            # fails the refresh with DuckDB's own error, which has nothing to do with this change
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
        raise ToggleError(
            f"unknown feature {quote(feature_id)}; known features: {', '.join(FEATURES)}", "feature_id"
        )
    return FEATURES[feature_id]
