"""``/tombstones``: what takedowns keep out of the index, and lifting one. Both need the API key:
a tombstone names what was taken down (title, URL), which a takedown may itself need kept quiet."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from search.api_deps import APIError, RequireKey, SearcherDep, SettingsDep
from search.api_models import ErrorResponse, TombstoneList
from search.takedowns import lift, list_tombstones

router = APIRouter(tags=["documents"])


@router.get(
    "/tombstones",
    response_model=TombstoneList,
    dependencies=[RequireKey],
    responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}},
)
async def tombstones(
    searcher: SearcherDep, settings: SettingsDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    """The newest takedowns first."""
    return {"tombstones": await run_in_threadpool(list_tombstones, searcher.client, settings.index, limit)}


@router.delete(
    "/tombstones/{doc_id}",
    response_model=TombstoneList,
    dependencies=[RequireKey],
    responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}, 404: {"model": ErrorResponse}},
)
async def lift_tombstone(doc_id: str, searcher: SearcherDep, settings: SettingsDep) -> dict[str, Any]:
    """Undo a takedown: the article (and its copies) may be ingested again; re-ingest its origin."""
    lifted = await run_in_threadpool(lift, searcher.client, settings.index, [doc_id])
    if not lifted:
        raise APIError(404, "not_found", f"No tombstone for {doc_id!r}.")
    return {"tombstones": lifted}
