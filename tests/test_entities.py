"""Entities in the index (issue 13): tagged at ingestion by spaCy, filterable, counted as facets."""

from __future__ import annotations

import uuid
from datetime import date

import httpx
import pytest
from elasticsearch import Elasticsearch

from ingest.entities import entities_of, normalise_entity, tag_entities
from ingest.models import CleanArticle
from search.facets import facet_counts
from search.indexing import IndexingOptions, index_articles
from search.mapping import ENTITY_FIELDS
from search.retrieval import Searcher, build_filters
from search.settings import SearchSettings
from search.store import articles_alias, ensure_indices, refresh
from tests.live_server import live_api

ARTICLES = [
    ("merkel", "Angela Merkel visits Paris",
     "German Chancellor Angela Merkel met French President Emmanuel Macron in Paris on Monday. "
     "Merkel and Macron discussed the European Union budget."),
    ("bills", "Damar Hamlin leaves hospital",
     "Buffalo Bills safety Damar Hamlin left the University of Cincinnati Medical Center. "
     "Hamlin thanked the doctors in Cincinnati."),
    ("budget", "Union budget talks stall",
     "Talks on the European Union budget stalled in Brussels as ministers failed to agree."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Damar Hamlin’s", "Damar Hamlin"), ("the European Union", "European Union"), (" Paris, ", "Paris")],
)
def test_an_entity_has_one_spelling(raw, expected):
    assert normalise_entity(raw) == expected


def test_entities_are_grouped_by_type_most_mentioned_first():
    ents = [("Hamlin", "PERSON"), ("Bills", "ORG"), ("Damar Hamlin", "PERSON"), ("Hamlin", "PERSON"),
            ("Iraqi", "NORP"), ("Cincinnati", "GPE"), ("Friday", "DATE"), ("3", "CARDINAL")]  # fmt: skip
    assert entities_of(ents) == {
        "people": ["Hamlin", "Damar Hamlin"],
        "organizations": ["Bills"],
        "groups": ["Iraqi"],
        "places": ["Cincinnati"],
    }


def test_the_model_tags_people_and_places_in_news_text():
    (found,) = tag_entities([ARTICLES[0][2]])
    assert "Angela Merkel" in found["people"] and "Paris" in found["places"]


def test_facets_count_each_entity_once_per_article():
    class H:
        def __init__(self, ents, source, published):
            self.entities, self.source, self.published = ents, source, published

    hits = [
        H({"people": ["Merkel", "Macron"]}, "a.example", "2023-01-02"),
        H({"people": ["Merkel"], "places": ["Paris"]}, "b.example", "2023-02-01"),
    ]
    facets = facet_counts(hits)
    assert facets["entities"][0] == {"name": "Merkel", "type": "person", "count": 2}
    assert {"value": "2023-02", "count": 1} in facets["months"]
    assert [s["value"] for s in facets["sources"]] == ["a.example", "b.example"]


@pytest.fixture(scope="module")
def tagged(es_url: str, es_client: Elasticsearch):
    settings = SearchSettings(es_url=es_url, index=f"t-{uuid.uuid4().hex[:12]}", warm_up=False)
    ensure_indices(es_client, settings.index, embedding_dims=384)
    docs = [
        CleanArticle(doc_id=d, title=ti, text=t, source="wire.example", published=date(2023, 1, 9))
        for d, ti, t in ARTICLES
    ]
    options = IndexingOptions(embed=False, entities=True)
    report = index_articles(es_client, settings.index, docs, options)
    assert report.new == 3 and "entities" in report.seconds
    again = index_articles(es_client, settings.index, docs, options)
    assert again.unchanged == 3, "tagging is part of the write, not a reason to rewrite"
    refresh(es_client, settings.index)
    yield settings
    es_client.indices.delete(index=f"{settings.index}*", ignore_unavailable=True, allow_no_indices=True)


def test_entities_are_written_on_the_article_and_its_chunks(tagged, es_client):
    article = es_client.get(index=articles_alias(tagged.index), id="merkel")["_source"]
    assert "Angela Merkel" in article["people"] and "Angela Merkel" in article["entities"]
    chunk = es_client.search(index=tagged.index, query={"term": {"doc_id": "merkel"}})["hits"]["hits"][0]
    assert "Paris" in chunk["_source"]["places"]
    mapping = es_client.indices.get_mapping(index=tagged.index)
    props = next(iter(mapping.values()))["mappings"]["properties"]
    assert all(props[f]["type"] == "keyword" for f in ENTITY_FIELDS)


def test_the_entity_filter_keeps_only_articles_tagged_with_it(tagged):
    searcher = Searcher(tagged)
    both = {h.doc_id for h in searcher.search("European Union budget", mode="keyword")}
    assert both == {"merkel", "budget"}
    only = searcher.search(
        "European Union budget", mode="keyword", filters=build_filters(entities=["Angela Merkel"])
    )
    assert [h.doc_id for h in only] == ["merkel"]
    assert "Angela Merkel" in only[0].entities["people"]


def test_search_api_returns_facets_and_filters_by_entity(tagged):
    with live_api(tagged) as base:
        r = httpx.get(f"{base}/search", params={"q": "European Union budget", "mode": "keyword"}, timeout=30)
        assert r.status_code == 200
        names = {f["name"]: f for f in r.json()["facets"]["entities"]}
        assert names["European Union"]["count"] == 2
        r = httpx.get(
            f"{base}/search",
            params={"q": "European Union budget", "mode": "keyword", "entity": "Angela Merkel"},
            timeout=30,
        )
        assert [h["doc_id"] for h in r.json()["hits"]] == ["merkel"]


def test_an_index_made_before_entities_gains_the_fields(es_client, es_url):
    alias = f"t-{uuid.uuid4().hex[:12]}"
    es_client.indices.create(index=f"{alias}-v1", mappings={"properties": {"doc_id": {"type": "keyword"}}})
    es_client.indices.put_alias(index=f"{alias}-v1", name=alias)
    try:
        ensure_indices(es_client, alias, embedding_dims=384)
        props = es_client.indices.get_mapping(index=alias)[f"{alias}-v1"]["mappings"]["properties"]
        assert set(ENTITY_FIELDS) <= set(props)
    finally:
        es_client.indices.delete(index=f"{alias}*", ignore_unavailable=True, allow_no_indices=True)


def test_mentions_are_kept_with_offsets_into_the_text_and_only_where_it_was_tagged():
    from ingest.entities import MAX_CHARS, mentions_within, tag_texts

    text = ARTICLES[0][2]
    (t,) = tag_texts([f"Title line\n{text}"])
    assert any(label == "PERSON" for _, _, label in t.mentions)
    assert all(f"Title line\n{text}"[s:e] for s, e, _ in t.mentions)
    inside = mentions_within(t, 0, len(text), offset=len("Title line") + 1)
    assert ["Angela Merkel", "PERSON"] in [[text[s:e], label] for s, e, label in inside]
    second = text.index("Merkel and Macron")
    tail = mentions_within(t, second, len(text), offset=len("Title line") + 1)
    assert "Macron" in [text[second + s : second + e] for s, e, _ in tail]
    assert all(s >= 0 and second + e <= len(text) for s, e, _ in tail)
    # a part of the text the tagger never read has no mentions to offer (None), not "none found" ([])
    (long,) = tag_texts(["x " * MAX_CHARS + "Angela Merkel spoke."])
    assert mentions_within(long, 2 * MAX_CHARS, 2 * MAX_CHARS + 20) is None


def test_chunks_carry_their_mentions_for_the_reader(tagged, es_client):
    hits = es_client.search(index=tagged.index, query={"term": {"doc_id": "merkel"}})["hits"]["hits"]
    src = hits[0]["_source"]
    spans = {(src["content"][s:e], label) for s, e, label in src["ner"]}
    assert ("Angela Merkel", "PERSON") in spans and ("Paris", "GPE") in spans
