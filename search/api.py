"""The HTTP API and the web page (FastAPI; OpenAPI at ``/docs``).

Same JSON shapes as the CLI. Every error is JSON of one shape, ``{"error": {"code", "message"}}``:
4xx for requests we cannot serve as asked, 503 with a clear message when Elasticsearch is down,
and a bare 500 without any stack trace for our own bugs. Write endpoints need the API key
(``X-API-Key``, compared in constant time); without ``NEWSDESK_API_KEY`` they are disabled.
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

from elastic_transport import ConnectionError as ESConnectionError
from elastic_transport import ConnectionTimeout, TransportError
from elasticsearch import ApiError, NotFoundError
from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field, StringConstraints
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from search.ask import answer_question
from search.facets import facet_counts
from search.retrieval import MAX_QUERY_CHARS, QueryError, Searcher, build_filters
from search.settings import SearchSettings, get_settings
from search.store import articles_alias, make_client

log = logging.getLogger(__name__)
WEB_DIR = Path(__file__).resolve().parent / "web"


# ---------------------------------------------------------------------------------------------
# response models (the contract's shapes)
# ---------------------------------------------------------------------------------------------
class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class Copy(BaseModel):
    doc_id: str
    source: str | None = None
    url: str | None = None
    published: str | None = None
    title: str | None = None


class Hit(BaseModel):
    doc_id: str
    chunk_id: str
    title: str
    url: str | None
    published: str | None
    source: str | None
    score: float
    text: str
    highlights: list[str]
    start: int | None = None
    end: int | None = None
    chunks_matched: int = 1
    also_published_by: list[Copy] = []
    entities: dict[str, list[str]] = Field(
        default_factory=dict, description="people, organizations, groups, places tagged on the article"
    )
    updated: str | None = Field(None, description="the last update the article states, if any")


class FacetEntity(BaseModel):
    name: str
    type: str
    count: int


class FacetValue(BaseModel):
    value: str
    count: int


class Facets(BaseModel):
    """Counts over the hits returned: click one to filter (``entity=``, ``source=``, a month)."""

    entities: list[FacetEntity] = []
    sources: list[FacetValue] = []
    months: list[FacetValue] = []


class SearchResponse(BaseModel):
    hits: list[Hit]
    facets: Facets = Field(default_factory=Facets)


class EvidenceModel(BaseModel):
    doc_id: str
    title: str
    url: str | None
    published: str | None
    sentence: str
    start: int
    end: int
    score: float
    answer_start: int | None = Field(None, description="The short answer's offsets in the article.")
    answer_end: int | None = None


class AnswerResponse(BaseModel):
    answered: bool
    answer: str = Field(..., description="The phrase that answers; the answer sentence when none qualifies.")
    answer_type: Literal["person", "organization", "group", "place", "date", "number", "other"] | None = None
    answer_sentence: str = Field("", description="The sentence-level answer (verbatim clauses).")
    event_date: str | None = Field(None, description="When the evidence says it happened (ISO).")
    as_of: str | None
    confidence: float
    evidence: list[EvidenceModel]
    earlier: list[EvidenceModel] = []
    reader: str = "sentence"


class AskFilters(BaseModel):
    source: str | None = Field(None, max_length=200)
    since: date | None = None
    until: date | None = None
    doc_ids: list[Annotated[str, Field(max_length=512)]] | None = Field(None, max_length=100)
    entities: list[Annotated[str, Field(max_length=256)]] | None = Field(None, max_length=20)
    author: str | None = Field(None, max_length=200)


class AskRequest(BaseModel):
    question: str = Field(..., min_length=1, max_length=MAX_QUERY_CHARS)
    top_k: int = Field(10, ge=1, le=50)
    mode: Literal["keyword", "semantic", "hybrid"] = "hybrid"
    filters: AskFilters | None = None
    as_of: date | None = Field(None, description="Answer from what had been published by this day.")


class DocumentResponse(BaseModel):
    doc_id: str
    title: str | None
    text: str
    url: str | None
    source: str | None
    published: str | None
    metadata: dict[str, Any]
    also_published_by: list[Copy] = []
    canonical_doc_id: str | None = None
    removed: list[dict[str, Any]] | None = None


class IngestRequest(BaseModel):
    paths: list[Annotated[str, Field(min_length=1, max_length=4096)]] = Field(
        ..., min_length=1, max_length=100
    )
    source: str | None = Field(None, max_length=200)
    embed: bool = True


class IngestJob(BaseModel):
    job_id: str = Field(..., description="With the stack up: the Prefect flow-run id.")
    state: Literal["queued", "running", "completed", "failed", "cancelled"]
    report: dict[str, Any] | None = None
    error: str | None = None
    ui_url: str | None = Field(None, description="The run's page in Prefect's UI, when it runs there.")


class HealthResponse(BaseModel):
    status: Literal["ok", "degraded", "down"]
    elasticsearch: dict[str, Any]
    index: dict[str, Any]


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------
class APIError(Exception):
    def __init__(self, status: int, code: str, message: str):
        self.status, self.code, self.message = status, code, message


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
# ingestion: the API submits, something else runs
# ---------------------------------------------------------------------------------------------
class IngestRunner(Protocol):
    """Where ``POST /ingest`` sends its runs: the stack's Prefect worker, or a queue in-process.

    The API only submits and reads; which runner it gets is the composition root's choice
    (``flows/app.py``), so this package never imports the orchestration layer.
    """

    def submit(self, params: dict[str, Any]) -> dict[str, Any]: ...

    def get(self, job_id: str) -> dict[str, Any] | None: ...

    def close(self) -> None: ...


class NoIngestRunner:
    """The API built without a runner (search only): ``POST /ingest`` says how to get one."""

    def submit(self, params: dict[str, Any]) -> dict[str, Any]:
        raise APIError(
            503,
            "ingestion_unavailable",
            "This API has no ingestion worker: start the stack with `newsdesk up`, or set "
            "PREFECT_API_URL to a Prefect server that a `newsdesk worker` serves.",
        )

    def get(self, job_id: str) -> dict[str, Any] | None:
        return None

    def close(self) -> None:
        return None


def default_ingest_runner() -> IngestRunner:
    """A Prefect server named by ``PREFECT_API_URL`` runs ingestion; without one, none does."""
    from search.prefect_runs import PrefectIngest, configured_prefect_url

    url, named = configured_prefect_url()
    return PrefectIngest(url) if named else NoIngestRunner()


# ---------------------------------------------------------------------------------------------
# app
# ---------------------------------------------------------------------------------------------
class _State:
    def __init__(self, settings: SearchSettings, ingest: Callable[[], IngestRunner]):
        self.settings = settings
        self._searcher: Searcher | None = None
        self.lock = threading.Lock()
        self._make_ingest = ingest
        self._jobs: IngestRunner | None = None

    @property
    def searcher(self) -> Searcher:
        with self.lock:
            if self._searcher is None:
                self._searcher = Searcher(self.settings)
            return self._searcher

    @property
    def jobs(self) -> IngestRunner:
        """The ingestion runner, made with the first job (search-only use never builds one)."""
        with self.lock:
            if self._jobs is None:
                self._jobs = self._make_ingest()
            return self._jobs

    def close(self) -> None:
        with self.lock:
            jobs, self._jobs = self._jobs, None
        if jobs is not None:
            jobs.close()


def create_app(
    settings: SearchSettings | None = None, ingest: Callable[[], IngestRunner] | None = None
) -> FastAPI:
    """Build the app; tests pass their own settings, ``newsdesk serve`` uses the environment.

    ``ingest`` makes the runner of ``POST /ingest`` (called once, at the first job); default:
    the Prefect server of ``PREFECT_API_URL``, else none (ingestion answers 503 with the fix).
    """
    settings = settings or get_settings()
    state = _State(settings, ingest or default_ingest_runner)

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
            yield
        finally:
            state.close()  # queued jobs cancelled, the running one finished, its Prefect server stopped

    app = FastAPI(
        title="newsdesk",
        version="0.1.0",
        description="Search and question answering over ingested news, with cited sentences.",
        lifespan=lifespan,
        # Served below from the fastapi-offline package's assets: FastAPI's default pages load
        # their scripts from a CDN and stay blank offline.
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
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-API-Key"],
        )

    def require_api_key(x_api_key: Annotated[str | None, Header()] = None) -> None:
        expected = settings.api_key.get_secret_value() if settings.api_key else ""
        if not expected:
            raise APIError(403, "writes_disabled", "Write endpoints are disabled: set NEWSDESK_API_KEY.")
        if not x_api_key or not hmac.compare_digest(x_api_key.encode(), expected.encode()):
            raise APIError(401, "unauthorized", "A valid X-API-Key header is required.")

    # -- search ---------------------------------------------------------------------------------
    @app.get("/search", response_model=SearchResponse, tags=["search"])
    async def search(
        q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description="Query text.")],
        mode: Literal["keyword", "semantic", "hybrid"] = "hybrid",
        top_k: Annotated[int, Query(ge=1, le=100)] = 10,
        source: Annotated[str | None, Query(max_length=200)] = None,
        since: date | None = None,
        until: date | None = None,
        doc_id: Annotated[list[str] | None, Query(max_length=100)] = None,
        group: bool = True,
        as_of: Annotated[
            date | None,
            Query(
                description="Search the news as of this day: nothing published later; recent first "
                "for present-tense queries."
            ),
        ] = None,
        entity: Annotated[
            list[Annotated[str, StringConstraints(min_length=1, max_length=256)]] | None,
            Query(max_length=20, description="Only articles tagged with every one of these entities."),
        ] = None,
        author: Annotated[
            str | None,
            Query(max_length=200, description="Only articles with this author (as in their byline)."),
        ] = None,
    ) -> dict[str, Any]:
        if since and until and since > until:
            raise APIError(400, "invalid_request", "since must not be after until")
        filters = build_filters(source, since, until, doc_id, entities=entity, author=author)
        hits = await run_in_threadpool(
            state.searcher.search, q, mode=mode, top_k=top_k, filters=filters, group=group, as_of=as_of
        )
        return {"hits": [h.to_dict() for h in hits], "facets": facet_counts(hits)}

    @app.post("/ask", response_model=AnswerResponse, tags=["search"])
    async def ask(req: AskRequest) -> dict[str, Any]:
        f = req.filters or AskFilters()
        filters = build_filters(
            f.source, f.since, f.until, f.doc_ids, as_of=req.as_of, entities=f.entities, author=f.author
        )
        answer = await run_in_threadpool(
            answer_question, req.question, state.searcher, top_k=req.top_k, filters=filters, mode=req.mode
        )
        return answer.to_dict()

    @app.get(
        "/documents/{doc_id}",
        response_model=DocumentResponse,
        tags=["documents"],
        responses={404: {"model": ErrorResponse}},
    )
    async def get_document(doc_id: str, include_removed: bool = False) -> dict[str, Any]:
        client = state.searcher.client
        try:
            src = await run_in_threadpool(client.get, index=articles_alias(settings.index), id=doc_id)
        except NotFoundError as exc:
            raise APIError(404, "not_found", f"No document {doc_id!r}.") from exc
        s = src["_source"]
        return {
            "doc_id": s.get("doc_id", doc_id),
            "title": s.get("title"),
            "text": s.get("text") or "",
            "url": s.get("url"),
            "source": s.get("source"),
            "published": s.get("published"),
            "metadata": s.get("metadata") or {},
            "also_published_by": s.get("also_published_by") or [],
            "canonical_doc_id": s.get("canonical_doc_id"),
            "removed": (s.get("removed") or []) if include_removed else None,
        }

    @app.get(
        "/health",
        response_model=HealthResponse,
        tags=["ops"],
        responses={503: {"model": HealthResponse}},
    )
    async def health() -> JSONResponse:
        body = await run_in_threadpool(_health, settings)
        return JSONResponse(status_code=200 if body["status"] != "down" else 503, content=body)

    # -- ingestion ------------------------------------------------------------------------------
    @app.post(
        "/ingest",
        response_model=IngestJob,
        status_code=202,
        tags=["ingest"],
        dependencies=[Depends(require_api_key)],
        responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}},
    )
    async def ingest(req: IngestRequest) -> dict[str, Any]:
        for p in req.paths:
            _check_ingest_path(p, settings)
        job = await run_in_threadpool(
            state.jobs.submit,
            {
                "paths": list(req.paths),
                "source": req.source,
                "embed": req.embed,
                "index": settings.index,
                # Where this API points, not where the runner's environment would (no secrets).
                "settings": settings.run_overrides() or None,
                # Every file the walk yields is checked against the roots again, after resolving
                # links, and once more on the opened file (a symlink or a swap cannot escape them).
                "allowed_roots": [str(r) for r in settings.ingest_roots] or None,
            },
        )
        return job

    @app.get(
        "/ingest/{job_id}",
        response_model=IngestJob,
        tags=["ingest"],
        dependencies=[Depends(require_api_key)],
        responses={
            401: {"model": ErrorResponse},
            403: {"model": ErrorResponse},
            404: {"model": ErrorResponse},
        },
    )
    async def ingest_status(job_id: str) -> dict[str, Any]:
        job = await run_in_threadpool(state.jobs.get, job_id)
        if job is None:
            raise APIError(404, "not_found", "No such ingestion job.")
        return job

    # -- API docs, offline ---------------------------------------------------------------------
    @app.get("/docs", include_in_schema=False)
    async def docs_page() -> Any:
        from fastapi.openapi.docs import get_swagger_ui_html

        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="newsdesk API",
            swagger_js_url="/static/docs/swagger-ui-bundle.js",
            swagger_css_url="/static/docs/swagger-ui.css",
            swagger_favicon_url="/static/docs/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc_page() -> Any:
        from fastapi.openapi.docs import get_redoc_html

        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="newsdesk API",
            redoc_js_url="/static/docs/redoc.standalone.js",
            redoc_favicon_url="/static/docs/favicon.png",
            with_google_fonts=False,
        )

    @app.get("/static/docs/{name}", include_in_schema=False)
    async def docs_asset(name: str) -> FileResponse:
        if name not in _DOCS_ASSETS:
            raise APIError(404, "not_found", "No such file.")
        import fastapi_offline

        static = Path(fastapi_offline.__file__).resolve().parent / "static"
        return FileResponse(static / name, media_type=_DOCS_ASSETS[name])

    # -- web page -------------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    async def index_page() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", media_type="text/html; charset=utf-8")

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> FileResponse:
        allowed = {"app.js": "text/javascript", "style.css": "text/css"}
        if name not in allowed:
            raise APIError(404, "not_found", "No such file.")
        return FileResponse(WEB_DIR / name, media_type=allowed[name])

    app.add_middleware(BodyLimit, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(SecurityHeaders)  # outermost: every response, 413s included, gets its headers
    return app


_DOCS_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}


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


def _check_ingest_path(path: str, settings: SearchSettings) -> None:
    """Refuse at once (4xx) what a job could only fail on later: bad URLs, paths outside the roots."""
    from ingest.loaders import AllowedRoots
    from ingest.models import IngestError
    from ingest.urls import FetchSettings, check_url_form, is_url

    if is_url(path):
        try:
            check_url_form(path, FetchSettings().allow_private_urls)
        except IngestError as exc:
            raise APIError(422, "invalid_url", exc.reason) from exc
        return  # names are resolved by the flow's SSRF guard, per URL and per redirect
    if not settings.ingest_roots:
        raise APIError(403, "path_not_allowed", "Server paths are not ingestible: set NEWSDESK_INGEST_ROOTS.")
    if not AllowedRoots(settings.ingest_roots).allows(path):
        raise APIError(403, "path_not_allowed", "Path is outside NEWSDESK_INGEST_ROOTS.")


def _health(settings: SearchSettings) -> dict[str, Any]:
    client = make_client(settings).options(request_timeout=5, max_retries=0)
    es: dict[str, Any] = {"reachable": False}
    index: dict[str, Any] = {"alias": settings.index, "exists": False}
    try:
        h = client.cluster.health()
        es = {"reachable": True, "cluster_status": h.get("status"), "nodes": h.get("number_of_nodes")}
        # GET / lives in the rest-root module, which the minimal Maven build lacks: ask the nodes.
        nodes = client.nodes.info(node_id="_local", filter_path="nodes.*.version").get("nodes", {})
        es["version"] = next(iter(nodes.values()), {}).get("version")
    except (TransportError, ApiError):
        return {"status": "down", "elasticsearch": es, "index": index}
    try:
        index["chunks"] = client.count(index=settings.index)["count"]
        index["articles"] = client.count(index=articles_alias(settings.index))["count"]
        index["exists"] = True
    except NotFoundError:
        pass
    except (TransportError, ApiError):
        return {"status": "degraded", "elasticsearch": es, "index": index}
    ok = es.get("cluster_status") in ("green", "yellow") and index["exists"]
    return {"status": "ok" if ok else "degraded", "elasticsearch": es, "index": index}
