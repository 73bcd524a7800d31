"""Request bodies and the validation of symbols and dates (a failed check is a 400 naming the field).

Bodies are parsed by :func:`parse_body`, not by FastAPI, so that a large one is parsed and validated in the
thread pool instead of on the event loop, and a list far longer than any valid request is refused by its
length before it is parsed (by counting commas) or before its items are validated.
"""

import json
import math
import re
from datetime import date as Date
from typing import Annotated, TypeVar

from fastapi.concurrency import run_in_threadpool
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationError,
    field_validator,
)
from starlette.requests import ClientDisconnect, Request

from smart_money.serve.errors import invalid, validation_error
from smart_money.serve.text import control_characters, quote
from smart_money.serve.toggles import MAX_ACTOR, MAX_REASON

MAX_BATCH = 1000
MAX_FEATURES = 10_000  # far above any model's feature count: longer lists are refused before validation
INLINE_BODY_BYTES = 16_384  # bodies up to this size are parsed on the event loop (a few µs); larger ones
# in the thread pool (a 1 MB body takes ~20 ms to parse)
# No valid body has more commas than this (features, symbols, and a reason and an actor full of commas):
# a body with more is refused before it is parsed, as parsing holds the interpreter (~15 ms per MB).
MAX_SEPARATORS = MAX_FEATURES + MAX_BATCH + MAX_REASON + MAX_ACTOR + 16
SYMBOL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]{0,9}")  # matched against the whole string
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
# The dates the server accepts: pandas' nanosecond timestamps end on 2262-04-11; before 1900 no market
# data exists. Outside the range a date would be misread, not refused.
MIN_DATE, MAX_DATE = Date(1900, 1, 1), Date(2262, 4, 11)

M = TypeVar("M", bound=BaseModel)


def _finite(value: int | float) -> float:
    """NaN, ±inf and integers beyond the float range (JSON allows any number of digits) are refused, with
    the index of the value, never a 500."""
    try:
        number = float(value)
    except OverflowError:
        digits = len(str(abs(value)))
        raise ValueError(
            f"must be a finite number or null (missing), got an integer of {digits} digits (beyond the "
            "float range)"
        ) from None
    if not math.isfinite(number):
        raise ValueError(f"must be a finite number or null (missing), got {number}")
    return number


# no allow_inf_nan here: pydantic's own check converts an int to float and overflows
FeatureValue = Annotated[StrictInt | StrictFloat, AfterValidator(_finite)]


def check_symbol(value: str) -> str:
    """The symbol upper-cased; ValueError (the rule) when it cannot be a ticker."""
    if not isinstance(value, str) or not SYMBOL_RE.fullmatch(value):
        raise ValueError(
            "must be 1-10 characters: letters, digits, '.' or '-', starting with a letter or digit"
        )
    return value.upper()


def check_date(value: str | None) -> str | None:
    """``value`` unchanged when it is None or a calendar date written YYYY-MM-DD inside the supported range
    (``MIN_DATE`` … ``MAX_DATE``); ValueError otherwise."""
    if value is None:
        return None
    if not DATE_RE.fullmatch(value):
        raise ValueError(f"must be a date written YYYY-MM-DD, got {quote(value)}")
    try:
        day = Date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"is not a calendar date (YYYY-MM-DD), got {quote(value)}") from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise ValueError(f"must be between {MIN_DATE} and {MAX_DATE}, got {quote(value)}")
    return value


def check_printable(value: str) -> str:
    """``value`` unless it holds control characters (a newline would forge a line of the server's log)."""
    bad = control_characters(value)
    if bad:
        raise ValueError(f"must not contain control characters, got {', '.join(bad[:5])}")
    return value


Symbol = Annotated[str, AfterValidator(check_symbol)]


class PredictionRequest(BaseModel):
    """One symbol, optionally with its own feature vector or an as-of date."""

    model_config = ConfigDict(extra="forbid")
    symbol: str = Field(description="Ticker, 1-10 characters.")
    features: list[FeatureValue | None] | None = Field(
        default=None,
        max_length=MAX_FEATURES,
        description="The model's features in GET /api/meta's feature_names order; null = missing.",
    )
    date: str | None = Field(
        default=None,
        description=f"YYYY-MM-DD, {MIN_DATE} to {MAX_DATE}: use the newest sample date on or before it "
        "(default: newest).",
    )

    _check_symbol = field_validator("symbol")(check_symbol)
    _check_date = field_validator("date")(check_date)


class BatchRequest(BaseModel):
    """Many symbols at one as-of date."""

    model_config = ConfigDict(extra="forbid")
    symbols: list[Symbol] = Field(min_length=1, max_length=MAX_BATCH)
    date: str | None = None

    _check_date = field_validator("date")(check_date)


class ToggleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: StrictBool
    reason: str = Field(min_length=1, max_length=MAX_REASON)
    actor: str = Field(default="admin-api", min_length=1, max_length=MAX_ACTOR)

    _check_text = field_validator("reason", "actor")(check_printable)


# the lists whose length is checked before their items are validated: (model, field, most items)
LONG_LISTS = {PredictionRequest: ("features", MAX_FEATURES), BatchRequest: ("symbols", MAX_BATCH)}


def _is_json(request: Request) -> bool:
    """As FastAPI decides: ``application/json`` or ``application/*+json``; no content type is not JSON."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    main, _, sub = kind.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def _decode(raw: bytes, model: type[M], is_json: bool) -> M:
    not_object = invalid(
        "body", "the request body must be a JSON object (send Content-Type: application/json)"
    )
    if not raw or not is_json:
        raise not_object
    if len(raw) > INLINE_BODY_BYTES and raw.count(b",") > MAX_SEPARATORS:  # ~0.4 ms per MB
        raise invalid(
            "body",
            f"holds over {MAX_SEPARATORS} values, more than any valid request (at most {MAX_FEATURES} "
            f"features or {MAX_BATCH} symbols)",
        )
    try:
        data = json.loads(raw)
    except ValueError as exc:  # JSONDecodeError, bad UTF-8, or an integer of over 4300 digits
        if "integer string conversion" in str(exc):
            raise invalid("body", "a number in the request body has over 4300 digits") from None
        raise invalid("body", "the request body is not valid JSON") from None
    except RecursionError:  # arrays or objects nested thousands deep
        raise invalid("body", "the request body is nested too deeply") from None
    if not isinstance(data, dict):
        raise not_object
    if model in LONG_LISTS:
        name, most = LONG_LISTS[model]
        value = data.get(name)
        if isinstance(value, list) and len(value) > most:
            raise invalid(name, f"at most {most} items, got {len(value)}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc.errors(include_url=False)) from None


async def parse_body(request: Request, model: type[M]) -> M:
    """The request's JSON body as ``model``, or the 400 naming the field. A body over
    ``INLINE_BODY_BYTES`` is parsed and validated in the thread pool, so it never stalls the event loop
    for the other requests."""
    try:
        raw = await request.body()
    except ClientDisconnect:  # the client left (or the server dropped a body that stalled): nobody to tell
        raise invalid("body", "the client disconnected before the whole body arrived") from None
    if len(raw) <= INLINE_BODY_BYTES:
        return _decode(raw, model, _is_json(request))
    return await run_in_threadpool(_decode, raw, model, _is_json(request))


def openapi_body(model: type[BaseModel]) -> dict:
    """The ``openapi_extra`` that documents ``model`` as the JSON body (the handlers parse it themselves)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }
