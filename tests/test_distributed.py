"""Ingestion on a real Dask cluster: a ``LocalCluster`` of two worker processes, through Prefect's
``DaskTaskRunner``, against the real Elasticsearch and Prefect server of the test session.

The corpus is small (a dozen short scraped articles from the committed fixtures, embedded on two
shared cores) but holds what makes the order of batches matter: an exact and a near copy of
articles in earlier batches, an id repeated with new text in a later batch, and a broken record.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from flows.dask_runner import local_cluster
from flows.ingestion import run_ingestion
from search.alerts import Alert, Alerts
from search.settings import SearchSettings
from search.store import articles_alias, make_client
from tests.conftest import FIXTURES

BATCH = 3
ARTICLES = 12
VOLATILE = {"run_id", "seconds", "index"}
# A saved search most of the corpus matches: its matches are made on the workers in the Dask run
ALERT = Alert(name="said", query="said")


def _watch(alias: str) -> None:
    settings = SearchSettings(index=alias)
    Alerts(make_client(settings), settings).add(Alert(ALERT.name, ALERT.query), allow_private_urls=False)


def _fixture_articles(n: int, max_chars: int = 900) -> list[dict[str, Any]]:
    """``n`` scraped articles from the hand-labelled fixtures, cut to about ``max_chars``."""
    out = []
    for path in sorted((FIXTURES / "cleaning_labels").glob("rt-*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        lines, size = [], 0
        for line in doc["lines"]:
            if line.get("label") != "keep":
                continue
            lines.append(line["text"])
            size += len(line["text"])
            if size >= max_chars:
                break
        if size < 300:
            continue
        out.append({"id": doc["id"], "url": doc["url"], "title": doc["title"], "text": "\n".join(lines)})
        if len(out) == n:
            break
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    arts = _fixture_articles(ARTICLES)
    assert len(arts) == ARTICLES
    exact = {**arts[0], "id": "copy-exact", "url": "https://example.org/exact-copy"}
    near = {
        **arts[1],
        "id": "copy-near",
        "url": "https://example.org/near-copy",
        "text": "LONDON (Wire) -- " + arts[1]["text"] + "\nCopyright 2023 Wire. All rights reserved.",
    }
    later = "\nThe council will vote on the new budget again on Friday, officials said."
    repeated = {**arts[2], "text": arts[2]["text"] + later}
    lines = [json.dumps(a) for a in arts[:6]]
    lines += [json.dumps(exact), "{broken json", json.dumps(repeated)]
    lines += [json.dumps(a) for a in arts[6:]] + [json.dumps(near)]
    path = tmp_path_factory.mktemp("distributed") / "corpus.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes, one thread each, each given half the cores for torch."""
    with local_cluster(2) as local:
        yield local


@pytest.fixture()
def reference(app_env: dict[str, str], corpus: Path) -> dict[str, Any]:
    """The run in one process (threads), into this test's index: report and index snapshot."""
    _watch(app_env["NEWSDESK_INDEX"])
    report = run_ingestion([str(corpus)], batch_size=BATCH)
    return {"report": report, "alias": app_env["NEWSDESK_INDEX"]}


def _snapshot(es: Elasticsearch, alias: str) -> dict[str, dict[str, Any]]:
    es.indices.refresh(index=f"{alias},{articles_alias(alias)}")

    def every(index: str, fields: list[str]) -> dict[str, dict[str, Any]]:
        hits = es.search(index=index, query={"match_all": {}}, size=10_000, source_includes=fields)
        return {h["_id"]: h["_source"] for h in hits["hits"]["hits"]}

    chunks = every(alias, ["doc_id", "content", "content_hash", "embedding", "chunk_index"])
    articles = every(
        articles_alias(alias),
        ["content_hash", "canonical_doc_id", "chunk_count", "also_published_by", "pipeline_version"],
    )
    for art in articles.values():
        art["also_published_by"] = sorted(c["doc_id"] for c in art.get("also_published_by") or [])
    return {"chunks": chunks, "articles": articles}


def _assert_same_index(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert got["articles"] == want["articles"]
    assert set(got["chunks"]) == set(want["chunks"])
    for cid, chunk in want["chunks"].items():
        other = got["chunks"][cid]
        assert {k: v for k, v in other.items() if k != "embedding"} == {
            k: v for k, v in chunk.items() if k != "embedding"
        }
        assert len(other["embedding"]) == len(chunk["embedding"])
        assert max(abs(a - b) for a, b in zip(other["embedding"], chunk["embedding"], strict=True)) <= 1e-6


def _what_this_process_keeps() -> dict[str, int]:
    """Run on each worker: models loaded, writers built, batches written through them."""
    import sys

    embedding = sys.modules.get("search.embedding")
    writer = sys.modules.get("search.index_writer")
    info = writer._writer_for.cache_info() if writer else None
    return {
        "models": len(getattr(embedding, "_EMBEDDERS", {})),
        "writers_built": info.misses if info else 0,
        "batches": (info.hits + info.misses) if info else 0,
    }


def _stable(report: dict[str, Any]) -> dict[str, Any]:
    """The report without what differs between any two runs (ids, times, the index name)."""
    out = {k: v for k, v in report.items() if k not in VOLATILE}
    out["quarantine"] = [{k: v for k, v in q.items() if k not in ("run_id", "at")} for q in out["quarantine"]]
    return out


def test_dask_run_writes_the_same_index_and_report_as_one_process(
    reference: dict[str, Any], corpus: Path, cluster, es_client: Elasticsearch
) -> None:
    from distributed import Client

    want = reference["report"]
    # What the corpus is built to exercise: two copies of earlier batches folded, the repeated id
    # updated in place, the broken line quarantined.
    assert (want["new"], want["duplicates"], want["updated"], want["quarantined"]) == (ARTICLES, 2, 1, 1)

    assert want["alert_matches"].get(ALERT.name, 0) >= 3, want["alert_matches"]

    alias = f"t-dask-{uuid.uuid4().hex[:8]}"
    try:
        _watch(alias)
        got = run_ingestion(
            [str(corpus)], batch_size=BATCH, index=alias, settings={"dask_address": cluster.scheduler_address}
        )
        assert _stable(got) == _stable(want)
        _assert_same_index(_snapshot(es_client, alias), _snapshot(es_client, reference["alias"]))
        # The workers recorded the alert's matches under the driver's run id, visible once it ends.
        settings = SearchSettings(index=alias)
        matched = Alerts(es_client, settings).matches(ALERT.name, run_id=got["run_id"])
        assert len(matched) == got["alert_matches"][ALERT.name]
        # Each worker built one writer (one client, one model) and reused it for every batch.
        with Client(cluster) as client:
            kept = list(client.run(_what_this_process_keeps).values())
        assert all(k["models"] == 1 and k["writers_built"] == 1 for k in kept if k["batches"]), kept
        assert sum(k["batches"] for k in kept) >= 4, kept
    finally:
        es_client.indices.delete(index=f"{alias}*", ignore_unavailable=True, allow_no_indices=True)


def test_worker_killed_mid_batch_costs_a_retry_never_a_lost_or_duplicated_article(
    reference: dict[str, Any], corpus: Path, cluster, es_client: Elasticsearch
) -> None:
    from distributed import Client

    alias = f"t-dask-kill-{uuid.uuid4().hex[:8]}"
    killed: list[str] = []
    with Client(cluster) as client:
        pids = client.run(os.getpid)

        def kill_a_worker_mid_batch() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not killed:
                for worker, keys in client.processing().items():
                    if any(str(k).startswith("index_batch") for k in keys) and _chunks(es_client, alias):
                        os.kill(pids[worker], signal.SIGKILL)
                        killed.append(worker)
                        return
                time.sleep(0.02)

        killer = threading.Thread(target=kill_a_worker_mid_batch, daemon=True)
        killer.start()
        try:
            try:
                report = run_ingestion(
                    [str(corpus)],
                    batch_size=BATCH,
                    index=alias,
                    settings={"dask_address": cluster.scheduler_address},
                )
            except Exception:  # the run may fail with its worker; a re-run must then finish it
                report = None
            killer.join(timeout=5)
            assert killed, "no worker was killed while it wrote a batch"
            if report is None or report["new"] + report["unchanged"] < ARTICLES:
                report = run_ingestion(
                    [str(corpus)],
                    batch_size=BATCH,
                    index=alias,
                    settings={"dask_address": cluster.scheduler_address},
                )
            _assert_same_index(_snapshot(es_client, alias), _snapshot(es_client, reference["alias"]))
        finally:
            es_client.indices.delete(index=f"{alias}*", ignore_unavailable=True, allow_no_indices=True)
        client.wait_for_workers(2, timeout=120)  # the nanny restarts the killed worker


def _chunks(es: Elasticsearch, alias: str) -> bool:
    try:
        return es.options(request_timeout=2).count(index=alias)["count"] > 0
    except Exception:
        return False


def test_vectors_compare_within_tolerance_helper_is_strict() -> None:
    # The comparison above must fail on a real difference, not pass vacuously.
    a = {"chunks": {"x#0000": {"embedding": [0.1, 0.2]}}, "articles": {}}
    b = {"chunks": {"x#0000": {"embedding": [0.1, 0.2 + 1e-5]}}, "articles": {}}
    with pytest.raises(AssertionError):
        _assert_same_index(a, b)
