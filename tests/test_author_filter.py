"""The byline the cleaner moves to metadata is searchable: ``author`` filters search and ask
(real Elasticsearch, real HTTP)."""

from __future__ import annotations

import uuid
from datetime import date

import httpx
import pytest
from elasticsearch import Elasticsearch

from ingest.cleaning import clean_text
from ingest.models import CleanArticle
from search.indexing import IndexingOptions, index_articles
from search.retrieval import Searcher, build_filters
from search.settings import SearchSettings
from search.store import ensure_indices, refresh
from tests.live_server import live_api


@pytest.fixture(scope="module")
def bylined(es_url: str, es_client: Elasticsearch):
    settings = SearchSettings(es_url=es_url, index=f"t-{uuid.uuid4().hex[:12]}", warm_up=False)
    ensure_indices(es_client, settings.index, embedding_dims=384)
    # the author comes out of the text by the cleaner, as at ingestion
    first = clean_text(
        "By Jane Doe\n\nThe harbour bridge in Duluth closed on Monday for repairs to its deck.",
        title="Bridge closes",
    )
    assert first.authors == ["Jane Doe"]
    docs = [
        CleanArticle(
            doc_id="doe",
            title="Bridge closes",
            text=first.text,
            source="a.example",
            published=date(2023, 3, 6),
            authors=first.authors,
        ),
        CleanArticle(
            doc_id="roe",
            title="Bridge reopens",
            text="The harbour bridge in Duluth reopened on Friday after repairs to its deck.",
            source="a.example",
            published=date(2023, 3, 10),
            authors=["Richard Roe"],
        ),
    ]
    index_articles(es_client, settings.index, docs, IndexingOptions(embed=False, entities=False))
    refresh(es_client, settings.index)
    yield settings
    es_client.indices.delete(index=f"{settings.index}*", ignore_unavailable=True, allow_no_indices=True)


def test_the_author_filter_keeps_only_that_authors_articles(bylined):
    searcher = Searcher(bylined)
    assert {h.doc_id for h in searcher.search("harbour bridge Duluth", mode="keyword")} == {"doe", "roe"}
    only = searcher.search("harbour bridge Duluth", mode="keyword", filters=build_filters(author="Jane Doe"))
    assert [h.doc_id for h in only] == ["doe"]
    assert searcher.search("harbour bridge", mode="keyword", filters=build_filters(author="Nobody")) == []


def test_search_api_filters_by_author(bylined):
    with live_api(bylined) as base:
        r = httpx.get(
            f"{base}/search",
            params={"q": "harbour bridge Duluth", "mode": "keyword", "author": "Richard Roe"},
            timeout=30,
        )
        assert r.status_code == 200
        assert [h["doc_id"] for h in r.json()["hits"]] == ["roe"]
