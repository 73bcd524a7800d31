"""What one client can make the server do: the size of a request and how long it may take to arrive.

- A request body over ``MAX_BODY_BYTES`` (1 MB) is answered 413 before anything parses it, whether its size
  is announced by ``Content-Length`` or it is streamed chunked (``BodyLimit``, a pure ASGI middleware: it
  never buffers a body it does not have to, and never echoes one).
- Request headers over ``MAX_HEADER_BYTES`` or ``MAX_HEADERS`` are answered 431
  (``LimitedHttpToolsProtocol``).
- Every connection is always under a clock (``LimitedHttpToolsProtocol``): idle, it is closed after
  ``timeout_keep_alive`` seconds (uvicorn arms that timer only after a response, and cancels it on any
  byte, so a connection that sent nothing, or half a request, was held forever); once a request's first
  byte has arrived, its headers and its whole body must arrive within ``timeout_request`` seconds, else it
  is answered 408 and the connection is closed. While the server itself is busy (the app is working, or
  reading is paused because the app has not consumed what it has), the client is not on the clock.

Every refusal is JSON in the API's error shape (``serve/errors.py``), ``Cache-Control: no-store``.
``server_options`` is the one uvicorn configuration: ``smart-money serve`` and the tests both use it.
"""

import asyncio
import json
import logging
import math
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from smart_money import settings

MAX_BODY_BYTES = 1_048_576
MAX_HEADER_BYTES = 65_536
MAX_HEADERS = 100
TIMEOUT_KEEP_ALIVE = 5.0
TIMEOUT_REQUEST = 5.0
MAX_TIMEOUT = 3600.0
LINGER_SECONDS = 1.0  # after a refusal, how long the rest of the request is read and dropped

log = logging.getLogger("uvicorn.error")


def error_body(code: str, message: str, field: str | None = None) -> bytes:
    return json.dumps(
        {"success": False, "error": {"code": code, "field": field, "message": message}}, separators=(",", ":")
    ).encode()


# ---- the body limit (ASGI) ---------------------------------------------------------------------------------
class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413 before the app reads them.

    A body announced by ``Content-Length`` costs one scan of the headers and is passed through untouched. A
    streamed (chunked) body is read here up to ``max_bytes`` and then handed to the app in one message; past
    the limit the request is answered 413 at once. The rest of a refused body is discarded by the protocol
    while it keeps arriving, within the request's deadline, so the client reads the 413 instead of a reset.
    """

    def __init__(self, app: Any, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_bytes = app, max_bytes
        self._digits = len(str(max_bytes))  # a shorter Content-Length is under the limit: no int() needed

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = chunked = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = value
        if chunked is None:
            too_long = length is not None and len(length) >= self._digits and length.isdigit()
            if too_long and int(length) > self.max_bytes:
                await self._refuse(send, f"Content-Length is {int(length):,} bytes")
                return
            await self.app(scope, receive, send)
            return
        # streamed: each message adds bytes, and the loop ends at the limit, at the last chunk, or when the
        # protocol's request deadline disconnects the client
        chunks, total = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay(message, receive), send)
                return
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > self.max_bytes:
                await self._refuse(send, f"more than {self.max_bytes:,} bytes arrived")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay(body, receive), send)

    async def _refuse(self, send: Any, found: str) -> None:
        body = error_body(
            "payload_too_large",
            f"body: the request body is over the {self.max_bytes:,}-byte limit ({found}); send a smaller "
            "body (split a batch into several requests)",
            "body",
        )
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _replay(first: dict, receive: Any) -> Any:
    """A ``receive`` that returns ``first`` once, then defers to ``receive`` (for the disconnect)."""
    pending = [first]

    async def replay() -> dict:
        return pending.pop() if pending else await receive()

    return replay


# ---- the transport: header limits and the clocks -----------------------------------------------------------
class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a clock on every connection and bounded headers (module docstring).

    A request that arrives whole in one read (nearly all of them) costs no timer: its deadline is armed only
    when a read ends with the request still incomplete, counting from its first byte.
    """

    timeout_request = TIMEOUT_REQUEST
    max_header_bytes = MAX_HEADER_BYTES
    max_headers = MAX_HEADERS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._in_headers = False  # between a request's first byte and the end of its headers
        self._in_body = False  # between the end of its headers and its last byte
        self._began_here = False  # the current request began inside the read being parsed
        self._started = 0.0  # loop time of the current request's first byte
        self._header_bytes = 0
        self._refusal: tuple[int, str, str, str] | None = None  # set by a parser callback that refuses
        self._deferred: tuple | None = None  # a refusal waiting for earlier pipelined answers
        self._refused = False  # answered with a refusal: whatever else arrives is dropped
        self._linger: asyncio.TimerHandle | None = None

    # -- connection
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_keep_alive()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        if self._linger is not None:
            self._linger.cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # the rest of a refused request is dropped unread
        self._unset_keepalive_if_required()
        self._began_here = False
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError:
            if self._refusal is not None:
                self._refuse(*self._refusal)
            else:
                self.logger.warning("Invalid HTTP request received.")
                self.send_400_response("Invalid HTTP request received.")
            return
        if self._in_headers:
            # the read in which a request began may end another one: count header bytes from the next read
            # (so the bound is exact to within one read, and never refuses a pipelined neighbour's bytes)
            if not self._began_here:
                self._header_bytes += len(data)
                if self._header_bytes > self.max_header_bytes:
                    self._refuse(431, "headers_too_large", self._headers_too_large(), "headers")
                    return
            if self._deadline is None:
                self._arm_deadline(self._started + self.timeout_request - self.loop.time())
        elif self._in_body:
            if self._deadline is None:
                self._arm_deadline(self._started + self.timeout_request - self.loop.time())
        elif self.timeout_keep_alive_task is None and self._idle():
            self._arm_keep_alive()  # bytes that start no request (blank lines) do not stop the idle clock

    # -- parser callbacks
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers, self._in_body, self._began_here = True, False, True
        self._started, self._header_bytes = self.loop.time(), 0

    def on_headers_complete(self) -> None:
        if len(self.headers) > self.max_headers:
            self._refusal = (
                431,
                "headers_too_large",
                f"headers: more than {self.max_headers} request headers; send at most {self.max_headers}",
                "headers",
            )
            raise ValueError("too many headers")  # stops the parser; data_received answers the refusal
        self._in_headers, self._in_body = False, True
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._deferred is not None and self._idle() and not self.transport.is_closing():
            deferred, self._deferred = self._deferred, None
            self._refuse(*deferred)

    def on_message_complete(self) -> None:
        self._in_body = False
        if self._deadline is not None:
            self._cancel_deadline()
        super().on_message_complete()

    # -- the clocks
    def _idle(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm_keep_alive(self) -> None:
        if not self.transport.is_closing():
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self.timeout_keep_alive_handler
            )

    def _arm_deadline(self, seconds: float) -> None:
        self._cancel_deadline()
        self._deadline = self.loop.call_later(max(seconds, 0.0), self._request_timed_out)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _request_timed_out(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        # the server, not the client, is holding things up: reading is paused until the app consumes what it
        # has (or until earlier pipelined requests are answered)
        if self.flow.read_paused:
            self._arm_deadline(self.timeout_request)
            return
        seconds = f"{self.timeout_request:g}"
        if self._in_headers:
            self._refuse(
                408,
                "request_timeout",
                f"headers: the request's headers did not arrive within {seconds} s of its first byte; send "
                "the whole request at once",
                "headers",
            )
        elif self.cycle is not None and not self.cycle.response_started:
            self._refuse(
                408,
                "request_timeout",
                f"body: the request body did not arrive within {seconds} s of the request's first byte; send "
                "the whole body at once",
                "body",
            )
        else:  # answered already (a refused body still arriving): stop reading it
            self.transport.close()

    def _headers_too_large(self) -> str:
        return (
            f"headers: the request line and headers are over the {self.max_header_bytes:,}-byte limit; "
            "send fewer or smaller headers"
        )

    def _refuse(self, status: int, code: str, message: str, field: str | None = None) -> None:
        """Answer ``status`` in the API's error shape, straight on the transport (after the answers still due
        to earlier pipelined requests), and close the connection; the app, if it is reading this request,
        sees a disconnect and can write nothing more."""
        self._refused = True
        self._cancel_deadline()
        if self.cycle is not None and not self.cycle.response_complete:
            if self._in_headers:
                # the refused request has no cycle yet; earlier pipelined requests are still being answered,
                # and the refusal must come after their answers
                self._deferred = (status, code, message, field)
                return
            self.cycle.disconnected = True
            self.cycle.message_event.set()
            if self.cycle.response_started:  # the answer is under way: anything written would corrupt it
                self.transport.close()
                return
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "unknown client"
        log.info("%s - refused with %d: %s", client, status, message)
        body = error_body(code, message, field)
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.append(
            b"content-type: application/json\r\ncache-control: no-store\r\nconnection: close\r\n"
            b"content-length: %d\r\n\r\n" % len(body)
        )
        content.append(body)
        self.transport.write(b"".join(content))
        # closing with the client's bytes unread would reset the connection before the client reads the
        # answer; so send it, end our side, and drop what still arrives for a moment (or until the client
        # closes its side, which closes the transport)
        self._unset_keepalive_if_required()
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self._linger = self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()


def _seconds(name: str, value: float | None, default: float) -> float:
    if value is None:
        return default
    if not (isinstance(value, int | float) and math.isfinite(value) and 0 < value <= MAX_TIMEOUT):
        raise settings.SettingsError(
            f"{name} must be a number of seconds in (0, {MAX_TIMEOUT:g}], got {str(value)[:80]!r}; "
            f"the default is {default:g}"
        )
    return float(value)


def server_options(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "info",
    access_log: bool = True,
    timeout_keep_alive: float | None = None,
    timeout_request: float | None = None,
) -> dict[str, Any]:
    """The keyword arguments of ``uvicorn.run`` / ``uvicorn.Config`` for ``smart-money serve``: the limits
    above and the given clocks (``None``: the defaults, 5 s each). Raises ``SettingsError`` for a timeout
    that is not a positive number of seconds."""
    keep_alive = _seconds("--timeout-keep-alive", timeout_keep_alive, TIMEOUT_KEEP_ALIVE)
    request = _seconds("--timeout-request", timeout_request, TIMEOUT_REQUEST)
    protocol = type("LimitedHttpToolsProtocol", (LimitedHttpToolsProtocol,), {"timeout_request": request})
    return {
        "host": host,
        "port": port,
        "log_level": log_level,
        "access_log": access_log,
        "http": protocol,
        "timeout_keep_alive": keep_alive,  # uvicorn annotates int, and only hands it to call_later
    }
