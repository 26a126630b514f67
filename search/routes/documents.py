"""``GET /documents/{doc_id}``: the clean text, metadata and audit trail of one article;
``DELETE`` takes it down (``search.takedowns``; the API key)."""

from __future__ import annotations

from typing import Annotated, Any

from elasticsearch import NotFoundError
from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from search.api_deps import APIError, RequireKey, SearcherDep, SettingsDep
from search.api_models import DeleteResponse, DocumentResponse, ErrorResponse
from search.store import articles_alias
from search.takedowns import delete_documents

router = APIRouter(tags=["documents"])


@router.get("/documents/{doc_id}", response_model=DocumentResponse, responses={404: {"model": ErrorResponse}})
async def get_document(
    doc_id: str, searcher: SearcherDep, settings: SettingsDep, include_removed: bool = False
) -> dict[str, Any]:
    try:
        src = await run_in_threadpool(
            searcher.client.get,
            index=articles_alias(settings.index),
            id=doc_id,
            source_excludes=["body_stem", "minhash_bands"],
        )
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


@router.delete(
    "/documents/{doc_id}",
    response_model=DeleteResponse,
    dependencies=[RequireKey],
    responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}, 404: {"model": ErrorResponse}},
)
async def delete_document(
    doc_id: str,
    searcher: SearcherDep,
    settings: SettingsDep,
    reason: Annotated[str, Query(max_length=1000, description="Why (kept in the tombstone).")] = "",
) -> dict[str, Any]:
    """Take an article down: its record, chunks, copies and alert matches go; a tombstone keeps any
    later ingestion of the same id, URL or text out (``DELETE /tombstones/{doc_id}`` lifts it)."""
    report = await run_in_threadpool(delete_documents, searcher.client, settings.index, [doc_id], reason)
    if not report.deleted:
        raise APIError(404, "not_found", f"No document {doc_id!r}.")
    return report.to_dict()
