"""Market-context features from prices: trailing realized volatility and beta.

They carry no smart-money information, which is the point: on a "+5% in 14 days" label volatility alone
ranks stocks well, so the model sees it too and every evaluation stands beside a volatility-only baseline
built from exactly these columns. A price is public on its trading date, so a feature for ``t`` uses daily
returns dated on or before ``t``. The market return is the equal-weighted mean return of every symbol
priced that day (only prices public at ``t``).
"""

import pandas as pd

from smart_money import tables
from smart_money.features._common import finalize, input_schema, prepare, prepare_grid, run_sql

MARKET_FEATURES: tuple[str, ...] = ("volatility_30d", "volatility_90d", "beta_1y")

MIN_RETURNS = {"volatility_30d": 10, "volatility_90d": 30, "beta_1y": 60}
TRADING_DAYS_PER_YEAR = 252

_PRICES_SCHEMA = input_schema(tables.RAW_PRICES, ("symbol", "date", "adj_close"))

_SETUP = (
    """
    CREATE TEMP TABLE returns AS
    SELECT symbol, date,
           ln(adj_close / lag(adj_close) OVER (PARTITION BY symbol ORDER BY date)) AS r
    FROM raw_prices
    WHERE adj_close > 0
    """,
    """
    CREATE TEMP TABLE market AS
    SELECT date, favg(r) AS rm FROM returns WHERE r IS NOT NULL GROUP BY date
    """,
    """
    CREATE TEMP TABLE window_returns AS
    SELECT g.gid, g.sample_date - r.date AS age, r.r, m.rm
    FROM grid g
    JOIN returns r
      ON r.symbol = g.symbol
     AND r.date <= g.sample_date
     AND r.date > g.sample_date - INTERVAL 365 DAY
    JOIN market m ON m.date = r.date
    WHERE r.r IS NOT NULL
    """,
)

_QUERY = f"""
SELECT gid,
       CASE WHEN count(*) FILTER (WHERE age < INTERVAL 30 DAY) >= {MIN_RETURNS["volatility_30d"]}
            THEN stddev_samp(r) FILTER (WHERE age < INTERVAL 30 DAY) * sqrt({TRADING_DAYS_PER_YEAR})
       END AS volatility_30d,
       CASE WHEN count(*) FILTER (WHERE age < INTERVAL 90 DAY) >= {MIN_RETURNS["volatility_90d"]}
            THEN stddev_samp(r) FILTER (WHERE age < INTERVAL 90 DAY) * sqrt({TRADING_DAYS_PER_YEAR})
       END AS volatility_90d,
       CASE WHEN count(*) >= {MIN_RETURNS["beta_1y"]} AND var_samp(rm) > 0
            THEN covar_samp(r, rm) / var_samp(rm)
       END AS beta_1y
FROM window_returns
GROUP BY gid
"""


def market_features(grid: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    """Annualized 30- and 90-day realized volatility and 1-year beta to the equal-weighted market."""
    tables = {"grid": prepare_grid(grid), "raw_prices": prepare(prices, _PRICES_SCHEMA, "prices")}
    return finalize(grid, run_sql(tables, _SETUP, _QUERY), MARKET_FEATURES)
