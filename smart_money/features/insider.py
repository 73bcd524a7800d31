"""Insider (Form 4) features.

Every measure is computed per (symbol, sample_date) from trades whose filing date
(``known_at``) is on or before the sample date: a trade executed before ``t`` but filed
after ``t`` was not public at ``t`` and must not be used.
"""

import pandas as pd

from smart_money import tables
from smart_money.features._common import SO_SQL, finalize, input_schema, prepare, prepare_grid, run_sql

INSIDER_FEATURES: tuple[str, ...] = (
    "insider_buy_ratio_30d",
    "insider_buy_volume_30d",
    "insider_sell_volume_30d",
    "insider_net_flow_30d",
    "insider_cluster_score",
    "insider_ownership_change_90d",
    "insider_avg_premium",
    "c_suite_activity_ratio",
    "insider_opportunistic_buy_count_30d",
    "insider_routine_buy_count_30d",
    "insider_cluster_buy_count_30d",
)

_TRADES_SCHEMA = input_schema(
    tables.RAW_INSIDER_TRADES,
    (
        "symbol",
        "known_at",
        "transaction_date",
        "insider_id",
        "insider_name",
        "is_c_suite",
        "transaction_code",
        "acquired_disposed",
        "shares",
        "price",
    ),
)
_PRICES_SCHEMA = input_schema(tables.RAW_PRICES, ("symbol", "date", "close"))

_SETUP = (
    # Normalised trades; an insider without an id falls back to the name so it still counts.
    """
    CREATE TEMP TABLE tr AS
    SELECT row_number() OVER () AS rid, symbol, known_at, transaction_date,
           COALESCE(insider_id, insider_name) AS insider_id, is_c_suite,
           upper(trim(transaction_code)) AS code,
           CASE upper(trim(acquired_disposed)) WHEN 'A' THEN 1.0 WHEN 'D' THEN -1.0 ELSE 0.0 END AS sign,
           COALESCE(shares, 0.0) AS shares, price
    FROM raw_trades
    WHERE symbol IS NOT NULL AND known_at IS NOT NULL
    """,
    # Purchase premium vs the last close on/before the trade. The as-of key is capped at the
    # filing date so a (malformed) trade dated after its filing can never read a future price.
    """
    CREATE TEMP TABLE premium AS
    SELECT t.rid, t.price / p.close - 1.0 AS premium
    FROM (
        SELECT rid, symbol, price, LEAST(transaction_date, known_at) AS px_date
        FROM tr
        WHERE code = 'P' AND transaction_date IS NOT NULL AND price > 0
    ) t
    ASOF JOIN (
        SELECT symbol, date, close FROM raw_prices
        WHERE symbol IS NOT NULL AND date IS NOT NULL AND close > 0
    ) p
    ON t.symbol = p.symbol AND t.px_date >= p.date
    """,
    # Point-in-time history for the routine/opportunistic split: the first moment each
    # (insider, year, month) and (insider, year) had a public open-market trade.
    """
    CREATE TEMP TABLE hist_ym AS
    SELECT insider_id, year(transaction_date) AS y, month(transaction_date) AS m,
           MIN(known_at) AS first_known
    FROM tr
    WHERE code IN ('P', 'S') AND transaction_date IS NOT NULL AND insider_id IS NOT NULL
    GROUP BY ALL
    """,
    """
    CREATE TEMP TABLE hist_y AS
    SELECT insider_id, y, MIN(first_known) AS first_known FROM hist_ym GROUP BY ALL
    """,
    # Rows public within the trailing 90 days (the 30-day subset is derived from it).
    """
    CREATE TEMP TABLE w90 AS
    SELECT g.gid, g.sample_date, r.*,
           r.known_at > g.sample_date - INTERVAL 30 DAY AS in30
    FROM grid g
    JOIN tr r
      ON r.symbol = g.symbol
     AND r.known_at <= g.sample_date
     AND r.known_at > g.sample_date - INTERVAL 90 DAY
    """,
    """
    CREATE TEMP TABLE pw AS
    SELECT gid, sample_date, rid, insider_id, transaction_date FROM w90 WHERE in30 AND code = 'P'
    """,
)

_QUERY = f"""
WITH agg30 AS (
    SELECT gid,
           SUM(CASE WHEN code = 'P' THEN 1 ELSE 0 END)::DOUBLE AS n_p,
           SUM(CASE WHEN code = 'S' THEN 1 ELSE 0 END)::DOUBLE AS n_s,
           fsum(CASE WHEN code = 'P' THEN shares ELSE 0 END) AS buy_vol,
           fsum(CASE WHEN code = 'S' THEN shares ELSE 0 END) AS sell_vol,
           favg(CASE WHEN is_c_suite THEN 1.0 ELSE 0.0 END) AS c_suite_ratio
    FROM w90 WHERE in30 GROUP BY gid
),
agg90 AS (
    SELECT gid, fsum(sign * shares) AS signed_shares FROM w90 GROUP BY gid
),
prem AS (
    SELECT pw.gid, favg(pr.premium) AS avg_premium
    FROM pw JOIN premium pr USING (rid) GROUP BY pw.gid
),
anchors AS (
    SELECT DISTINCT gid, transaction_date AS d FROM pw WHERE transaction_date IS NOT NULL
),
spans AS (
    SELECT a.gid, COUNT(DISTINCT pw.insider_id) AS n_insiders
    FROM anchors a
    JOIN pw ON pw.gid = a.gid
           AND pw.transaction_date >= a.d
           AND pw.transaction_date <= a.d + INTERVAL 6 DAY
    GROUP BY a.gid, a.d
),
cluster AS (
    SELECT gid, MAX(n_insiders)::DOUBLE AS cluster_score FROM spans GROUP BY gid
),
cluster_buyers AS (
    SELECT a.gid, COUNT(DISTINCT a.insider_id)::DOUBLE AS n_cluster_buyers
    FROM pw a
    JOIN pw b ON a.gid = b.gid
             AND a.insider_id <> b.insider_id
             AND b.transaction_date >= a.transaction_date - INTERVAL 7 DAY
             AND b.transaction_date <= a.transaction_date + INTERVAL 7 DAY
    GROUP BY a.gid
),
classified AS (
    SELECT pw.gid,
           COALESCE(m1.first_known <= pw.sample_date, FALSE)
             AND COALESCE(m2.first_known <= pw.sample_date, FALSE)
             AND COALESCE(m3.first_known <= pw.sample_date, FALSE) AS is_routine,
           COALESCE(y1.first_known <= pw.sample_date, FALSE)
             AND COALESCE(y2.first_known <= pw.sample_date, FALSE)
             AND COALESCE(y3.first_known <= pw.sample_date, FALSE) AS has_history
    FROM pw
    LEFT JOIN hist_ym m1 ON m1.insider_id = pw.insider_id AND m1.y = year(pw.transaction_date) - 1
                        AND m1.m = month(pw.transaction_date)
    LEFT JOIN hist_ym m2 ON m2.insider_id = pw.insider_id AND m2.y = year(pw.transaction_date) - 2
                        AND m2.m = month(pw.transaction_date)
    LEFT JOIN hist_ym m3 ON m3.insider_id = pw.insider_id AND m3.y = year(pw.transaction_date) - 3
                        AND m3.m = month(pw.transaction_date)
    LEFT JOIN hist_y y1 ON y1.insider_id = pw.insider_id AND y1.y = year(pw.transaction_date) - 1
    LEFT JOIN hist_y y2 ON y2.insider_id = pw.insider_id AND y2.y = year(pw.transaction_date) - 2
    LEFT JOIN hist_y y3 ON y3.insider_id = pw.insider_id AND y3.y = year(pw.transaction_date) - 3
),
cmp AS (
    SELECT gid,
           SUM(CASE WHEN is_routine THEN 1 ELSE 0 END)::DOUBLE AS n_routine,
           SUM(CASE WHEN has_history AND NOT is_routine THEN 1 ELSE 0 END)::DOUBLE AS n_opportunistic
    FROM classified GROUP BY gid
)
SELECT g.gid,
       CASE WHEN a.n_p + a.n_s > 0 THEN a.n_p / (a.n_p + a.n_s) END AS insider_buy_ratio_30d,
       COALESCE(a.buy_vol, 0.0) AS insider_buy_volume_30d,
       COALESCE(a.sell_vol, 0.0) AS insider_sell_volume_30d,
       COALESCE(a.buy_vol, 0.0) - COALESCE(a.sell_vol, 0.0) AS insider_net_flow_30d,
       COALESCE(c.cluster_score, 0.0) AS insider_cluster_score,
       COALESCE(o.signed_shares, 0.0) / ({SO_SQL}) AS insider_ownership_change_90d,
       p.avg_premium AS insider_avg_premium,
       a.c_suite_ratio AS c_suite_activity_ratio,
       COALESCE(k.n_opportunistic, 0.0) AS insider_opportunistic_buy_count_30d,
       COALESCE(k.n_routine, 0.0) AS insider_routine_buy_count_30d,
       COALESCE(cb.n_cluster_buyers, 0.0) AS insider_cluster_buy_count_30d
FROM grid g
LEFT JOIN agg30 a ON a.gid = g.gid
LEFT JOIN agg90 o ON o.gid = g.gid
LEFT JOIN prem p ON p.gid = g.gid
LEFT JOIN cluster c ON c.gid = g.gid
LEFT JOIN cluster_buyers cb ON cb.gid = g.gid
LEFT JOIN cmp k ON k.gid = g.gid
"""


def insider_features(grid: pd.DataFrame, insider_trades: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    """Insider buy/sell pressure, clustering and CMP routine/opportunistic counts, point in time."""
    tables = {
        "grid": prepare_grid(grid),
        "raw_trades": prepare(insider_trades, _TRADES_SCHEMA, "insider_trades"),
        "raw_prices": prepare(prices, _PRICES_SCHEMA, "prices"),
    }
    result = run_sql(tables, _SETUP, _QUERY)
    return finalize(grid, result, INSIDER_FEATURES)
