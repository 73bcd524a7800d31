"""Symbol search and a symbol's recent actions and options events, point in time.

Plain ``def`` handlers: they read the snapshot and raw Parquet partitions.
"""

import pandas as pd
from fastapi import APIRouter

from smart_money.serve import activity
from smart_money.serve.dependencies import Service, as_of, not_found
from smart_money.serve.errors import ApiError
from smart_money.serve.schemas import check_date, check_symbol
from smart_money.serve.store import NotFound, PredictionService

MAX_ACTIVITY_DAYS = 730
MAX_OPTIONS_DAYS = 365

router = APIRouter()


@router.get("/api/symbols")
def symbols(service: Service, q: str = "", limit: int = 20) -> dict:
    return {"success": True, "data": service.symbols(q.strip(), max(1, min(limit, 10_000)))}


def symbol_window(
    service: PredictionService, symbol: str, date: str | None, days: int, max_days: int
) -> tuple[str, pd.Timestamp]:
    """Validate a symbol look-up's path and query (400s name the field) and find its sample date (404)."""
    try:
        symbol = check_symbol(symbol)
    except ValueError as exc:
        raise ApiError(400, "invalid_request", f"symbol: {exc}", "symbol") from None
    try:
        check_date(date)
    except ValueError as exc:
        raise ApiError(400, "invalid_request", f"date: {exc}", "date") from None
    if not 1 <= days <= max_days:
        raise ApiError(400, "invalid_request", f"days: must be between 1 and {max_days}", "days")
    try:
        return symbol, service.sample_date_for(symbol, as_of(date))
    except NotFound as exc:
        raise not_found(exc) from None


@router.get("/api/symbols/{symbol}/activity")
def symbol_activity(
    symbol: str, service: Service, date: str | None = None, days: int = activity.DEFAULT_DAYS
) -> dict:
    """Recent smart-money actions public on or before the symbol's sample date (the newest on or before
    date, when given)."""
    symbol, sample = symbol_window(service, symbol, date, days, MAX_ACTIVITY_DAYS)
    events = activity.recent_actions(service.warehouse, symbol, sample, days)
    return {
        "success": True,
        "data": {"symbol": symbol, "as_of": f"{sample:%Y-%m-%d}", "days": days, "events": events},
    }


@router.get("/api/symbols/{symbol}/options-events")
def symbol_options_events(symbol: str, service: Service, date: str | None = None, days: int = 30) -> dict:
    """The symbol's recent profiled options events (profile, direction, reasons), point in time."""
    symbol, sample = symbol_window(service, symbol, date, days, MAX_OPTIONS_DAYS)
    found = service.options_events(sample, symbol, days)
    return {
        "success": True,
        "data": {
            "symbol": symbol,
            "as_of": f"{sample:%Y-%m-%d}",
            "days": days,
            "available": found is not None,
            "events": [] if found is None else found.get(symbol, []),
        },
    }
