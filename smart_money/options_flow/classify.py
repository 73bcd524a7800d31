"""The whole path from prints to ``smart_money_events`` rows: reconstruct, featurize, score, shape.

``classify`` is what the Dagster asset, the benchmark and the tests call; ``alerts`` is the compatibility
shape (one line per alert) the ``smart_money_alerts`` view also gives.
"""

import numpy as np
import pandas as pd

from smart_money.options_flow import parent_events, profiles
from smart_money.options_flow.event_features import FEATURE_COLUMNS, event_features

BOOL_FEATURES = ("both_sides", "calls_and_puts")


def _split(codes: pd.Series) -> list[list[str]]:
    return [[c for c in str(v).split(";") if c] for v in codes]


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
    members = reconstructed.groupby("event_id", sort=False)["print_id"].agg(list)
    out = features[["event_id", "symbol", "event_kind"]].copy()
    out["member_print_ids"] = members.reindex(out["event_id"]).to_numpy()
    out["start_ts"] = pd.to_datetime(features["start_ts"], unit="ms")
    out["end_ts"] = pd.to_datetime(features["end_ts"], unit="ms")
    out["window_ms"] = features["window_ms"].astype(np.int64)
    # public once the event has closed: no print can join it after that
    out["known_at"] = pd.to_datetime(features["end_ts"] + parent_events.CLOSE_AFTER_MS, unit="ms")
    for name in FEATURE_COLUMNS:
        values = features[name]
        out[name] = values.astype(float) if name not in BOOL_FEATURES else values.astype(bool)
    out["profile_scores"] = profiles.profile_scores(scored, features)
    out["primary_profile_id"] = scored["primary_profile_id"].to_numpy()
    out["primary_direction"] = scored["primary_direction"].to_numpy()
    out["primary_probability"] = scored["primary_probability"].to_numpy(float)
    out["confidence_band"] = scored["confidence_band"].to_numpy()
    out["abstained"] = scored["abstained"].to_numpy(bool)
    out["reasons"] = _split(scored["reasons"])
    out["suppressed_reasons"] = _split(scored["suppressed_reasons"])
    out["structure_reasons"] = _split(scored["structure_reasons"])
    for profile in profiles.PROFILES:
        out[f"{profile}_probability"] = scored[f"{profile}_probability"].to_numpy(float)
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
