"""The FastAPI application of ``critmin serve``: the REST API, its documentation and the dashboard.

This module only assembles the parts: error responses (JSON with a machine ``code``), security headers, the
ETag cache of read responses and the static files. The endpoints are in :mod:`critmin.web.api` and
:mod:`critmin.web.pages`; every figure they return comes from a library function.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from critmin import __version__

STATIC_DIR = Path(__file__).parent / "static"
GEO_DIR = Path(__file__).parents[1] / "data" / "geo"

#: scripts only from this server (no inline script, no eval); Vega runs with its expression interpreter.
#: Inline styles are allowed: Vega and Swagger UI position tooltips and panels with style attributes.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]

#: read endpoints whose answer changes without the store changing (scenario jobs): no ETag, no cache
UNCACHED = ("/api/scenarios",)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The JSON body of every error: a machine ``code``, a ``message`` for people, and details."""
    return {"code": code, "message": message, **{k: v for k, v in extra.items() if v is not None}}


@lru_cache(maxsize=8)
def _store_path(env: str | None) -> Path:
    """The store's path for a value of ``$CRITMIN_DB`` (resolved once: platformdirs costs per request)."""
    from critmin.store import default_path

    return default_path()


def store_state() -> str:
    """A token that changes whenever the store file changes (path, size, modification time): one ``stat``."""
    path = _store_path(os.environ.get("CRITMIN_DB"))
    try:
        st = os.stat(path)
    except OSError:
        return f"{path}:missing"
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


class Headers:
    """Security headers on every response; ETag, 304 and a small cache of bodies for ``GET /api/...``.

    The ETag hashes the store's state, the critmin version and the request's path and query, so it changes
    when an import or a registry edit changes the store. A matching ``If-None-Match`` gets ``304`` without
    running the endpoint; an unchanged read is answered from memory (at most ``size`` bodies, least recently
    used dropped first).
    """

    def __init__(self, app: ASGIApp, size: int = 512) -> None:
        self.app = app
        self.size = size
        self.cache: OrderedDict[str, tuple[int, list[tuple[bytes, bytes]], bytes]] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        etag = None
        if (
            scope["method"] == "GET"
            and scope["path"].startswith("/api/")
            and not scope["path"].startswith(UNCACHED)
        ):
            key = f"{__version__}|{store_state()}|{scope['path']}?{scope.get('query_string', b'').decode()}"
            etag = f'"{hashlib.sha256(key.encode()).hexdigest()[:32]}"'
            request_headers = dict(scope["headers"])
            match = request_headers.get(b"if-none-match", b"").decode()
            if etag in [m.strip().removeprefix("W/") for m in match.split(",")] or match.strip() == "*":
                await self._send(send, 304, [(b"etag", etag.encode()), *SECURITY_HEADERS], b"")
                return
            hit = self.cache.get(etag)
            if hit is not None:
                self.cache.move_to_end(etag)
                await self._send(send, hit[0], hit[1], hit[2])
                return
        await self.app(scope, receive, self._wrap(send, etag))

    def _wrap(self, send: Send, etag: str | None) -> Send:
        start: dict[str, Any] = {}
        body: list[bytes] = []

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"etag"]
                headers += SECURITY_HEADERS
                if etag is not None and message["status"] == 200:
                    headers += [(b"etag", etag.encode()), (b"cache-control", b"no-cache")]
                message["headers"] = headers
                start.update(message)
            elif message["type"] == "http.response.body" and etag is not None and start.get("status") == 200:
                body.append(message.get("body", b""))
                if not message.get("more_body"):
                    kept = [(k, v) for k, v in start["headers"] if k.lower() not in (b"content-length",)]
                    self.cache[etag] = (200, kept, b"".join(body))
                    while len(self.cache) > self.size:
                        self.cache.popitem(last=False)
            await send(message)

        return wrapped

    async def _send(self, send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        extra = [] if status == 304 else [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers + extra})
        await send({"type": "http.response.body", "body": body})


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    """The parameter or body field a validation error is about: ``query.year`` → ``year``,
    ``body.restriction.0.severity`` → ``restriction.0.severity`` (list positions kept inside a body)."""
    in_body = bool(loc) and loc[0] == "body"
    parts = [
        str(p)
        for p in loc
        if p not in ("query", "path", "body", "header") and (in_body or not isinstance(p, int))
    ]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def _install_errors(app: FastAPI) -> None:
    from critmin.events.model import RegistryError
    from critmin.query import NoDataError, OutOfRangeError
    from critmin.risk import MissingInputError
    from critmin.store import StoreLockedError
    from critmin.vocab import UnknownNameError

    async def validation(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"field": _field(e["loc"]), "message": str(e["msg"]).removeprefix("Value error, ")}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "", "message": "invalid request"}
        return JSONResponse(
            error_body(
                "invalid_parameter",
                f"{first['field']}: {first['message']}",
                field=first["field"],
                errors=errors,
            ),
            status_code=422,
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        codes = {
            400: "bad_request",
            401: "unauthorized",
            404: "not_found",
            405: "method_not_allowed",
            409: "not_finished",
            413: "too_large",
            415: "unsupported_media_type",
            429: "too_many_jobs",
        }
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:  # every method of the path, not only those of the first route matched
            methods = {
                m
                for r in request.app.routes
                if r.matches(request.scope)[0] != Match.NONE
                for m in getattr(r, "methods", None) or ()
            }
            headers["Allow"] = ", ".join(sorted(methods))
        return JSONResponse(
            error_body(codes.get(exc.status_code, "http_error"), str(exc.detail)),
            status_code=exc.status_code,
            headers=headers or None,
        )

    def library(code: str, status: int) -> Callable[[Request, Exception], Awaitable[Response]]:
        async def handler(_: Request, exc: Exception) -> Response:
            suggestions = getattr(exc, "suggestions", None)
            return JSONResponse(
                error_body(
                    code, str(exc), suggestions=[str(s) for s in suggestions] if suggestions else None
                ),
                status_code=status,
            )

        return handler

    async def registry_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RegistryError)
        return JSONResponse(error_body("invalid_record", str(exc)), status_code=422)

    async def internal(_: Request, exc: Exception) -> Response:
        message = f"internal error ({type(exc).__name__}); please report it"
        return JSONResponse(error_body("internal_error", message), status_code=500)

    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(UnknownNameError, library("unknown_name", 404))
    app.add_exception_handler(OutOfRangeError, library("out_of_range", 422))
    app.add_exception_handler(NoDataError, library("no_data", 404))
    app.add_exception_handler(MissingInputError, library("missing_input", 404))
    app.add_exception_handler(RegistryError, registry_error)
    app.add_exception_handler(StoreLockedError, library("store_busy", 503))
    app.add_exception_handler(ValueError, library("invalid_value", 422))
    app.add_exception_handler(Exception, internal)


def check_token(expected: str | None, authorization: str | None) -> None:
    """Raise 401 unless ``authorization`` is ``Bearer <expected>`` (compared in constant time).

    With no token configured every write is refused: the server owner enables writes with ``--token-file``.
    """
    if not expected:
        raise StarletteHTTPException(
            401, "writes are disabled on this server (start critmin serve with --token-file to enable them)"
        )
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        raise StarletteHTTPException(
            401, "a valid bearer token is required for writes", headers={"WWW-Authenticate": "Bearer"}
        )


def create_app(token: str | None = None) -> FastAPI:
    """The application; ``token`` (default ``$CRITMIN_WEB_TOKEN``, set by ``critmin serve``) enables writes."""
    from critmin.web import api, imports, pages, scenarios

    app = FastAPI(
        title="critmin",
        version=__version__,
        description=(
            "Critical-mineral supply chains from open, sourced data: production, reserves, trade, governance, "
            "concentration, supply-risk methods, export controls and the sites map. Every table row carries "
            "its `source`. Add `?format=csv` to any table endpoint. Writes need a bearer token."
        ),
        docs_url=None,
        redoc_url=None,
    )
    app.state.token = token if token is not None else os.environ.get("CRITMIN_WEB_TOKEN") or None
    _install_errors(app)
    app.include_router(api.router)
    app.include_router(scenarios.router)
    app.include_router(imports.router)
    app.include_router(pages.router)
    app.mount("/static/vendor", StaticFiles(directory=STATIC_DIR / "vendor"), name="vendor")
    app.mount("/static/geo", StaticFiles(directory=GEO_DIR), name="geo")
    app.mount("/static/app", StaticFiles(directory=STATIC_DIR / "app"), name="app")
    app.add_middleware(Headers)
    return app
