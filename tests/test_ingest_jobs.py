"""Ingestion jobs over HTTP: queued on one worker, none lost, nothing left running after shutdown.

This is the scenario that broke before (issue 12.3): a real ``newsdesk serve`` *without*
``PREFECT_API_URL``, nine ``POST /ingest`` back to back. Every flow run used to start its own
temporary Prefect server; concurrent runs raced (six of nine failed with "Server process did not
start") and the servers of the others outlived the API. Here the API is a real subprocess, the
jobs really run Prefect flows into a real Elasticsearch, and the process tree is read with psutil.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from flows.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
KEY = {"X-API-Key": "jobs-test-key"}


def _wait_up(base: str, proc: subprocess.Popen, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, "newsdesk serve exited before it answered"
        try:
            if httpx.get(base + "/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("newsdesk serve did not answer in time")


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def test_nine_jobs_back_to_back_all_complete_and_shutdown_leaves_no_process(
    es_url: str, index_name: str, tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    for i in range(9):
        (drop / f"story-{i}.txt").write_text(
            f"Harbour story {i}\n\nThe council of town {i} voted on the harbour plan on Monday. "
            f"Residents of district {i} said the plan would change the waterfront for years.\n",
            encoding="utf-8",
        )
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "NEWSDESK_"))}
    env.update(
        NEWSDESK_ES_URL=es_url,
        NEWSDESK_INDEX=index_name,
        NEWSDESK_DATA_DIR=str(tmp_path / "data"),
        NEWSDESK_INGEST_ROOTS=str(drop),
        NEWSDESK_API_KEY="jobs-test-key",
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(base, proc)
        ids = []
        for i in range(9):
            r = httpx.post(
                base + "/ingest",
                json={"paths": [str(drop / f"story-{i}.txt")], "embed": False},
                headers=KEY,
                timeout=10,
            )
            assert r.status_code == 202, r.text
            ids.append(r.json()["job_id"])
        assert len(set(ids)) == 9

        states: dict[str, dict] = {}
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            states = {j: httpx.get(f"{base}/ingest/{j}", headers=KEY, timeout=10).json() for j in ids}
            if all(s["state"] in ("completed", "failed", "cancelled") for s in states.values()):
                break
            time.sleep(1)
        not_done = {j: s for j, s in states.items() if s["state"] != "completed"}
        assert not not_done, f"jobs did not complete: {not_done}"
        assert all(s["report"]["new"] == 1 for s in states.values())

        # One temporary Prefect server for all nine jobs, owned by the API process.
        servers = [p for p in _descendants(proc.pid) if "prefect.server" in " ".join(p.cmdline())]
        assert len(servers) == 1, [p.cmdline() for p in servers]

        # The API still logs requests after the flows ran (Prefect's logging setup must not
        # swallow uvicorn's access log).
        httpx.get(base + "/health", timeout=10)
        time.sleep(0.5)
        assert b'"GET /health HTTP/1.1"' in log_path.read_bytes()
    finally:
        children = _descendants(proc.pid)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail("newsdesk serve did not stop within 60 s of SIGTERM")
    _gone, alive = psutil.wait_procs(children, timeout=20)
    assert not alive, f"left running after shutdown: {[p.cmdline() for p in alive]}"
    # uvicorn re-raises the signal once it has shut down cleanly, so -SIGTERM is a clean exit too.
    assert proc.returncode in (0, -signal.SIGTERM), log_path.read_text(errors="replace")[-3000:]
    assert b"Application shutdown complete" in log_path.read_bytes()
