"""A local HTTP server on 127.0.0.1 for the news tests: routes are plain functions, nothing leaves the machine."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class LocalServer:
    """Routes by path; ``url(path)`` is the address of one; ``release`` frees handlers that wait forever."""

    base: str
    routes: dict[str, Route] = field(default_factory=dict)
    release: threading.Event = field(default_factory=threading.Event)
    requests: list[tuple[str, str, bytes]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def body(self, path: str, data: bytes, ctype: str = "text/plain; charset=utf-8", **headers: str) -> None:
        """Serve ``data`` at ``path``."""

        def route(h: BaseHTTPRequestHandler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                h.send_header(key.replace("_", "-"), value)
            h.end_headers()
            h.wfile.write(data)

        self.routes[path] = route

    def redirect(self, path: str, location: str, code: int = 302) -> None:
        def route(h: BaseHTTPRequestHandler) -> None:
            h.send_response(code)
            h.send_header("Location", location)
            h.send_header("Content-Length", "0")
            h.end_headers()

        self.routes[path] = route


@pytest.fixture()
def local_server() -> Iterator[LocalServer]:
    """A threaded HTTP server on 127.0.0.1 (random port), stopped after the test."""
    holder: dict[str, LocalServer] = {}

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            srv = holder["server"]
            length = int(self.headers.get("Content-Length") or 0)
            srv.requests.append((self.command, self.path, self.rfile.read(length) if length else b""))
            route = srv.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                route(self)

        do_GET = _handle
        do_POST = _handle

        def log_message(self, format: str, *args: object) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    server = LocalServer(f"http://127.0.0.1:{httpd.server_address[1]}")
    holder["server"] = server
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        httpd.shutdown()
        httpd.server_close()
