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

from flows.settings import Settings
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


def test_one_settings_object_puts_each_override_in_every_section_that_has_it(monkeypatch, tmp_path):
    monkeypatch.setenv("NEWSDESK_INDEX_RETRIES", "7")
    settings = Settings.load(
        {"data_dir": str(tmp_path), "es_url": "http://es.example:9200", "max_document_bytes": 4096}
    )
    assert settings.search.data_dir == settings.ingest.data_dir == tmp_path
    assert (settings.search.es_url, settings.ingest.max_document_bytes) == ("http://es.example:9200", 4096)
    assert settings.flow.index_retries == 7  # the environment, where nothing overrides it
    assert settings.run_overrides() == {
        "es_url": "http://es.example:9200",
        "data_dir": str(tmp_path),
        "max_document_bytes": 4096,
    }
    with pytest.raises(ValueError, match="unknown settings: es_ulr"):
        Settings.load({"es_ulr": "http://typo:9200"})


def test_around_a_search_section_carries_its_data_dir_into_the_ingest_section(tmp_path):
    settings = Settings.around(SearchSettings(data_dir=tmp_path, index="wire"))
    assert (settings.search.index, settings.ingest.data_dir) == ("wire", tmp_path)


def test_a_flow_run_uses_the_ingest_and_fetch_sections_it_is_given_not_the_environment(
    app_env, tmp_path: Path, es_client: Elasticsearch
):
    from flows.ingestion import ingest_flow

    big = tmp_path / "long.txt"
    big.write_text("Long story\n\n" + "The council met again on Tuesday to talk about the budget. " * 40)
    url = "http://127.0.0.1:9/story.html"  # a private address: fetched only if the run allows it
    env_run = ingest_flow(paths=[str(big), url], embed=False)
    assert (env_run["new"], env_run["quarantined"]) == (1, 1)
    assert "not a public address" in env_run["quarantine"][0]["reason"]

    index = f"{app_env['NEWSDESK_INDEX']}-given"
    given = ingest_flow(
        paths=[str(big), url],
        embed=False,
        index=index,
        settings={"max_document_bytes": 1024, "allow_private_urls": True, "fetch_timeout_s": 2},
    )
    reasons = sorted(q["reason"] for q in given["quarantine"])
    assert given["new"] == 0 and len(reasons) == 2
    assert "over the limit of 1,024" in reasons[0], reasons  # the run's size limit, not 20 MB
    assert reasons[1].startswith("fetch failed: ConnectError"), reasons  # tried: private URLs allowed


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
