"""Integration: the HTTP API over real HTTP, against the real Elasticsearch."""

from __future__ import annotations

import time
import uuid
from datetime import date

import httpx
import pytest
from elasticsearch import Elasticsearch

from ingest.cleaning import clean_record
from ingest.models import CleanArticle, RawRecord
from search.embedding import get_embedder
from search.indexing import IndexingOptions, index_articles
from search.settings import SearchSettings
from search.store import ensure_indices, refresh
from tests.conftest import SEEDS
from tests.live_server import live_api

API_KEY = "test-key-" + uuid.uuid4().hex


def index_demo_corpus(es_client: Elasticsearch, settings: SearchSettings) -> CleanArticle:
    """The seed article plus one article whose text carries a script, for escaping tests."""
    embedder = get_embedder(settings)
    ensure_indices(es_client, settings.index, embedding_dims=embedder.dims)
    seed_path = SEEDS / "iraq-isis-qaim-2017-11-05.txt"
    seed = clean_record(RawRecord(origin=str(seed_path), text=seed_path.read_text(), source="ap.org"))
    hostile = CleanArticle(
        doc_id="xss-1",
        title="<img src=x onerror=alert(1)> Harbour festival",
        text="The harbour festival <script>window.__pwned = true</script> drew crowds of sailors. "
        'Organisers said <img src=x onerror="window.__pwned=true"> the regatta will return next year.',
        source="harbour.example",
        published=date(2024, 6, 1),
        url="javascript:alert(1)",
    )
    options = IndexingOptions(embed=True, model_name=embedder.model_name, entities=True)
    index_articles(es_client, settings.index, [seed, hostile], options, embedder.embed_documents)
    refresh(es_client, settings.index)
    return seed


@pytest.fixture(scope="module")
def api(es_url: str, es_client: Elasticsearch):
    alias = f"t-{uuid.uuid4().hex[:12]}"
    settings = SearchSettings(es_url=es_url, index=alias, api_key=API_KEY, warm_up=False)
    seed = index_demo_corpus(es_client, settings)
    with live_api(settings) as base:
        yield base, seed, alias
    es_client.indices.delete(index=f"{alias}*", ignore_unavailable=True, allow_no_indices=True)


def test_search_returns_the_contract_shape(api):
    base, seed, _ = api
    r = httpx.get(f"{base}/search", params={"q": "Qaim", "mode": "keyword"})
    assert r.status_code == 200
    hit = r.json()["hits"][0]
    assert {
        "doc_id",
        "chunk_id",
        "title",
        "url",
        "published",
        "source",
        "score",
        "text",
        "highlights",
    } <= set(hit)
    assert hit["doc_id"] == seed.doc_id


def test_ask_answers_with_evidence(api):
    base, seed, _ = api
    r = httpx.post(f"{base}/ask", json={"question": "who holds Qaim?"}, timeout=60)
    assert r.status_code == 200
    body = r.json()
    assert body["answered"] and body["as_of"] == "2017-11-05"
    assert body["evidence"][0]["doc_id"] == seed.doc_id
    assert {"doc_id", "title", "url", "published", "sentence", "start", "end", "score"} <= set(
        body["evidence"][0]
    )


def test_document_endpoint_serves_clean_text_and_removed_boilerplate_on_request(api):
    base, seed, _ = api
    plain = httpx.get(f"{base}/documents/{seed.doc_id}").json()
    assert plain["text"] == seed.text and plain["removed"] is None
    assert plain["metadata"]["dateline"] == "BEIRUT"
    full = httpx.get(f"{base}/documents/{seed.doc_id}", params={"include_removed": "true"}).json()
    assert {r["rule"] for r in full["removed"]} >= {"caption", "upcoming_events"}
    missing = httpx.get(f"{base}/documents/nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "params",
    [
        {"q": ""},
        {"q": "x", "top_k": "0"},
        {"q": "x", "top_k": "101"},
        {"q": "x", "mode": "fuzzy"},
        {"q": "x", "since": "yesterday"},
        {"q": "x", "since": "2024-02-01", "until": "2024-01-01"},
        {"q": "x" * 20_000},
    ],
)
def test_bad_search_requests_get_a_4xx_with_a_stable_error_shape(api, params):
    base, _, _ = api
    r = httpx.get(f"{base}/search", params=params)
    assert 400 <= r.status_code < 500
    assert set(r.json()) == {"error"} and {"code", "message"} <= set(r.json()["error"])


@pytest.mark.parametrize("q", ['"', "*", "(", ":", "\\", "qaim) OR (x", "a" * 10_000])
def test_hostile_queries_never_cause_a_5xx(api, q):
    base, _, _ = api
    r = httpx.get(f"{base}/search", params={"q": q, "mode": "hybrid"}, timeout=60)
    assert r.status_code == 200, r.text


def test_the_longest_query_the_schema_allows_is_answered_even_in_a_four_byte_script(api):
    """12,000 characters of U+1F4F0 are a 144 KB URL: over uvicorn's default 16 KiB head limit."""
    import http.client
    import json
    from urllib.parse import urlencode, urlsplit

    from search.retrieval import MAX_QUERY_CHARS

    base, _, _ = api
    params = {"q": "\U0001f4f0" * MAX_QUERY_CHARS, "mode": "keyword", "doc_id": ["\U0001f4f0" * 512] * 100}
    target = "/search?" + urlencode(params, doseq=True)
    assert len(target) > 16 * 1024  # httpx refuses URLs over 64 KiB, so this goes through http.client
    conn = http.client.HTTPConnection(urlsplit(base).netloc, timeout=60)
    try:
        conn.request("GET", target)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    assert response.status == 200, body[:500]
    assert json.loads(body)["hits"] == []


def test_a_doc_id_filter_longer_than_an_id_can_be_is_refused(api):
    base, _, _ = api
    r = httpx.get(f"{base}/search", params={"q": "qaim", "doc_id": "x" * 513})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"


def test_health_reports_elasticsearch_and_index(api):
    base, _, _ = api
    body = httpx.get(f"{base}/health").json()
    assert body["status"] == "ok" and body["elasticsearch"]["reachable"]
    assert body["index"]["articles"] == 2


def test_ingest_requires_the_api_key_and_never_echoes_it(api):
    base, _, _ = api
    assert httpx.post(f"{base}/ingest", json={"paths": ["https://example.com"]}).status_code == 401
    wrong = httpx.post(f"{base}/ingest", json={"paths": ["x"]}, headers={"X-API-Key": "nope"})
    assert wrong.status_code == 401 and API_KEY not in wrong.text


def test_ingest_refuses_server_paths_outside_the_allowed_roots(api):
    base, _, _ = api
    r = httpx.post(f"{base}/ingest", json={"paths": ["/etc/passwd"]}, headers={"X-API-Key": API_KEY})
    assert r.status_code == 403 and r.json()["error"]["code"] == "path_not_allowed"


def test_openapi_schema_is_served(api):
    base, _, _ = api
    schema = httpx.get(f"{base}/openapi.json").json()
    assert {"/search", "/ask", "/documents/{doc_id}", "/health", "/ingest"} <= set(schema["paths"])


def test_every_response_forbids_sniffing_and_the_page_gets_a_strict_csp(api):
    base, _, _ = api
    page = httpx.get(f"{base}/")
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    search = httpx.get(f"{base}/search", params={"q": "Qaim", "mode": "keyword"})
    for r in (search, httpx.get(f"{base}/nope")):
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert "Content-Security-Policy" not in r.headers


def test_search_answers_503_with_a_clear_message_when_elasticsearch_is_down():
    from flows.ports import free_port

    dead = SearchSettings(
        es_url=f"http://127.0.0.1:{free_port()}", index="news", warm_up=False, es_timeout_s=2
    )
    with live_api(dead) as base:
        t = time.monotonic()
        r = httpx.get(f"{base}/search", params={"q": "Qaim", "mode": "keyword"}, timeout=60)
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "search_unavailable"
        assert "Traceback" not in r.text
        h = httpx.get(f"{base}/health", timeout=60)
        assert h.status_code == 503 and h.json()["status"] == "down"
        assert time.monotonic() - t < 50


def test_request_bodies_over_the_cap_get_413_without_being_read(api):
    base, _, _ = api
    huge = {"question": "x" * (30 * 1024 * 1024)}
    r = httpx.post(f"{base}/ask", json=huge, timeout=60)
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
    assert "NEWSDESK_API_MAX_BODY_BYTES" in r.json()["error"]["message"]

    def chunks():  # no Content-Length: counted as it streams in
        for _ in range(40):
            yield b"x" * 65536

    r = httpx.post(f"{base}/ask", content=chunks(), headers={"Content-Type": "application/json"}, timeout=60)
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
    ok = httpx.post(f"{base}/ask", json={"question": "who holds Qaim?", "mode": "keyword"}, timeout=60)
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/a.html", "refused URL scheme"),
        ("file:///etc/passwd", "refused URL scheme"),
        ("http:///no-host", "no host"),
        ("http://example.com:99999/", "malformed URL"),
        ("http://localhost:8000/admin", "not a public address"),
        ("http://127.0.0.1/", "not a public address"),
        ("http://[::1]/", "not a public address"),
        ("http://169.254.169.254/latest/meta-data/", "not a public address"),
    ],
)
def test_ingest_refuses_bad_urls_at_once_instead_of_accepting_a_job(api, url, reason):
    base, _, _ = api
    r = httpx.post(f"{base}/ingest", json={"paths": [url]}, headers={"X-API-Key": API_KEY})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid_url"
    assert reason in r.json()["error"]["message"]
