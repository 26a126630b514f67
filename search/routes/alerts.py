"""``/alerts``: saved searches that watch ingestion, and what they matched (writes need the API key)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from search.alerts import Alert, AlertError, AlertExists, Alerts
from search.api_deps import APIError, RequireKey, SearcherDep, SettingsDep, StateDep
from search.api_models import AlertList, AlertMatches, AlertRequest, AlertResponse, ErrorResponse

router = APIRouter(tags=["alerts"])
_WRITE = {401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}}


@router.get("/alerts", response_model=AlertList)
async def list_alerts(searcher: SearcherDep, settings: SettingsDep) -> dict[str, Any]:
    alerts = await run_in_threadpool(Alerts(searcher.client, settings).list)
    return {"alerts": [a.to_dict() for a in alerts]}


@router.post(
    "/alerts",
    response_model=AlertResponse,
    status_code=201,
    dependencies=[RequireKey],
    responses={**_WRITE, 409: {"model": ErrorResponse}},
)
async def add_alert(
    req: AlertRequest, searcher: SearcherDep, settings: SettingsDep, state: StateDep
) -> dict[str, Any]:
    """Save a search; every later ingestion run matches its new and changed articles against it."""
    alert = Alert(req.name, req.query, source=req.source, entities=list(req.entities), webhook=req.webhook)
    alerts = Alerts(searcher.client, settings)
    try:
        saved = await run_in_threadpool(
            alerts.add, alert, allow_private_urls=state.fetch.allow_private_urls, replace=req.replace
        )
    except AlertExists as exc:
        raise APIError(409, "alert_exists", str(exc)) from exc
    except AlertError as exc:
        raise APIError(422, "invalid_alert", str(exc)) from exc
    return saved.to_dict()


@router.delete(
    "/alerts/{name}", dependencies=[RequireKey], responses={**_WRITE, 404: {"model": ErrorResponse}}
)
async def remove_alert(name: str, searcher: SearcherDep, settings: SettingsDep) -> dict[str, str]:
    """Delete the alert and its recorded matches."""
    if not await run_in_threadpool(Alerts(searcher.client, settings).remove, name):
        raise APIError(404, "not_found", f"No alert {name!r}.")
    return {"removed": name}


@router.get("/alerts/{name}/matches", response_model=AlertMatches, responses={404: {"model": ErrorResponse}})
async def alert_matches(
    name: str,
    searcher: SearcherDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    run_id: Annotated[str | None, Query(max_length=100, description="Only this run's matches.")] = None,
) -> dict[str, Any]:
    """The articles the alert matched, newest first."""
    alerts = Alerts(searcher.client, settings)

    def read() -> list[dict[str, Any]] | None:
        if alerts.get(name) is None:
            return None
        return alerts.matches(name, limit=limit, run_id=run_id)

    matches = await run_in_threadpool(read)
    if matches is None:
        raise APIError(404, "not_found", f"No alert {name!r}.")
    return {"alert": name, "matches": matches}
