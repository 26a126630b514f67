"""Integration: search modes, filters, grouping, hostile queries and answers on a real index.

One index per module holds the cleaned seed article plus a few small articles from other sources
and dates, embedded with the real model.
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from elasticsearch import Elasticsearch

from ingest.cleaning import clean_record
from ingest.models import CleanArticle, RawRecord
from search.ask import answer_question
from search.embedding import get_embedder
from search.indexing import IndexingOptions, index_articles
from search.retrieval import QueryError, Searcher, build_filters
from search.settings import SearchSettings
from search.store import ensure_indices, refresh
from tests.conftest import SEEDS

OTHERS = [
    (
        "bike-1",
        "cityherald.com",
        date(2023, 5, 2),
        "Council approves bicycle lanes",
        "The city council approved new protected bicycle lanes on Main Street on Tuesday. "
        "Cyclists welcomed the vote, while some shop owners worried about parking.\n\n"
        "Construction of the bicycle lanes starts in June and should take four months.",
    ),
    (
        "bridge-1",
        "valleynews.com",
        date(2024, 2, 10),
        "Old bridge reopens after repairs",
        "The old river bridge reopened to traffic on Saturday after eight months of repairs. "
        "Engineers replaced the steel deck and repainted the towers.",
    ),
    (
        "bike-2",
        "valleynews.com",
        date(2024, 3, 1),
        "Valley plans cycling paths",
        "Valley officials unveiled plans for cycling paths connecting the two river towns. "
        "Bicycle groups said the paths would make commuting safer.",
    ),
]


@pytest.fixture(scope="module")
def indexed(es_url: str, es_client: Elasticsearch):
    alias = f"t-{uuid.uuid4().hex[:12]}"
    settings = SearchSettings(es_url=es_url, index=alias)
    embedder = get_embedder(settings)
    ensure_indices(es_client, alias, embedding_dims=embedder.dims)
    seed_path = SEEDS / "iraq-isis-qaim-2017-11-05.txt"
    seed = clean_record(RawRecord(origin=str(seed_path), text=seed_path.read_text(), source="ap.org"))
    others = [
        CleanArticle(doc_id=d, text=t, title=ti, source=s, published=p, url=f"https://{s}/{d}")
        for d, s, p, ti, t in OTHERS
    ]
    options = IndexingOptions(embed=True, model_name=embedder.model_name)
    report = index_articles(es_client, alias, [seed, *others], options, embedder.embed_documents)
    assert report.new == 4 and not report.failed
    refresh(es_client, alias)
    yield Searcher(settings), seed
    es_client.indices.delete(index=f"{alias}*", ignore_unavailable=True, allow_no_indices=True)


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_each_mode_finds_the_seed_for_a_question_about_qaim(indexed, mode):
    searcher, seed = indexed
    hits = searcher.search("Qaim border town retaken", mode=mode, top_k=3)
    assert hits[0].doc_id == seed.doc_id


def test_semantic_search_finds_paraphrases_that_share_no_words(indexed):
    searcher, _ = indexed
    hits = searcher.search("cyclists infrastructure", mode="semantic", top_k=2)
    assert {h.doc_id for h in hits} <= {"bike-1", "bike-2"}


def test_keyword_hits_carry_highlights(indexed):
    searcher, _ = indexed
    hit = searcher.search("bicycle lanes", mode="keyword", top_k=1)[0]
    assert hit.doc_id == "bike-1"
    assert any("<mark>bicycle</mark>" in h.lower() for h in hit.highlights)


def test_results_are_one_hit_per_article_with_other_chunks_counted(indexed):
    searcher, seed = indexed
    grouped = searcher.search("Islamic State Syria Iraq border", mode="keyword", top_k=10)
    ids = [h.doc_id for h in grouped]
    assert len(ids) == len(set(ids))
    assert grouped[0].doc_id == seed.doc_id and grouped[0].chunks_matched > 1
    per_chunk = searcher.search("Islamic State Syria Iraq border", mode="keyword", top_k=10, group=False)
    assert sum(h.doc_id == seed.doc_id for h in per_chunk) > 1


def test_filters_on_source_and_real_publication_dates(indexed):
    searcher, _ = indexed
    only_valley = searcher.search("bicycle", mode="hybrid", filters=build_filters(source="valleynews.com"))
    assert {h.source for h in only_valley} == {"valleynews.com"}
    in_2024 = searcher.search(
        "bicycle", mode="keyword", filters=build_filters(since=date(2024, 1, 1), until=date(2024, 12, 31))
    )
    assert [h.doc_id for h in in_2024] == ["bike-2"]
    by_id = searcher.search("bridge", mode="keyword", filters=build_filters(doc_ids=["bridge-1"]))
    assert [h.doc_id for h in by_id] == ["bridge-1"]


@pytest.mark.parametrize(
    "query",
    ['"', "*", "(", ":", "\\", 'title:(qaim OR "x', "a" * 10_000, "😀 ∑ ∞", "AND OR NOT", "qaim~2^5 /re/"],
)
@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_hostile_query_strings_are_just_text(indexed, query, mode):
    searcher, _ = indexed
    hits = searcher.search(query, mode=mode, top_k=5)
    assert isinstance(hits, list)


@pytest.mark.parametrize("query", ["", "   ", "x" * 20_000])
def test_empty_or_oversized_queries_are_rejected_with_a_reason(indexed, query):
    searcher, _ = indexed
    with pytest.raises(QueryError):
        searcher.search(query)


def test_who_holds_qaim_is_answered_from_the_seed_with_cited_sentences(indexed):
    searcher, seed = indexed
    ans = answer_question("who holds Qaim?", searcher)
    assert ans.answered
    assert ans.as_of == "2017-11-05"
    # The short answer names Iraq, typed, dated by the sentence's "on Friday" (article of Sunday 5th).
    assert "Iraq" in ans.answer and len(ans.answer.split()) <= 4
    assert ans.answer_type in ("organization", "group", "place")
    assert ans.event_date == "2017-11-03"
    first = ans.evidence[0]
    assert seed.text[first.answer_start : first.answer_end] == ans.answer
    assert first.start <= first.answer_start < first.answer_end <= first.end
    # The sentence-level answer stays, with the relation in it.
    s = ans.answer_sentence
    assert "Iraqi" in s and ("retak" in s or "reclaim" in s) and "Islamic State" in s
    for ev in ans.evidence:
        if ev.doc_id == seed.doc_id:
            assert seed.text[ev.start : ev.end] == ev.sentence
    # The sentence answer is made of the evidence's words: nothing invented.
    for part in s.split(" … "):
        assert any(part in ev.sentence for ev in ans.evidence)


def test_who_holds_qaim_is_answered_in_keyword_mode_from_the_article_no_one_chunk_matches(indexed):
    searcher, seed = indexed
    # The seed names Qaim in one paragraph and says "held" in another: no chunk carries both words,
    # so the chunk floor alone gives ask nothing to read; the article as a whole passes it.
    assert searcher.pipeline("keyword").get_component("bm25").run(query="who holds Qaim?")["documents"] == []
    chunks = searcher.retrieve_chunks("who holds Qaim?", mode="keyword", top_k=10, highlights=False)
    assert chunks and {c.meta["doc_id"] for c in chunks} == {seed.doc_id}
    ans = answer_question("who holds Qaim?", searcher, mode="keyword")
    assert ans.answered and "Iraq" in ans.answer


def test_question_about_things_not_in_the_index_is_not_answered_but_shows_passages(indexed):
    searcher, _ = indexed
    ans = answer_question("Who is the king of Atlantis?", searcher)
    assert not ans.answered and ans.answer == ""
    assert ans.evidence, "closest passages are still returned"


def test_present_tense_question_prefers_newest_evidence_and_shows_older_reports(
    es_url: str, es_client: Elasticsearch, index_name: str
):
    settings = SearchSettings(es_url=es_url, index=index_name)
    embedder = get_embedder(settings)
    ensure_indices(es_client, index_name, embedding_dims=embedder.dims)
    older = CleanArticle(
        doc_id="old-1",
        title="Militants dig in at border town",
        source="wire.example",
        published=date(2016, 3, 1),
        text="Islamic State militants hold Qaim, a town on the Euphrates near the Syrian border. "
        "Residents said the militants had set up checkpoints on every road.",
    )
    newer = CleanArticle(
        doc_id="new-1",
        title="Border town changes hands",
        source="wire.example",
        published=date(2017, 11, 4),
        text="Iraqi forces now hold Qaim after retaking the border town from the Islamic State. "
        "Engineers began clearing explosives from the main road on Saturday.",
    )
    options = IndexingOptions(embed=True, model_name=embedder.model_name)
    index_articles(es_client, index_name, [older, newer], options, embedder.embed_documents)
    refresh(es_client, index_name)

    ans = answer_question("who holds Qaim?", Searcher(settings))
    assert ans.answered and ans.as_of == "2017-11-04"
    assert ans.answer == "Iraqi forces" and ans.answer_type == "group"
    assert "militants hold" not in ans.answer_sentence
    assert ans.earlier and ans.earlier[0].doc_id == "old-1" and ans.earlier[0].published == "2016-03-01"
    # What the older report said holds it is marked in its sentence: the militants, not Qaim.
    old = ans.earlier[0]
    said = old.sentence[old.answer_start - old.start : old.answer_end - old.start]
    assert "Islamic State" in said


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_a_query_pipeline_loaded_from_its_yaml_gives_identical_results(indexed, mode):
    from search.pipeline_yaml import load_pipeline
    from search.query_pipeline import build_query_pipeline, query_inputs

    searcher, _ = indexed
    built = build_query_pipeline(mode, searcher.settings)
    loaded = load_pipeline(built.dumps())
    data = query_inputs(mode, "Qaim border town retaken", 20, build_filters(since=date(2000, 1, 1)))
    out = {name: p.run(data) for name, p in (("built", built), ("loaded", loaded))}
    last = {"keyword": "bm25", "semantic": "knn", "hybrid": "joiner"}[mode]
    ranked = {k: [(d.id, round(d.score, 6)) for d in v[last]["documents"]] for k, v in out.items()}
    assert ranked["built"] and ranked["built"] == ranked["loaded"]
