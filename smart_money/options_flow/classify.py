"""The whole path from prints to ``smart_money_events`` rows: reconstruct, featurize, score, shape.

``classify`` is what the Dagster asset, the benchmark and the tests call; ``alerts`` is the compatibility
shape (one line per alert) the ``smart_money_alerts`` view also gives.
"""

import numpy as np
import pandas as pd
import pyarrow as pa

from smart_money.options_flow import parent_events, profiles
from smart_money.options_flow.event_features import FEATURE_COLUMNS, event_features

BOOL_FEATURES = ("both_sides", "calls_and_puts")
SCORE_COLUMNS = (
    *[
        f"{p}_{k}"
        for p in profiles.PROFILES
        for k in ("probability", "confidence_band", "direction", "reasons")
    ],
    "primary_profile_id",
    "primary_direction",
    "primary_probability",
    "confidence_band",
    "abstained",
    "reasons",
    "suppressed_reasons",
    "structure_reasons",
)


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
    """One ``smart_money_events`` row per event (the warehouse shape, ``tables.SMART_MONEY_EVENTS``)."""
    features = event_features(reconstructed, calendar)
    if features.empty:
        from smart_money import tables

        return tables.spec("smart_money_events").empty()
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
    for column in SCORE_COLUMNS:
        out[column] = scored[column].to_numpy()
    return out.sort_values(["start_ts", "event_id"], ignore_index=True)


def alerts(events: pd.DataFrame) -> pd.DataFrame:
    """One line per non-abstained event: symbol, time, label, direction, score."""
    called = events[~events["abstained"]]
    return pd.DataFrame(
        {
            "symbol": called["symbol"].to_numpy(),
            "time": called["end_ts"].to_numpy(),
            "label": called["primary_profile_id"].to_numpy(),
            "direction": called["primary_direction"].to_numpy(),
            "score": called["primary_probability"].to_numpy(),
            "event_id": called["event_id"].to_numpy(),
        }
    )
