"""Integration: idempotent indexing against the real Elasticsearch (issue 4's acceptance tests)."""

from __future__ import annotations

from datetime import date

import pytest
from elasticsearch import Elasticsearch

from ingest.models import CleanArticle
from search.indexing import IndexingOptions, index_articles
from search.store import articles_alias, count, ensure_indices, refresh

NO_EMBED = IndexingOptions(embed=False)


def _article(doc_id: str, text: str, source: str = "ap.org", **kw) -> CleanArticle:
    return CleanArticle(
        doc_id=doc_id,
        text=text,
        title=kw.pop("title", f"Title of {doc_id}"),
        url=kw.pop("url", f"https://{source}/{doc_id}"),
        source=source,
        published=kw.pop("published", date(2017, 11, 5)),
        **kw,
    )


def _body(seed_text: str) -> str:
    # The news paragraphs of the seed (no cleaning needed for indexing tests).
    paras = [p for p in seed_text.split("\n\n")[2:] if len(p) > 60 and not p.startswith("Information")]
    return "\n\n".join(paras)


def _chunks(es: Elasticsearch, alias: str, doc_id: str) -> list[dict]:
    resp = es.search(index=alias, query={"term": {"doc_id": doc_id}}, size=1000, seq_no_primary_term=True)
    return sorted(resp["hits"]["hits"], key=lambda h: h["_source"]["chunk_index"])


@pytest.fixture()
def es(es_client: Elasticsearch, index_name: str) -> Elasticsearch:
    ensure_indices(es_client, index_name, embedding_dims=384)
    return es_client


def test_seed_chunks_have_offsets_that_map_back_to_the_exact_text(es, index_name, seed_text):
    text = _body(seed_text)
    report = index_articles(es, index_name, [_article("seed", text)], NO_EMBED)
    refresh(es, index_name)
    assert report.new == 1 and report.chunks_written >= 3
    chunks = _chunks(es, index_name, "seed")
    assert len(chunks) == report.chunks_written
    for hit in chunks:
        src = hit["_source"]
        assert text[src["start"] : src["end"]] == src["content"]
        assert src["published"] == "2017-11-05" and src["source"] == "ap.org"
    assert [h["_id"] for h in chunks] == [f"seed#{i:04d}" for i in range(len(chunks))]


def test_reingesting_unchanged_article_writes_nothing(es, index_name, seed_text):
    art = _article("seed", _body(seed_text))
    index_articles(es, index_name, [art], NO_EMBED)
    refresh(es, index_name)
    before = [(h["_id"], h["_seq_no"]) for h in _chunks(es, index_name, "seed")]

    again = index_articles(es, index_name, [_article("seed", _body(seed_text))], NO_EMBED)
    refresh(es, index_name)
    assert (again.unchanged, again.new, again.updated, again.chunks_written) == (1, 0, 0, 0)
    assert [(h["_id"], h["_seq_no"]) for h in _chunks(es, index_name, "seed")] == before


def test_editing_one_paragraph_rewrites_only_that_article(es, index_name, seed_text):
    text = _body(seed_text)
    other = "An unrelated story about a city council vote on bicycle lanes. " * 8
    index_articles(es, index_name, [_article("seed", text), _article("other", other)], NO_EMBED)
    refresh(es, index_name)
    other_before = [(h["_id"], h["_seq_no"]) for h in _chunks(es, index_name, "other")]
    n_before = len(_chunks(es, index_name, "seed"))

    edited = text.replace(
        "Dillon said there are between 2,500 and 3,500", "Dillon said there are about 3,000"
    )
    report = index_articles(es, index_name, [_article("seed", edited), _article("other", other)], NO_EMBED)
    refresh(es, index_name)
    assert (report.updated, report.unchanged) == (1, 1)
    seed_chunks = _chunks(es, index_name, "seed")
    assert len(seed_chunks) == n_before
    assert any("about 3,000" in h["_source"]["content"] for h in seed_chunks)
    assert not any("2,500 and 3,500" in h["_source"]["content"] for h in seed_chunks)
    assert [(h["_id"], h["_seq_no"]) for h in _chunks(es, index_name, "other")] == other_before


def test_shorter_new_version_leaves_no_stale_chunks(es, index_name, seed_text):
    text = _body(seed_text)
    index_articles(es, index_name, [_article("seed", text)], NO_EMBED)
    refresh(es, index_name)
    short = text.split("\n\n")[0]
    report = index_articles(es, index_name, [_article("seed", short)], NO_EMBED)
    refresh(es, index_name)
    chunks = _chunks(es, index_name, "seed")
    assert len(chunks) == 1 and report.chunks_deleted >= 1
    assert chunks[0]["_source"]["content"] == short


def test_exact_and_near_duplicate_copies_fold_into_one_article(es, index_name, seed_text):
    text = _body(seed_text)
    near = text.replace("Saturday", "Sat.").replace("BEIRUT", "Beirut") + "\n\nCopyright 2017 The Record."
    arts = [
        _article("ap-1", text, source="ap.org"),
        _article("paper-1", text, source="dailypaper.com", published=date(2017, 11, 6)),
        _article("paper-2", near, source="othertimes.com"),
    ]
    report = index_articles(es, index_name, arts, NO_EMBED)
    refresh(es, index_name)
    assert (report.new, report.duplicates) == (1, 2)
    assert report.duplicate_of == {"paper-1": "ap-1", "paper-2": "ap-1"}
    assert count(es, index_name, {"term": {"doc_id": "paper-1"}}) == 0
    assert count(es, index_name, {"term": {"doc_id": "paper-2"}}) == 0
    canonical = es.get(index=articles_alias(index_name), id="ap-1")["_source"]
    assert {c["source"] for c in canonical["also_published_by"]} == {"dailypaper.com", "othertimes.com"}

    # A later run with another copy adds it; re-running adds nothing twice.
    late = _article("paper-3", text, source="weekly.net")
    index_articles(es, index_name, [late], NO_EMBED)
    index_articles(es, index_name, [*arts, late], NO_EMBED)
    refresh(es, index_name)
    canonical = es.get(index=articles_alias(index_name), id="ap-1")["_source"]
    assert sorted(c["doc_id"] for c in canonical["also_published_by"]) == ["paper-1", "paper-2", "paper-3"]
    assert count(es, articles_alias(index_name)) == 4


def test_different_story_on_same_topic_is_not_a_duplicate(es, index_name, seed_text):
    text = _body(seed_text)
    other = (
        "Iraqi forces said on Sunday they had secured the border crossing near Qaim after the "
        "Islamic State withdrew, and engineers began clearing explosives from the main road. "
    ) * 4
    report = index_articles(es, index_name, [_article("a", text), _article("b", other)], NO_EMBED)
    assert (report.new, report.duplicates) == (2, 0)


def test_same_corpus_twice_leaves_same_counts(es, index_name, seed_text):
    text = _body(seed_text)
    arts = [_article(f"d{i}", f"Story number {i}. " * 20 + text[i * 50 :]) for i in range(5)]
    index_articles(es, index_name, arts, NO_EMBED)
    refresh(es, index_name)
    first = (count(es, index_name), count(es, articles_alias(index_name)))
    index_articles(es, index_name, arts, NO_EMBED)
    refresh(es, index_name)
    assert (count(es, index_name), count(es, articles_alias(index_name))) == first


def test_reindex_swaps_aliases_to_a_new_version_without_losing_documents(es, index_name, seed_text):
    from search.store import current_index, reindex

    index_articles(es, index_name, [_article("seed", _body(seed_text))], NO_EMBED)
    refresh(es, index_name)
    before = (count(es, index_name), count(es, articles_alias(index_name)))
    report = reindex(es, index_name, embedding_dims=384)
    assert current_index(es, index_name) == f"{index_name}-v2"
    assert report[index_name]["documents"] == before[0]
    assert (count(es, index_name), count(es, articles_alias(index_name))) == before
    assert not es.indices.exists(index=f"{index_name}-v1")
    # Still idempotent after the swap: nothing to write.
    again = index_articles(es, index_name, [_article("seed", _body(seed_text))], NO_EMBED)
    assert (again.unchanged, again.chunks_written) == (1, 0)


def test_haystack_indexing_pipeline_writes_the_same_ids_as_the_plain_functions(
    es, es_url, index_name, seed_text, tmp_path
):
    from haystack import Document

    from ingest.cleaning import clean_record
    from ingest.models import RawRecord
    from search.indexing_pipeline import build_indexing_pipeline
    from search.settings import SearchSettings

    settings = SearchSettings(es_url=es_url, index=index_name, data_dir=tmp_path)
    pipe = build_indexing_pipeline(settings, embed=False)
    first = pipe.run({"cleaner": {"documents": [Document(content=seed_text, meta={"source": "ap.org"})]}})
    assert first["writer"]["report"]["new"] == 1
    direct = clean_record(RawRecord(origin="x", text=seed_text, source="ap.org"))
    ids = sorted(h["_id"] for h in es.search(index=index_name, size=100)["hits"]["hits"])
    assert ids and all(i.startswith(direct.doc_id + "#") for i in ids)
    again = pipe.run({"cleaner": {"documents": [Document(content=seed_text, meta={"source": "ap.org"})]}})
    assert (again["writer"]["report"]["unchanged"], again["writer"]["report"]["chunks_written"]) == (1, 0)


def test_the_updated_date_is_a_date_field_on_chunks_and_the_article(es, index_name, seed_text):
    art = _article("seed", _body(seed_text), updated=date(2017, 11, 6))
    index_articles(
        es, index_name, [art, _article("other", _body(seed_text)[:900] + " Other story.")], NO_EMBED
    )
    es.indices.refresh(index=index_name)
    chunks = _chunks(es, index_name, "seed")
    assert chunks and {c["_source"]["updated"] for c in chunks} == {"2017-11-06"}
    hits = es.search(index=index_name, query={"range": {"updated": {"gte": "2017-11-06"}}}, size=100)
    assert {h["_source"]["doc_id"] for h in hits["hits"]["hits"]} == {"seed"}
    record = es.get(index=f"{index_name}-articles", id="seed")["_source"]
    assert record["updated"] == "2017-11-06" and record["metadata"]["updated"] == "2017-11-06"


def test_the_indexing_pipeline_loaded_from_its_yaml_writes_identical_chunks(
    es, es_url, index_name, seed_text, tmp_path
):
    from haystack import Document

    from search.indexing_pipeline import build_indexing_pipeline
    from search.pipeline_yaml import load_pipeline
    from search.settings import SearchSettings

    written = {}
    for how in ("built", "loaded"):
        alias = f"{index_name}-{how}"
        pipe = build_indexing_pipeline(
            SearchSettings(es_url=es_url, index=alias, data_dir=tmp_path), embed=False
        )
        if how == "loaded":
            pipe = load_pipeline(pipe.dumps())
        report = pipe.run(
            {"cleaner": {"documents": [Document(content=seed_text, meta={"source": "ap.org"})]}}
        )
        assert report["writer"]["report"]["new"] == 1
        hits = es.search(index=alias, size=100, query={"match_all": {}})["hits"]["hits"]
        written[how] = sorted((h["_id"], h["_source"]["content"], h["_source"]["start"]) for h in hits)
        es.indices.delete(index=f"{alias}*", ignore_unavailable=True, allow_no_indices=True)
    assert written["built"] and written["built"] == written["loaded"]
