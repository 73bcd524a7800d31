"""Congressional STOCK Act trade features.

Members may disclose up to 45 days after trading, so windows run on the disclosure date
(``known_at``), never on ``transaction_date``.
"""

import pandas as pd

from smart_money import tables
from smart_money.features._common import finalize, input_schema, prepare, prepare_grid, run_sql

CONGRESS_FEATURES: tuple[str, ...] = (
    "congress_buy_count_90d",
    "congress_sell_count_90d",
    "congress_net_sentiment",
    "congress_recent_activity_7d",
)

_SCHEMA = input_schema(tables.RAW_CONGRESS_TRADES, ("symbol", "known_at", "side"))

_QUERY = """
WITH w AS (
    SELECT g.gid, lower(trim(r.side)) AS side,
           r.known_at > g.sample_date - INTERVAL 7 DAY AS in7
    FROM grid g
    JOIN raw_congress r
      ON r.symbol = g.symbol
     AND r.known_at <= g.sample_date
     AND r.known_at > g.sample_date - INTERVAL 90 DAY
),
agg AS (
    SELECT gid,
           SUM(CASE WHEN side = 'buy' THEN 1 ELSE 0 END)::DOUBLE AS n_buy,
           SUM(CASE WHEN side = 'sell' THEN 1 ELSE 0 END)::DOUBLE AS n_sell,
           MAX(CASE WHEN in7 THEN 1.0 ELSE 0.0 END) AS recent
    FROM w GROUP BY gid
)
SELECT g.gid,
       COALESCE(a.n_buy, 0.0) AS congress_buy_count_90d,
       COALESCE(a.n_sell, 0.0) AS congress_sell_count_90d,
       COALESCE(a.n_buy, 0.0) - COALESCE(a.n_sell, 0.0) AS congress_net_sentiment,
       COALESCE(a.recent, 0.0) AS congress_recent_activity_7d
FROM grid g
LEFT JOIN agg a ON a.gid = g.gid
"""


def congress_features(grid: pd.DataFrame, congress_trades: pd.DataFrame) -> pd.DataFrame:
    """Counts of disclosed congressional buys/sells and whether any disclosure landed this week."""
    tables = {
        "grid": prepare_grid(grid),
        "raw_congress": prepare(congress_trades, _SCHEMA, "congress_trades"),
    }
    result = run_sql(tables, (), _QUERY)
    return finalize(grid, result, CONGRESS_FEATURES)
