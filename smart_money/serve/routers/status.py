"""What is served: the registered models, health, and the facts the page needs up front.

Plain ``def`` handlers: each may reload the snapshot from Parquet.

``/healthz`` is 200 ``ok``; 200 ``degraded`` while something is damaged or refused (every damaged file the
server reads, a refused model, a damaged toggle audit file: each in ``problems``, the first in ``reason``);
503 ``unavailable`` with no features to serve.
"""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from smart_money.serve.dependencies import FEATURE_ID, Service, Toggles
from smart_money.serve.store import problem
from smart_money.serve.toggles import TABLE as TOGGLE_TABLE

router = APIRouter()


@router.get("/api/ml/models")
def models(service: Service) -> dict:
    """Every registered model version, newest first; serving marks the one predictions use."""
    snapshot = service.snapshot()
    return {"success": True, "serving": snapshot.serving.info, "data": service.models()}


@router.get("/healthz")
def healthz(service: Service, toggles: Toggles) -> JSONResponse:
    meta = service.meta()
    problems = service.problems()
    damage = toggles.damage()
    if damage is not None:
        problems.append(problem(TOGGLE_TABLE, toggles.path, damage))
    ok = meta["feature_rows"] > 0
    if not ok:
        status = "unavailable"
        reason = f"no features under {service.warehouse.data_dir}; run make run, or materialize the features"
        if problems:
            reason = f"no readable features: {problems[0]['message']}"
    elif problems:
        status = "degraded"
        more = f" (and {len(problems) - 1} more: see problems)" if len(problems) > 1 else ""
        reason = problems[0]["message"] + more
    else:
        status, reason = "ok", None
    body = {
        "status": status,
        "reason": reason,
        "problems": problems,
        "model_version": meta["model"]["version"],
        "data_source": meta["data_source"],
        "synthetic": meta["synthetic"],
        "latest_sample_date": meta["latest_sample_date"],
        "symbols": meta["symbols"],
        FEATURE_ID: toggles.is_enabled(FEATURE_ID),
    }
    return JSONResponse(body, status_code=200 if ok else 503, headers={"Cache-Control": "no-store"})


@router.get("/api/meta")
def meta(service: Service, toggles: Toggles) -> dict:
    """What the page needs up front: model, data source (synthetic?), toggle state, feature names."""
    return {"success": True, "data": {**service.meta(), FEATURE_ID: toggles.is_enabled(FEATURE_ID)}}
