"""Shared fixtures: one real Elasticsearch per test session, a fresh index per test.

Set ``NEWSDESK_ES_URL`` to run the suite against a server you already have; otherwise the session
starts a throwaway node from the Maven build on a free port and deletes its data afterwards.
Nothing here mocks Elasticsearch.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from search.settings import SearchSettings

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEEDS = REPO / "seeds"
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def es_node():
    """The session's own Elasticsearch node, or None when ``NEWSDESK_ES_URL`` points elsewhere.

    Fault-injection tests stop and restart it; they skip when the server is not ours.
    """
    if os.environ.get("NEWSDESK_ES_URL"):
        yield None
        return
    from flows.local_stack.elasticsearch import LocalElasticsearch, ensure_distribution
    from flows.ports import free_port

    base = SearchSettings()
    home = ensure_distribution(base.es_version, base.cache_dir)
    instance = Path(tempfile.mkdtemp(prefix="newsdesk-test-es-"))
    node = LocalElasticsearch(
        home=home,
        instance_dir=instance,
        port=free_port(),
        transport_port=free_port(),
        heap=os.environ.get("NEWSDESK_TEST_ES_HEAP", "512m"),
        cluster_name="newsdesk-test",
        service_user=base.es_user,
    )
    node.start(timeout_s=240)
    try:
        yield node
    finally:
        node.stop()
        shutil.rmtree(instance, ignore_errors=True)


@pytest.fixture(scope="session")
def es_url(es_node) -> str:
    """URL of a real Elasticsearch: ``NEWSDESK_ES_URL`` if set, else the session's own node."""
    return os.environ["NEWSDESK_ES_URL"] if es_node is None else es_node.url


@pytest.fixture(scope="session")
def es_client(es_url: str) -> Iterator[Elasticsearch]:
    client = Elasticsearch(es_url, request_timeout=60)
    yield client
    client.close()


@pytest.fixture()
def index_name(es_client: Elasticsearch) -> Iterator[str]:
    """A fresh alias name for one test; its indices are deleted afterwards."""
    name = f"t-{uuid.uuid4().hex[:12]}"
    yield name
    es_client.indices.delete(index=f"{name}*", ignore_unavailable=True, allow_no_indices=True)


@pytest.fixture()
def settings(es_url: str, index_name: str, tmp_path: Path) -> SearchSettings:
    """Settings pointing at the session's Elasticsearch, this test's index and a private data dir."""
    return SearchSettings(es_url=es_url, index=index_name, data_dir=tmp_path / "data")


@pytest.fixture()
def seed_text() -> str:
    return (SEEDS / "iraq-isis-qaim-2017-11-05.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """A real, temporary Prefect API server (SQLite in a temp dir) for the session; yields its URL."""
    import prefect.settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield prefect.settings.PREFECT_API_URL.value()


@pytest.fixture()
def app_env(
    monkeypatch: pytest.MonkeyPatch, es_url: str, index_name: str, tmp_path: Path, prefect_api: str
) -> dict[str, str]:
    """Environment for code that reads settings itself (flows, CLI subprocesses)."""
    env = {
        "NEWSDESK_ES_URL": es_url,
        "NEWSDESK_INDEX": index_name,
        "NEWSDESK_DATA_DIR": str(tmp_path / "data"),
        "PREFECT_API_URL": prefect_api,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    from search.settings import get_settings

    get_settings.cache_clear()
    return env
