"""Ranking in a real Elasticsearch: the relevance floor, as_of, and indices without vectors (issue 14)."""

from __future__ import annotations

import uuid
from datetime import date

import httpx
import pytest
from elasticsearch import Elasticsearch

from ingest.models import CleanArticle
from search.embedding import get_embedder
from search.indexing import IndexingOptions, index_articles
from search.retrieval import QueryError, Searcher
from search.settings import SearchSettings
from search.store import ensure_indices, refresh
from tests.live_server import live_api

ARTICLES = [
    ("lanes-2023", date(2023, 5, 2), "Council approves bicycle lanes",
     "The city council approved protected bicycle lanes on Main Street. Cyclists welcomed the vote."),
    ("lanes-2024", date(2024, 3, 1), "Council extends bicycle lanes",
     "The city council extended the protected bicycle lanes to the harbour. Cyclists welcomed the vote."),
    ("bridge", date(2024, 2, 10), "Old bridge reopens after repairs",
     "The old river bridge reopened to traffic on Saturday after eight months of repairs."),
]  # fmt: skip


def _index(es_client: Elasticsearch, es_url: str, embed: bool) -> SearchSettings:
    settings = SearchSettings(es_url=es_url, index=f"t-{uuid.uuid4().hex[:12]}", warm_up=False)
    embedder = get_embedder(settings)
    ensure_indices(es_client, settings.index, embedding_dims=embedder.dims)
    docs = [
        CleanArticle(
            doc_id=d, text=t, title=ti, source="herald.example", published=p, url=f"https://h.example/{d}"
        )
        for d, p, ti, t in ARTICLES
    ]
    options = IndexingOptions(embed=embed, model_name=embedder.model_name)
    report = index_articles(
        es_client, settings.index, docs, options, embedder.embed_documents if embed else None
    )
    assert report.new == 3 and not report.failed
    refresh(es_client, settings.index)
    return settings


@pytest.fixture(scope="module")
def embedded(es_url: str, es_client: Elasticsearch):
    settings = _index(es_client, es_url, embed=True)
    yield settings
    es_client.indices.delete(index=f"{settings.index}*", ignore_unavailable=True, allow_no_indices=True)


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_a_query_that_matches_nothing_gets_no_hits(embedded, mode):
    searcher = Searcher(embedded)
    assert searcher.search("Zephyrine xylophone", mode=mode) == []
    assert searcher.search('{"id": 5, "text": "hello", "tags": ["a", "b"]}', mode=mode) == []


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_a_real_query_keeps_its_hits_above_the_floor(embedded, mode):
    hits = Searcher(embedded).search("council bicycle lanes vote", mode=mode)
    assert {h.doc_id for h in hits[:2]} == {"lanes-2023", "lanes-2024"}


def test_as_of_hides_what_was_published_later(embedded):
    hits = Searcher(embedded).search("council bicycle lanes", mode="hybrid", as_of=date(2023, 12, 31))
    assert [h.doc_id for h in hits] == ["lanes-2023"]
    same_day = Searcher(embedded).search("council bicycle lanes", mode="keyword", as_of=date(2024, 3, 1))
    assert "lanes-2024" in {h.doc_id for h in same_day}  # published that day: included


def test_present_tense_questions_prefer_the_newest_report_as_of_a_date(embedded):
    searcher = Searcher(embedded)
    # Both reports match; as of 2024 a present-tense question puts the newer one first, whatever
    # order relevance alone gives them.
    query = "which bicycle lanes does the council protect now"
    both = {h.doc_id for h in searcher.search(query, mode="keyword")}
    assert both >= {"lanes-2023", "lanes-2024"}
    hits = searcher.search(query, mode="keyword", as_of=date(2024, 3, 5))
    assert hits[0].doc_id == "lanes-2024"
    # as of mid-2023 the 2024 report does not exist yet
    earlier = searcher.search(query, mode="keyword", as_of=date(2023, 6, 1))
    assert [h.doc_id for h in earlier] == ["lanes-2023"]


def test_semantic_search_on_an_index_without_vectors_says_so(es_client: Elasticsearch, es_url: str):
    settings = _index(es_client, es_url, embed=False)
    try:
        searcher = Searcher(settings)
        with pytest.raises(QueryError, match="no vectors"):
            searcher.search("bicycle lanes", mode="semantic")
        # hybrid degrades to keyword rather than returning nothing
        assert searcher.search("bicycle lanes", mode="hybrid")[0].doc_id.startswith("lanes-")
        with live_api(settings) as base:
            r = httpx.get(f"{base}/search", params={"q": "bicycle lanes", "mode": "semantic"}, timeout=30)
            assert r.status_code in (400, 422) and "no vectors" in r.text
            r = httpx.get(f"{base}/search", params={"q": "bicycle lanes", "as_of": "2023-06-01"}, timeout=30)
            assert r.status_code == 200 and [h["doc_id"] for h in r.json()["hits"]] == ["lanes-2023"]
    finally:
        es_client.indices.delete(index=f"{settings.index}*", ignore_unavailable=True, allow_no_indices=True)
