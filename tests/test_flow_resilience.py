"""Integration: crash and resume, and the schedule, against real Elasticsearch and Prefect.

The crash tests stop the session's own Elasticsearch in the middle of an ingestion run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from flows.ingestion import ingest_flow
from search.store import articles_alias, count
from tests.conftest import REPO, SEEDS


def _corpus(path: Path, n: int = 240) -> Path:
    """A JSONL file of distinct small articles (no shared sentences: no near-duplicates)."""
    topics = ["harbour", "council", "bridge", "library", "orchestra", "rail", "school", "market"]
    with open(path, "w") as fh:
        for i in range(n):
            t = topics[i % len(topics)]
            text = " ".join(
                f"Report {i} paragraph {j}: the {t} committee number {i * 7 + j} met on day {j} "
                f"and approved item {i}-{j} with {100 + i + j} votes."
                for j in range(6)
            )
            fh.write(json.dumps({"id": f"a{i:04d}", "title": f"{t} report {i}", "text": text}) + "\n")
    return path


def _snapshot(es: Elasticsearch, alias: str) -> tuple[dict[str, str], dict[str, str]]:
    """(article id → content hash, chunk id → content) of an index, for equality checks."""
    es.indices.refresh(index=f"{alias},{articles_alias(alias)}")
    arts = es.search(index=articles_alias(alias), size=10_000, source_includes=["content_hash"])
    chunks = es.search(index=alias, size=10_000, source_includes=["content"])
    return (
        {h["_id"]: h["_source"]["content_hash"] for h in arts["hits"]["hits"]},
        {h["_id"]: h["_source"]["content"] for h in chunks["hits"]["hits"]},
    )


def _stop_when_writing_started(es: Elasticsearch, alias: str, node, down_s: float | None) -> threading.Thread:
    def run() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if es.options(request_timeout=2).count(index=alias)["count"] > 0:
                    break
            except Exception:
                pass
            time.sleep(0.05)
        node.kill()  # a crash, not a clean shutdown
        if down_s is not None:
            time.sleep(down_s)
            node.start(timeout_s=240)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


@pytest.fixture()
def clean_reference(app_env, tmp_path, es_client):
    corpus = _corpus(tmp_path / "corpus.jsonl")
    ref_alias = f"ref-{uuid.uuid4().hex[:8]}"
    ingest_flow(paths=[str(corpus)], embed=False, batch_size=20, index=ref_alias)
    yield corpus, _snapshot(es_client, ref_alias)
    es_client.indices.delete(index=f"{ref_alias}*", ignore_unavailable=True, allow_no_indices=True)


def test_elasticsearch_crash_mid_run_is_survived_by_retries(
    app_env, clean_reference, es_node, es_client, monkeypatch
):
    if es_node is None:
        pytest.skip("NEWSDESK_ES_URL points at a server this test must not stop")
    corpus, reference = clean_reference
    monkeypatch.setenv("NEWSDESK_INDEX_RETRIES", "20")
    monkeypatch.setenv("NEWSDESK_INDEX_RETRY_DELAYS", "3")
    alias = app_env["NEWSDESK_INDEX"]
    stopper = _stop_when_writing_started(es_client, alias, es_node, down_s=3)
    report = ingest_flow(paths=[str(corpus)], embed=False, batch_size=20)
    stopper.join(timeout=300)
    # A batch whose write landed just before the crash is found committed on retry ("unchanged").
    assert report["new"] + report["unchanged"] == 240 and report["quarantined"] == 0
    assert _snapshot(es_client, alias) == reference


def test_run_that_fails_while_elasticsearch_is_down_is_finished_by_a_rerun(
    app_env, clean_reference, es_node, es_client, monkeypatch
):
    if es_node is None:
        pytest.skip("NEWSDESK_ES_URL points at a server this test must not stop")
    corpus, reference = clean_reference
    monkeypatch.setenv("NEWSDESK_INDEX_RETRIES", "0")
    alias = app_env["NEWSDESK_INDEX"]
    stopper = _stop_when_writing_started(es_client, alias, es_node, down_s=None)
    with pytest.raises(Exception):  # noqa: B017 - the flow fails; which error depends on where it was
        ingest_flow(paths=[str(corpus)], embed=False, batch_size=20)
    stopper.join(timeout=60)
    es_node.start(timeout_s=240)
    rerun = ingest_flow(paths=[str(corpus)], embed=False, batch_size=20)
    assert rerun["new"] + rerun["unchanged"] + rerun["updated"] == 240
    assert rerun["unchanged"] > 0, "what the first run committed is not redone"
    assert _snapshot(es_client, alias) == reference
    third = ingest_flow(paths=[str(corpus)], embed=False, batch_size=20)
    assert (third["unchanged"], third["chunks_written"]) == (240, 0)


def test_schedule_is_created_on_the_prefect_server_and_runs_once(app_env, es_client, tmp_path):
    from flows.deployments import ScheduleSettings, create_deployment, list_deployments, run_now

    name = f"test-{uuid.uuid4().hex[:6]}"
    settings = ScheduleSettings(name=name, cron="*/15 * * * *", sources=[str(SEEDS)], embed=False)
    create_deployment(settings)
    mine = [d for d in list_deployments() if d["name"] == name]
    assert mine and mine[0]["schedules"][0]["cron"] == "*/15 * * * *"
    assert mine[0]["parameters"]["paths"] == [str(SEEDS)]

    # The worker process: `newsdesk schedule serve`, as docker-compose runs it.
    env = {**os.environ, **app_env}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flows.cli",
            "schedule",
            "serve",
            str(SEEDS),
            "--cron",
            "*/15 * * * *",
            "--name",
            name,
            "--no-embed",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(3)
        result = run_now(name, timeout_s=240)
        assert result["state"] == "COMPLETED", result
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
    es_client.indices.refresh(index=articles_alias(app_env["NEWSDESK_INDEX"]))
    assert count(es_client, articles_alias(app_env["NEWSDESK_INDEX"])) == 1
