"""The CLI's search and ask as a thin client of a running API, and what each path imports (issue 16).

Everything is real: the seed article is ingested by the real flow (real Elasticsearch, real
Prefect, real embeddings), the API is ``newsdesk serve`` in its own process on a free port, and
each CLI call is a fresh ``python`` process whose loaded modules are written out at exit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from flows.ports import free_port
from tests.cli_probe import run_cli as _cli
from tests.conftest import REPO, SEEDS

pytestmark = pytest.mark.elasticsearch


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory, es_url: str, prefect_api: str) -> Iterator[dict[str, str]]:
    """The seed article ingested, embedded, by the real flow; yields the environment to reach it."""
    import uuid

    data = tmp_path_factory.mktemp("data")
    env = {
        "NEWSDESK_ES_URL": es_url,
        "NEWSDESK_INDEX": f"t-{uuid.uuid4().hex[:12]}",
        "NEWSDESK_DATA_DIR": str(data),
        "PREFECT_API_URL": prefect_api,
        "HF_HUB_OFFLINE": "1",
        "NEWSDESK_API_URL": "",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "ingest", str(SEEDS), "--json"],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout)["new"] == 1
    yield env
    from elasticsearch import Elasticsearch

    with Elasticsearch(es_url) as client:
        client.indices.delete(
            index=f"{env['NEWSDESK_INDEX']}*", ignore_unavailable=True, allow_no_indices=True
        )


@pytest.fixture(scope="module")
def api(seed_index: dict[str, str], tmp_path_factory) -> Iterator[str]:
    """``newsdesk serve`` in its own process on a free port, serving the seed index."""
    port = free_port()
    log = tmp_path_factory.mktemp("api") / "api.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "serve", "--port", str(port)],
            cwd=REPO,
            env={**os.environ, **seed_index},
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text()[-2000:]
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the API did not come up"
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_in_process_keyword_search_never_imports_torch(seed_index, tmp_path):
    proc, modules = _cli(["search", "Qaim", "--mode", "keyword", "--json"], seed_index, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["hits"][0]["title"].startswith("Iraq forces")
    assert modules["haystack"], "the in-process path did run here"
    assert not modules["torch._C"] and not modules["sentence_transformers"], modules


def test_in_process_hybrid_search_does_load_torch(seed_index, tmp_path):
    """The other side of the keyword test: the check can see torch when it is there."""
    proc, modules = _cli(["search", "Qaim", "--mode", "hybrid", "--json"], seed_index, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert modules["torch._C"]


@pytest.mark.parametrize("mode", ["keyword", "hybrid", "semantic"])
def test_search_through_the_api_prints_the_same_json_as_in_process(api, seed_index, tmp_path, mode):
    args = ["search", "Qaim border town retaken", "--mode", mode, "--json"]
    local, _ = _cli(args, seed_index, tmp_path)
    remote, modules = _cli(args, {**seed_index, "NEWSDESK_API_URL": api}, tmp_path)
    assert local.returncode == 0 and remote.returncode == 0, (local.stderr, remote.stderr)
    assert json.loads(remote.stdout) == json.loads(local.stdout)
    assert json.loads(remote.stdout)["hits"], "a search that finds nothing would prove little"
    assert remote.stderr == ""  # nothing said: it went to the API
    assert not any(modules.values()), modules  # no torch, Haystack, ES client or Prefect here


def test_an_empty_api_url_turns_the_client_off_and_says_nothing(api, seed_index, tmp_path):
    """``NEWSDESK_API_URL=""``: in-process on purpose, so no "ran in this process" note either."""
    proc, modules = _cli(["search", "Qaim", "--mode", "keyword", "--json"], seed_index, tmp_path)
    assert seed_index["NEWSDESK_API_URL"] == ""
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["hits"]
    assert modules["haystack"] and modules["elasticsearch"], "it searched here, not through the API"
    assert proc.stderr == ""


def test_ask_through_the_api_prints_the_same_json_as_in_process(api, seed_index, tmp_path):
    args = ["ask", "who holds Qaim?", "--json"]
    local, _ = _cli(args, seed_index, tmp_path)
    remote, modules = _cli(args, {**seed_index, "NEWSDESK_API_URL": api}, tmp_path)
    assert local.returncode == 0 and remote.returncode == 0, (local.stderr, remote.stderr)
    answer = json.loads(remote.stdout)
    assert answer == json.loads(local.stdout)
    assert answer["answered"] and answer["answer"] == "Iraq"
    assert not any(modules.values()), modules


def test_ask_through_the_api_renders_the_answer_for_people(api, seed_index, tmp_path):
    proc, _ = _cli(["ask", "who holds Qaim?"], {**seed_index, "NEWSDESK_API_URL": api}, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Answer (as of 2017-11-05): Iraq" in proc.stdout
    assert "[1]" in proc.stdout and "chars" in proc.stdout


def test_a_bad_request_through_the_api_is_one_line_and_exit_2(api, seed_index, tmp_path):
    proc, _ = _cli(["search", " ", "--mode", "keyword"], {**seed_index, "NEWSDESK_API_URL": api}, tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("invalid request:") and len(proc.stderr.strip().splitlines()) == 1


def test_without_an_api_the_cli_says_so_once_on_stderr_and_json_stays_clean(seed_index, tmp_path):
    closed = f"http://127.0.0.1:{free_port()}"
    proc, _ = _cli(
        ["search", "Qaim", "--mode", "keyword", "--json"],
        {**seed_index, "NEWSDESK_API_URL": closed},
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    json.loads(proc.stdout)  # stdout is exactly the JSON object
    assert proc.stderr.count("Ran in this process") == 1
    assert closed in proc.stderr


def test_an_api_serving_another_index_is_not_used(api, seed_index, tmp_path):
    env = {**seed_index, "NEWSDESK_API_URL": api, "NEWSDESK_INDEX": "some-other-index"}
    proc, modules = _cli(["search", "Qaim", "--mode", "keyword"], env, tmp_path)
    assert proc.returncode == 1  # searched here, and this index does not exist
    assert "'some-other-index' does not exist" in proc.stderr
    assert modules["elasticsearch"]
