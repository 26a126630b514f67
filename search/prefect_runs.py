"""Ingestion runs on a Prefect server, over its REST API: submit one, read one, list recent ones.

Why plain HTTP and not Prefect's client: the CLI and the API only *submit* runs and *read* their
state; the worker of the running stack (``flows/worker.py``) executes them. Importing Prefect costs
the CLI seconds and pulls the flow module into the API process, against the package layering
(``flows → search``). The REST routes used here are Prefect 3's public API (``/api/docs`` on the
server): deployments by name, ``create_flow_run``, ``flow_runs/filter``, ``artifacts/filter``.

Usage::

    runs = PrefectRuns("http://127.0.0.1:4200/api")
    run = runs.submit({"paths": ["/srv/drop"], "embed": True})
    runs.read(run["flow_run_id"])["state"]   # SCHEDULED → PENDING → RUNNING → COMPLETED | FAILED
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

import httpx

INGEST_FLOW = "newsdesk-ingest"
ON_DEMAND_DEPLOYMENT = "ondemand"
REPORT_KEY = "newsdesk-ingest-report"
RESULT_KEY = "newsdesk-ingest-result"
TERMINAL_STATES = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})


class PrefectUnavailable(RuntimeError):
    """No Prefect server answers where one is expected, or it lacks the ingestion deployment."""


def configured_prefect_url(prefect_port: int = 4200) -> tuple[str, bool]:
    """The Prefect API to use and whether the user named it (``PREFECT_API_URL``).

    Not named: the server ``newsdesk up`` starts, on 127.0.0.1 at ``NEWSDESK_PREFECT_PORT``.
    """
    named = os.environ.get("PREFECT_API_URL", "").strip()
    if named:
        return named.rstrip("/"), True
    return f"http://127.0.0.1:{prefect_port}/api", False


def ui_url(api_url: str) -> str:
    """Where Prefect's UI is for this API (the UI is served beside ``/api``)."""
    return api_url[: -len("/api")] if api_url.endswith("/api") else api_url


class PrefectRuns:
    """Submit and read ``newsdesk-ingest`` flow runs on one Prefect server.

    Args:
        api_url: Prefect's API base URL, ending in ``/api``.
        timeout_s: Per-request timeout.
    """

    def __init__(self, api_url: str, timeout_s: float = 10.0):
        self.api_url = api_url.rstrip("/")
        self._http = httpx.Client(base_url=self.api_url, timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PrefectRuns:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- probing --------------------------------------------------------------------------
    def healthy(self, timeout_s: float = 1.0) -> bool:
        try:
            return self._http.get("/health", timeout=timeout_s).status_code == 200
        except httpx.HTTPError:
            return False

    def deployment_id(self, name: str = ON_DEMAND_DEPLOYMENT) -> str | None:
        """The id of ``newsdesk-ingest/<name>``, or None when no worker has registered it."""
        try:
            resp = self._http.get(f"/deployments/name/{INGEST_FLOW}/{name}")
        except httpx.HTTPError as exc:
            raise PrefectUnavailable(f"the Prefect server at {self.api_url} does not answer: {exc}") from exc
        if resp.status_code == 404:
            return None
        resp.raise_for_status()
        return resp.json()["id"]

    # -- runs -----------------------------------------------------------------------------
    def submit(self, parameters: dict[str, Any], deployment: str = ON_DEMAND_DEPLOYMENT) -> dict[str, Any]:
        """Create a run of the deployment now; the stack's worker picks it up."""
        dep_id = self.deployment_id(deployment)
        if dep_id is None:
            raise PrefectUnavailable(
                f"no {INGEST_FLOW}/{deployment} deployment on the Prefect server at {self.api_url}: "
                "its worker registers it when it starts (`newsdesk up`, or `newsdesk worker`)"
            )
        resp = self._http.post(
            f"/deployments/{dep_id}/create_flow_run", json={"parameters": parameters, "tags": ["newsdesk"]}
        )
        resp.raise_for_status()
        return self._run_summary(resp.json())

    def read(self, flow_run_id: str, with_report: bool = True) -> dict[str, Any] | None:
        """The run's state, times and (when it finished) its report; None for an unknown id."""
        try:
            resp = self._http.get(f"/flow_runs/{flow_run_id}")
        except httpx.HTTPError as exc:
            raise PrefectUnavailable(f"the Prefect server at {self.api_url} does not answer: {exc}") from exc
        if resp.status_code in (404, 422):
            return None
        resp.raise_for_status()
        run = self._run_summary(resp.json())
        if with_report:
            artifacts = self._artifacts([flow_run_id])
            run["report"] = artifacts.get(flow_run_id, {}).get("report")
            run["progress"] = artifacts.get(flow_run_id, {}).get("progress")
        return run

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        """The latest ingestion runs, newest first, with their reports' counts."""
        resp = self._http.post(
            "/flow_runs/filter",
            json={
                "flows": {"name": {"any_": [INGEST_FLOW]}},
                "sort": "EXPECTED_START_TIME_DESC",
                "limit": limit,
            },
        )
        resp.raise_for_status()
        runs = [self._run_summary(r) for r in resp.json()]
        artifacts = self._artifacts([r["flow_run_id"] for r in runs]) if runs else {}
        for run in runs:
            run["report"] = artifacts.get(run["flow_run_id"], {}).get("report")
        return runs

    def _artifacts(self, flow_run_ids: list[str]) -> dict[str, dict[str, Any]]:
        resp = self._http.post(
            "/artifacts/filter",
            json={"artifacts": {"flow_run_id": {"any_": flow_run_ids}}, "sort": "CREATED_DESC", "limit": 200},
        )
        resp.raise_for_status()
        found: dict[str, dict[str, Any]] = {}
        for art in resp.json():
            slot = found.setdefault(str(art.get("flow_run_id")), {})  # newest first: a re-run's wins
            if art.get("key") == RESULT_KEY and "report" not in slot:
                slot["report"] = _table_row(art.get("data"))
            elif art.get("type") == "progress" and "progress" not in slot:
                slot["progress"] = art.get("data")
        return found

    def _run_summary(self, run: dict[str, Any]) -> dict[str, Any]:
        state = run.get("state") or {}
        return {
            "flow_run_id": run["id"],
            "name": run.get("name"),
            "deployment_id": run.get("deployment_id"),
            "state": state.get("type") or run.get("state_type"),
            "state_name": state.get("name") or run.get("state_name"),
            "message": state.get("message"),
            "parameters": run.get("parameters") or {},
            "expected_start_time": run.get("expected_start_time"),
            "start_time": run.get("start_time"),
            "end_time": run.get("end_time"),
            "run_count": run.get("run_count"),
            "ui_url": f"{ui_url(self.api_url)}/runs/flow-run/{run['id']}",
        }


def _table_row(data: Any) -> dict[str, Any] | None:
    """The report stored as a one-row table artifact (Prefect keeps table data as a JSON string)."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return None
    if not (isinstance(data, list) and data and isinstance(data[0], dict)):
        return None
    row = dict(data[0])
    for key, value in row.items():  # nested parts are stored as JSON text, for the UI's table
        if isinstance(value, str) and value[:1] in "[{":
            with contextlib.suppress(ValueError):
                row[key] = json.loads(value)
    return row


def report_row(report: dict[str, Any]) -> dict[str, Any]:
    """The report as one table row: scalars as they are, nested parts as JSON text."""
    return {k: (json.dumps(v) if isinstance(v, dict | list) else v) for k, v in report.items()}


_JOB_STATES = {
    "SCHEDULED": "queued",
    "PENDING": "queued",
    "PAUSED": "queued",
    "RUNNING": "running",
    "COMPLETED": "completed",
    "FAILED": "failed",
    "CRASHED": "failed",
    "CANCELLING": "cancelled",
    "CANCELLED": "cancelled",
}


class PrefectIngest:
    """The API's ingestion runner with the stack up: each job is a run of the deployment.

    ``submit`` creates the flow run (the worker executes it, visible in Prefect's UI) and returns
    the API's ``IngestJob`` shape with the flow-run id as ``job_id``; ``get`` reads its state and
    report back from the server, so jobs survive an API restart.

    Usage::

        runner = PrefectIngest("http://127.0.0.1:4200/api")
        job = runner.submit({"paths": ["https://example.com/story"], "embed": True})
        runner.get(job["job_id"])["state"]     # queued → running → completed | failed
    """

    def __init__(self, api_url: str, timeout_s: float = 10.0):
        self._runs = PrefectRuns(api_url, timeout_s=timeout_s)

    def submit(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._job(self._runs.submit(params))

    def get(self, job_id: str) -> dict[str, Any] | None:
        run = self._runs.read(job_id)
        return None if run is None else self._job(run)

    def close(self) -> None:
        self._runs.close()

    @staticmethod
    def _job(run: dict[str, Any]) -> dict[str, Any]:
        state = _JOB_STATES.get(run["state"] or "", "queued")
        error = None
        if state in ("failed", "cancelled"):
            error = f"{run['state_name']}: {run.get('message') or 'see the run in Prefect'}"[:2000]
        return {
            "job_id": run["flow_run_id"],
            "state": state,
            "report": run.get("report"),
            "error": error,
            "ui_url": run["ui_url"],
        }
