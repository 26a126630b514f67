"""What the API's routers depend on, as typed FastAPI dependencies (a test can override any).

``StateDep``, ``SettingsDep`` and ``SearcherDep`` come from the app's one ``ApiState``
(``app.state.newsdesk``); ``APIError`` is how a route says no, as ``{"error": {code, message}}``.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable
from typing import Annotated, Any, Protocol

from fastapi import Depends, Header, Request

from ingest.urls import FetchSettings
from search.retrieval import Searcher
from search.settings import SearchSettings


class APIError(Exception):
    def __init__(self, status: int, code: str, message: str):
        self.status, self.code, self.message = status, code, message


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


class ApiState:
    """What the routers share: the settings, one searcher, the ingestion runner (made lazily)."""

    def __init__(
        self,
        settings: SearchSettings,
        ingest: Callable[[], IngestRunner],
        fetch: FetchSettings | None = None,
        stats_extras: Callable[[], dict[str, Any]] | None = None,
    ):
        self.settings = settings
        self.fetch = fetch or FetchSettings()
        # What the archive overview adds beyond Elasticsearch (quarantine, runs): the composition
        # root's to give, since it lives in the orchestration layer.
        self.stats_extras = stats_extras
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


def require_api_key(request: Request, x_api_key: Annotated[str | None, Header()] = None) -> None:
    """Write endpoints need ``X-API-Key`` equal to ``NEWSDESK_API_KEY`` (compared in constant time)."""
    settings: SearchSettings = request.app.state.newsdesk.settings
    expected = settings.api_key.get_secret_value() if settings.api_key else ""
    if not expected:
        raise APIError(403, "writes_disabled", "Write endpoints are disabled: set NEWSDESK_API_KEY.")
    if not x_api_key or not hmac.compare_digest(x_api_key.encode(), expected.encode()):
        raise APIError(401, "unauthorized", "A valid X-API-Key header is required.")


def get_state(request: Request) -> ApiState:
    return request.app.state.newsdesk


def get_api_settings(state: Annotated[ApiState, Depends(get_state)]) -> SearchSettings:
    return state.settings


def get_searcher(state: Annotated[ApiState, Depends(get_state)]) -> Searcher:
    return state.searcher


StateDep = Annotated[ApiState, Depends(get_state)]
SettingsDep = Annotated[SearchSettings, Depends(get_api_settings)]
SearcherDep = Annotated[Searcher, Depends(get_searcher)]
#: For a route (or router) that writes: ``dependencies=[RequireKey]``.
RequireKey = Depends(require_api_key)
