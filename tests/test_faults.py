"""Fault injection during ingestion, against the real Elasticsearch and Prefect.

Each test injects a fault in the middle of a run, lets the run end the way it ends (completed with
the affected documents quarantined, or killed), then re-runs and compares the index with the one a
clean run produces: the same articles with the same content hashes and the same chunks (0 lost,
0 duplicated). Elasticsearch crashes mid-bulk are in ``test_flow_resilience``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from elasticsearch import Elasticsearch

from flows.ingestion import ingest_flow
from flows.quarantine import Quarantine
from search.store import articles_alias, count
from tests.conftest import REPO
from tests.test_flow_resilience import _snapshot, clean_reference  # noqa: F401 - fixture

BATCH = 20


def _when(
    condition: Callable[[], bool], action: Callable[[], None], timeout_s: float = 120
) -> threading.Thread:
    """Run ``action`` once ``condition`` holds (polled; bounded in time), in a background thread."""

    def run() -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if condition():
                    break
            except Exception:
                pass
            time.sleep(0.05)
        action()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _chunks_started(es: Elasticsearch, alias: str) -> Callable[[], bool]:
    return lambda: es.options(request_timeout=2).count(index=alias)["count"] > 0


def _set_block(es: Elasticsearch, alias: str, block: str, value: bool | None) -> None:
    es.indices.put_settings(
        index=f"{alias},{articles_alias(alias)}", settings={f"index.blocks.{block}": value}
    )


def test_write_block_mid_run_quarantines_the_refused_articles_and_a_rerun_completes_the_index(
    app_env,
    clean_reference,  # noqa: F811 - the fixture imported above
    es_client,
):
    """`index.blocks.write` (an operator freezing the index) is refused at once (403): the documents
    of the refused batches are quarantined with Elasticsearch's reason, the run still ends."""
    corpus, reference = clean_reference
    alias = app_env["NEWSDESK_INDEX"]
    blocker = _when(_chunks_started(es_client, alias), lambda: _set_block(es_client, alias, "write", True))
    try:
        first = ingest_flow(paths=[str(corpus)], embed=False, batch_size=BATCH)
    finally:
        blocker.join(timeout=130)
        _set_block(es_client, alias, "write", None)
    assert first["quarantined"] > 0, "the block was set while the run was still writing"
    assert first["new"] + first["quarantined"] == 240
    index_failures = [q for q in first["quarantine"] if q["stage"] == "index"]
    assert index_failures and all("cluster_block_exception" in q["reason"] for q in index_failures)
    qdir = Path(app_env["NEWSDESK_DATA_DIR"]) / "quarantine"
    assert len(Quarantine(qdir).entries()) == first["quarantined"]

    rerun = ingest_flow(paths=[str(corpus)], embed=False, batch_size=BATCH)
    assert rerun["quarantined"] == 0
    assert rerun["unchanged"] == first["new"] and rerun["new"] == first["quarantined"]
    assert _snapshot(es_client, alias) == reference
    assert Quarantine(qdir).entries() == [], "a successful re-run clears the quarantine"


def test_flood_stage_block_lifted_mid_run_is_waited_out_without_losing_anything(
    app_env,
    clean_reference,  # noqa: F811 - the fixture imported above
    es_client,
):
    """`index.blocks.read_only_allow_delete` is what a full disk sets (flood-stage watermark); ES
    answers 429, the bulk writer retries, and once space is freed (the block lifted, as
    Elasticsearch does itself when disk usage drops) the run completes with nothing quarantined."""
    corpus, reference = clean_reference
    alias = app_env["NEWSDESK_INDEX"]

    def block_then_lift() -> None:
        _set_block(es_client, alias, "read_only_allow_delete", True)
        time.sleep(2.5)
        _set_block(es_client, alias, "read_only_allow_delete", None)

    blocker = _when(_chunks_started(es_client, alias), block_then_lift)
    try:
        report = ingest_flow(paths=[str(corpus)], embed=False, batch_size=BATCH)
    finally:
        blocker.join(timeout=130)
        _set_block(es_client, alias, "read_only_allow_delete", None)
    assert (report["new"], report["quarantined"]) == (240, 0)
    assert _snapshot(es_client, alias) == reference


def _start_cli_ingest(corpus: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "ingest", str(corpus), "--no-embed", "--batch-size", str(BATCH)],
        cwd=REPO,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _sigkill_when(proc: subprocess.Popen, condition: Callable[[], bool], timeout_s: float = 180) -> bool:
    """SIGKILL ``proc`` once ``condition`` holds; False if the process ended first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if condition():
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
                return True
        except Exception:
            pass
        time.sleep(0.05)
    proc.kill()
    proc.wait(timeout=30)
    return False


def test_flow_process_killed_mid_run_is_completed_by_a_rerun(
    app_env,
    clean_reference,  # noqa: F811 - the fixture imported above
    es_client,
):
    """`newsdesk ingest` SIGKILLed half way through (chunks of the current batch written, its article
    records not yet): the re-run finishes, and the index equals a clean run's."""
    corpus, reference = clean_reference
    alias = app_env["NEWSDESK_INDEX"]
    arts = articles_alias(alias)
    es = es_client.options(request_timeout=2)

    def past_half() -> bool:
        es.indices.refresh(index=arts)
        return es.count(index=arts)["count"] >= 100

    proc = _start_cli_ingest(corpus, app_env)
    assert _sigkill_when(proc, past_half), "the run ended before it could be killed"
    es_client.indices.refresh(index=f"{alias},{arts}")
    committed = count(es_client, arts)
    assert 0 < committed < 240, "killed mid-run: some articles committed, not all"
    assert count(es_client, alias) > 0

    final = ingest_flow(paths=[str(corpus)], embed=False, batch_size=BATCH)
    assert final["quarantined"] == 0
    assert final["unchanged"] >= committed and final["unchanged"] + final["new"] + final["updated"] == 240
    assert _snapshot(es_client, alias) == reference
