"""Feature toggles persisted in the warehouse, with an audit log of every change (seed 000, section 5.1).

The only store is the append-only table ``feature_toggle_audit`` (one Parquet file, rewritten atomically
under a file lock): a feature's state is its latest audit row, or its default when it has none. One file
means a change and its audit entry can never disagree. The catalog view ``feature_toggles`` shows the
current state; the server never opens ``warehouse.duckdb`` to read or write toggles.
"""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from smart_money import settings, tables, warehouse

TABLE = tables.FEATURE_TOGGLE_AUDIT.name
MAX_REASON = 500
MAX_ACTOR = 100


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
        default=False,  # the seed: start disabled until production-ready
    ),
}


class ToggleError(ValueError):
    """A toggle change names an unknown feature or lacks a reason or actor."""


class ToggleStore:
    """Read and change feature toggles under ``<data_dir>/parquet/feature_toggle_audit/``.

    Reads are cached and revalidated with one ``stat`` of the file, so a change made by another process (the
    CLI, a second server) is seen on the next request.
    """

    def __init__(self, data_dir: Path | None = None):
        self.data_dir = data_dir or settings.data_dir()
        self.path = warehouse.keyed_path(TABLE, {}, self.data_dir)
        self._signature: tuple | None = None
        self._audit = tables.FEATURE_TOGGLE_AUDIT.empty()
        self._states: dict[str, dict] = {}  # per feature, valid for the file version read

    def _file_signature(self) -> tuple | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def audit_log(self) -> pd.DataFrame:
        """Every change, oldest first."""
        signature = self._file_signature()
        if signature != self._signature:
            self._audit = warehouse.read_keyed(TABLE, data_dir=self.data_dir)
            self._signature = signature
            self._states = {}
        return self._audit

    def is_enabled(self, feature_id: str) -> bool:
        return bool(self.state(feature_id)["enabled"])

    def state(self, feature_id: str) -> dict:
        """The feature's current state: enabled, and who changed it last, when and why (None if never)."""
        toggle = _feature(feature_id)
        rows = self.audit_log()
        if feature_id in self._states:
            return self._states[feature_id]
        self._states[feature_id] = state = self._state(toggle, rows[rows["feature_id"] == feature_id])
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
            self._signature = None  # re-read under the lock: another process may have written
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
            warehouse.write_keyed(TABLE, frame, data_dir=self.data_dir)
            self._signature = None
        return self.state(feature_id)

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
