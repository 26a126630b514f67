"""``GET /stats``: the archive overview (articles and chunks per source, dates, copies, takedowns, sizes)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from search.api_deps import SearcherDep, SettingsDep, StateDep
from search.api_models import StatsResponse
from search.stats import archive_stats

router = APIRouter(tags=["ops"])


@router.get("/stats", response_model=StatsResponse)
async def stats(searcher: SearcherDep, settings: SettingsDep, state: StateDep) -> dict[str, Any]:
    return await run_in_threadpool(archive_stats, searcher.client, settings.index, state.stats_extras)
