"""A local stand-in's HTTP server on a background thread, for tests and benchmarks:
``with LocalEdgarServer(...) as server: server.url``."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class BackgroundServer:
    """Serves ``handler`` on 127.0.0.1 (``port`` 0: any free port) from ``__enter__`` to ``__exit__``."""

    def _serve(self, handler: type[BaseHTTPRequestHandler], port: int) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *_) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def serve_until_interrupted(httpd: ThreadingHTTPServer, banner: str) -> int:
    """A stand-in's command line: print ``banner``, serve in the foreground until Ctrl-C, then close."""
    print(f"{banner} (Ctrl-C stops)", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
    return 0
