"""The admin API: feature toggles and their audit log, behind the bearer token.

Reading and writing the toggle file blocks: the reads are plain ``def`` handlers, the change parses its
body (``schemas.parse_body``, after the token check) and then saves in the thread pool. A damaged audit
file is a 503 ``toggles_unavailable`` naming it; predictions keep the toggle's last verified state.
"""

import logging

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from smart_money.serve.dependencies import Toggles, require_admin
from smart_money.serve.errors import ApiError
from smart_money.serve.schemas import ToggleRequest, openapi_body, parse_body
from smart_money.serve.text import quote
from smart_money.serve.toggles import FEATURES, ToggleError, ToggleStore, TogglesUnavailable

log = logging.getLogger(__name__)

router = APIRouter(dependencies=[Depends(require_admin)])


@router.get("/api/admin/features")
def admin_features(toggles: Toggles) -> dict:
    return {
        "success": True,
        "data": [toggles.state(f) for f in FEATURES],
        "audit": toggles.history(limit=50),
    }


def _set(toggles: ToggleStore, feature_id: str, body: ToggleRequest) -> dict:
    try:
        state = toggles.set(feature_id, body.enabled, body.actor, body.reason)
    except TogglesUnavailable:
        raise
    except ToggleError as exc:
        raise ApiError(400, "invalid_request", str(exc), exc.field) from None
    log.info("serve: %s set to %s by %s", feature_id, body.enabled, body.actor)  # actor: no control chars
    return {"success": True, "data": state, "audit": toggles.history(feature_id, limit=10)}


@router.put("/api/admin/features/{feature_id}", openapi_extra=openapi_body(ToggleRequest))
async def admin_set_feature(feature_id: str, request: Request, toggles: Toggles) -> dict:
    if feature_id not in FEATURES:
        raise ApiError(
            404,
            "not_found",
            f"unknown feature {quote(feature_id)}; known features: {', '.join(FEATURES)}",
            "feature_id",
        )
    body = await parse_body(request, ToggleRequest)
    return await run_in_threadpool(_set, toggles, feature_id, body)
