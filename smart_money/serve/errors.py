"""The API's one error shape: ``{"success": false, "error": {"code", "field", "message"}}``, never cached.

Bad input is a 400 ``invalid_request`` naming the field; FastAPI's validation errors, Starlette's 404/405 and
any unexpected exception are rewritten into the same shape (an unexpected one as a 500 that names only the
exception's type; the details go to the server log). A message quotes at most 80 characters of an input.

A damaged file the answer needs is a 503 ``data_unavailable`` naming the file (the other answers are
unaffected), a damaged toggle audit file a 503 ``toggles_unavailable`` on the admin endpoints: causes the
server can name never become a 500.
"""

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from smart_money.serve.text import QUOTE_CHARS, quote

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error answered as JSON with ``status``; ``field`` names the request field at fault."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field, self.headers = status, code, message, field, headers


def error_response(
    status: int, code: str, message: str, field: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"success": False, "error": {"code": code, "field": field, "message": message}}
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})


def field_name(loc: tuple) -> str:
    """``("body", "features", 3, "float")`` -> ``features[3]``: the field as the caller wrote it (a name
    the caller made up, e.g. an unknown key, is cut to 80 characters)."""
    parts = [str(p)[:QUOTE_CHARS] for p in loc if p not in ("body", "query", "path")]
    name = ""
    for p in parts:
        name += f"[{p}]" if p.isdigit() else (f".{p}" if name else p)
    # pydantic names the union member (int/float) after the index; the user only needs the index
    return re.sub(r"\.(int|float)$", "", name) or "body"


def invalid(field: str, message: str) -> ApiError:
    """The 400 for ``field``: ``message`` says what it must be (and quotes at most 80 characters)."""
    return ApiError(400, "invalid_request", f"{field}: {message}", field)


def validation_error(errors: list) -> ApiError:
    """The 400 for the first of pydantic's (or FastAPI's) validation errors."""
    first = errors[0] if errors else {"loc": ("body",), "msg": "invalid request"}
    field = field_name(tuple(first.get("loc", ())))
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    kind = first.get("type", "")
    if kind == "json_invalid":
        field, message = "body", "the request body is not valid JSON"
    elif field == "body":
        message = "the request body must be a JSON object (send Content-Type: application/json)"
    elif kind == "missing":
        message = "is required"
    elif field.startswith("features[") and kind in ("int_type", "float_type", "finite_number"):
        shown = first.get("input")
        shown = quote(shown) if isinstance(shown, str) else repr(shown)[:QUOTE_CHARS]
        message = f"must be a finite number or null (missing), got {shown}"
    return invalid(field, message)


async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
    return error_response(exc.status, exc.code, exc.message, exc.field, exc.headers)


async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    error = validation_error(exc.errors())
    return error_response(error.status, error.code, error.message, error.field)


async def _data_unavailable(_: Request, exc: Exception) -> JSONResponse:
    log.error("serve: %s", exc)
    return error_response(503, "data_unavailable", str(exc), headers={"Retry-After": "60"})


async def _toggles_unavailable(_: Request, exc: Exception) -> JSONResponse:
    return error_response(503, "toggles_unavailable", str(exc), headers={"Retry-After": "60"})


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    message = str(exc.detail)
    path = quote(request.url.path)
    if exc.status_code == 404 and message == "Not Found":  # no route: say so in words, and where to look
        message = f"no endpoint at {path}; the endpoints are listed at /docs"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {path}; the endpoints and their methods are at /docs"
    return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("serve: unexpected error")
    return error_response(500, "internal_error", f"internal error ({type(exc).__name__}); see the server log")


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` in the API's error shape."""
    from smart_money.modeling.training import ModelError
    from smart_money.serve.store import DataUnavailable
    from smart_money.serve.toggles import TogglesUnavailable
    from smart_money.warehouse import WarehouseError

    app.add_exception_handler(ApiError, _api_error)
    # a damaged file found where no handler expected one still names the file, as a 503
    for damaged in (DataUnavailable, WarehouseError, ModelError):
        app.add_exception_handler(damaged, _data_unavailable)
    app.add_exception_handler(TogglesUnavailable, _toggles_unavailable)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
