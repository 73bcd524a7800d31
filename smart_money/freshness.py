"""Are the served predictions as new as the data? (the ``predictions_freshness`` check; README: Automation)

Predictions are stale when the newest month predicted by the serving model (the production model, or the
rules at cold start) is older than the newest month the pipeline should have: the newest materialized
features month, and for a live source also the last finished calendar month.
"""

from dataclasses import dataclass
from datetime import date

import pandas as pd

from smart_money import timeline


@dataclass(frozen=True)
class Staleness:
    stale: bool
    months_behind: int
    newest_predicted: pd.Timestamp | None
    expected: pd.Timestamp | None
    message: str


def last_finished_month(today: date) -> pd.Timestamp:
    return timeline.month_start(today) - pd.DateOffset(months=1)


def prediction_staleness(
    predicted_months: list[pd.Timestamp],
    features_months: list[pd.Timestamp],
    model_version: str,
    live_source: bool,
    today: date,
) -> Staleness:
    """Compare the newest predicted month with the newest expected one and say what to run."""
    expected_candidates = list(features_months[-1:])
    if live_source:
        expected_candidates.append(last_finished_month(today))
    expected = max(expected_candidates) if expected_candidates else None
    newest = max(predicted_months) if predicted_months else None
    if expected is None:
        return Staleness(False, 0, newest, None, "no features materialized yet: nothing to predict")
    if newest is None:
        return Staleness(
            True,
            -1,
            None,
            expected,
            f"no predictions with {model_version}: materialize `predictions` "
            f"(features reach {expected:%Y-%m})",
        )
    behind = (expected.year - newest.year) * 12 + expected.month - newest.month
    if behind <= 0:
        return Staleness(
            False, 0, newest, expected, f"predictions with {model_version} are current ({newest:%Y-%m})"
        )
    features_newest = features_months[-1] if features_months else None
    todo = (
        "materialize `predictions`"
        if features_newest is not None and features_newest >= expected
        else f"materialize raw, features and labels for {expected:%Y-%m}, then the model group"
    )
    return Staleness(
        True,
        behind,
        newest,
        expected,
        f"predictions are STALE: newest month predicted with {model_version} is {newest:%Y-%m}, "
        f"{behind} month(s) behind {expected:%Y-%m}; {todo} (or turn on the monthly automation)",
    )
