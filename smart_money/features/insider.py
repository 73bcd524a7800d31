"""Insider (Form 4) features.

Every measure is computed per (symbol, sample_date) from trades whose filing date
(``known_at``) is on or before the sample date: a trade executed before ``t`` but filed
after ``t`` was not public at ``t`` and must not be used.

Each filing is read in the version public at ``t``: an amendment (4/A) replaces the rows of the filing it
amends from the amendment's own filing date on, and the amendment's rows count from their own
``known_at``. The match is :func:`smart_money.sources.sec.normalize.amendment_supersessions`; it gives each
row one date, :func:`hidden_from`, so a row counts for ``t`` when
``known_at <= t AND (hidden_from IS NULL OR hidden_from > t)``. Synthetic and FMP rows are never
replaced: they carry no accession number, or (FMP) not the period and original filing date the match
needs.

Only non-derivative (Table I) rows are read: a derivative row's shares are options or units, not stock.
The Rule 10b5-1 flag (``aff10b5one``) is not a feature: only SEC filings from April 2023 on report it, and
neither the synthetic market nor FMP does, so no data here can show that it helps.
"""

import pandas as pd

from smart_money import tables
from smart_money.features._common import (
    SO_SQL,
    _as_dates,
    finalize,
    input_schema,
    prepare,
    prepare_grid,
    run_sql,
)
from smart_money.sources.sec import normalize

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
        "is_derivative",
    ),
)
# The columns :func:`hidden_from` reads to match an amendment to the filing it amends.
AMENDMENT_COLUMNS = normalize.AMENDMENT_COLUMNS
_PRICES_SCHEMA = input_schema(tables.RAW_PRICES, ("symbol", "date", "close"))

_SETUP = (
    # Normalised non-derivative trades; an insider without an id falls back to the name so it still
    # counts. A row is public from known_at until hidden_from (NULL: for good).
    """
    CREATE TEMP TABLE tr AS
    SELECT row_number() OVER () AS rid, symbol, known_at, hidden_from, transaction_date,
           COALESCE(insider_id, insider_name) AS insider_id, is_c_suite,
           upper(trim(transaction_code)) AS code,
           CASE upper(trim(acquired_disposed)) WHEN 'A' THEN 1.0 WHEN 'D' THEN -1.0 ELSE 0.0 END AS sign,
           COALESCE(shares, 0.0) AS shares, price
    FROM raw_trades
    WHERE symbol IS NOT NULL AND known_at IS NOT NULL AND NOT COALESCE(is_derivative, FALSE)
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
    # Point-in-time history for the routine/opportunistic split: when each (insider, year, month) had a
    # public open-market trade, as intervals [first_known, hidden_from) (rows with the same end merge;
    # NULL: public for good). Without amendments that is one row per (insider, year, month).
    """
    CREATE TEMP TABLE hist_ym AS
    SELECT insider_id, year(transaction_date) AS y, month(transaction_date) AS m, hidden_from,
           MIN(known_at) AS first_known
    FROM tr
    WHERE code IN ('P', 'S') AND transaction_date IS NOT NULL AND insider_id IS NOT NULL
    GROUP BY ALL
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
     AND (r.hidden_from IS NULL OR r.hidden_from > g.sample_date)
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
history AS (
    -- per purchase: how many of the three years before its year hold a P/S trade of the insider that is
    -- public at the sample date, and how many hold one in the purchase's calendar month
    SELECT pw.gid, pw.rid,
           COUNT(DISTINCT h.y) AS n_years,
           COUNT(DISTINCT CASE WHEN h.m = month(pw.transaction_date) THEN h.y END) AS n_same_month
    FROM pw
    JOIN hist_ym h
      ON h.insider_id = pw.insider_id
     AND h.y BETWEEN year(pw.transaction_date) - 3 AND year(pw.transaction_date) - 1
     AND h.first_known <= pw.sample_date
     AND (h.hidden_from IS NULL OR h.hidden_from > pw.sample_date)
    GROUP BY pw.gid, pw.rid
),
cmp AS (
    SELECT gid,
           SUM(CASE WHEN n_same_month = 3 THEN 1 ELSE 0 END)::DOUBLE AS n_routine,
           SUM(CASE WHEN n_years = 3 AND n_same_month < 3 THEN 1 ELSE 0 END)::DOUBLE AS n_opportunistic
    FROM history GROUP BY gid
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


def _keys(frame: pd.DataFrame, columns: list[str]) -> pd.MultiIndex:
    return pd.MultiIndex.from_arrays([frame[c] for c in columns], names=["issuer", "owner", "day"])


def hidden_from(insider_trades: pd.DataFrame) -> pd.Series:
    """Per row, the date from which an amendment replaces the row's filing (NaT: never), on the input's
    index. A row counts for sample date t while ``known_at <= t < hidden_from``.

    It is the earliest ``superseded_at`` of the row's accession number in
    :func:`~smart_money.sources.sec.normalize.amendment_supersessions`. Whether an amendment replaces a
    filing depends only on filings public by the amendment's date, so one pass over every row gives, at
    each t, what a pass over the rows public at t would.
    """
    missing = [c for c in AMENDMENT_COLUMNS if c not in insider_trades.columns]
    if missing:
        raise ValueError(f"insider_trades is missing required columns: {missing}")
    out = pd.Series(pd.NaT, index=insider_trades.index, dtype="datetime64[us]")
    accession = insider_trades["accession_number"].astype("string").str.strip()
    filed = (accession.notna() & accession.ne("")).fillna(False).astype(bool)
    amendment = filed & insider_trades["is_amendment"].astype("boolean").fillna(False).astype(bool)
    if not amendment.any():
        return out
    rows = insider_trades.loc[filed, list(AMENDMENT_COLUMNS)].copy()
    rows["accession_number"] = accession[filed]
    rows["is_amendment"] = amendment[filed]
    for column in ("issuer_cik", "insider_id"):
        rows[column] = rows[column].astype("string")
    for column in ("known_at", "period_of_report", "date_of_original_submission"):
        rows[column] = _as_dates(rows[column])
    rows["acceptance_time"] = pd.to_datetime(rows["acceptance_time"], utc=True, errors="coerce")
    rows = rows[rows["known_at"].notna()]
    # An amendment replaces only filings of its issuer and owner that match its period of report or were
    # filed on its original submission date, so the others need not be matched (the answer is the same).
    amendments = rows[rows["is_amendment"]]
    owner = ["issuer_cik", "insider_id"]
    same_period = _keys(rows, [*owner, "period_of_report"]).isin(
        _keys(amendments, [*owner, "period_of_report"])
    )
    filed_on_origin = _keys(rows, [*owner, "known_at"]).isin(
        _keys(amendments, [*owner, "date_of_original_submission"])
    )
    rows = rows[rows["is_amendment"].to_numpy() | same_period | filed_on_origin]
    replaced = normalize.amendment_supersessions(rows)
    if replaced.empty:
        return out
    first = replaced.groupby("accession_number")["superseded_at"].min()
    out[filed] = _as_dates(accession[filed].map(first)).to_numpy()
    return out


def insider_features(grid: pd.DataFrame, insider_trades: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    """Insider buy/sell pressure, clustering and CMP routine/opportunistic counts, point in time, each
    filing in the version public at the sample date (non-derivative rows only)."""
    trades = prepare(insider_trades, _TRADES_SCHEMA, "insider_trades")
    trades["hidden_from"] = hidden_from(insider_trades).to_numpy()
    tables = {
        "grid": prepare_grid(grid),
        "raw_trades": trades,
        "raw_prices": prepare(prices, _PRICES_SCHEMA, "prices"),
    }
    result = run_sql(tables, _SETUP, _QUERY)
    return finalize(grid, result, INSIDER_FEATURES)
