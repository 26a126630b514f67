"""Ingestion jobs submitted over HTTP (``POST /ingest``): queued, run one at a time, never leaked.

Why a queue and one worker: without ``PREFECT_API_URL`` every flow run in a process starts
Prefect's temporary API server, and concurrent runs raced to start it (six of nine back-to-back
jobs failed with "Server process did not start", and the servers of the others outlived the API).
Here the worker thread owns *one* temporary server for its whole life, started with the job queue
and stopped with it, and on Linux the server is also tied to the API process (it is killed when
the API dies, even by SIGKILL). Jobs run in submission order; writes into one index gain nothing
from running side by side on a small machine, and each job's report stays its own.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

log = logging.getLogger(__name__)

JOB_STATES = ("queued", "running", "completed", "failed", "cancelled")
SERVER_LOGGERS = ("uvicorn", "uvicorn.access", "uvicorn.error")


@contextlib.contextmanager
def keep_loggers(*names: str) -> Iterator[None]:
    """Undo what a block does to these loggers' level, handlers and propagation.

    Why: importing Prefect applies its logging config with ``dictConfig``, which resets every
    child of a logger it configures; its config names ``uvicorn``, so the API's access log
    (``uvicorn.access``) lost its handler and level after the first ingestion job and went
    silent for the rest of the server's life.
    """
    saved = []
    for name in names:
        lg = logging.getLogger(name)
        saved.append((lg, lg.level, list(lg.handlers), lg.propagate, lg.disabled))
    try:
        yield
    finally:
        for lg, level, handlers, propagate, disabled in saved:
            lg.setLevel(level)
            lg.handlers[:] = handlers
            lg.propagate, lg.disabled = propagate, disabled


@dataclass
class Job:
    """One submitted ingestion and what became of it (the API's ``IngestJob`` shape)."""

    params: dict[str, Any]
    job_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    state: str = "queued"
    report: dict[str, Any] | None = None
    error: str | None = None
    submitted: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def to_dict(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "state": self.state, "report": self.report, "error": self.error}


class JobQueue:
    """A FIFO of jobs and the one thread that runs them.

    Usage::

        jobs = JobQueue(lambda params: run_ingestion(**params))
        job = jobs.submit({"paths": ["/srv/roots/drop"]})
        jobs.get(job.job_id).state     # "queued" → "running" → "completed" | "failed"
        jobs.close()                   # at shutdown: queued jobs are cancelled, resources freed

    Args:
        run: Runs one job's parameters and returns its report; an exception fails that job only.
        context: Entered by the worker thread around all its jobs (e.g. a temporary Prefect server)
            and exited when the queue closes.
        keep: Finished jobs remembered for ``get`` (oldest forgotten first).
        loggers: Loggers whose configuration a job may not change (the server's own).
    """

    def __init__(
        self,
        run: Callable[[dict[str, Any]], dict[str, Any]],
        context: Callable[[], contextlib.AbstractContextManager[Any]] | None = None,
        keep: int = 1000,
        loggers: tuple[str, ...] = SERVER_LOGGERS,
    ):
        self._run = run
        self._loggers = loggers
        self._context = context or contextlib.nullcontext
        self._keep = keep
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="newsdesk-ingest-jobs", daemon=True)
        self._thread.start()

    def submit(self, params: dict[str, Any]) -> Job:
        job = Job(params=params)
        with self._lock:
            if self._closed:
                raise RuntimeError("the job queue is shut down")
            self._jobs[job.job_id] = job
            while len(self._jobs) > self._keep:
                oldest = next(iter(self._jobs))
                if self._jobs[oldest].state in ("queued", "running"):
                    break
                self._jobs.pop(oldest)
        self._queue.put(job)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def close(self, timeout_s: float = 30.0) -> None:
        """Cancel queued jobs, let the running one finish (up to ``timeout_s``), free the context."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for job in self._jobs.values():
                if job.state == "queued":
                    job.state, job.error = "cancelled", "the server shut down before this job started"
        self._queue.put(None)
        self._thread.join(timeout=timeout_s)

    def _work(self) -> None:
        try:
            with keep_loggers(*self._loggers), self._context():
                while True:
                    job = self._queue.get()
                    if job is None:
                        return
                    if job.state != "queued":
                        continue
                    job.state = "running"
                    try:
                        with keep_loggers(*self._loggers):
                            job.report = self._run(job.params)
                        job.state = "completed"
                    except Exception as exc:
                        job.state, job.error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
                        log.warning("ingestion job %s failed: %s", job.job_id, job.error)
        except Exception as exc:  # the context itself failed (e.g. no Prefect server could start)
            log.error("ingestion jobs cannot run: %s", exc)
            with self._lock:
                self._closed = True
                for job in self._jobs.values():
                    if job.state in ("queued", "running"):
                        job.state, job.error = "failed", f"{type(exc).__name__}: {exc}"[:2000]


# ---------------------------------------------------------------------------------------------
# one temporary Prefect API server, owned by whoever enters it
# ---------------------------------------------------------------------------------------------
def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the server gets SIGTERM when the process that started it dies, however it dies."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


@contextlib.contextmanager
def prefect_api(startup_timeout_s: float = 180.0) -> Iterator[str]:
    """The Prefect API to run flows against, for the calling thread.

    ``PREFECT_API_URL`` set: that server, nothing started. Unset: one temporary server (SQLite
    under a temporary directory, no UI) for as long as the context is open, then stopped.
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    configured = PREFECT_API_URL.value()
    if configured:
        yield configured
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="newsdesk-prefect-") as home:
        from flows.ports import free_port

        port = free_port()
        env = {
            **os.environ,
            "PREFECT_HOME": home,
            "PREFECT_UI_ENABLED": "0",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home}/prefect.db",
        }
        cmd = [
            sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app",
            "--host", "127.0.0.1", "--port", str(port), "--log-level", "error", "--lifespan", "on",
        ]  # fmt: skip
        proc = subprocess.Popen(
            cmd,
            env=env,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        url = f"http://127.0.0.1:{port}/api"
        try:
            _wait_healthy(url, proc, startup_timeout_s)
            with temporary_settings(updates={PREFECT_API_URL: url}):
                yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_healthy(url: str, proc: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the temporary Prefect server exited with code {proc.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the temporary Prefect server did not answer within {timeout_s:.0f} s")
