"""The settings an API is built with are the ones its ingestion runs use (issue 17).

``create_app(SearchSettings(es_url=X))`` used to ingest into whatever ``NEWSDESK_ES_URL`` said: the
flow rebuilt its settings from the environment. Here the environment points at a closed port and
the app at the real test cluster; the job must land in the cluster, and the run's parameters must
carry no secret.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest
from elasticsearch import Elasticsearch

from search.settings import SearchSettings, get_settings
from tests.live_server import live_api

pytestmark = pytest.mark.elasticsearch
KEY = "run-settings-key"


def test_run_overrides_hold_what_differs_from_the_environment_and_never_a_secret(monkeypatch):
    monkeypatch.setenv("NEWSDESK_ES_URL", "http://127.0.0.1:9")
    given = SearchSettings(es_url="http://es.example:9200", es_password="hunter2", api_key="k", index="x")
    overrides = given.run_overrides()
    assert overrides == {"es_url": "http://es.example:9200", "index": "x"}
    assert SearchSettings().run_overrides() == {}


def test_an_ingest_posted_to_an_app_built_with_settings_writes_where_those_settings_point(
    monkeypatch, es_url: str, es_client: Elasticsearch, prefect_api: str, tmp_path: Path
):
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "harbour.txt").write_text(
        "Harbour reopens\n\nThe harbour reopened on Monday after a month of repairs to the old pier, "
        "the port authority said, and the first ferries ran on time.\n"
    )
    monkeypatch.setenv("NEWSDESK_ES_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(tmp_path / "env-data"))
    get_settings.cache_clear()
    index = f"runset-{uuid.uuid4().hex[:10]}"
    settings = SearchSettings(
        es_url=es_url,
        index=index,
        api_key=KEY,
        ingest_roots=[drop],
        data_dir=tmp_path / "app-data",
        warm_up=False,
    )
    with live_api(settings) as base:
        job = httpx.post(
            f"{base}/ingest",
            json={"paths": [str(drop)], "embed": False},
            headers={"X-API-Key": KEY},
            timeout=30,
        )
        assert job.status_code == 202, job.text
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            state = httpx.get(
                f"{base}/ingest/{job.json()['job_id']}", headers={"X-API-Key": KEY}, timeout=30
            ).json()
            if state["state"] in ("completed", "failed", "cancelled"):
                break
            time.sleep(0.3)
    assert state["state"] == "completed", state
    assert state["report"]["new"] == 1 and state["report"]["index"] == index
    es_client.indices.refresh(index=f"{index}*")
    assert es_client.count(index=f"{index}-articles")["count"] == 1
    # The run's state lives under the app's data dir, not the environment's.
    assert (tmp_path / "app-data").exists() and not (tmp_path / "env-data").exists()
