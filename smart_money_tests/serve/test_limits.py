"""What one client can make the server do, through a real uvicorn server configured as `smart-money serve`
configures it (``limits.server_options`` with its defaults): bodies over 1 MB, oversized headers, and requests
that stop arriving."""

import json
import logging
import socket
import threading
import time

import httpx
import pytest
import uvicorn

from smart_money import cli
from smart_money.serve import limits
from smart_money.serve.app import create_app
from smart_money_tests.serve.conftest import ADMIN_TOKEN, copy_warehouse

URL = "/api/ml/smart-money-flow"
LIMIT = limits.MAX_BODY_BYTES
TIMEOUT = limits.TIMEOUT_REQUEST
# a connection must be dropped within this long of the deadline (timer slack and a loaded 2-core test machine)
SLACK = 1.5


class LimitedServer:
    """The app behind ``uvicorn.Server`` in a thread, with exactly the options `smart-money serve` passes."""

    def __init__(self, data_dir, models_dir):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        app = create_app(data_dir, models_dir, admin_token=ADMIN_TOKEN, refresh_seconds=0.0)
        options = limits.server_options(host="127.0.0.1", port=self.port, log_level="info", access_log=False)
        self.server = uvicorn.Server(uvicorn.Config(app, **options))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=60)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "the test server did not start"
            time.sleep(0.05)
        enable = self.client.put(
            "/api/admin/features/smart_money_flow",
            json={"enabled": True, "reason": "limits tests", "actor": "pytest"},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        assert enable.status_code == 200, enable.text
        return self

    def __exit__(self, *exc):
        self.client.close()
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def connect(self) -> "Raw":
        return Raw(self.port)


@pytest.fixture(scope="module")
def server(built_default_market, tmp_path_factory):
    data_dir = copy_warehouse(built_default_market["pristine_data_dir"], tmp_path_factory.mktemp("limits"))
    with LimitedServer(data_dir, built_default_market["models_dir"]) as running:
        yield running


class Raw:
    """A raw HTTP/1.1 client connection: bytes as written, responses (with a Content-Length) as read."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT + 10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def __enter__(self) -> "Raw":
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()

    def sendall(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _more(self) -> bytes:
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        self.buffer += chunk
        return chunk

    def response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            assert self._more(), f"the connection closed before a response: {self.buffer[:200]!r}"
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers["content-length"])
        while len(self.buffer) < length:
            assert self._more(), "the connection closed inside a response body"
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(lines[0].split()[1]), headers, body

    def wait_closed(self) -> tuple[float, bytes]:
        """Seconds until the server closes the connection, and everything it sent (and was not read)."""
        started = time.monotonic()
        while self._more():
            pass
        return time.monotonic() - started, self.buffer


def assert_error(status: int, body: bytes, code: str, field: str | None) -> dict:
    error = json.loads(body)
    assert error["success"] is False and error["error"]["code"] == code and error["error"]["field"] == field
    return error["error"]


def prediction(symbol: str = "SYN001") -> bytes:
    return json.dumps({"symbol": symbol}).encode()


def post_head(length: int | None, path: str = URL) -> bytes:
    size = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n{size}\r\n\r\n".encode()


# ---- the body limit ----------------------------------------------------------------------------------------
def test_a_50_mb_body_is_refused_with_a_small_413_that_echoes_nothing(server):
    body = b'{"symbol": "' + b"A" * 50_000_000 + b'"}'
    started = time.monotonic()
    response = server.client.post(URL, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.headers["cache-control"] == "no-store"
    error = assert_error(413, response.content, "payload_too_large", "body")
    assert "1,048,576" in error["message"] and "50,000,014" in error["message"]
    assert len(response.content) < 400 and b"AAAA" not in response.content
    assert time.monotonic() - started < 10
    # the same client's next request is answered normally
    again = server.client.post(URL, content=prediction(), headers={"Content-Type": "application/json"})
    assert again.status_code == 200


def test_an_announced_oversize_body_is_refused_before_any_of_it_is_read(server):
    """The 413 arrives while the client has sent only the headers; the connection then stays usable once the
    announced body has been sent (the protocol drops it unparsed)."""
    with server.connect() as sock:
        sock.sendall(post_head(2 * LIMIT))
        status, _, body = sock.response()
        assert status == 413
        assert_error(status, body, "payload_too_large", "body")
        sock.sendall(b" " * (2 * LIMIT))
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        status, _, body = sock.response()
        assert status == 200 and json.loads(body)["status"] == "ok"


def test_a_streamed_oversize_body_is_refused_413(server):
    sent = []

    def chunks():
        for _ in range(60):  # 60 MB if nobody stops it
            sent.append(1)
            yield b"x" * 1_000_000

    response = server.client.post(URL, content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    error = assert_error(413, response.content, "payload_too_large", "body")
    assert "more than 1,048,576 bytes arrived" in error["message"] and b"xxxx" not in response.content
    assert len(response.content) < 400


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_of_exactly_1_mb_is_read_and_one_byte_more_is_refused(server, chunked):
    exact = prediction() + b" " * (LIMIT - len(prediction()))  # valid JSON, padded with whitespace
    for body, status in ((exact, 200), (exact + b" ", 413)):
        content = iter([body[: len(body) // 2], body[len(body) // 2 :]]) if chunked else body
        response = server.client.post(URL, content=content, headers={"Content-Type": "application/json"})
        assert response.status_code == status, response.text[:300]
    assert response.json()["error"]["code"] == "payload_too_large"


def test_a_small_streamed_body_reaches_the_app_whole(server):
    parts = [b'{"sym', b'bol": "SY', b'N001"}']
    response = server.client.post(URL, content=iter(parts), headers={"Content-Type": "application/json"})
    expected = server.client.post(URL, json={"symbol": "SYN001"})
    assert response.status_code == 200 and response.json() == expected.json()


# ---- the header limits -------------------------------------------------------------------------------------
def test_oversized_or_too_many_headers_are_refused_431(server):
    huge = b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Big: " + b"b" * 10_000_000 + b"\r\n\r\n"
    many = b"GET /healthz HTTP/1.1\r\nHost: test\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(200))
    many += b"\r\n"
    for request, phrase in ((huge, "65,536-byte limit"), (many, "more than 100 request headers")):
        with server.connect() as sock:
            try:
                sock.sendall(request)
            except (BrokenPipeError, ConnectionResetError):
                pass  # refused mid-send: the answer is still readable below
            status, headers, body = sock.response()
            assert status == 431 and headers["connection"] == "close"
            assert phrase in assert_error(status, body, "headers_too_large", "headers")["message"]
    # the ordinary header sizes a browser sends pass
    assert server.client.get("/healthz", headers={f"X-H{i}": "v" * 500 for i in range(50)}).status_code == 200


# ---- the clocks --------------------------------------------------------------------------------------------
def test_slow_and_half_sent_requests_are_dropped_within_the_bound(server):
    """Every stalled connection is closed about ``TIMEOUT`` s after its first byte (or, idle, after the
    keep-alive timeout), a request still arriving gets a 408 in the error shape, and requests on other
    connections are answered at full speed all the while."""
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    for name in ("uvicorn", "smart_money"):
        logging.getLogger(name).addHandler(handler)
    stalls = {
        "idle": b"",
        "blank lines only": b"\r\n\r\n",
        "half-sent request line": b"POST /api/ml/smart-money-fl",
        "half-sent headers": b"POST " + URL.encode() + b" HTTP/1.1\r\nHost: test\r\nContent-Type: appl",
        "stalled body": post_head(100) + b'{"symbol": "SY',
        "stalled chunked body": post_head(None) + b'5\r\n{"sym\r\n',
    }
    results: dict[str, tuple[float, bytes]] = {}

    def stall(name: str, payload: bytes) -> None:
        with server.connect() as sock:
            if payload:
                sock.sendall(payload)
            results[name] = sock.wait_closed()

    threads = [threading.Thread(target=stall, args=item) for item in stalls.items()]
    try:
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        # while six connections stall, other requests are answered at once
        for _ in range(20):
            started = time.monotonic()
            assert server.client.post(URL, json={"symbol": "SYN002"}).status_code == 200
            assert time.monotonic() - started < 1.0
        for thread in threads:
            thread.join(timeout=TIMEOUT + 10)
    finally:
        for name in ("uvicorn", "smart_money"):
            logging.getLogger(name).removeHandler(handler)
    assert set(results) == set(stalls)
    for name, (seconds, received) in results.items():
        bound = limits.TIMEOUT_KEEP_ALIVE if name in ("idle", "blank lines only") else TIMEOUT
        assert bound - 0.3 <= seconds <= bound + SLACK, f"{name}: closed after {seconds:.2f} s"
        if name in ("idle", "blank lines only"):
            assert received == b"", name  # an idle connection is simply closed
            continue
        assert received.startswith(b"HTTP/1.1 408 "), f"{name}: {received[:100]!r}"
        body = received.partition(b"\r\n\r\n")[2]
        field = "body" if "body" in name else "headers"
        error = assert_error(408, body, "request_timeout", field)
        assert f"within {TIMEOUT:g} s" in error["message"]
    # a timed-out body is the client's doing: nothing is logged as a server error
    assert not records, [r.getMessage() for r in records]


def test_requests_that_arrive_in_pieces_within_the_bound_are_answered(server):
    with server.connect() as sock:
        body = prediction()
        pieces = [post_head(len(body))[:20], post_head(len(body))[20:], body[:5], body[5:]]
        for piece in pieces:
            sock.sendall(piece)
            time.sleep(TIMEOUT / 8)  # 4 pieces over half the deadline
        status, _, answer = sock.response()
        assert status == 200 and json.loads(answer)["data"]["symbol"] == "SYN001"
        # keep-alive: the same connection serves more requests, each on its own clock
        for _ in range(3):
            time.sleep(TIMEOUT * 0.3)
            sock.sendall(post_head(len(body)) + body)
            assert sock.response()[0] == 200


def test_pipelined_requests_are_all_answered_in_order_and_a_refusal_comes_after_them(server):
    symbols = ["SYN001", "SYN002", "SYN003"]
    requests = b"".join(post_head(len(prediction(s))) + prediction(s) for s in symbols)
    with server.connect() as sock:
        sock.sendall(requests)
        answered = [json.loads(sock.response()[2])["data"]["symbol"] for _ in symbols]
    assert answered == symbols
    too_many = b"GET /healthz HTTP/1.1\r\nHost: test\r\n" + b"X-A: 1\r\n" * 101 + b"\r\n"
    with server.connect() as sock:
        sock.sendall(requests + too_many)
        answered = [json.loads(sock.response()[2])["data"]["symbol"] for _ in symbols]
        status, _, body = sock.response()
        assert answered == symbols and status == 431
        assert sock.wait_closed()[1] == b""


# ---- the options -------------------------------------------------------------------------------------------
def test_serve_documents_its_defaults_and_refuses_bad_timeouts(capsys):
    with pytest.raises(SystemExit):
        cli.main(["serve", "--help"])
    usage = " ".join(capsys.readouterr().out.split())
    assert "--timeout-keep-alive SECONDS close a connection idle" in usage
    assert f"(default {limits.TIMEOUT_KEEP_ALIVE:g})" in usage
    assert f"(default {limits.TIMEOUT_REQUEST:g})" in usage
    for value in ("0", "-1", "nan", "inf", "1e9"):
        assert cli.main(["serve", "--timeout-request", value]) == 2
        assert "--timeout-request must be a number of seconds in (0, 3600]" in capsys.readouterr().err
    options = limits.server_options(timeout_keep_alive=2, timeout_request=3)
    assert options["timeout_keep_alive"] == 2.0 and options["http"].timeout_request == 3.0
    assert issubclass(options["http"], limits.LimitedHttpToolsProtocol)
