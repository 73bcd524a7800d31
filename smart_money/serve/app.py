"""The HTTP API and the web page (FastAPI): predictions, the registry, health, feature toggles.

Contract (README: Serving): every error is JSON ``{"success": false, "error": {"code", "field", "message"}}``;
bad input is a 400 naming the field, an unknown symbol or a date before its first sample a 404, the feature
toggled off a 503. Predictions carry ``Cache-Control: public, max-age=180``.
"""

import hmac
import logging
import re
from datetime import date as Date
from importlib import resources
from pathlib import Path
from typing import Annotated

import pandas as pd
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    field_validator,
)
from starlette.exceptions import HTTPException as StarletteHTTPException

from smart_money import settings
from smart_money.serve import activity
from smart_money.serve.store import NotFound, PredictionService, encode
from smart_money.serve.toggles import FEATURES, ToggleError, ToggleStore

log = logging.getLogger(__name__)

FEATURE_ID = "smart_money_flow"
CACHE_MAX_AGE = 180  # seconds; the seed asks for 2-5 minutes
PREDICTION_CACHE = f"public, max-age={CACHE_MAX_AGE}"
MAX_BATCH = 1000
SYMBOL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,9}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STATIC = resources.files("smart_money.serve") / "static"

FeatureValue = Annotated[StrictInt | StrictFloat, Field(allow_inf_nan=False)]


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None, headers=None):
        super().__init__(message)
        self.status, self.code, self.message, self.field, self.headers = status, code, message, field, headers


def _symbol(value: str) -> str:
    if not SYMBOL_RE.match(value):
        raise ValueError(
            "must be 1-10 characters: letters, digits, '.' or '-', starting with a letter or digit"
        )
    return value.upper()


def _date(value: str | None) -> str | None:
    if value is None:
        return None
    if not DATE_RE.match(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        Date.fromisoformat(value)
    except ValueError:
        raise ValueError("is not a calendar date (YYYY-MM-DD)") from None
    return value


Symbol = Annotated[str, AfterValidator(_symbol)]


class PredictionRequest(BaseModel):
    """``POST /api/ml/smart-money-flow``: one symbol, optionally its feature vector or an as-of date."""

    model_config = ConfigDict(extra="forbid")
    symbol: str = Field(description="Ticker, 1-10 characters.")
    features: list[FeatureValue | None] | None = Field(
        default=None,
        description="The model's features in GET /api/meta's feature_names order; null = missing.",
    )
    date: str | None = Field(
        default=None, description="YYYY-MM-DD: use the newest sample date on or before it (default: newest)."
    )

    _check_symbol = field_validator("symbol")(_symbol)
    _check_date = field_validator("date")(_date)


class BatchRequest(BaseModel):
    """``POST /api/ml/smart-money-flow/batch``: many symbols at one as-of date."""

    model_config = ConfigDict(extra="forbid")
    symbols: list[Symbol] = Field(min_length=1, max_length=MAX_BATCH)
    date: str | None = None

    _check_date = field_validator("date")(_date)


class ToggleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: StrictBool
    reason: str = Field(min_length=1, max_length=500)
    actor: str = Field(default="admin-api", min_length=1, max_length=100)


def _error(status: int, code: str, message: str, field: str | None = None, headers=None) -> JSONResponse:
    body = {"success": False, "error": {"code": code, "field": field, "message": message}}
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})


def _field_name(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    name = ""
    for p in parts:
        name += f"[{p}]" if p.isdigit() else (f".{p}" if name else p)
    # pydantic names the union member (int/float) after the index; the user only needs the index
    return re.sub(r"\.(int|float)$", "", name) or "body"


def create_app(
    data_dir: Path | None = None, admin_token: str | None = None, refresh_seconds: float = 2.0
) -> FastAPI:
    """The app over ``data_dir`` (default ``SMART_MONEY_DATA_DIR``); ``admin_token`` defaults to
    ``SMART_MONEY_ADMIN_TOKEN`` (the admin API answers 403 to everyone when neither is set)."""
    data_dir = data_dir or settings.data_dir()
    token = admin_token if admin_token is not None else settings.admin_token()
    service = PredictionService(data_dir, refresh_seconds=refresh_seconds)
    toggles = ToggleStore(data_dir)
    app = FastAPI(
        title="smart-money",
        summary="Smart-money conviction predictions from disclosed insider, 13F, congressional and ETF data.",
        version="0.1.0",
    )
    app.state.service, app.state.toggles = service, toggles

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError):
        return _error(exc.status, exc.code, exc.message, exc.field, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError):
        errors = exc.errors()
        first = errors[0] if errors else {"loc": ("body",), "msg": "invalid request"}
        field = _field_name(tuple(first.get("loc", ())))
        message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        kind = first.get("type", "")
        if kind == "json_invalid":
            field, message = "body", "the request body is not valid JSON"
        elif field == "body":
            message = "the request body must be a JSON object (send Content-Type: application/json)"
        elif kind == "missing":
            message = "is required"
        elif field.startswith("features[") and kind in ("int_type", "float_type", "finite_number"):
            message = f"must be a finite number or null (missing), got {first.get('input')!r}"
        response = _error(400, "invalid_request", f"{field}: {message}", field)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception):
        log.exception("serve: unexpected error")
        return _error(500, "internal_error", f"internal error ({type(exc).__name__}); see the server log")

    def require_enabled() -> None:
        if not toggles.is_enabled(FEATURE_ID):
            raise ApiError(
                503,
                "feature_disabled",
                f"the {FEATURE_ID} feature is turned off (its default). An admin can turn it on with "
                f"PUT /api/admin/features/{FEATURE_ID} or `smart-money toggle {FEATURE_ID} on --reason ...`",
            )

    def as_of(value: str | None) -> pd.Timestamp | None:
        return None if value is None else pd.Timestamp(value)

    def not_found(exc: NotFound) -> ApiError:
        return ApiError(404, "not_found", str(exc), "symbol")

    @app.post("/api/ml/smart-money-flow")
    async def smart_money_flow(body: PredictionRequest) -> Response:
        """One conviction prediction in the seed's response shape."""
        require_enabled()
        if body.features is not None:
            expected = service.snapshot().serving.feature_names
            if len(body.features) != len(expected):
                raise ApiError(
                    400,
                    "invalid_request",
                    f"features: expected exactly {len(expected)} numbers (the model's features, in the "
                    f"order of GET /api/meta feature_names), got {len(body.features)}",
                    "features",
                )
            data = service.predict_vector(body.symbol, body.features)
        else:
            try:
                data = service.prediction(body.symbol, as_of(body.date))
            except NotFound as exc:
                raise not_found(exc) from None
        return Response(
            b'{"success":true,"data":' + data + b"}",
            media_type="application/json",
            headers={"Cache-Control": PREDICTION_CACHE},
        )

    @app.post("/api/ml/smart-money-flow/batch")
    async def smart_money_flow_batch(body: BatchRequest) -> Response:
        """Predictions for many symbols; symbols without features are listed in ``errors`` (not a 404)."""
        require_enabled()
        when = as_of(body.date)
        found, errors = [], []
        for symbol in dict.fromkeys(body.symbols):
            try:
                found.append(service.prediction(symbol, when))
            except NotFound as exc:
                errors.append({"symbol": symbol, "code": "not_found", "message": str(exc)})
        content = (
            b'{"success":true,"count":'
            + str(len(found)).encode()
            + b',"data":['
            + b",".join(found)
            + b'],"errors":'
            + encode(errors)
            + b"}"
        )
        return Response(content, media_type="application/json", headers={"Cache-Control": PREDICTION_CACHE})

    @app.get("/api/ml/models")
    async def models() -> dict:
        """Every registered model version, newest first; ``serving`` marks the one predictions use."""
        snapshot = service.snapshot()
        return {"success": True, "serving": snapshot.serving.info, "data": service.models()}

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        meta = service.meta()
        ok = meta["feature_rows"] > 0
        body = {
            "status": "ok" if ok else "unavailable",
            "reason": None if ok else f"no features under {data_dir}; run `make run` or materialize features",
            "model_version": meta["model"]["version"],
            "data_source": meta["data_source"],
            "synthetic": meta["synthetic"],
            "latest_sample_date": meta["latest_sample_date"],
            "symbols": meta["symbols"],
            FEATURE_ID: toggles.is_enabled(FEATURE_ID),
        }
        return JSONResponse(body, status_code=200 if ok else 503, headers={"Cache-Control": "no-store"})

    @app.get("/api/meta")
    async def meta() -> dict:
        """What the page needs up front: model, data source (synthetic?), toggle state, feature names."""
        return {"success": True, "data": {**service.meta(), FEATURE_ID: toggles.is_enabled(FEATURE_ID)}}

    @app.get("/api/symbols")
    async def symbols(q: str = "", limit: int = 20) -> dict:
        return {"success": True, "data": service.symbols(q.strip(), max(1, min(limit, 10_000)))}

    def symbol_window(symbol: str, date: str | None, days: int, max_days: int) -> tuple[str, pd.Timestamp]:
        """Validate a symbol look-up's path and query (400s name the field) and find its sample date (404)."""
        try:
            symbol = _symbol(symbol)
        except ValueError as exc:
            raise ApiError(400, "invalid_request", f"symbol: {exc}", "symbol") from None
        try:
            _date(date)
        except ValueError as exc:
            raise ApiError(400, "invalid_request", f"date: {exc}", "date") from None
        if not 1 <= days <= max_days:
            raise ApiError(400, "invalid_request", f"days: must be between 1 and {max_days}", "days")
        try:
            return symbol, service.sample_date_for(symbol, as_of(date))
        except NotFound as exc:
            raise not_found(exc) from None

    @app.get("/api/symbols/{symbol}/activity")
    def symbol_activity(symbol: str, date: str | None = None, days: int = activity.DEFAULT_DAYS) -> dict:
        """Recent smart-money actions public on or before the symbol's sample date (or ``date``)."""
        symbol, sample = symbol_window(symbol, date, days, 730)
        events = activity.recent_actions(symbol, sample, data_dir, days)
        return {
            "success": True,
            "data": {"symbol": symbol, "as_of": f"{sample:%Y-%m-%d}", "days": days, "events": events},
        }

    @app.get("/api/symbols/{symbol}/options-events")
    def symbol_options_events(symbol: str, date: str | None = None, days: int = 30) -> dict:
        """The symbol's recent profiled options events (profile, direction, reasons), point in time."""
        symbol, sample = symbol_window(symbol, date, days, 365)
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

    # ---- admin -----------------------------------------------------------------------------------------
    def require_admin(request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, supplied = header.partition(" ")
        if scheme.lower() != "bearer" or not supplied.strip():
            raise ApiError(
                401,
                "unauthorized",
                "admin endpoints need 'Authorization: Bearer <SMART_MONEY_ADMIN_TOKEN>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not token:
            raise ApiError(
                403, "forbidden", "the admin API is off: SMART_MONEY_ADMIN_TOKEN is not set on the server"
            )
        if not hmac.compare_digest(supplied.strip().encode(), token.encode()):
            raise ApiError(403, "forbidden", "the bearer token is not the admin token")

    @app.get("/api/admin/features", dependencies=[Depends(require_admin)])
    async def admin_features() -> dict:
        return {
            "success": True,
            "data": [toggles.state(f) for f in FEATURES],
            "audit": toggles.history(limit=50),
        }

    @app.put("/api/admin/features/{feature_id}", dependencies=[Depends(require_admin)])
    def admin_set_feature(feature_id: str, body: ToggleRequest) -> dict:
        if feature_id not in FEATURES:
            raise ApiError(404, "not_found", f"unknown feature {feature_id!r}; known: {', '.join(FEATURES)}")
        try:
            state = toggles.set(feature_id, body.enabled, body.actor, body.reason)
        except ToggleError as exc:
            raise ApiError(400, "invalid_request", str(exc)) from None
        log.info("serve: %s set to %s by %s", feature_id, body.enabled, body.actor)
        return {"success": True, "data": state, "audit": toggles.history(feature_id, limit=10)}

    # ---- page ------------------------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(str(STATIC / "index.html"), headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    return app
