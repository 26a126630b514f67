"""``POST /ingest`` and ``GET /ingest/{job_id}``: submit a run to the app's ingestion runner.

The API key is required by the app for this whole router (``search/api.py``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from ingest.settings import overrides_of
from search.api_deps import APIError, SettingsDep, StateDep
from search.api_models import ErrorResponse, IngestJob, IngestRequest
from search.settings import SearchSettings

router = APIRouter(tags=["ingest"], responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}})


@router.post("/ingest", response_model=IngestJob, status_code=202)
async def ingest(req: IngestRequest, state: StateDep, settings: SettingsDep) -> dict[str, Any]:
    for p in req.paths:
        _check_ingest_path(p, settings, state.fetch.allow_private_urls)
    return await run_in_threadpool(
        state.jobs.submit,
        {
            "paths": list(req.paths),
            "source": req.source,
            "embed": req.embed,
            "index": settings.index,
            # Where this API points, not where the runner's environment would (no secrets).
            "settings": {**overrides_of(state.fetch), **settings.run_overrides()} or None,
            # Every file the walk yields is checked against the roots again, after resolving
            # links, and once more on the opened file (a symlink or a swap cannot escape them).
            "allowed_roots": [str(r) for r in settings.ingest_roots] or None,
        },
    )


@router.get("/ingest/{job_id}", response_model=IngestJob, responses={404: {"model": ErrorResponse}})
async def ingest_status(job_id: str, state: StateDep) -> dict[str, Any]:
    job = await run_in_threadpool(state.jobs.get, job_id)
    if job is None:
        raise APIError(404, "not_found", "No such ingestion job.")
    return job


def _check_ingest_path(path: str, settings: SearchSettings, allow_private: bool) -> None:
    """Refuse at once (4xx) what a job could only fail on later: bad URLs, paths outside the roots."""
    from ingest.loaders import AllowedRoots
    from ingest.models import IngestError
    from ingest.urls import check_url_form, is_url

    if is_url(path):
        try:
            check_url_form(path, allow_private)
        except IngestError as exc:
            raise APIError(422, "invalid_url", exc.reason) from exc
        return  # names are resolved by the flow's SSRF guard, per URL and per redirect
    if not settings.ingest_roots:
        raise APIError(403, "path_not_allowed", "Server paths are not ingestible: set NEWSDESK_INGEST_ROOTS.")
    if not AllowedRoots(settings.ingest_roots).allows(path):
        raise APIError(403, "path_not_allowed", "Path is outside NEWSDESK_INGEST_ROOTS.")
