"""The HTTP API and the web page (FastAPI; OpenAPI at ``/docs``), assembled from ``search/routes/``.

Same JSON shapes as the CLI. Every error is JSON of one shape, ``{"error": {"code", "message"}}``:
4xx for requests we cannot serve as asked, 503 with a clear message when Elasticsearch is down,
and a bare 500 without any stack trace for our own bugs. Write endpoints need the API key
(``X-API-Key``, compared in constant time); without ``NEWSDESK_API_KEY`` they are disabled.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import Any

from elastic_transport import ConnectionError as ESConnectionError
from elastic_transport import ConnectionTimeout, TransportError
from elasticsearch import ApiError
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from ingest.urls import FetchSettings
from search.api_deps import (
    APIError,
    ApiState,
    IngestRunner,
    NoIngestRunner,
    default_ingest_runner,
    require_api_key,
)
from search.api_models import ErrorResponse
from search.mcp_server import mcp_http
from search.retrieval import QueryError
from search.routes import alerts as alerts_routes
from search.routes import documents as documents_routes
from search.routes import health as health_routes
from search.routes import ingest as ingest_routes
from search.routes import pages as pages_routes
from search.routes import search as search_routes
from search.routes import stats as stats_routes
from search.routes import tombstones as tombstones_routes
from search.settings import SearchSettings, get_settings

__all__ = [
    "MAX_REQUEST_HEAD_BYTES",
    "APIError",
    "IngestRunner",
    "NoIngestRunner",
    "create_app",
    "require_api_key",
    "server_options",
]

log = logging.getLogger(__name__)

# The head (request line + headers) of the largest GET the schema accepts: every query parameter
# at its declared maximum, each character a 4-byte UTF-8 one percent-encoded to 12 bytes
# (q 12,000 + doc_id 100 x 512 + entity 20 x 256 + source/author 200 each), plus headers.
# uvicorn's h11 parser refuses heads over 16 KiB by default and drops the connection, so a
# valid 2,000-character query in a non-Latin script would get a reset instead of an answer.
MAX_REQUEST_HEAD_BYTES = 1024 * 1024


def server_options() -> dict[str, Any]:
    """uvicorn settings the API needs, shared by ``newsdesk serve`` and the tests' live server."""
    return {"h11_max_incomplete_event_size": MAX_REQUEST_HEAD_BYTES}


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------
def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message}})


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(APIError)
    async def _api_error(_: Request, exc: APIError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message)

    @app.exception_handler(QueryError)
    async def _query_error(_: Request, exc: QueryError) -> JSONResponse:
        return _error(400, "invalid_query", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for e in exc.errors()[:5]:
            loc = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path"))
            parts.append(f"{loc}: {e.get('msg')}" if loc else str(e.get("msg")))
        return _error(422, "invalid_request", "; ".join(parts) or "invalid request")

    # Starlette's class, not FastAPI's subclass: unknown routes (404), wrong methods (405) and bodies
    # that cannot be parsed (400) are raised by Starlette/FastAPI internals with the base class.
    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = "payload_too_large" if exc.status_code == 413 else "http_error"
        return _error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(ESConnectionError)
    @app.exception_handler(ConnectionTimeout)
    async def _es_down(_: Request, exc: Exception) -> JSONResponse:
        return _error(503, "search_unavailable", "Elasticsearch is unavailable; try again shortly.")

    @app.exception_handler(ApiError)
    async def _es_api(_: Request, exc: ApiError) -> JSONResponse:
        status = exc.meta.status
        if status in (429, 502, 503, 504):
            return _error(503, "search_unavailable", "Elasticsearch is overloaded or unavailable.")
        if status == 404:
            return _error(503, "index_missing", "The index does not exist yet: ingest something first.")
        log.warning("Elasticsearch rejected a request: %s", exc.message)
        return _error(400, "search_rejected", "The search engine rejected this request.")

    @app.exception_handler(TransportError)
    async def _transport(_: Request, exc: TransportError) -> JSONResponse:
        return _error(503, "search_unavailable", "Elasticsearch is unavailable; try again shortly.")

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return _error(500, "internal_error", "Internal error.")


# ---------------------------------------------------------------------------------------------
# app
# ---------------------------------------------------------------------------------------------
def create_app(
    settings: SearchSettings | None = None,
    ingest: Callable[[], IngestRunner] | None = None,
    fetch: FetchSettings | None = None,
    stats_extras: Callable[[], dict[str, Any]] | None = None,
) -> FastAPI:
    """Build the app; tests pass their own settings, ``newsdesk serve`` its one settings object's sections.

    ``ingest`` makes the runner of ``POST /ingest`` (called once, at the first job); default:
    the Prefect server of ``PREFECT_API_URL``, else none (ingestion answers 503 with the fix).
    ``fetch``: the URL rules ``POST /ingest`` checks at once and hands to the run (default: the
    environment's). ``stats_extras``: what ``GET /stats`` adds beyond Elasticsearch's counts
    (the quarantine, recent runs), from the layer that knows them.
    """
    settings = settings or get_settings()
    state = ApiState(settings, ingest or default_ingest_runner, fetch, stats_extras)
    mcp = mcp_http(settings, lambda: state.searcher) if settings.mcp_http else None

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        if settings.warm_up:

            def _warm() -> None:
                try:
                    from search.embedding import get_embedder

                    get_embedder(settings).embed_query("warm up")
                except Exception:  # warming is best effort; the first query will say what is wrong
                    log.warning("embedding model warm-up failed", exc_info=True)

            threading.Thread(target=_warm, daemon=True).start()
        try:
            if mcp is None:
                yield
            else:
                async with mcp.sessions():  # the MCP transport's task group lives as long as the app
                    yield
        finally:
            state.close()  # queued jobs cancelled, the running one finished, its Prefect server stopped

    app = FastAPI(
        title="newsdesk",
        version="0.1.0",
        description="Search and question answering over ingested news, with cited sentences.",
        lifespan=lifespan,
        # Served by the pages router from the fastapi-offline package's assets instead.
        docs_url=None,
        redoc_url=None,
        responses={
            400: {"model": ErrorResponse},
            422: {"model": ErrorResponse},
            503: {"model": ErrorResponse},
        },
    )
    app.state.newsdesk = state
    _install_error_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Content-Type", "X-API-Key"],
        )
    app.include_router(search_routes.router)
    app.include_router(documents_routes.router)
    app.include_router(tombstones_routes.router)
    app.include_router(alerts_routes.router)
    app.include_router(stats_routes.router)
    app.include_router(health_routes.router)
    app.include_router(ingest_routes.router, dependencies=[Depends(require_api_key)])
    app.include_router(pages_routes.router)
    if mcp is not None:
        app.router.routes.extend(mcp.routes)  # /mcp (search.mcp_server)
    app.add_middleware(BodyLimit, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(SecurityHeaders)  # outermost: every response, 413s included, gets its headers
    return app


class BodyLimit:
    """413 for request bodies over ``max_bytes``, before they are read into memory.

    A declared ``Content-Length`` over the cap is answered at once; a chunked body is counted as
    it arrives and refused as soon as it passes the cap (a 30 MB question is never buffered).
    """

    def __init__(self, app: Any, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _too_large(self.max_bytes)(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    from fastapi import HTTPException

                    # FastAPI re-raises HTTPException from body parsing (anything else becomes 400).
                    raise HTTPException(413, _too_large_message(self.max_bytes))
            return message

        await self.app(scope, counting_receive, send)


def _too_large_message(max_bytes: int) -> str:
    return f"Request body is over {max_bytes:,} bytes (NEWSDESK_API_MAX_BODY_BYTES)."


def _too_large(max_bytes: int) -> JSONResponse:
    return _error(413, "payload_too_large", _too_large_message(max_bytes))


_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'"
)


class SecurityHeaders:
    """``nosniff`` on every response, a strict CSP on the web page and its script.

    A plain ASGI middleware that edits the response-start message: ``@app.middleware("http")``
    (Starlette's ``BaseHTTPMiddleware``) runs every request through an extra task and a body stream,
    which showed up in the keyword latency over HTTP (``bench/bench_query.py``).
    """

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        page = scope.get("path") in ("/", "/static/app.js")

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if page:
                    headers.setdefault("Content-Security-Policy", _CSP)
            await send(message)

        await self.app(scope, receive, send_with_headers)
