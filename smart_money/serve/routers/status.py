"""What is served: the registered models, health, and the facts the page needs up front.

Plain ``def`` handlers: each may reload the snapshot from Parquet.
"""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from smart_money.serve.dependencies import FEATURE_ID, Service, Toggles

router = APIRouter()


@router.get("/api/ml/models")
def models(service: Service) -> dict:
    """Every registered model version, newest first; ``serving`` marks the one predictions use."""
    snapshot = service.snapshot()
    return {"success": True, "serving": snapshot.serving.info, "data": service.models()}


@router.get("/healthz")
def healthz(service: Service, toggles: Toggles) -> JSONResponse:
    meta = service.meta()
    ok = meta["feature_rows"] > 0
    body = {
        "status": "ok" if ok else "unavailable",
        "reason": None
        if ok
        else f"no features under {service.warehouse.data_dir}; run `make run` or materialize features",
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
