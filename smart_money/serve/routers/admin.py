"""The admin API: feature toggles and their audit log, behind the bearer token.

Plain ``def`` handlers: reading and writing the toggle file blocks.
"""

import logging

from fastapi import APIRouter, Depends

from smart_money.serve.dependencies import Toggles, require_admin
from smart_money.serve.errors import ApiError
from smart_money.serve.schemas import ToggleRequest
from smart_money.serve.toggles import FEATURES, ToggleError

log = logging.getLogger(__name__)

router = APIRouter(dependencies=[Depends(require_admin)])


@router.get("/api/admin/features")
def admin_features(toggles: Toggles) -> dict:
    return {
        "success": True,
        "data": [toggles.state(f) for f in FEATURES],
        "audit": toggles.history(limit=50),
    }


@router.put("/api/admin/features/{feature_id}")
def admin_set_feature(feature_id: str, body: ToggleRequest, toggles: Toggles) -> dict:
    if feature_id not in FEATURES:
        raise ApiError(404, "not_found", f"unknown feature {feature_id!r}; known: {', '.join(FEATURES)}")
    try:
        state = toggles.set(feature_id, body.enabled, body.actor, body.reason)
    except ToggleError as exc:
        raise ApiError(400, "invalid_request", str(exc)) from None
    log.info("serve: %s set to %s by %s", feature_id, body.enabled, body.actor)
    return {"success": True, "data": state, "audit": toggles.history(feature_id, limit=10)}
