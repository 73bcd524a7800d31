"""How well the rules recover the simulated truth: per-profile precision and recall, the confusion matrix,
abstention, calibration of the profile probabilities and the false-positive rate per trap.

An event's truth is the majority truth of its member prints in ``synthetic_flow_truth``; the rules never
see it.
"""

import numpy as np
import pandas as pd

from smart_money.options_flow.contracts import BACKGROUND, PROFILES, TRAPS
from smart_money.options_flow.profiles import DIRECTIONAL

ABSTAIN = "abstain"
# What each trap must not be labelled (the false-positive guards of ``profiles``).
FORBIDDEN = {trap: set(DIRECTIONAL) for trap in TRAPS}
FORBIDDEN["retail_frenzy"] = {"institutional_directional"}  # retail, not institutional
# A trap whose correct reading is a profile: a retail frenzy called retail_whale is right, not a false alarm.
COUNTS_AS = {"retail_frenzy": "retail_whale"}
CALIBRATION_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0001)


def event_truth(events: pd.DataFrame, truth: pd.DataFrame) -> pd.Series:
    """Majority truth of each event's member prints, indexed by event_id."""
    merged = events[["event_id", "print_id"]].merge(truth[["print_id", "truth"]], on="print_id", how="left")
    merged["truth"] = merged["truth"].fillna(BACKGROUND)
    counts = merged.groupby(["event_id", "truth"]).size().rename("n").reset_index()
    counts = counts.sort_values(["event_id", "n", "truth"], ascending=[True, False, True])
    return counts.drop_duplicates("event_id").set_index("event_id")["truth"]


def evaluate(scored: pd.DataFrame, truth_by_event: pd.Series) -> dict:
    """Every figure of the evaluation, JSON-ready."""
    frame = scored.set_index("event_id").join(truth_by_event.rename("truth"), how="inner")
    predicted = frame["primary_profile_id"].fillna(ABSTAIN)
    actual = frame["truth"]
    credited = actual.replace(COUNTS_AS)
    confusion = pd.crosstab(actual, predicted).reindex(columns=[*PROFILES, ABSTAIN], fill_value=0)
    per_profile = {}
    for profile in PROFILES:
        right = int(((predicted == profile) & (credited == profile)).sum())
        found = int(((predicted == profile) & (actual == profile)).sum())
        called = int((predicted == profile).sum())
        present = int((actual == profile).sum())
        per_profile[profile] = {
            "events": present,
            "predicted": called,
            "precision": right / called if called else None,
            "recall": found / present if present else None,
        }
    traps = {}
    for trap, forbidden in FORBIDDEN.items():
        rows = actual == trap
        if rows.any():
            traps[trap] = {
                "events": int(rows.sum()),
                "false_positive_rate": float(predicted[rows].isin(forbidden).mean()),
                "forbidden": sorted(forbidden),
            }
    profile_rows = actual.isin(PROFILES)
    return {
        "events": len(frame),
        "abstention_rate": float((predicted == ABSTAIN).mean()),
        "abstention_rate_by_truth": predicted.eq(ABSTAIN).groupby(actual).mean().round(4).to_dict(),
        "profile_events_recall": float((predicted[profile_rows] == actual[profile_rows]).mean())
        if profile_rows.any()
        else None,
        "per_profile": per_profile,
        "traps": traps,
        "confusion": {r: {c: int(v) for c, v in row.items()} for r, row in confusion.iterrows()},
        "calibration": calibration(frame),
    }


def calibration(frame: pd.DataFrame, largest: int = 3) -> list[dict]:
    """Reliability of the profile probabilities: every (event, profile) pair binned by probability, with the
    share of pairs that are hits. A hit counts as precision does: the event truly is that profile, or it is a
    trap whose correct reading is that profile (``COUNTS_AS``). Each bin also says how many distinct events
    it holds and, in words, which (profile, truth) pairs make up most of its misses, so a reader can see
    what a gap between predicted and observed is made of."""
    credited = frame["truth"].replace(COUNTS_AS).to_numpy()
    pairs = pd.concat(
        [
            pd.DataFrame(
                {
                    "event_id": frame.index.to_numpy(),
                    "profile": profile,
                    "truth": frame["truth"].to_numpy(),
                    "p": frame[f"{profile}_probability"].to_numpy(),
                    "hit": credited == profile,
                }
            )
            for profile in PROFILES
        ],
        ignore_index=True,
    )
    pairs["bin"] = pd.cut(pairs["p"], CALIBRATION_BINS, right=False)
    grouped = pairs.groupby("bin", observed=True)
    table = grouped.agg(
        pairs=("p", "size"),
        events=("event_id", "nunique"),
        hits=("hit", "sum"),
        mean_probability=("p", "mean"),
        observed_rate=("hit", "mean"),
    )
    misses = pairs[~pairs["hit"]].groupby(["bin", "profile", "truth"], observed=True).size()
    misses = misses.rename("pairs").reset_index()
    return [
        {
            "bin": str(b),
            "pairs": int(r.pairs),
            "events": int(r.events),
            "hits": int(r.hits),
            "mean_probability": round(float(r.mean_probability), 4),
            "observed_rate": round(float(r.observed_rate), 4),
            "largest_misses": ", ".join(
                f"{m.profile} on {m.truth} events ({m.pairs:,})"
                for m in misses[misses["bin"] == b]
                .sort_values(["pairs", "profile", "truth"], ascending=[False, True, True])
                .head(largest)
                .itertuples()
            ),
        }
        for b, r in table.iterrows()
    ]


def summary_table(result: dict) -> pd.DataFrame:
    """Per-profile precision and recall with each trap's false-positive rate, for metadata and reports."""
    rows = [
        {
            "kind": "profile",
            "name": p,
            "events": v["events"],
            "precision": v["precision"],
            "recall": v["recall"],
            "false_positive_rate": np.nan,
        }
        for p, v in result["per_profile"].items()
    ]
    rows += [
        {
            "kind": "trap",
            "name": t,
            "events": v["events"],
            "precision": np.nan,
            "recall": np.nan,
            "false_positive_rate": v["false_positive_rate"],
        }
        for t, v in result["traps"].items()
    ]
    return pd.DataFrame(rows)
