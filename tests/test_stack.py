"""The running stack (issue 16): ``newsdesk up/status/down`` with real processes, ingestion through
the worker (from the API and from the CLI), and a worker killed mid-run.

Everything is real: a Prefect server (``prefect server start``, SQLite under the data dir), the
newsdesk API and the worker are the processes ``newsdesk up`` starts; Elasticsearch is the test
cluster, given as ``NEWSDESK_ES_URL`` (so ``up`` must use it and start none). Ports are free ones,
so a developer's own stack on 4200/8000 is never touched.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flows.ports import free_port
from tests.cli_probe import run_cli
from tests.conftest import REPO, SEEDS

pytestmark = pytest.mark.elasticsearch

KEY = "stack-test-key"
ARTICLES = 48


def _nd(args: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def _status(env: dict[str, str]) -> dict:
    proc = _nd(["status", "--json"], env, timeout=60)
    return json.loads(proc.stdout)


def _processes_with(marker: str) -> list[int]:
    """PIDs whose environment names this stack's data dir: whatever `up` started, at any depth."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid():
            try:
                if marker.encode() in (proc / "environ").read_bytes():
                    stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                    if stat[0] != "Z":
                        found.append(int(proc.name))
            except OSError:
                continue
    return found


def _drop(tmp: Path) -> Path:
    drop = tmp / "drop"
    (drop / "seed").mkdir(parents=True)
    (drop / "seed" / "qaim.txt").write_text((SEEDS / "iraq-isis-qaim-2017-11-05.txt").read_text())
    words = (
        "harbour ferry council union timetable freight quay bridge budget repairs pier season mayor "
        "contract crossing tide storm dredging pilot cargo terminal fishermen tourists licence toll "
        "lighthouse breakwater shipyard crane warehouse customs dock marina tugboat canal lock ramp"
    ).split()
    lines = []
    for i in range(ARTICLES):
        rng = random.Random(i)  # distinct wording per article, so none is a near-duplicate of another
        paras = [" ".join(rng.choice(words) for _ in range(40)).capitalize() + "." for _ in range(8)]
        lines.append(
            json.dumps(
                {
                    "id": f"ferry-{i}",
                    "title": f"Ferry timetable {i} approved",
                    "text": "\n\n".join(paras),
                    "source": "harbour-gazette",
                    "published": "2024-03-01",
                }
            )
        )
    (drop / "ferries.jsonl").write_text("\n".join(lines) + "\n")
    return drop


@pytest.fixture(scope="module")
def stack(tmp_path_factory, es_url: str) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp("stack")
    data = tmp / "data"
    drop = _drop(tmp)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "NEWSDESK_"))}
    env.update(
        NEWSDESK_ES_URL=es_url,
        NEWSDESK_INDEX=f"stack-{uuid.uuid4().hex[:10]}",
        NEWSDESK_DATA_DIR=str(data),
        NEWSDESK_PREFECT_PORT=str(free_port()),
        NEWSDESK_DASK_PORT=str(free_port()),
        NEWSDESK_API_URL=f"http://127.0.0.1:{free_port()}",
        NEWSDESK_API_KEY=KEY,
        NEWSDESK_INGEST_ROOTS=str(drop),
        NEWSDESK_WARM_UP="0",
        PREFECT_API_URL="",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        DROP=str(drop),
    )
    up = _nd(["up", "--json"], env)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        yield env
    finally:
        _nd(["down"], env, timeout=120)
        leftovers = _processes_with(f"NEWSDESK_DATA_DIR={data}")
        for pid in leftovers:  # never leave them to the next test, even when this one failed
            with __import__("contextlib").suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        assert not leftovers, f"processes left behind by `newsdesk down`: {leftovers}"


def test_up_starts_four_services_uses_the_given_cluster_and_a_second_up_changes_nothing(stack):
    first = _status(stack)
    by_name = {s["name"]: s for s in first["services"]}
    assert first["ok"] is True
    assert [s["name"] for s in first["services"]] == ["elasticsearch", "prefect", "api", "worker"]
    # NEWSDESK_ES_URL named a cluster: used, not started, never stopped by newsdesk.
    assert by_name["elasticsearch"]["state"] == "external" and by_name["elasticsearch"]["managed"] is False
    for name in ("prefect", "api", "worker"):
        assert by_name[name]["state"] == "running" and by_name[name]["pid"], by_name[name]
        assert Path(by_name[name]["log"]).is_file()
    assert httpx.get(by_name["prefect"]["url"] + "/api/health", timeout=5).status_code == 200
    assert httpx.get(by_name["prefect"]["url"], timeout=5).status_code == 200  # the UI is served
    assert (Path(stack["NEWSDESK_DATA_DIR"]) / "prefect" / "prefect.db").is_file()

    again = _nd(["up", "--json"], stack)
    assert again.returncode == 0, again.stderr
    pids = {s["name"]: s["pid"] for s in json.loads(again.stdout)["services"]}
    assert pids == {s["name"]: s["pid"] for s in first["services"]}


def test_an_ingest_posted_to_the_api_runs_on_the_worker_and_its_report_is_a_prefect_artifact(stack):
    api = stack["NEWSDESK_API_URL"]
    headers = {"X-API-Key": KEY}
    seed = str(Path(stack["DROP"]) / "seed")
    job = httpx.post(f"{api}/ingest", json={"paths": [seed], "embed": False}, headers=headers, timeout=30)
    assert job.status_code == 202, job.text
    run_id = job.json()["job_id"]
    assert job.json()["ui_url"].endswith(f"/runs/flow-run/{run_id}")
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        state = httpx.get(f"{api}/ingest/{run_id}", headers=headers, timeout=30).json()
        if state["state"] in ("completed", "failed", "cancelled"):
            break
        time.sleep(0.5)
    assert state["state"] == "completed", state
    assert state["report"]["seen"] == 1 and state["report"]["run_id"] == run_id

    prefect = f"http://127.0.0.1:{stack['NEWSDESK_PREFECT_PORT']}/api"
    run = httpx.get(f"{prefect}/flow_runs/{run_id}", timeout=10).json()
    assert run["state"]["type"] == "COMPLETED" and run["deployment_id"]
    assert any(t.startswith("worker:") for t in run["tags"])  # the worker claimed it
    arts = httpx.post(
        f"{prefect}/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [run_id]}}}, timeout=10
    ).json()
    report = next(a for a in arts if a["key"] == "newsdesk-ingest-report")
    assert report["type"] == "markdown" and "| seen | 1 |" in report["data"]


def test_cli_ingest_goes_to_the_worker_without_importing_prefect_or_torch_and_runs_lists_it(stack, tmp_path):
    seed = str(Path(stack["DROP"]) / "seed")
    proc, modules = run_cli(["ingest", seed, "--no-embed", "--json"], stack, tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["seen"] == 1 and report["unchanged"] == 1  # the API's run above ingested it
    assert "on the worker" in proc.stderr
    assert not modules["prefect"] and not modules["torch._C"] and not modules["haystack"], modules

    runs = _nd(["runs", "--json"], stack, timeout=60)
    assert runs.returncode == 0, runs.stderr
    listed = {r["flow_run_id"]: r for r in json.loads(runs.stdout)["runs"]}
    assert report["run_id"] in listed and listed[report["run_id"]]["report"]["unchanged"] == 1


def test_a_worker_killed_mid_run_finishes_the_run_after_restart_with_nothing_lost_or_duplicated(
    stack, es_client
):
    prefect = f"http://127.0.0.1:{stack['NEWSDESK_PREFECT_PORT']}/api"
    ferries = str(Path(stack["DROP"]) / "ferries.jsonl")
    follower = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "ingest", ferries, "--batch-size", "2", "--json"],
        cwd=REPO,
        env=stack,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        run_id = _wait_for_progress(prefect, deadline_s=240)
        worker_pid = int((Path(stack["NEWSDESK_DATA_DIR"]) / "run" / "worker.pid").read_text().split()[0])
        os.killpg(worker_pid, signal.SIGKILL)  # a crash: no handler runs, the run stays RUNNING
        time.sleep(1.0)
        assert httpx.get(f"{prefect}/flow_runs/{run_id}", timeout=10).json()["state"]["type"] == "RUNNING"

        status = _status(stack)
        assert {s["name"]: s["state"] for s in status["services"]}["worker"] in ("stopped", "down")
        restart = _nd(["up"], stack)
        assert restart.returncode == 0, restart.stderr
        out, err = follower.communicate(timeout=300)
    finally:
        if follower.poll() is None:
            follower.kill()
    assert follower.returncode == 0, err
    report = json.loads(out)
    assert report["run_id"] == run_id and report["seen"] == ARTICLES
    done = report["new"] + report["updated"] + report["unchanged"] + report["duplicates"]
    assert done == ARTICLES and report["unchanged"] > 0 and report["duplicates"] == 0, report  # resumed
    run = httpx.get(f"{prefect}/flow_runs/{run_id}", timeout=10).json()
    assert run["state"]["type"] == "COMPLETED" and run["run_count"] >= 2

    # Nothing lost, nothing twice: every article once, each with the chunks a clean run gives.
    alias = stack["NEWSDESK_INDEX"]
    es_client.indices.refresh(index=f"{alias}*")
    query = {"prefix": {"doc_id": "ferry-"}}
    assert es_client.count(index=f"{alias}-articles", query=query)["count"] == ARTICLES
    reference = f"ref-{uuid.uuid4().hex[:8]}"
    ref = _nd(
        ["ingest", ferries, "--in-process", "--no-embed", "--json"], {**stack, "NEWSDESK_INDEX": reference}
    )
    assert ref.returncode == 0, ref.stderr
    es_client.indices.refresh(index=f"{reference}*")
    chunks = es_client.count(index=alias, query=query)["count"]
    assert chunks == es_client.count(index=reference, query=query)["count"] > ARTICLES
    with_vectors = es_client.count(
        index=alias, query={"bool": {"filter": [query, {"exists": {"field": "embedding"}}]}}
    )
    assert with_vectors["count"] == chunks


def _wait_for_progress(prefect: str, deadline_s: float) -> str:
    """The id of the running ingestion once its progress is past the first batch, before the end."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        runs = httpx.post(
            f"{prefect}/flow_runs/filter",
            json={"flow_runs": {"state": {"type": {"any_": ["RUNNING"]}}}, "limit": 5},
            timeout=10,
        ).json()
        for run in runs:
            arts = httpx.post(
                f"{prefect}/artifacts/filter",
                json={"artifacts": {"flow_run_id": {"any_": [run["id"]]}, "type": {"any_": ["progress"]}}},
                timeout=10,
            ).json()
            if arts and 0 < float(arts[0]["data"]) < 60:
                return run["id"]
        time.sleep(0.1)
    raise AssertionError("the ingestion never got under way")


def test_up_names_a_port_in_use_and_starts_nothing(stack, tmp_path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    data = tmp_path / "other"
    env = {**stack, "NEWSDESK_DATA_DIR": str(data), "NEWSDESK_API_URL": f"http://127.0.0.1:{port}"}
    env["NEWSDESK_PREFECT_PORT"] = str(free_port())
    try:
        proc = _nd(["up"], env, timeout=60)
    finally:
        taken.close()
    assert proc.returncode == 1
    assert f"port {port} (newsdesk API" in proc.stderr and "in use" in proc.stderr
    assert not _processes_with(f"NEWSDESK_DATA_DIR={data}")


def test_up_with_dask_workers_runs_the_batches_on_them_and_down_stops_every_process(stack, tmp_path):
    # Last in this module: from here on the stack's worker drives its runs on Dask.
    up = _nd(["up", "--dask-workers", "1", "--json"], stack)
    assert up.returncode == 0, up.stdout + up.stderr
    by_name = {s["name"]: s for s in json.loads(up.stdout)["services"]}
    assert by_name["dask-scheduler"]["state"] == "running", by_name
    assert by_name["dask-scheduler"]["url"] == f"tcp://127.0.0.1:{stack['NEWSDESK_DASK_PORT']}"
    assert by_name["dask-scheduler"]["detail"] == "1 of 1 workers registered"
    assert by_name["dask-worker-0"]["state"] == "running" and by_name["dask-worker-0"]["pid"]
    assert "restarting worker" in up.stderr  # it now drives its runs on the cluster
    worker_cmd = (Path(stack["NEWSDESK_DATA_DIR"]) / "run" / "worker.pid").read_text()
    assert f"--dask tcp://127.0.0.1:{stack['NEWSDESK_DASK_PORT']}" in worker_cmd

    inbox = tmp_path / "dask.jsonl"
    lines = [
        {"id": f"dask-{i}", "title": f"Dask story {i}", "text": f"Story {i}: the harbour board met. " * 8}
        for i in range(3)
    ]
    inbox.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    proc = _nd(["ingest", str(inbox), "--batch-size", "1", "--json"], stack)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["new"], report["quarantined"]) == (3, 0) and report["chunks_written"] >= 3
    # The batches ran in the Dask worker process: it built the run's writer there and wrote every
    # batch through it (asked of the worker itself: Prefect's task-run lines do not reliably reach
    # the worker's log file).
    from distributed import Client

    with Client(f"tcp://127.0.0.1:{stack['NEWSDESK_DASK_PORT']}", timeout=30) as client:
        used = client.run(
            lambda: __import__("search.index_writer").index_writer._writer_for.cache_info()._asdict()
        )
    assert [(u["misses"], u["hits"] + u["misses"]) for u in used.values()] == [(1, 3)], used

    again = _nd(["up", "--json"], stack)  # remembered: the same pieces, nothing restarted
    assert again.returncode == 0, again.stderr
    pids = {s["name"]: s["pid"] for s in json.loads(again.stdout)["services"]}
    assert (
        pids["dask-worker-0"] == by_name["dask-worker-0"]["pid"]
        and pids["worker"] == by_name["worker"]["pid"]
    )
    # The fixture's `down` then stops them all; it fails the module if any process is left.
