"""A symbol's recent smart-money actions, for the page's timeline, read from the raw Parquet partitions.

Point in time like the features: only records public (``known_at``) on or before the as-of date, within the
last ``days``. Only the monthly partitions that can hold such rows are opened, filtered on the symbol by
pyarrow, so a look-up costs a few milliseconds and never touches ``warehouse.duckdb``. A damaged partition
of the window is a ``DataUnavailable`` naming the file (a 503): a timeline with a month missing would be
a wrong answer.
"""

import pandas as pd

from smart_money import tables, timeline
from smart_money.serve.store import READ_ERRORS, DataUnavailable
from smart_money.warehouse import Warehouse, read_partition

DEFAULT_DAYS = 120
MAX_EVENTS = 40
INSTITUTIONAL_EVENTS = 10  # the largest 13F changes only: a big name has hundreds of filers a quarter


def _read(
    warehouse: Warehouse, table: str, symbol: str, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    spec = tables.spec(table)
    frames = []
    for month in timeline.months_between(start, end):
        path = warehouse.partition_path(table, month)
        if not path.exists():
            continue
        try:
            frames.append(read_partition(path, spec.schema, filters=[("symbol", "=", symbol)]).to_pandas())
        except FileNotFoundError:
            continue
        except READ_ERRORS as exc:
            raise DataUnavailable(
                path, f"{table} for {month:%Y-%m} is damaged, so {symbol}'s activity is unavailable: {exc}"
            ) from exc
    frames = [f for f in frames if len(f)]
    if not frames:
        return spec.empty()
    frame = pd.concat(frames, ignore_index=True)
    return frame[(frame["known_at"] > start) & (frame["known_at"] <= end)]


def _money(value: float) -> str:
    return f"${value / 1e6:,.1f}M" if abs(value) >= 1e6 else f"${value:,.0f}"


def recent_actions(
    warehouse: Warehouse, symbol: str, as_of: pd.Timestamp, days: int = DEFAULT_DAYS
) -> list[dict]:
    """Insider open-market trades, congressional trades and the largest 13F changes public in
    ``(as_of - days, as_of]``, newest first (at most ``MAX_EVENTS``)."""
    end = pd.Timestamp(as_of).normalize()
    start = end - pd.Timedelta(days=days)
    events = []
    insider = _read(warehouse, "raw_insider_trades", symbol, start, end)
    insider = insider[insider["transaction_code"].isin(["P", "S"])]
    for r in insider.itertuples(index=False):
        verb = "bought" if r.transaction_code == "P" else "sold"
        events.append(
            {
                "date": r.known_at,
                "category": "insider_activity",
                "actor": f"{r.insider_name} ({r.insider_role})",
                "action": "buy" if verb == "bought" else "sell",
                "detail": f"{verb} {r.shares:,.0f} shares at ${r.price:,.2f} ({_money(r.shares * r.price)}), "
                f"traded {r.transaction_date:%Y-%m-%d}",
            }
        )
    congress = _read(warehouse, "raw_congress_trades", symbol, start, end)
    for r in congress.itertuples(index=False):
        events.append(
            {
                "date": r.known_at,
                "category": "congressional_sentiment",
                "actor": f"{r.member} ({r.chamber})",
                "action": r.side,
                "detail": f"{r.side} {_money(r.amount_low)}–{_money(r.amount_high)}, "
                f"traded {r.transaction_date:%Y-%m-%d}",
            }
        )
    holdings = _read(warehouse, "raw_institutional_holdings", symbol, start, end)
    holdings = holdings[holdings["change_in_shares"].fillna(0) != 0]
    holdings = holdings.reindex(holdings["change_in_shares"].abs().sort_values(ascending=False).index)
    for r in holdings.head(INSTITUTIONAL_EVENTS).itertuples(index=False):
        kind = "new position" if r.is_new_position else "closed position" if r.is_closed_position else None
        change = f"{r.change_in_shares:+,.0f} shares"
        events.append(
            {
                "date": r.known_at,
                "category": "hedge_fund_positioning" if r.is_hedge_fund else "institutional_flow",
                "actor": r.filer_name,
                "action": "buy" if r.change_in_shares > 0 else "sell",
                "detail": f"13F for {r.report_date:%Y-%m-%d}: {change}" + (f" ({kind})" if kind else ""),
            }
        )
    events.sort(key=lambda e: e["date"], reverse=True)
    for event in events:
        event["date"] = f"{pd.Timestamp(event['date']):%Y-%m-%d}"
    return events[:MAX_EVENTS]
