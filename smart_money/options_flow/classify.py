"""The whole path from prints to ``smart_money_events`` rows: reconstruct, featurize, score, shape.

``classify`` is what the Dagster asset, the benchmark and the tests call. The rows have the columns of
``tables.SMART_MONEY_EVENTS`` (without ``source``, which the caller adds); the ``smart_money_alerts`` view
gives one line per alert from them.
"""

import numpy as np
import pandas as pd
import pyarrow as pa

from smart_money import tables
from smart_money.options_flow import parent_events, profiles
from smart_money.options_flow.contracts import BOOL_FEATURES, FEATURE_COLUMNS
from smart_money.options_flow.event_features import event_features

EVENT_COLUMNS = tuple(c for c in tables.SMART_MONEY_EVENTS.column_names if c != "source")


def _members(reconstructed: pd.DataFrame, order: pd.Series) -> pd.arrays.ArrowExtensionArray:
    """Each event's print ids as an Arrow list column, built from the contiguous rows of each event
    (``reconstruct`` sorts them so) without a per-event Python loop."""
    ids = reconstructed["event_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    offsets = pa.array(np.r_[starts, len(ids)].astype(np.int32))
    values = pa.array(reconstructed["print_id"].to_numpy(), type=pa.string())
    lists = pa.ListArray.from_arrays(offsets, values)
    position = pd.Series(np.arange(len(starts)), index=ids[starts])
    return pd.arrays.ArrowExtensionArray(lists.take(pa.array(position.reindex(order).to_numpy())))


def classify(prints: pd.DataFrame, calendar: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(events table rows, reconstructed prints with event ids) for a batch of prints."""
    reconstructed = parent_events.reconstruct(prints)
    return events_table(reconstructed, calendar), reconstructed


def events_table(reconstructed: pd.DataFrame, calendar: pd.DataFrame) -> pd.DataFrame:
    """One ``smart_money_events`` row per event, in ``EVENT_COLUMNS`` order, sorted by start time."""
    features = event_features(reconstructed, calendar)
    if features.empty:
        return tables.SMART_MONEY_EVENTS.empty()[list(EVENT_COLUMNS)]
    scored = profiles.score(features)
    out = features[["event_id", "symbol", "event_kind"]].copy()
    out["member_print_ids"] = _members(reconstructed, out["event_id"])
    out["start_ts"] = pd.to_datetime(features["start_ts"], unit="ms")
    out["end_ts"] = pd.to_datetime(features["end_ts"], unit="ms")
    out["window_ms"] = features["window_ms"].astype(np.int64)
    # public once the event has closed: no print can join it after that
    out["known_at"] = pd.to_datetime(features["end_ts"] + parent_events.CLOSE_AFTER_MS, unit="ms")
    for name in FEATURE_COLUMNS:
        values = features[name]
        out[name] = values.astype(float) if name not in BOOL_FEATURES else values.astype(bool)
    for column in EVENT_COLUMNS:
        if column not in out:  # the per-profile scores, the primary call and the reasons
            out[column] = scored[column].to_numpy()
    return out[list(EVENT_COLUMNS)].sort_values(["start_ts", "event_id"], ignore_index=True)
