"""The HTTP API as ``newsdesk serve`` runs it: the search app plus the runner of its ingestion.

Why a composition root here and not in ``search/api.py``: the API only submits ingestion runs;
what runs them belongs to the orchestration layer, and ``search`` must not import ``flows``.
With a Prefect server (``PREFECT_API_URL``; ``newsdesk up`` sets it for the API it starts) every
``POST /ingest`` becomes a run of the ``newsdesk-ingest/ondemand`` deployment that the stack's
worker executes and Prefect's UI shows. Without one, jobs run in a queue inside the API process,
on one temporary Prefect server that the queue owns (``flows/jobs.py``), as before the stack.
"""

from __future__ import annotations

import functools
from typing import Any

from fastapi import FastAPI

from flows.overview import overview_extras
from flows.settings import Settings
from search.api import IngestRunner
from search.api import create_app as create_search_app
from search.prefect_runs import PrefectIngest, configured_prefect_url
from search.settings import SearchSettings


class LocalJobs:
    """Ingestion jobs run in this process, one at a time (no Prefect server configured)."""

    def __init__(self) -> None:
        from flows.jobs import SERVER_LOGGERS, JobQueue, keep_loggers, prefect_api

        with keep_loggers(*SERVER_LOGGERS):  # importing Prefect reconfigures logging
            from flows.ingestion import run_ingestion

        self._queue = JobQueue(lambda params: run_ingestion(**params), context=prefect_api)

    def submit(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._queue.submit(params).to_dict()

    def get(self, job_id: str) -> dict[str, Any] | None:
        job = self._queue.get(job_id)
        return None if job is None else job.to_dict()

    def close(self) -> None:
        self._queue.close()


def ingest_runner() -> IngestRunner:
    url, named = configured_prefect_url()
    return PrefectIngest(url) if named else LocalJobs()


def create_app(settings: SearchSettings | None = None) -> FastAPI:
    """The app of ``newsdesk serve`` (uvicorn factory ``flows.app:create_app``).

    Built from one ``Settings`` (the environment's, or the environment's around the given search
    section); the API gets its search and fetch sections, and ``GET /stats`` the quarantine and
    recent runs (``flows.overview``).
    """
    config = Settings.around(settings) if settings is not None else Settings.load()
    return create_search_app(
        config.search,
        ingest=ingest_runner,
        fetch=config.fetch,
        stats_extras=functools.partial(overview_extras, config),
    )
