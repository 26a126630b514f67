"""A three-node Elasticsearch cluster on 127.0.0.1 with one replica: lose a node, lose nothing.

Three ``LocalElasticsearch`` processes form one cluster (seed hosts + initial master nodes). The
indices have 3 primary shards and 1 replica, and newsdesk talks to all three nodes through a
comma-separated ``NEWSDESK_ES_URL``. One node is stopped in the middle of an ingestion run, and
another while queries are being served: searches keep answering, the run completes, and the index
equals a clean run's. Slow (three JVMs start): marked ``slow``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from elasticsearch import Elasticsearch

from flows.ingestion import ingest_flow
from flows.local_stack.elasticsearch import LocalElasticsearch, ensure_distribution
from flows.ports import free_port
from search.settings import SearchSettings, get_settings
from search.store import articles_alias, make_client
from tests.live_server import live_api
from tests.test_flow_resilience import _corpus, _snapshot

pytestmark = pytest.mark.slow
HEAP = os.environ.get("NEWSDESK_TEST_CLUSTER_HEAP", "320m")


@pytest.fixture(scope="module")
def cluster():
    if os.environ.get("NEWSDESK_ES_URL"):
        pytest.skip("NEWSDESK_ES_URL is set: the cluster test starts its own nodes")
    base = SearchSettings()
    home = ensure_distribution(base.es_version, base.cache_dir)
    root = Path(tempfile.mkdtemp(prefix="newsdesk-cluster-"))
    transport = [free_port() for _ in range(3)]
    names = [f"node-{i}" for i in range(3)]
    nodes = [
        LocalElasticsearch(
            home=home,
            instance_dir=root / names[i],
            port=free_port(),
            transport_port=transport[i],
            heap=HEAP,
            cluster_name=f"newsdesk-cluster-{uuid.uuid4().hex[:6]}",
            node_name=names[i],
            service_user=base.es_user,
            seed_hosts=[f"127.0.0.1:{p}" for p in transport],
            initial_master_nodes=names,
        )
        for i in range(3)
    ]
    # Same cluster name for all three.
    for n in nodes[1:]:
        n.cluster_name = nodes[0].cluster_name
    try:
        starters = [threading.Thread(target=n.start, kwargs={"timeout_s": 300}) for n in nodes]
        for t in starters:
            t.start()
        for t in starters:
            t.join(timeout=320)
        _wait_nodes(nodes[0].url, 3)
        yield nodes
    finally:
        for n in nodes:
            n.stop()
        shutil.rmtree(root, ignore_errors=True)


def _wait_nodes(url: str, n: int, status: str = "yellow", timeout_s: float = 180) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            r = httpx.get(
                f"{url}/_cluster/health",
                params={"wait_for_nodes": str(n), "wait_for_status": status, "timeout": "5s"},
                timeout=10,
            )
            if r.status_code == 200 and not r.json().get("timed_out"):
                return r.json()
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise AssertionError(f"cluster at {url} not {status} with {n} nodes in {timeout_s}s")


def _hosts(nodes: list[LocalElasticsearch]) -> str:
    return ",".join(n.url for n in nodes)


def test_three_node_cluster_loses_a_node_during_ingestion_and_another_during_queries(
    cluster, tmp_path, monkeypatch, prefect_api
):
    nodes = cluster
    hosts = _hosts(nodes)
    corpus = _corpus(tmp_path / "corpus.jsonl", n=240)
    env = {
        "NEWSDESK_ES_URL": hosts,
        "NEWSDESK_DATA_DIR": str(tmp_path / "data"),
        "PREFECT_API_URL": prefect_api,
        "NEWSDESK_INDEX_RETRIES": "10",
        "NEWSDESK_INDEX_RETRY_DELAYS": "3",
        "HF_HUB_OFFLINE": "1",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    settings = SearchSettings(index=f"c-{uuid.uuid4().hex[:8]}")
    client = make_client(settings)
    from search.embedding import model_dims
    from search.store import ensure_indices

    # Reference: a clean run into its own index on the healthy cluster.
    ref = f"ref-{uuid.uuid4().hex[:8]}"
    for alias in (settings.index, ref):
        ensure_indices(client, alias, embedding_dims=model_dims(settings), shards=3, replicas=1)
    ingest_flow(paths=[str(corpus)], embed=False, batch_size=20, index=ref)
    reference = _snapshot(client, ref)
    _wait_nodes(nodes[0].url, 3, status="green")

    # 1. Stop node-2 (not the one the test's own checks use) once writing has started.
    probe = Elasticsearch(nodes[0].url, request_timeout=10)

    def stop_when_writing() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if probe.count(index=settings.index)["count"] > 0:
                    break
            except Exception:
                pass
            time.sleep(0.05)
        nodes[2].stop()

    stopper = threading.Thread(target=stop_when_writing, daemon=True)
    stopper.start()
    report = ingest_flow(paths=[str(corpus)], embed=False, batch_size=20, index=settings.index)
    stopper.join(timeout=180)
    assert nodes[2].pid() is None, "node-2 was stopped during the run"
    assert (report["new"], report["quarantined"]) == (240, 0)
    assert _snapshot(client, settings.index) == reference, "nothing lost or duplicated with a node down"

    # 2. Bring node-2 back, let replicas recover, then stop node-1 while queries run.
    nodes[2].start(timeout_s=300)
    _wait_nodes(nodes[0].url, 3, status="green")
    api_settings = SearchSettings(index=settings.index, warm_up=False, es_timeout_s=10)
    answered: list[int] = []
    failures: list[str] = []
    with live_api(api_settings) as base:
        stop_at = time.monotonic() + 25
        killer = threading.Timer(5, nodes[1].kill)
        killer.start()
        while time.monotonic() < stop_at:
            try:
                r = httpx.get(
                    f"{base}/search", params={"q": "harbour committee", "mode": "keyword"}, timeout=30
                )
                if r.status_code == 200 and r.json()["hits"]:
                    answered.append(1)
                else:
                    failures.append(f"{r.status_code} {r.text[:200]}")
            except httpx.HTTPError as exc:
                failures.append(repr(exc))
            time.sleep(0.05)
        killer.join()
    assert nodes[1].pid() is None
    assert len(answered) > 50 and not failures, failures[:5]
    survivors = Elasticsearch([nodes[0].url, nodes[2].url], request_timeout=30)
    assert _snapshot(survivors, settings.index) == reference, "every document still there with a node gone"
    for alias in (settings.index, ref):
        survivors.indices.delete(index=f"{alias}*,{articles_alias(alias)}*", ignore_unavailable=True)
