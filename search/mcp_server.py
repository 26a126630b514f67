"""newsdesk for LLM clients: ``search``, ``ask`` and ``get_document`` as Model Context Protocol tools.

Served two ways from one server object (``build_mcp_server``): over stdio by ``newsdesk mcp`` (what
desktop assistants spawn) and over streamable HTTP at ``/mcp`` beside the API (``search/api.py``),
stateless, so any API worker answers any request. The tools are read-only, like ``GET /search``,
and need no key.

Every answer carries its citations so a client can quote them: each hit and each evidence sentence
has a ``ref`` number, the article's doc_id, title, URL and date, and ``ask`` returns the verbatim
sentences with their character offsets in the article (``get_document`` returns that text, so a
client can check a quote against its source).

Usage::

    server = build_mcp_server(lambda: Searcher(settings))
    server.run("stdio")                                       # newsdesk mcp
    server.streamable_http_app(streamable_http_path="/mcp")   # what the API mounts
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

from elasticsearch import NotFoundError
from pydantic import BaseModel, Field

from search.settings import SearchSettings
from search.store import articles_alias

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from search.retrieval import Searcher

INSTRUCTIONS = (
    "newsdesk searches an archive of news articles and answers questions from them with cited "
    "sentences. Use `search` to find articles, `ask` for a question (answers quote sentences from "
    "the articles, each with a ref you should cite), and `get_document` to read a whole article by "
    "its doc_id. Quote evidence verbatim and cite it as [ref] with the article's title and URL."
)


class Citation(BaseModel):
    """Where a statement comes from: one article, and the exact sentence when there is one."""

    ref: int = Field(..., description="Number to cite this source by, e.g. [1].")
    doc_id: str = Field(..., description="The article's id (get_document reads it).")
    title: str | None = None
    url: str | None = None
    published: str | None = Field(None, description="Publication date (ISO).")
    source: str | None = None
    quote: str | None = Field(None, description="The sentence or passage, verbatim.")
    start: int | None = Field(None, description="The quote's first character in the article's text.")
    end: int | None = Field(None, description="The character after the quote.")


class SearchHitResult(BaseModel):
    ref: int
    doc_id: str
    title: str | None
    url: str | None
    published: str | None
    source: str | None
    score: float
    snippet: str = Field(..., description="The best matching passage of the article.")


class SearchResult(BaseModel):
    query: str
    mode: str
    hits: list[SearchHitResult]
    citations: list[Citation] = Field(..., description="One per hit, same ref numbers.")


class AskResult(BaseModel):
    question: str
    answered: bool = Field(
        ..., description="False: the evidence is too weak; citations are the closest passages."
    )
    answer: str
    answer_type: str | None = None
    as_of: str | None = Field(None, description="The date of the newest evidence the answer rests on.")
    confidence: float
    answer_with_citations: str = Field(
        ..., description="The answer followed by its refs, e.g. 'Iraq [1][2]'."
    )
    citations: list[Citation]


class DocumentResult(BaseModel):
    doc_id: str
    title: str | None
    url: str | None
    source: str | None
    published: str | None
    text: str = Field(..., description="The article's clean text (the offsets of ask's quotes refer to it).")
    also_published_by: list[dict[str, Any]] = []
    citation: Citation


Mode = Literal["keyword", "semantic", "hybrid"]


def build_mcp_server(get_searcher: Callable[[], Searcher]) -> MCPServer:
    """The MCP server with newsdesk's three tools; ``get_searcher`` gives the process's searcher
    (the API's own, or one made for ``newsdesk mcp``) when a tool first needs it."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import ToolAnnotations

    with _no_root_logging_setup():
        server = MCPServer("newsdesk", instructions=INSTRUCTIONS, version=_version(), log_level="WARNING")
    read_only = ToolAnnotations(read_only_hint=True, open_world_hint=False)

    @server.tool(title="Search the news archive", annotations=read_only)
    def search(
        query: Annotated[str, Field(min_length=1, max_length=2000, description="What to look for.")],
        mode: Annotated[Mode, Field(description="keyword, semantic or hybrid (both, fused).")] = "hybrid",
        top_k: Annotated[int, Field(ge=1, le=50, description="How many articles.")] = 10,
        source: Annotated[str | None, Field(max_length=200, description="Only this source.")] = None,
        since: Annotated[date | None, Field(description="Published on or after this day.")] = None,
        until: Annotated[date | None, Field(description="Published on or before this day.")] = None,
        as_of: Annotated[date | None, Field(description="The news as of this day: nothing later.")] = None,
    ) -> SearchResult:
        """Find news articles; one hit per article with its best passage, and a citation for each."""
        from search.retrieval import build_filters

        if since and until and since > until:
            raise ToolError("since must not be after until")
        with _said_as_tool_error(ToolError):
            filters = build_filters(source, since, until)
            hits = get_searcher().search(query, mode=mode, top_k=top_k, filters=filters, as_of=as_of)
        out = [
            SearchHitResult(
                ref=i,
                doc_id=h.doc_id,
                title=h.title,
                url=h.url,
                published=h.published,
                source=h.source,
                score=round(h.score, 4),
                snippet=h.text[:600],
            )
            for i, h in enumerate(hits, 1)
        ]
        citations = [
            Citation(
                ref=i,
                doc_id=h.doc_id,
                title=h.title,
                url=h.url,
                published=h.published,
                source=h.source,
                quote=h.text[:600],
                start=h.start,
                end=h.end,
            )
            for i, h in enumerate(hits, 1)
        ]
        return SearchResult(query=query, mode=mode, hits=out, citations=citations)

    @server.tool(title="Answer a question from the news, with citations", annotations=read_only)
    def ask(
        question: Annotated[
            str, Field(min_length=1, max_length=2000, description="A question about the news.")
        ],
        top_k: Annotated[int, Field(ge=1, le=50, description="Passages to read.")] = 10,
        as_of: Annotated[date | None, Field(description="Answer as of this day: nothing later.")] = None,
    ) -> AskResult:
        """Answer from the indexed articles; every cited sentence is verbatim, with its article."""
        from search.ask import answer_question
        from search.retrieval import build_filters

        with _said_as_tool_error(ToolError):
            answer = answer_question(
                question, get_searcher(), top_k=top_k, filters=build_filters(as_of=as_of)
            )
        citations = [
            Citation(
                ref=i,
                doc_id=e.doc_id,
                title=e.title,
                url=e.url,
                published=e.published,
                quote=e.sentence,
                start=e.start,
                end=e.end,
            )
            for i, e in enumerate(answer.evidence, 1)
        ]
        refs = "".join(f"[{c.ref}]" for c in citations[:3])
        return AskResult(
            question=question,
            answered=answer.answered,
            answer=answer.answer,
            answer_type=answer.answer_type,
            as_of=answer.as_of,
            confidence=round(answer.confidence, 4),
            answer_with_citations=f"{answer.answer} {refs}".strip() if answer.answered else "",
            citations=citations,
        )

    @server.tool(title="Read one article", annotations=read_only)
    def get_document(
        doc_id: Annotated[
            str, Field(min_length=1, max_length=512, description="A doc_id from search or ask.")
        ],
    ) -> DocumentResult:
        """The whole clean text and metadata of one article."""
        searcher = get_searcher()
        with _said_as_tool_error(ToolError):
            try:
                src = searcher.client.get(
                    index=articles_alias(searcher.settings.index),
                    id=doc_id,
                    source_excludes=["body_stem", "minhash_bands"],
                )["_source"]
            except NotFoundError:
                raise ToolError(f"No document {doc_id!r}.") from None
        return DocumentResult(
            doc_id=doc_id,
            title=src.get("title"),
            url=src.get("url"),
            source=src.get("source"),
            published=src.get("published"),
            text=src.get("text") or "",
            also_published_by=src.get("also_published_by") or [],
            citation=Citation(
                ref=1,
                doc_id=doc_id,
                title=src.get("title"),
                url=src.get("url"),
                published=src.get("published"),
                source=src.get("source"),
            ),
        )

    return server


@dataclass
class McpHttp:
    """The MCP server as the API mounts it: its route, and the context its sessions run in (entered
    for the app's lifetime, in its lifespan)."""

    routes: list[Any]
    sessions: Callable[[], AbstractAsyncContextManager[Any]]


def mcp_http(settings: SearchSettings, get_searcher: Callable[[], Searcher]) -> McpHttp:
    """``/mcp``: the tools over streamable HTTP, stateless (any API worker answers any request) with
    JSON responses; the Host and Origin headers are checked against DNS rebinding: the localhost
    names, plus ``NEWSDESK_MCP_ALLOWED_HOSTS`` for an API served under another name."""
    from mcp.server.transport_security import TransportSecuritySettings

    hosts = ["127.0.0.1:*", "localhost:*", "[::1]:*", *settings.mcp_allowed_hosts]
    origins = [f"{scheme}://{h}" for h in hosts for scheme in ("http", "https")] + list(settings.cors_origins)
    server = build_mcp_server(get_searcher)
    app = server.streamable_http_app(
        streamable_http_path="/mcp",
        stateless_http=True,
        json_response=True,
        max_request_body_size=settings.api_max_body_bytes,
        transport_security=TransportSecuritySettings(
            enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
        ),
    )
    return McpHttp(routes=list(app.routes), sessions=server.session_manager.run)


@contextmanager
def _said_as_tool_error(tool_error: type[Exception]):
    """Failures a client can act on come back as the tool's error text (a bad query, Elasticsearch
    down); anything else stays an unexpected error, logged here and not shown to the client."""
    from elastic_transport import TransportError
    from elasticsearch import ApiError

    from search.es_filters import FilterError

    try:
        yield
    except tool_error:
        raise
    except (ValueError, FilterError) as exc:  # QueryError is a ValueError: the query, as the API says
        raise tool_error(str(exc)) from None
    except ApiError as exc:
        if exc.meta.status == 404:
            raise tool_error("The index does not exist yet: ingest something first.") from None
        raise tool_error(f"Elasticsearch rejected the request (HTTP {exc.meta.status}).") from None
    except TransportError:
        raise tool_error("Elasticsearch is unavailable; try again shortly.") from None


@contextmanager
def _no_root_logging_setup():
    """``MCPServer()`` calls ``logging.basicConfig`` (a rich handler on the root logger at its level):
    inside the API that would turn on every library's logging. ``basicConfig`` does nothing when the
    root logger has a handler, so one is there while the server is built."""
    root = logging.getLogger()
    placeholder = logging.NullHandler()
    root.addHandler(placeholder)
    try:
        yield
    finally:
        root.removeHandler(placeholder)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newsdesk")
    except PackageNotFoundError:
        return "0"
