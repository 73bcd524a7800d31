"""``POST /api/ml/smart-money-flow`` and its batch: conviction predictions, behind the feature toggle.

A prediction in memory (the files checked less than ``refresh_seconds`` ago, the toggle file unchanged, the
sample date already scored) is answered on the event loop: a dictionary look-up and a 10 µs inflate. Every
other one (a file to check or read, a reload, a sample date to score, a caller's vector) runs in the
thread pool, so a reload never stalls the loop. A plain ``def`` handler would send the cached answers
through the thread pool too, which on two cores costs more than half the throughput (benchmarks/serve.py).
For the same reason these two handlers take the services from ``app.state`` themselves: resolving
``Depends`` costs about a tenth of a cached answer. They parse their bodies themselves
(``schemas.parse_body``): a large body is parsed in the thread pool, never on the loop.

An answer that needs a damaged features month is a 503 naming the file (in a batch: that symbol's entry in
``errors``, and a 503 when no symbol could be answered).
"""

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pandas import Timestamp

from smart_money.serve.dependencies import as_of, enabled_in_memory, not_found, require_enabled, services
from smart_money.serve.errors import ApiError
from smart_money.serve.schemas import BatchRequest, PredictionRequest, openapi_body, parse_body
from smart_money.serve.store import DataUnavailable, NotFound, PredictionService, encode
from smart_money.serve.toggles import ToggleStore

CACHE_MAX_AGE = 180  # seconds: clients and proxies may reuse a prediction for 2-5 minutes (README: Caching)
PREDICTION_CACHE = f"public, max-age={CACHE_MAX_AGE}"

router = APIRouter()


def _json(content: bytes) -> Response:
    return Response(content, media_type="application/json", headers={"Cache-Control": PREDICTION_CACHE})


def _predict(body: PredictionRequest, service: PredictionService, toggles: ToggleStore) -> bytes:
    """The prediction's ``data`` (blocking: run it in the thread pool)."""
    require_enabled(toggles)
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
        return service.predict_vector(body.symbol, body.features)
    try:
        return service.prediction(body.symbol, as_of(body.date))
    except NotFound as exc:
        raise not_found(exc) from None


@router.post("/api/ml/smart-money-flow", openapi_extra=openapi_body(PredictionRequest))
async def smart_money_flow(request: Request) -> Response:
    """One conviction prediction for a symbol: the call, its scores, the model's and the rules' reasons."""
    body = await parse_body(request, PredictionRequest)
    service, toggles = services(request)
    data = None
    if enabled_in_memory(toggles) and body.features is None:
        try:
            data = service.cached_prediction(body.symbol, as_of(body.date))
        except NotFound as exc:
            raise not_found(exc) from None
    if data is None:
        data = await run_in_threadpool(_predict, body, service, toggles)
    return _json(b'{"success":true,"data":' + data + b"}")


def _unavailable(symbol: str, exc: DataUnavailable) -> dict:
    return {
        "symbol": symbol,
        "code": "data_unavailable",
        "field": None,
        "message": str(exc),
        "file": exc.path,
    }


def _answer(
    symbols: list[str], when: Timestamp | None, service: PredictionService, found: list, errors: list
) -> None:
    """Append each symbol's ``data`` to ``found``, or its NotFound to ``errors`` (blocking)."""
    for symbol in symbols:
        try:
            found.append(service.prediction(symbol, when))
        except NotFound as exc:
            errors.append({"symbol": symbol, "code": "not_found", "field": exc.field, "message": str(exc)})
        except DataUnavailable as exc:
            errors.append(_unavailable(symbol, exc))


def _answer_in_memory(
    symbols: list[str], when: Timestamp | None, service: PredictionService, found: list, errors: list
) -> int:
    """Like ``_answer`` while the answers are in memory; return how many symbols were answered."""
    for done, symbol in enumerate(symbols):
        try:
            data = service.cached_prediction(symbol, when)
        except NotFound as exc:
            errors.append({"symbol": symbol, "code": "not_found", "field": exc.field, "message": str(exc)})
            continue
        except DataUnavailable as exc:
            errors.append(_unavailable(symbol, exc))
            continue
        if data is None:
            return done
        found.append(data)
    return len(symbols)


def _answer_in_thread(
    symbols: list[str],
    when: Timestamp | None,
    service: PredictionService,
    toggles: ToggleStore,
    found: list,
    errors: list,
) -> None:
    """``_answer`` behind the toggle (blocking: run it in the thread pool)."""
    require_enabled(toggles)
    _answer(symbols, when, service, found, errors)


@router.post("/api/ml/smart-money-flow/batch", openapi_extra=openapi_body(BatchRequest))
async def smart_money_flow_batch(request: Request) -> Response:
    """Predictions for many symbols; symbols without features are listed in errors (not a 404)."""
    body = await parse_body(request, BatchRequest)
    service, toggles = services(request)
    symbols, when = list(dict.fromkeys(body.symbols)), as_of(body.date)
    found: list[bytes] = []
    errors: list[dict] = []
    done = _answer_in_memory(symbols, when, service, found, errors) if enabled_in_memory(toggles) else 0
    if done < len(symbols):
        await run_in_threadpool(_answer_in_thread, symbols[done:], when, service, toggles, found, errors)
    damaged = [e for e in errors if e["code"] == "data_unavailable"]
    if damaged and not found:  # nothing could be answered, and the cause is damage: the whole call is a 503
        raise DataUnavailable(damaged[0]["file"], damaged[0]["message"])
    return _json(
        b'{"success":true,"count":'
        + str(len(found)).encode()
        + b',"data":['
        + b",".join(found)
        + b'],"errors":'
        + encode(errors)
        + b"}"
    )
