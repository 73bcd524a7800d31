"""13F institutional-ownership features (all filers, hedge funds included).

A 13F position is only usable once its filing is public (``known_at``), which is typically
~45 days after the quarter end (``report_date``). ``holdings_asof(t)`` therefore picks, per
(filer, symbol), the latest quarter among filings public at ``t``, dropping filers whose
freshest public quarter ended 183+ days before ``t``.

SEC rows (an accession number) are read in the version of their filer-quarter public at ``t``
(:mod:`smart_money.sources.sec.holdings13f`): a 13F-HR/A RESTATEMENT replaces the quarter from its
own filing date, a NEW HOLDINGS amendment adds to it from its filing date. A row counts for ``t``
while ``known_at <= t`` and ``hidden_from`` (the date a later filing replaces it) is after ``t``.
Put/call rows never count: their shares are option exposure, not stock held. Synthetic and FMP rows
(no accession number, no put_call) are never replaced and read exactly as before.

The 91-day windows (new/closed counts, average size change, momentum) read the rows of filer-quarters
first filed in the last 91 days, each in its version public at ``t``: a restatement or addition filed
months after its quarter's first filing is a correction of old news, not flow. A position is a filer's
latest quarter that reports the symbol (a closed or withdrawn position reports it with 0 shares), so a
symbol listed only by a late restatement of an older quarter counts until that quarter is 183 days old.
"""

import pandas as pd

from smart_money import tables
from smart_money.features._common import SO_SQL, finalize, input_schema, prepare, prepare_grid, run_sql
from smart_money.sources.sec import holdings13f

INSTITUTIONAL_FEATURES: tuple[str, ...] = (
    "inst_ownership_pct",
    "inst_ownership_change_1q",
    "inst_new_positions_count",
    "inst_closed_positions_count",
    "inst_avg_position_size_change",
    "inst_concentration_top10",
    "inst_momentum_score",
)

HOLDINGS_SCHEMA = input_schema(
    tables.RAW_INSTITUTIONAL_HOLDINGS,
    (
        "symbol",
        "known_at",
        "report_date",
        "filer_id",
        "is_hedge_fund",
        "shares",
        "change_in_shares",
        "market_value",
        "is_new_position",
        "is_closed_position",
    ),
)

# The columns holdings13f reads to place SEC rows among their quarter's versions.
FILING_COLUMNS: tuple[str, ...] = ("accession_number", "form_type", "amendment_type", "put_call")


def holdings_input(holdings: pd.DataFrame) -> pd.DataFrame:
    """The 13F rows as the SQL reads them: the typed columns, plus per row ``is_option`` (put_call set),
    ``hidden_from`` (NaT: never replaced), ``window_from`` (when its filer-quarter first became public;
    NaT without an accession number) and the position of its filer-quarter's version at the end of its
    filing day (``quarter_shares``, ``quarter_value``; NaN without an accession number)."""
    missing = [c for c in FILING_COLUMNS if c not in holdings.columns]
    if missing:
        raise ValueError(f"institutional_holdings is missing required columns: {missing}")
    rows = prepare(holdings, HOLDINGS_SCHEMA, "institutional_holdings")
    reading = holdings13f.reading_columns(holdings)
    rows["is_option"] = reading["is_option"].to_numpy()
    rows["hidden_from"] = reading["hidden_from"].to_numpy()
    rows["window_from"] = reading["first_public"].to_numpy()
    rows["quarter_shares"] = reading["quarter_shares"].to_numpy()
    rows["quarter_value"] = reading["quarter_value"].to_numpy()
    return rows


# Shared with the hedge-fund family: normalised rows (``hp``), the as-of dates (every sample
# date and the same date one quarter earlier), the point-in-time positions at those dates
# (``pos_asof``, all symbols, so cross-sectional rankings see the whole public book) and their
# per-symbol aggregates (``sym_asof``).
#
# An SEC row's pos_shares/pos_value is its filer-quarter's version at the end of its filing day
# (``quarter_shares``), so the latest row of a (filer, symbol) public at d carries the position of the
# version public at d: a restatement lists or withdraws (0 shares) every symbol of the version it
# replaces, so replaced rows never need removing from the running max.
#
# ``pos_asof`` is built without a per-date sort: per (filer, symbol), ordered by filing date, a
# running max over (report_date, known_at, ...) gives the best row public at each filing date;
# that state holds until the next filing or until its quarter goes stale (report_date + 183
# days), and each as-of date is matched to the single state whose interval contains it. This
# equals "latest report_date among rows with known_at <= d and report_date > d - 183 days".
HOLDINGS_ASOF_SETUP: tuple[str, ...] = (
    """
    CREATE TEMP TABLE hp AS
    SELECT symbol, known_at, report_date, filer_id, is_hedge_fund,
           is_new_position AS is_new, is_closed_position AS is_closed,
           shares, change_in_shares,
           COALESCE(quarter_shares,
                    CASE WHEN is_closed_position THEN 0.0 ELSE COALESCE(shares, 0.0) END) AS pos_shares,
           COALESCE(quarter_value,
                    CASE WHEN is_closed_position THEN 0.0 ELSE COALESCE(market_value, 0.0) END) AS pos_value,
           hidden_from, COALESCE(window_from, known_at) AS window_from
    FROM raw_holdings
    WHERE symbol IS NOT NULL AND known_at IS NOT NULL AND filer_id IS NOT NULL AND NOT is_option
    """,
    """
    CREATE TEMP TABLE asof_dates AS
    SELECT DISTINCT sample_date AS d FROM grid
    UNION
    SELECT DISTINCT sample_date - INTERVAL 91 DAY AS d FROM grid
    """,
    """
    CREATE TEMP TABLE pos_asof AS
    WITH states AS (
        SELECT DISTINCT filer_id, symbol, known_at AS valid_from,
               max({'rd': report_date, 'ka': known_at, 'sh': pos_shares, 'mv': pos_value,
                    'hf': is_hedge_fund})
                   OVER (PARTITION BY filer_id, symbol ORDER BY known_at
                         RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS best
        FROM hp
        WHERE report_date IS NOT NULL
    ),
    intervals AS (
        SELECT filer_id, symbol, valid_from, best,
               LEAST(
                   COALESCE(lead(valid_from) OVER (PARTITION BY filer_id, symbol ORDER BY valid_from),
                            TIMESTAMP '9999-12-31'),
                   best.rd + INTERVAL 183 DAY
               ) AS valid_to
        FROM states
    )
    SELECT dt.d, i.symbol, i.filer_id, i.best.hf AS is_hedge_fund,
           i.best.sh AS pos_shares, i.best.mv AS pos_value
    FROM asof_dates dt
    JOIN intervals i ON dt.d >= i.valid_from AND dt.d < i.valid_to
    """,
    """
    CREATE TEMP TABLE sym_asof AS
    SELECT d, symbol,
           COUNT(*) AS n_filers,
           fsum(pos_shares) AS total_shares,
           fsum(CASE WHEN is_hedge_fund THEN pos_shares ELSE 0.0 END) AS hf_shares
    FROM pos_asof
    GROUP BY d, symbol
    """,
)

# Raw 13F rows of filer-quarters first made public in the trailing 91 days, each quarter in its version
# public at the sample date (a restatement or addition filed later than 91 days after the quarter's first
# filing is old news about an old quarter: it is not flow). window_from <= known_at, so the known_at bound
# keeps its meaning; without an accession number window_from is known_at.
WINDOW_91D_SQL = """
    SELECT g.gid, g.sample_date, r.*
    FROM grid g
    JOIN hp r
      ON r.symbol = g.symbol
     AND r.known_at <= g.sample_date
     AND r.known_at > g.sample_date - INTERVAL 91 DAY
     AND r.window_from > g.sample_date - INTERVAL 91 DAY
     AND (r.hidden_from IS NULL OR r.hidden_from > g.sample_date)
"""

INSTITUTIONAL_QUERY = f"""
WITH w AS ({WINDOW_91D_SQL}),
wagg AS (
    SELECT gid,
           SUM(CASE WHEN is_new THEN 1 ELSE 0 END)::DOUBLE AS n_new,
           SUM(CASE WHEN is_closed THEN 1 ELSE 0 END)::DOUBLE AS n_closed,
           favg(CASE WHEN NOT is_new AND NOT is_closed AND shares - change_in_shares > 0
                    THEN change_in_shares / (shares - change_in_shares) END) AS avg_change,
           fsum(COALESCE(change_in_shares, 0.0)
               * exp(-(epoch(sample_date) - epoch(known_at)) / 86400.0 / 30.0)) AS momentum
    FROM w GROUP BY gid
),
top10 AS (
    -- max(x, 10) returns the 10 largest values; their sum does not depend on tie-breaking.
    SELECT a.d, a.symbol, list_sum(max(a.pos_shares, 10)) AS top10_shares
    FROM pos_asof a
    SEMI JOIN grid g ON g.symbol = a.symbol AND g.sample_date = a.d
    GROUP BY a.d, a.symbol
),
base AS (
    SELECT g.gid, {SO_SQL} AS so,
           CASE WHEN s0.n_filers > 0 THEN s0.total_shares END AS total_t,
           CASE WHEN s1.n_filers > 0 THEN s1.total_shares END AS total_prev,
           t10.top10_shares
    FROM grid g
    LEFT JOIN sym_asof s0 ON s0.symbol = g.symbol AND s0.d = g.sample_date
    LEFT JOIN sym_asof s1 ON s1.symbol = g.symbol AND s1.d = g.sample_date - INTERVAL 91 DAY
    LEFT JOIN top10 t10 ON t10.symbol = g.symbol AND t10.d = g.sample_date
)
SELECT b.gid,
       b.total_t / b.so AS inst_ownership_pct,
       b.total_t / b.so - b.total_prev / b.so AS inst_ownership_change_1q,
       COALESCE(w.n_new, 0.0) AS inst_new_positions_count,
       COALESCE(w.n_closed, 0.0) AS inst_closed_positions_count,
       w.avg_change AS inst_avg_position_size_change,
       CASE WHEN b.total_t > 0 THEN b.top10_shares / b.total_t END AS inst_concentration_top10,
       100.0 * COALESCE(w.momentum, 0.0) / b.so AS inst_momentum_score
FROM base b
LEFT JOIN wagg w ON w.gid = b.gid
"""


def institutional_features(grid: pd.DataFrame, holdings: pd.DataFrame) -> pd.DataFrame:
    """Institutional ownership level, change, turnover and concentration from public 13F filings, each
    filer-quarter in its version public at the sample date, share rows only."""
    tables = {
        "grid": prepare_grid(grid),
        "raw_holdings": holdings_input(holdings),
    }
    result = run_sql(tables, HOLDINGS_ASOF_SETUP, INSTITUTIONAL_QUERY)
    return finalize(grid, result, INSTITUTIONAL_FEATURES)
