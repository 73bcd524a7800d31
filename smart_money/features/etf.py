"""ETF holdings features.

An ETF's holdings snapshot is usable from its as-of date (``known_at``). ``etf_asof(t)`` takes
each (ETF, symbol)'s latest snapshot on or before ``t`` and ignores snapshots older than 45
days, so a fund that stopped reporting does not count forever.
"""

import pandas as pd

from smart_money import tables
from smart_money.features._common import SO_SQL, finalize, input_schema, prepare, prepare_grid, run_sql

ETF_FEATURES: tuple[str, ...] = (
    "etf_ownership_pct",
    "etf_flow_30d",
    "etf_concentration",
)

TOP_N_ETFS = 5

_SCHEMA = input_schema(tables.RAW_ETF_HOLDINGS, ("symbol", "known_at", "etf_symbol", "shares"))

_SETUP = (
    """
    CREATE TEMP TABLE pairs AS
    SELECT DISTINCT symbol, sample_date AS d FROM grid
    UNION
    SELECT DISTINCT symbol, sample_date - INTERVAL 30 DAY AS d FROM grid
    """,
    """
    CREATE TEMP TABLE etf_asof AS
    SELECT p.symbol, p.d, e.etf_symbol, COALESCE(e.shares, 0.0) AS shares
    FROM pairs p
    JOIN raw_etf e
      ON e.symbol = p.symbol
     AND e.known_at <= p.d
     AND e.known_at >= p.d - INTERVAL 45 DAY
    WHERE e.etf_symbol IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY p.symbol, p.d, e.etf_symbol ORDER BY e.known_at DESC, COALESCE(e.shares, 0.0) DESC
    ) = 1
    """,
    f"""
    CREATE TEMP TABLE etf_agg AS
    SELECT symbol, d, COUNT(*) AS n_etfs, fsum(shares) AS total_shares,
           list_sum(max(shares, {TOP_N_ETFS})) AS top_shares
    FROM etf_asof
    GROUP BY symbol, d
    """,
)

_QUERY = f"""
WITH base AS (
    SELECT g.gid, {SO_SQL} AS so,
           CASE WHEN a0.n_etfs > 0 THEN a0.total_shares END AS total_t,
           CASE WHEN a1.n_etfs > 0 THEN a1.total_shares END AS total_prev,
           a0.top_shares
    FROM grid g
    LEFT JOIN etf_agg a0 ON a0.symbol = g.symbol AND a0.d = g.sample_date
    LEFT JOIN etf_agg a1 ON a1.symbol = g.symbol AND a1.d = g.sample_date - INTERVAL 30 DAY
)
SELECT gid,
       total_t / so AS etf_ownership_pct,
       total_t / so - total_prev / so AS etf_flow_30d,
       CASE WHEN total_t > 0 THEN top_shares / total_t END AS etf_concentration
FROM base
"""


def etf_features(grid: pd.DataFrame, etf_holdings: pd.DataFrame) -> pd.DataFrame:
    """ETF ownership level, 30-day ETF flow and top-5 ETF concentration, point in time."""
    tables = {
        "grid": prepare_grid(grid),
        "raw_etf": prepare(etf_holdings, _SCHEMA, "etf_holdings"),
    }
    result = run_sql(tables, _SETUP, _QUERY)
    return finalize(grid, result, ETF_FEATURES)
