"""The stack's ingestion worker: runs ``newsdesk-ingest`` flow runs in this process, one at a time.

Why not ``prefect worker`` or ``flow.serve()``: both start a fresh Python for every flow run, which
re-imports torch and reloads the embedding model (seconds, and ~1 GB) for each one-article ingest.
This worker keeps the model warm: it registers the ``newsdesk-ingest/ondemand`` deployment (and the
scheduled one when ``NEWSDESK_SCHEDULE_SOURCES`` is set), then polls the Prefect server for due runs
of the ingestion flow — submitted by ``POST /ingest``, ``newsdesk ingest``, the UI's "Run", or a
schedule — claims each with a PENDING transition (Prefect refuses a second claim, so two workers
never run one run twice) and executes it with Prefect's own engine, so states, logs, task retries
and the report artifacts show in the UI as for any run.

With a Dask cluster (``--dask``, ``NEWSDESK_DASK_ADDRESS``, or a run's own ``dask_address``
setting) this process only drives each run: the batches are cleaned, embedded and written on the
cluster's workers, which keep the model loaded instead (``flows.dask_runner``).

A worker that dies mid-run leaves its run RUNNING; the next start of a worker of the same name puts
such runs back to SCHEDULED and runs them again. Ingestion is idempotent, so the second attempt
finishes the work with nothing lost or duplicated.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flows.settings import ScheduleSettings
from search.prefect_runs import INGEST_FLOW, ON_DEMAND_DEPLOYMENT

log = logging.getLogger("newsdesk.worker")
WORKER_TAG_PREFIX = "worker:"


def default_worker_name() -> str:
    return f"newsdesk-worker@{socket.gethostname()}"


class ProgressArtifact:
    """A progress hook for the flow that keeps a Prefect progress artifact up to date (throttled).

    Why: the CLI that submitted a run follows it with a progress bar by reading this artifact; the
    UI shows it on the run page.
    """

    def __init__(self, every_s: float = 0.5):
        self.every_s = every_s
        self._id: Any = None
        self._last = 0.0

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        from prefect.artifacts import create_progress_artifact, update_progress_artifact

        now = time.monotonic()
        finished = bool(total) and done >= (total or 0)
        if self._id is not None and not finished and now - self._last < self.every_s:
            return
        pct = round(100.0 * done / total, 1) if total else 0.0
        try:
            if self._id is None:
                self._id = create_progress_artifact(
                    pct, key="newsdesk-ingest-progress", description=f"{stage}: {done} of {total or '?'}"
                )
            else:
                update_progress_artifact(self._id, pct, description=f"{stage}: {done} of {total or '?'}")
            self._last = now
        except Exception as exc:  # progress is a courtesy, never a reason for a run to fail
            log.debug("progress artifact not updated: %s", exc)


class IngestWorker:
    """Poll, claim and run ingestion flow runs.

    Usage::

        worker = IngestWorker(poll_s=1.0)
        worker.register()          # the ondemand (and scheduled) deployments
        worker.recover()           # runs this worker left RUNNING when it died
        worker.serve()             # until SIGTERM/SIGINT

    Args:
        name: Identifies this worker's claims (a tag on each run it takes), so that after a crash it
            re-runs only its own runs, never another live worker's.
        poll_s: Seconds between looks for due runs when idle.
        heartbeat_file: Touched every poll, so ``newsdesk status`` can tell a live loop from a hung one.
        warm_up: Load the embedding model before the first run (not with Dask: its workers embed).
        dask_address: The Dask scheduler whose workers run the batches of every run (a run's own
            ``dask_address`` setting wins); None: the batches run in this process.
    """

    def __init__(
        self,
        name: str | None = None,
        poll_s: float = 1.0,
        heartbeat_file: Path | None = None,
        warm_up: bool = True,
        schedule: ScheduleSettings | None = None,
        dask_address: str | None = None,
    ):
        self.name = name or default_worker_name()
        self.schedule = schedule or ScheduleSettings()
        self.poll_s = poll_s
        self.heartbeat_file = heartbeat_file
        self.warm_up = warm_up and not dask_address
        self.dask_address = dask_address
        self._stop = threading.Event()
        self._current: str | None = None

    # -- setup ----------------------------------------------------------------------------
    def register(self) -> list[str]:
        """Create or update the deployments this worker serves; their ids."""
        from flows.deployments import build_deployment
        from flows.ingestion import ingest_flow

        ids = [
            str(
                ingest_flow.to_deployment(
                    name=ON_DEMAND_DEPLOYMENT,
                    description="ingestion on demand (POST /ingest, `newsdesk ingest`, Run in the UI)",
                    tags=["newsdesk"],
                ).apply()
            )
        ]
        sched = self.schedule
        if sched.sources:
            dep = build_deployment(
                sched.sources, sched.cron, sched.name, sched.timezone, sched.batch_size, sched.embed
            )
            ids.append(str(dep.apply()))
        return ids

    def recover(self) -> list[str]:
        """Put back to SCHEDULED the runs this worker had claimed and not finished (it died)."""
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            runs = _ingest_runs(client, ("RUNNING", "PENDING"), tag=self._tag, limit=100)
            for run in runs:
                _reschedule(client, run.id, f"{self.name} restarted; this run was cut short and runs again")
                log.warning(
                    "run %s (%s) was left %s by a stopped worker: rescheduled",
                    run.id,
                    run.name,
                    run.state_type,
                )
        return [str(r.id) for r in runs]

    @property
    def _tag(self) -> str:
        return WORKER_TAG_PREFIX + self.name

    # -- the loop -------------------------------------------------------------------------
    def serve(self, until: Callable[[], bool] | None = None) -> None:
        """Run due flow runs until stopped (``until()`` true, or SIGTERM/SIGINT)."""
        if self.warm_up:
            self._warm_up()
        while not self._stop.is_set() and not (until and until()):
            self._beat()
            try:
                ran = self.run_due()
            except Exception as exc:  # the server went away for a moment: keep polling
                log.warning("polling the Prefect server failed: %s", exc)
                ran = False
            if not ran:
                self._stop.wait(self.poll_s)

    def stop(self) -> None:
        self._stop.set()

    def run_due(self) -> bool:
        """Claim and run the oldest due run; False when there was none to take."""
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.responses import SetStateStatus
        from prefect.states import Pending

        with get_client(sync_client=True) as client:
            due = _ingest_runs(client, ("SCHEDULED",), due_before=datetime.now(UTC), limit=5)
            for run in due:
                if run.deployment_id is None:
                    continue  # an ad-hoc run of another process (e.g. a CLI with a temporary server)
                claimed = client.set_flow_run_state(run.id, Pending(message=f"claimed by {self.name}"))
                if claimed.status != SetStateStatus.ACCEPT:
                    continue  # another worker took it first
                client.update_flow_run(run.id, tags=sorted({*run.tags, "newsdesk", self._tag}))
                flow_run = client.read_flow_run(run.id)
                break
            else:
                return False
        self._execute(flow_run)
        return True

    def flow_for(self, parameters: dict[str, Any]) -> Any:
        """The ingestion flow with the task runner for a run with these parameters: its own
        ``dask_address`` setting, else this worker's, else threads in this process."""
        from flows import ingestion
        from flows.settings import Settings

        given = dict(parameters.get("settings") or {})
        if self.dask_address:
            given.setdefault("dask_address", self.dask_address)
        return ingestion.flow_for(Settings.load(given))

    def _execute(self, flow_run: Any) -> None:
        from prefect.flow_engine import run_flow

        from flows import ingestion

        self._current = str(flow_run.id)
        log.info("running %s (%s) with %s", flow_run.id, flow_run.name, flow_run.parameters)
        ingestion.set_progress_hook(ProgressArtifact())
        try:
            state = run_flow(self.flow_for(flow_run.parameters), flow_run=flow_run, return_type="state")
            log.info("run %s finished: %s", flow_run.id, getattr(state, "type", state))
        except BaseException as exc:  # the engine records the failure on the run; the loop goes on
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            log.error("run %s failed: %s", flow_run.id, exc)
        finally:
            ingestion.set_progress_hook(None)
            self._current = None

    def _warm_up(self) -> None:
        if os.environ.get("NEWSDESK_WARM_UP", "1").lower() in ("0", "false", "no"):
            return
        from flows.dask_runner import warm_up

        warm_up()  # a missing model is logged here and fails the first run that needs it

    def _beat(self) -> None:
        if self.heartbeat_file is not None:
            with contextlib.suppress(OSError):
                self.heartbeat_file.parent.mkdir(parents=True, exist_ok=True)
                self.heartbeat_file.write_text(f"{time.time():.0f} {self._current or ''}\n")


def _ingest_runs(
    client: Any,
    states: tuple[str, ...],
    tag: str | None = None,
    due_before: datetime | None = None,
    limit: int = 5,
) -> list[Any]:
    """Runs of the ingestion flow in these states, oldest expected start first."""
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterNextScheduledStartTime,
        FlowRunFilterState,
        FlowRunFilterStateType,
        FlowRunFilterTags,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    parts: dict[str, Any] = {
        "state": FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType(s) for s in states]))
    }
    if tag is not None:
        parts["tags"] = FlowRunFilterTags(all_=[tag])
    if due_before is not None:
        parts["next_scheduled_start_time"] = FlowRunFilterNextScheduledStartTime(before_=due_before)
    run_filter = FlowRunFilter(**parts)
    return client.read_flow_runs(
        flow_filter=FlowFilter(name=FlowFilterName(any_=[INGEST_FLOW])),
        flow_run_filter=run_filter,
        sort=FlowRunSort.EXPECTED_START_TIME_ASC,
        limit=limit,
    )


def _reschedule(client: Any, flow_run_id: Any, message: str) -> None:
    """Back to SCHEDULED (forced: out of RUNNING), so the next poll of a worker runs it again."""
    from prefect.states import Scheduled

    client.set_flow_run_state(flow_run_id, Scheduled(message=message), force=True)


def main(heartbeat_file: Path | None = None, poll_s: float = 1.0, dask_address: str | None = None) -> None:
    """Entry point of ``newsdesk worker``: register, recover, serve until a signal."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "elastic_transport"):  # a line per request drowns the log
        logging.getLogger(noisy).setLevel(logging.WARNING)
    worker = IngestWorker(poll_s=poll_s, heartbeat_file=heartbeat_file, dask_address=dask_address)
    if dask_address:
        log.info("batches run on the Dask cluster at %s", dask_address)

    def _on_signal(signum: int, _frame: Any) -> None:
        if worker._current is None:
            worker.stop()
            return
        # Mid-run: hand the run back now, so the next worker start runs it again at once.
        log.warning("stopped during run %s: it is rescheduled and resumes on the next start", worker._current)
        with contextlib.suppress(Exception):
            from prefect.client.orchestration import get_client

            with get_client(sync_client=True) as client:
                _reschedule(client, worker._current, f"{worker.name} stopped mid-run; runs again")
        os._exit(0)

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    ids = worker.register()
    log.info("%s serving %s (%s)", worker.name, INGEST_FLOW, ", ".join(ids))
    worker.recover()
    worker.serve()
    log.info("%s stopped", worker.name)
