"""Scheduled ingestion: a Prefect deployment of ``ingest_flow`` with a cron schedule.

``newsdesk schedule create`` registers the deployment on the Prefect server (``PREFECT_API_URL``);
``newsdesk schedule serve`` is the long-running worker process that executes its runs (in
docker-compose: the ``worker`` service); ``newsdesk schedule list`` shows deployments and their
schedules; ``newsdesk schedule run`` triggers one run now. The sources and cron come from
``NEWSDESK_SCHEDULE_SOURCES`` / ``NEWSDESK_SCHEDULE_CRON`` unless given on the command line.
"""

from __future__ import annotations

from typing import Any

from flows.ingestion import ingest_flow
from flows.settings import ScheduleSettings

DEPLOYMENT_FLOW = "newsdesk-ingest"


def require_prefect_server(action: str) -> str:
    """The configured Prefect API URL, or a ValueError that says how to get one.

    Why: without ``PREFECT_API_URL`` Prefect quietly starts a temporary server for the command;
    a deployment "created" there lives in a temporary database and is gone when the command
    exits, so ``schedule create`` reported a success that nothing would ever run.
    """
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        raise ValueError(
            f"`newsdesk schedule {action}` needs a lasting Prefect server, and PREFECT_API_URL is not "
            "set (the deployment would go into a temporary server that stops with this command). "
            "Start one with `prefect server start` (or `docker compose up -d prefect-server`) and set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api; or run `newsdesk schedule serve`, which "
            "keeps the schedule in its own process."
        )
    return url


def build_deployment(
    sources: list[str], cron: str, name: str, timezone: str = "UTC", batch_size: int = 64, embed: bool = True
):
    """The deployment object for ``ingest_flow`` with a cron schedule."""
    from prefect.schedules import Cron

    if not sources:
        raise ValueError("no sources to schedule: pass them or set NEWSDESK_SCHEDULE_SOURCES")
    return ingest_flow.to_deployment(
        name=name,
        schedule=Cron(cron, timezone=timezone),
        parameters={"paths": sources, "batch_size": batch_size, "embed": embed},
        description=f"newsdesk scheduled ingestion of {len(sources)} source(s)",
        tags=["newsdesk"],
    )


def create_deployment(settings: ScheduleSettings) -> str:
    """Register (or update) the deployment on the Prefect server; returns its id."""
    require_prefect_server("create")
    dep = build_deployment(
        settings.sources, settings.cron, settings.name, settings.timezone, settings.batch_size, settings.embed
    )
    return str(dep.apply())


def serve_deployment(settings: ScheduleSettings) -> None:
    """Run the worker loop: execute scheduled (and manually triggered) runs until stopped."""
    from prefect import serve

    dep = build_deployment(
        settings.sources, settings.cron, settings.name, settings.timezone, settings.batch_size, settings.embed
    )
    serve(dep)


def list_deployments() -> list[dict[str, Any]]:
    """Deployments of the ingestion flow with their schedules and parameters."""
    require_prefect_server("list")
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.client.schemas.sorting import DeploymentSort

    async def _read() -> list[dict[str, Any]]:
        async with get_client() as client:
            deps = await client.read_deployments(
                flow_filter=FlowFilter(name=FlowFilterName(any_=[DEPLOYMENT_FLOW])),
                limit=200,
                sort=DeploymentSort.NAME_ASC,
            )
            out = []
            for d in deps:
                schedules = []
                for s in d.schedules:
                    sched = s.schedule
                    schedules.append(
                        {
                            "cron": getattr(sched, "cron", None),
                            "timezone": getattr(sched, "timezone", None),
                            "active": s.active,
                        }
                    )
                out.append(
                    {"id": str(d.id), "name": d.name, "schedules": schedules, "parameters": d.parameters}
                )
            return out

    return asyncio.run(_read())


def run_now(name: str, timeout_s: float | None = None) -> dict[str, Any]:
    """Trigger one run of the deployment; wait up to ``timeout_s`` (None: don't wait)."""
    require_prefect_server("run")
    from prefect.deployments import run_deployment

    flow_run = run_deployment(f"{DEPLOYMENT_FLOW}/{name}", timeout=timeout_s)
    state = flow_run.state
    return {"flow_run_id": str(flow_run.id), "state": state.type.value if state else None}
