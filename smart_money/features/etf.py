"""ETF holdings features.

``etf_asof(t)`` is, per ETF, the holdings known at ``t``. Two kinds of rows give it, by two rules:

* **N-PORT reports** (rows with an accession number: the sec source). A report lists the fund's whole
  portfolio as of its ``report_date`` and is public from its ``known_at``. At ``t`` an ETF holds exactly
  the rows of one filing: among its filings public by ``t`` (``known_at <= t``) whose ``report_date`` is
  at most :data:`NPORT_STALE_DAYS` old, the newest report, and of that report the latest filing public by
  ``t`` (an NPORT-P/A beats the NPORT-P filed the same day, then the higher accession number). A stock
  missing from that filing is not held, whatever an older report said (held by no other ETF, it has no
  ``etf_asof`` row, so NaN, as any stock no ETF holds). This is
  :func:`smart_money.sources.sec.nport.reports_as_of` with a staleness limit.
* **Snapshots** (rows without one: synthetic, FMP, holdings files). Per (ETF, symbol) the row with the
  latest ``known_at <= t``, ignoring rows older than :data:`SNAPSHOT_STALE_DAYS`, so a fund that stopped
  reporting does not count forever.

An ETF with snapshot rows known in the last :data:`SNAPSHOT_STALE_DAYS` days at ``t`` is read from them
(a daily file is fresher than a quarterly report); otherwise from its N-PORT report. Rows with an
accession number but no report date cannot be ordered among reports and are not read (the sec source
always writes one).
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
# Snapshots are daily or monthly: one older than this says nothing about today's holdings.
SNAPSHOT_STALE_DAYS = 45
# A quarterly N-PORT filer's third-month report is public up to 60 days after the quarter ends, so its
# newest public report is up to ~92 + 60 = 152 days old just before the next one is public (monthly
# filers: ~91). 200 days keeps such a filer covered without a gap, with ~7 weeks to spare for a late
# filing, and drops a fund that missed a whole quarter's report or stopped filing.
NPORT_STALE_DAYS = 200
AMENDMENT_FORM = "NPORT-P/A"

_SCHEMA = input_schema(
    tables.RAW_ETF_HOLDINGS,
    ("symbol", "known_at", "etf_symbol", "shares", "accession_number", "form_type", "report_date"),
)

_SETUP = (
    """
    CREATE TEMP TABLE pairs AS
    SELECT DISTINCT symbol, sample_date AS d FROM grid
    UNION
    SELECT DISTINCT symbol, sample_date - INTERVAL 30 DAY AS d FROM grid
    """,
    # snapshots: per (ETF, symbol) the latest row of the last SNAPSHOT_STALE_DAYS days
    f"""
    CREATE TEMP TABLE etf_asof AS
    SELECT p.symbol, p.d, e.etf_symbol, COALESCE(e.shares, 0.0) AS shares
    FROM pairs p
    JOIN raw_etf e
      ON e.symbol = p.symbol
     AND e.known_at <= p.d
     AND e.known_at >= p.d - INTERVAL {SNAPSHOT_STALE_DAYS} DAY
    WHERE e.etf_symbol IS NOT NULL AND e.accession_number IS NULL
    QUALIFY row_number() OVER (
        PARTITION BY p.symbol, p.d, e.etf_symbol ORDER BY e.known_at DESC, COALESCE(e.shares, 0.0) DESC
    ) = 1
    """,
    # N-PORT: per (date, ETF) the one filing read (the newest fresh report, its latest public filing),
    # unless the ETF has fresh snapshots then
    f"""
    CREATE TEMP TABLE nport_filing AS
    WITH dates AS (SELECT DISTINCT d FROM pairs),
    filings AS (
        SELECT DISTINCT etf_symbol, accession_number, known_at, report_date,
               COALESCE(form_type = '{AMENDMENT_FORM}', FALSE) AS amendment
        FROM raw_etf
        WHERE accession_number IS NOT NULL AND etf_symbol IS NOT NULL
          AND known_at IS NOT NULL AND report_date IS NOT NULL
    ),
    snapshot_days AS (
        SELECT DISTINCT etf_symbol, known_at FROM raw_etf
        WHERE accession_number IS NULL AND etf_symbol IS NOT NULL AND known_at IS NOT NULL
    )
    SELECT t.d, f.etf_symbol, f.accession_number, f.known_at, f.report_date
    FROM dates t
    JOIN filings f ON f.known_at <= t.d AND f.report_date >= t.d - INTERVAL {NPORT_STALE_DAYS} DAY
    WHERE NOT EXISTS (
        SELECT 1 FROM snapshot_days s
        WHERE s.etf_symbol = f.etf_symbol
          AND s.known_at <= t.d AND s.known_at >= t.d - INTERVAL {SNAPSHOT_STALE_DAYS} DAY
    )
    QUALIFY row_number() OVER (
        PARTITION BY t.d, f.etf_symbol
        ORDER BY f.report_date DESC, f.known_at DESC, f.amendment DESC, f.accession_number DESC
    ) = 1
    """,
    """
    INSERT INTO etf_asof
    SELECT p.symbol, p.d, e.etf_symbol, COALESCE(e.shares, 0.0) AS shares
    FROM nport_filing n
    JOIN raw_etf e
      ON e.accession_number = n.accession_number
     AND e.etf_symbol = n.etf_symbol
     AND e.known_at = n.known_at
     AND e.report_date = n.report_date
    JOIN pairs p ON p.symbol = e.symbol AND p.d = n.d
    QUALIFY row_number() OVER (
        PARTITION BY p.symbol, p.d, e.etf_symbol ORDER BY COALESCE(e.shares, 0.0) DESC
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


def _holdings(etf_holdings: pd.DataFrame) -> pd.DataFrame:
    """The rows the SQL reads; a blank accession number is no accession number (a snapshot row)."""
    frame = prepare(etf_holdings, _SCHEMA, "etf_holdings")
    accession = frame["accession_number"].astype("string").str.strip()
    frame["accession_number"] = accession.where(accession.ne(""), pd.NA).astype("str")
    frame["form_type"] = frame["form_type"].astype("string").str.strip().str.upper().astype("str")
    return frame


def etf_features(grid: pd.DataFrame, etf_holdings: pd.DataFrame) -> pd.DataFrame:
    """ETF ownership level, 30-day ETF flow and top-5 ETF concentration, point in time."""
    tables = {"grid": prepare_grid(grid), "raw_etf": _holdings(etf_holdings)}
    result = run_sql(tables, _SETUP, _QUERY)
    return finalize(grid, result, ETF_FEATURES)
