"""``GET /search`` and ``POST /ask``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import StringConstraints
from starlette.concurrency import run_in_threadpool

from search.api_deps import APIError, SearcherDep
from search.api_models import AnswerResponse, AskFilters, AskRequest, SearchResponse
from search.ask import answer_question
from search.facets import facet_counts
from search.retrieval import MAX_QUERY_CHARS, build_filters

router = APIRouter(tags=["search"])


@router.get("/search", response_model=SearchResponse)
async def search(
    searcher: SearcherDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description="Query text.")],
    mode: Literal["keyword", "semantic", "hybrid"] = "hybrid",
    top_k: Annotated[int, Query(ge=1, le=100)] = 10,
    source: Annotated[str | None, Query(max_length=200)] = None,
    since: date | None = None,
    until: date | None = None,
    doc_id: Annotated[
        list[Annotated[str, StringConstraints(max_length=512)]] | None, Query(max_length=100)
    ] = None,
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
        searcher.search, q, mode=mode, top_k=top_k, filters=filters, group=group, as_of=as_of
    )
    return {"hits": [h.to_dict() for h in hits], "facets": facet_counts(hits)}


@router.post("/ask", response_model=AnswerResponse)
async def ask(req: AskRequest, searcher: SearcherDep) -> dict[str, Any]:
    f = req.filters or AskFilters()
    filters = build_filters(
        f.source, f.since, f.until, f.doc_ids, as_of=req.as_of, entities=f.entities, author=f.author
    )
    answer = await run_in_threadpool(
        answer_question, req.question, searcher, top_k=req.top_k, filters=filters, mode=req.mode
    )
    return answer.to_dict()
