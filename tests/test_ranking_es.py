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


def test_semantic_keeps_a_neighbour_under_the_floor_that_carries_every_word_of_the_query(embedded):
    # A floor no neighbour reaches by similarity alone, as a short query's best match may not
    strict = Searcher(embedded.model_copy(update={"semantic_floor": 0.99}))
    assert [h.doc_id for h in strict.search("river bridge", mode="semantic")] == ["bridge"]
    assert [h.doc_id for h in strict.search("river bridge", mode="semantic", group=False)] == ["bridge"]
    assert strict.search("bridge council", mode="semantic") == []  # no chunk carries both words
    assert strict.search("Zephyrine xylophone", mode="semantic") == []


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


# --- article-level BM25 ---------------------------------------------------------------------------
def _long_article(doc_id: str, title: str, paragraphs: list[str]) -> CleanArticle:
    return CleanArticle(
        doc_id=doc_id,
        title=title,
        text="\n\n".join(paragraphs),
        source="herald.example",
        published=date(2024, 1, 5),
        url=f"https://h.example/{doc_id}",
    )


FILLER = (
    "Residents gathered at the town hall on a cold evening, and several speakers took turns at the "
    "microphone while officials listened and took notes about their concerns for the coming year. "
)


@pytest.fixture(scope="module")
def spread(es_url: str, es_client: Elasticsearch):
    """One story whose words are spread over paragraphs far apart (no chunk has them all), and
    decoys that each match one of the words strongly in a single chunk."""
    settings = SearchSettings(
        es_url=es_url, index=f"t-{uuid.uuid4().hex[:12]}", warm_up=False, article_bm25_weight=1.0
    )
    ensure_indices(es_client, settings.index, embedding_dims=384)
    story = _long_article(
        "spread",
        "Town meeting",
        [
            "The harbour authority announced a dredging plan on Monday. " + FILLER * 3,
            FILLER * 4,
            "Lighthouse keepers said the plan would protect the old pier. " + FILLER * 3,
            FILLER * 4,
            "The ferry company welcomed the decision on the channel. " + FILLER * 2,
        ],
    )
    decoys = [
        _long_article(f"decoy-{w}", f"Notes on the {w}", [f"The {w} {w} {w} story. {tail}"])
        for w, tail in (
            ("harbour", "A painter sold seascapes at the weekend market, and prices rose sharply."),
            ("lighthouse", "Volunteers repainted the tower in red and white stripes over the summer."),
            ("ferry", "Timetables change in October, when the winter crossings begin at dawn."),
        )
    ]
    report = index_articles(
        es_client, settings.index, [story, *decoys], IndexingOptions(embed=False, entities=False), None
    )
    assert report.new == 4
    refresh(es_client, settings.index)
    yield settings
    es_client.indices.delete(index=f"{settings.index}*", ignore_unavailable=True, allow_no_indices=True)


def test_ask_reads_the_chunks_of_an_article_that_passes_the_floor_only_as_a_whole(spread):
    query = "harbour dredging lighthouse pier ferry channel"
    searcher = Searcher(spread)
    assert searcher.pipeline("keyword").get_component("bm25").run(query=query)["documents"] == []
    chunks = searcher.retrieve_chunks(query, mode="keyword", top_k=3, highlights=False)
    assert len(chunks) == 3 and {c.meta["doc_id"] for c in chunks} == {"spread"}
    assert all(set(c.content.lower().replace(".", " ").split()) & set(query.split()) for c in chunks)
    none = searcher.retrieve_chunks("Zephyrine xylophone harbour", mode="keyword", highlights=False)
    assert none == []  # the decoys match one word of three: still below the floor


def test_a_story_whose_words_are_spread_over_paragraphs_is_found_at_article_level(spread):
    query = "harbour dredging lighthouse pier ferry channel"
    articles = Searcher(spread).article_bm25(query, None, 10)
    assert articles[0].meta["doc_id"] == "spread"
    hits = Searcher(spread).search(query, mode="keyword")
    assert hits[0].doc_id == "spread"
    off = Searcher(spread.model_copy(update={"article_bm25_weight": 0.0})).search(query, mode="keyword")
    assert "spread" not in {h.doc_id for h in off}  # no one chunk clears the relevance floor


def test_an_article_only_article_level_bm25_finds_is_shown_with_its_lead_chunk(spread, es_client):
    searcher = Searcher(spread)
    query = "harbour dredging lighthouse pier ferry channel"
    lists = {"article": searcher.article_bm25(query, None, 10)}
    from search.retrieval import rank_articles

    hits = searcher._shown(rank_articles(lists, spread)[:3], query)
    assert hits[0].doc_id == "spread" and hits[0].chunk_id == "spread#0000"
    assert hits[0].text.startswith("The harbour authority announced")
    assert any("<mark>" in h for h in hits[0].highlights)  # the shown chunk's own words marked


def test_shown_hits_carry_text_and_highlights_though_ranking_fetched_only_ids(spread):
    searcher = Searcher(spread)
    lists = searcher.retrieve_lists("lighthouse keepers pier", "keyword", rank_only=True)
    assert lists["bm25"] and all(d.content is None and "highlights" not in d.meta for d in lists["bm25"])
    hits = searcher.search("lighthouse keepers pier", mode="keyword")
    assert hits and all(h.text and h.title for h in hits)
    assert any("<mark>" in m for h in hits for m in h.highlights)


def test_article_records_written_before_body_stem_get_it_on_the_next_run(spread, es_client):
    from search.index_writer import IndexWriter
    from search.store import articles_alias

    art = articles_alias(spread.index)
    src = es_client.get(index=art, id="spread")["_source"]  # as a record written before body_stem
    es_client.index(index=art, id="spread", document={k: v for k, v in src.items() if k != "body_stem"})
    es_client.indices.refresh(index=art)
    lacking = {"bool": {"must_not": {"exists": {"field": "body_stem"}}}}
    assert es_client.count(index=art, query=lacking)["count"] == 1
    IndexWriter(es_client, spread.index, embed=False, entities=False, alerts=False).prepare()
    es_client.indices.refresh(index=art)
    assert es_client.count(index=art, query=lacking)["count"] == 0
    assert Searcher(spread).article_bm25("lighthouse keepers pier", None, 5)[0].meta["doc_id"] == "spread"


@pytest.fixture(scope="module")
def forms(es_url: str, es_client: Elasticsearch):
    settings = SearchSettings(es_url=es_url, index=f"t-{uuid.uuid4().hex[:12]}", warm_up=False)
    ensure_indices(es_client, settings.index, embedding_dims=384)
    docs = [
        CleanArticle(doc_id=d, text=t, title=ti, source="wire.example", published=date(2024, 1, 5))
        for d, ti, t in (
            ("held", "Fighting in the north", "Rebel fighters held the border town of Varsk on Tuesday."),
            ("titled", "Varsk dam report", "Engineers inspected the structure after the storm."),
            ("other", "Harvest news", "Farmers said the grain harvest was late this year."),
        )
    ]
    report = index_articles(
        es_client, settings.index, docs, IndexingOptions(embed=False, entities=False), None
    )
    assert report.new == 3
    refresh(es_client, settings.index)
    yield settings
    es_client.indices.delete(index=f"{settings.index}*", ignore_unavailable=True, allow_no_indices=True)


def _chunk_hits(settings: SearchSettings, query: str) -> set[str]:
    bm25 = Searcher(settings).pipeline("keyword").get_component("bm25")
    return {d.meta["doc_id"] for d in bm25.run(query=query)["documents"]}


def test_an_irregular_verb_form_counts_as_the_word_the_query_uses(forms):
    assert _chunk_hits(forms, "who holds Varsk?") == {"held"}
    assert _chunk_hits(forms, "who has held Varsk?") == {"held"}
    assert _chunk_hits(forms, "who grinds Varsk?") == set()  # no such form, no hit


def test_a_word_in_the_title_and_a_word_in_the_chunk_together_pass_the_floor(forms):
    assert _chunk_hits(forms, "Varsk engineers") == {"titled"}
    assert _chunk_hits(forms, "Varsk harvest") == set()  # each article has one of the two words
