"""The HTTP API and the web page (FastAPI): predictions, the registry, health, feature toggles.

Contract (README: Serving): every error is JSON ``{"success": false, "error": {"code", "field", "message"}}``;
bad input is a 400 naming the field, an unknown symbol or a date before its first sample a 404, the feature
toggled off a 503. Predictions carry ``Cache-Control: public, max-age=180``.

The app reads the warehouse's Parquet files and the registry only; ``warehouse.duckdb`` is opened just to
refresh its views after a toggle change. The routes live in ``serve/routers/``; the services they share are
on ``app.state`` (``service``, ``toggles``, ``admin_token``). ``/docs`` and ``/redoc`` load their scripts from
this app (``routers/docs.py``), never from a CDN.
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from smart_money import settings
from smart_money.serve import errors
from smart_money.serve.limits import BodyLimit
from smart_money.serve.routers import admin, docs, page, predictions, status, symbols, track_record
from smart_money.serve.store import PredictionService
from smart_money.serve.toggles import ToggleStore
from smart_money.warehouse import Warehouse

# the API's routers, in the order their routes are matched (README: Serving); the docs pages add themselves
ROUTERS = (predictions, status, symbols, admin, page, track_record)


def create_app(
    data_dir: Path | str | None = None,
    models_dir: Path | str | None = None,
    admin_token: str | None = None,
    refresh_seconds: float = 2.0,
) -> FastAPI:
    """The app over ``data_dir`` (default ``SMART_MONEY_DATA_DIR``) and ``models_dir`` (default
    ``SMART_MONEY_MODELS_DIR``: the registry's model paths are relative to it); ``admin_token`` defaults to
    ``SMART_MONEY_ADMIN_TOKEN`` (the admin API answers 403 to everyone when neither is set)."""
    warehouse = Warehouse(
        data_dir if data_dir is not None else settings.data_dir(),
        models_dir if models_dir is not None else settings.models_dir(),
    )
    app = FastAPI(
        title="smart-money",
        summary="Smart-money conviction predictions from disclosed insider, 13F, congressional and ETF data.",
        version="0.1.0",
        docs_url=None,  # served by routers/docs.py from local files, so /docs and /redoc work offline
        redoc_url=None,
        swagger_ui_oauth2_redirect_url="/docs/oauth2-redirect",
    )
    app.state.service = PredictionService(warehouse, refresh_seconds=refresh_seconds)
    app.state.toggles = ToggleStore(warehouse)
    app.state.admin_token = admin_token if admin_token is not None else settings.admin_token()
    app.add_middleware(BodyLimit)
    errors.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
    docs.install(app)
    app.mount("/static", StaticFiles(directory=str(page.STATIC)), name="static")
    return app
