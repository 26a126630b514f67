"""Choosing where an ingestion run's batches go, and what travels to a Dask worker (no cluster needed)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import pytest
from pydantic import SecretStr

from flows.dask_runner import DaskUnavailable, require_dask, worker_environment
from flows.ingestion import flow_for, ingest_flow
from flows.ports import free_port
from flows.settings import Settings
from flows.worker import IngestWorker
from search.index_writer import IndexWriter
from search.settings import SearchSettings
from tests.conftest import REPO


def _runner(flow) -> str:
    return type(flow.task_runner).__name__


def test_without_a_dask_address_nothing_changes(monkeypatch):
    monkeypatch.delenv("NEWSDESK_DASK_ADDRESS", raising=False)
    assert flow_for(Settings.load()) is ingest_flow
    assert _runner(ingest_flow) == "ThreadPoolTaskRunner"


def test_newsdesk_dask_address_sends_the_batches_to_that_scheduler(monkeypatch):
    monkeypatch.setenv("NEWSDESK_DASK_ADDRESS", "tcp://scheduler.example:8786")
    flow = flow_for(Settings.load())
    assert _runner(flow) == "DaskTaskRunner"
    assert flow.task_runner.address == "tcp://scheduler.example:8786"
    assert flow.name == ingest_flow.name  # the same flow: deployments and the UI see one flow
    monkeypatch.setenv("NEWSDESK_DASK_ADDRESS", "  ")
    assert flow_for(Settings.load()) is ingest_flow  # blank means unset


def test_a_runs_own_dask_address_wins_over_the_workers(monkeypatch):
    monkeypatch.delenv("NEWSDESK_DASK_ADDRESS", raising=False)
    worker = IngestWorker(dask_address="tcp://stack:8786", warm_up=True)
    assert worker.warm_up is False  # its Dask workers embed; this process only drives the run
    assert worker.flow_for({}).task_runner.address == "tcp://stack:8786"
    own = worker.flow_for({"settings": {"dask_address": "tcp://big-cluster:8786"}})
    assert own.task_runner.address == "tcp://big-cluster:8786"
    assert IngestWorker().flow_for({"settings": {}}) is ingest_flow


def test_each_local_worker_gets_an_equal_share_of_the_cores_unless_told():
    cores = len(os.sched_getaffinity(0))
    assert worker_environment(2, {})["NEWSDESK_EMBEDDING_THREADS"] == str(max(1, cores // 2))
    assert worker_environment(64, {})["NEWSDESK_EMBEDDING_THREADS"] == "1"
    assert worker_environment(2, {"NEWSDESK_EMBEDDING_THREADS": "3"})["NEWSDESK_EMBEDDING_THREADS"] == "3"


def test_a_dead_scheduler_address_fails_at_once_naming_it_and_the_fix():
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(DaskUnavailable, match="no Dask scheduler answers at") as err:
        require_dask(address)
    assert address in str(err.value) and "newsdesk up --dask-workers" in str(err.value)


def test_a_writer_travels_without_secrets_and_takes_machine_settings_from_where_it_lands():
    settings = SearchSettings(
        es_url="http://es.example:9200",
        index="archive",
        es_password=SecretStr("hunter2-secret"),
        es_api_key=SecretStr("api-key-secret"),
        embedding_device="cpu",
        embedding_backend="onnx-int8",
    )
    blob = pickle.dumps(IndexWriter.from_settings(settings))
    assert b"hunter2-secret" not in blob and b"api-key-secret" not in blob
    # Unpickled in another process with its own environment, as a GPU Dask worker would: the run's
    # index, cluster and backend come from the driver; the device and the password from the worker.
    code = (
        "import pickle, sys; w = pickle.loads(sys.stdin.buffer.read()); e = w.embedding; "
        "print(w.index, e.es_url, e.embedding_backend, e.embedding_device, e.es_password.get_secret_value(), "
        "w is pickle.loads(pickle.dumps(w)))"
    )
    env = {**os.environ, "NEWSDESK_EMBEDDING_DEVICE": "cuda", "NEWSDESK_ES_PASSWORD": "workers-own"}
    out = subprocess.run(
        [sys.executable, "-c", code], input=blob, capture_output=True, cwd=REPO, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr.decode()[-2000:]
    fields = out.stdout.decode().split()
    assert fields == ["archive", "http://es.example:9200", "onnx-int8", "cuda", "workers-own", "True"]


def test_a_writer_around_a_bare_client_refuses_to_travel():
    from elasticsearch import Elasticsearch

    writer = IndexWriter(Elasticsearch("http://127.0.0.1:9"), "news")
    with pytest.raises(TypeError, match="from_settings"):
        pickle.dumps(writer)
