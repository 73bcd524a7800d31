"""What the routers share: the services on ``app.state``, the toggle gate and the admin token check.

The getters only read ``app.state`` and stay ``async`` (no thread hop). Anything that can read a file runs
in the thread pool: in a plain ``def`` handler, or through ``run_in_threadpool``.
"""

import hmac
from typing import Annotated

import pandas as pd
from fastapi import Depends, Request

from smart_money.serve.errors import ApiError
from smart_money.serve.store import NotFound, PredictionService
from smart_money.serve.toggles import ToggleStore

FEATURE_ID = "smart_money_flow"


async def get_service(request: Request) -> PredictionService:
    return request.app.state.service


async def get_toggles(request: Request) -> ToggleStore:
    return request.app.state.toggles


Service = Annotated[PredictionService, Depends(get_service)]
Toggles = Annotated[ToggleStore, Depends(get_toggles)]


def services(request: Request) -> tuple[PredictionService, ToggleStore]:
    """Both services without ``Depends``, for the prediction handlers' in-memory path."""
    state = request.app.state
    return state.service, state.toggles


def feature_disabled() -> ApiError:
    """The 503 while the feature is off: what it means and the three ways to turn it on."""
    return ApiError(
        503,
        "feature_disabled",
        "Smart Money Flow predictions are turned off (they stay off until an admin turns them on). An admin "
        f"can turn them on in the web page's admin panel, with PUT /api/admin/features/{FEATURE_ID}, or "
        f'with the command: smart-money toggle {FEATURE_ID} on --reason "why"',
    )


def require_enabled(toggles: ToggleStore) -> None:
    """A 503 while the feature is off (its default). May read the toggle file: call it in the thread pool,
    after the body has been validated."""
    if not toggles.is_enabled(FEATURE_ID):
        raise feature_disabled()


def enabled_in_memory(toggles: ToggleStore) -> bool:
    """True when the feature is known to be on without reading a file, the 503 when it is known to be off,
    False when the toggle file must be read first (by ``require_enabled``, in the thread pool)."""
    known = toggles.known_enabled(FEATURE_ID)
    if known is False:
        raise feature_disabled()
    return bool(known)


async def require_admin(request: Request) -> None:
    """``Authorization: Bearer <token>`` equal to the server's admin token (compared in constant time).

    A dependency, so it answers before the body is parsed: 401 without a bearer token, 403 with a wrong one
    or when the server has no admin token at all."""
    header = request.headers.get("authorization", "")
    scheme, _, supplied = header.partition(" ")
    if scheme.lower() != "bearer" or not supplied.strip():
        raise ApiError(
            401,
            "unauthorized",
            "admin endpoints need the header 'Authorization: Bearer <SMART_MONEY_ADMIN_TOKEN>'",
            "Authorization",
            headers={"WWW-Authenticate": "Bearer"},
        )
    token = request.app.state.admin_token
    if not token:
        raise ApiError(
            403, "forbidden", "the admin API is off: SMART_MONEY_ADMIN_TOKEN is not set on the server"
        )
    if not hmac.compare_digest(supplied.strip().encode(), token.encode()):
        raise ApiError(403, "forbidden", "the bearer token is not the admin token", "Authorization")


def as_of(value: str | None) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(value)


def not_found(exc: NotFound) -> ApiError:
    """The 404 naming the field at fault: ``symbol`` when it is not served, ``date`` when it is before the
    symbol's first sample date."""
    return ApiError(404, "not_found", str(exc), exc.field)
