"""Hedge-fund 13F features (filers flagged ``is_hedge_fund``).

The "top 20 funds" are re-ranked at every sample date from the positions public at that
date only, so a fund whose large filing lands after ``t`` cannot influence the feature at ``t``. Rows
are read as the institutional family reads them (:mod:`smart_money.features.institutional`): each SEC
filer-quarter in its version public at ``t``, put/call rows left out.
"""

import pandas as pd

from smart_money.features._common import SO_SQL, finalize, prepare_grid, run_sql
from smart_money.features.institutional import (
    HOLDINGS_ASOF_SETUP,
    INSTITUTIONAL_FEATURES,
    INSTITUTIONAL_QUERY,
    WINDOW_91D_SQL,
    holdings_input,
)

HEDGEFUND_FEATURES: tuple[str, ...] = (
    "hedgefund_top20_exposure",
    "hedgefund_net_change_1q",
    "hedgefund_new_entry_count",
    "hedgefund_exit_count",
    "hedgefund_conviction_score",
)

TOP_N_FUNDS = 20

_SETUP = (
    *HOLDINGS_ASOF_SETUP,
    # Point-in-time AUM per hedge fund: total market value of its as-of book across all symbols.
    """
    CREATE TEMP TABLE aum AS
    SELECT d, filer_id, fsum(pos_value) AS aum
    FROM pos_asof WHERE is_hedge_fund GROUP BY d, filer_id
    """,
    f"""
    CREATE TEMP TABLE top_funds AS
    SELECT d, filer_id FROM aum
    QUALIFY row_number() OVER (PARTITION BY d ORDER BY aum DESC, filer_id) <= {TOP_N_FUNDS}
    """,
)

HEDGEFUND_QUERY = f"""
WITH top_exposure AS (
    SELECT a.d, a.symbol, fsum(a.pos_shares) AS top_shares
    FROM pos_asof a JOIN top_funds t ON t.d = a.d AND t.filer_id = a.filer_id
    GROUP BY a.d, a.symbol
),
hw AS (
    SELECT w.gid, w.filer_id, w.is_new, w.is_closed, w.change_in_shares, COALESCE(a.aum, 0.0) AS aum
    FROM ({WINDOW_91D_SQL}) w
    LEFT JOIN aum a ON a.d = w.sample_date AND a.filer_id = w.filer_id
    WHERE w.is_hedge_fund
),
hagg AS (
    SELECT gid,
           COUNT(*) AS n_rows,
           SUM(CASE WHEN is_new THEN 1 ELSE 0 END)::DOUBLE AS n_new,
           SUM(CASE WHEN is_closed THEN 1 ELSE 0 END)::DOUBLE AS n_exit,
           fsum(aum * COALESCE(change_in_shares, 0.0)) AS weighted_change
    FROM hw GROUP BY gid
),
aum_den AS (
    SELECT gid, fsum(aum) AS total_aum FROM (SELECT DISTINCT gid, filer_id, aum FROM hw) GROUP BY gid
),
base AS (
    SELECT g.gid, {SO_SQL} AS so,
           CASE WHEN s0.n_filers > 0 THEN COALESCE(e.top_shares, 0.0) END AS top_t,
           CASE WHEN s0.n_filers > 0 THEN s0.hf_shares END AS hf_t,
           CASE WHEN s1.n_filers > 0 THEN s1.hf_shares END AS hf_prev
    FROM grid g
    LEFT JOIN sym_asof s0 ON s0.symbol = g.symbol AND s0.d = g.sample_date
    LEFT JOIN sym_asof s1 ON s1.symbol = g.symbol AND s1.d = g.sample_date - INTERVAL 91 DAY
    LEFT JOIN top_exposure e ON e.symbol = g.symbol AND e.d = g.sample_date
)
SELECT b.gid,
       b.top_t / b.so AS hedgefund_top20_exposure,
       b.hf_t / b.so - b.hf_prev / b.so AS hedgefund_net_change_1q,
       COALESCE(h.n_new, 0.0) AS hedgefund_new_entry_count,
       COALESCE(h.n_exit, 0.0) AS hedgefund_exit_count,
       CASE
           WHEN b.so IS NULL THEN NULL
           WHEN COALESCE(h.n_rows, 0) = 0 THEN 0.0
           WHEN d.total_aum > 0 THEN 1e4 * h.weighted_change / d.total_aum / b.so
       END AS hedgefund_conviction_score
FROM base b
LEFT JOIN hagg h ON h.gid = b.gid
LEFT JOIN aum_den d ON d.gid = b.gid
"""


def hedgefund_features(grid: pd.DataFrame, holdings: pd.DataFrame) -> pd.DataFrame:
    """Exposure, flow and AUM-weighted conviction of hedge funds, ranked on public books only."""
    tables = {
        "grid": prepare_grid(grid),
        "raw_holdings": holdings_input(holdings),
    }
    result = run_sql(tables, _SETUP, HEDGEFUND_QUERY)
    return finalize(grid, result, HEDGEFUND_FEATURES)


def holdings_features(grid: pd.DataFrame, holdings: pd.DataFrame) -> pd.DataFrame:
    """Institutional and hedge-fund families in one pass, sharing the (costly) 13F as-of positions."""
    tables = {
        "grid": prepare_grid(grid),
        "raw_holdings": holdings_input(holdings),
    }
    query = f"""
    SELECT * FROM ({INSTITUTIONAL_QUERY}) AS inst
    JOIN ({HEDGEFUND_QUERY}) AS hf USING (gid)
    """
    result = run_sql(tables, _SETUP, query)
    return finalize(grid, result, INSTITUTIONAL_FEATURES + HEDGEFUND_FEATURES)
