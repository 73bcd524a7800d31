"""Options-flow features: monthly per-symbol summaries of the parent events in ``smart_money_events``.

An event is usable from ``known_at`` (when it closed: its last print plus the burst gap), compared as a
timestamp with the sample date, so events of the sample day itself are not used. The family is optional:
without any events (the options_flow group off, or a source without option prints) every value is NaN.
"""

import pandas as pd

from smart_money import tables
from smart_money.features._common import finalize, input_schema, prepare, prepare_grid, run_sql

OPTIONS_FLOW_FEATURES: tuple[str, ...] = (
    "options_net_directional_premium_30d",
    "options_event_driven_count_30d",
    "options_retail_whale_share_30d",
    "options_abstention_share_30d",
)

_SCHEMA = input_schema(
    tables.SMART_MONEY_EVENTS,
    ("symbol", "known_at", "primary_profile_id", "primary_direction", "premium", "abstained"),
)

_QUERY = """
WITH w AS (
    SELECT g.gid, e.primary_profile_id AS p, e.primary_direction AS d, e.premium, e.abstained
    FROM grid g
    JOIN events e
      ON e.symbol = g.symbol
     AND e.known_at <= g.sample_date
     AND e.known_at > g.sample_date - INTERVAL 30 DAY
),
agg AS (
    SELECT gid,
           fsum(CASE WHEN p = 'institutional_directional' AND d = 'bullish' THEN premium
                     WHEN p = 'institutional_directional' AND d = 'bearish' THEN -premium
                     ELSE 0.0 END) AS net_premium,
           SUM(CASE WHEN p = 'event_driven' THEN 1 ELSE 0 END)::DOUBLE AS n_event,
           SUM(CASE WHEN p = 'retail_whale' THEN 1 ELSE 0 END)::DOUBLE AS n_retail,
           SUM(CASE WHEN abstained THEN 1 ELSE 0 END)::DOUBLE AS n_abstained,
           COUNT(*)::DOUBLE AS n_events
    FROM w GROUP BY gid
)
SELECT g.gid,
       COALESCE(a.net_premium, 0.0) AS options_net_directional_premium_30d,
       COALESCE(a.n_event, 0.0) AS options_event_driven_count_30d,
       a.n_retail / a.n_events AS options_retail_whale_share_30d,
       a.n_abstained / a.n_events AS options_abstention_share_30d
FROM grid g
LEFT JOIN agg a ON a.gid = g.gid
"""


def options_flow_features(grid: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Per grid row: net institutional directional premium, event-driven count, retail-whale share and
    abstention share of the options events known in the last 30 days (all NaN without any events)."""
    if events is None or events.empty:
        out = grid[["symbol", "sample_date"]].reset_index(drop=True)
        for name in OPTIONS_FLOW_FEATURES:
            out[name] = float("nan")
        return out
    frame = events.assign(
        primary_profile_id=events["primary_profile_id"].fillna(""),
        primary_direction=events["primary_direction"].fillna(""),
    )
    tables = {"grid": prepare_grid(grid), "events": prepare(frame, _SCHEMA, "smart_money_events")}
    return finalize(grid, run_sql(tables, (), _QUERY), OPTIONS_FLOW_FEATURES)
