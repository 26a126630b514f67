"""Integration: the index layout and bulk writes against the session's real Elasticsearch."""

from __future__ import annotations

from elasticsearch import Elasticsearch

from search.analysis import stem_text
from search.store import articles_alias, bulk_write, count, ensure_indices, refresh


def _paragraph_chunks(doc_id: str, title: str, text: str, index: str) -> list[dict]:
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    return [
        {
            "_op_type": "index",
            "_index": index,
            "_id": f"{doc_id}#{i}",
            "_source": {
                "id": f"{doc_id}#{i}",
                "doc_id": doc_id,
                "chunk_index": i,
                "title": title,
                "content": p,
                "content_stem": stem_text(p),
                "published": "2017-11-05",
            },
        }
        for i, p in enumerate(paragraphs)
    ]


def test_seed_article_is_found_by_keyword_qaim(es_client: Elasticsearch, index_name: str, seed_text: str):
    ensure_indices(es_client, index_name, embedding_dims=384)
    title = seed_text.splitlines()[0]
    result = bulk_write(es_client, _paragraph_chunks("seed", title, seed_text, index_name))
    assert result.ok, result.failed
    refresh(es_client, index_name)

    resp = es_client.search(index=index_name, query={"match": {"content": "Qaim"}})
    hits = resp["hits"]["hits"]
    assert hits, "keyword query for Qaim found nothing"
    assert {h["_source"]["doc_id"] for h in hits} == {"seed"}
    assert all("Qaim" in h["_source"]["content"] for h in hits)


def test_stemmed_field_matches_other_word_forms(es_client: Elasticsearch, index_name: str, seed_text: str):
    ensure_indices(es_client, index_name, embedding_dims=384)
    bulk_write(es_client, _paragraph_chunks("seed", "t", seed_text, index_name))
    refresh(es_client, index_name)
    # The text says "retaking" and "reclaimed"; a query for "retakes" only matches through stemming.
    exact = es_client.search(index=index_name, query={"match": {"content": "retakes"}})
    stemmed = es_client.search(index=index_name, query={"match": {"content_stem": stem_text("retakes")}})
    assert exact["hits"]["total"]["value"] == 0
    assert stemmed["hits"]["total"]["value"] >= 1


def test_indices_live_behind_versioned_aliases(es_client: Elasticsearch, index_name: str):
    ensure_indices(es_client, index_name, embedding_dims=8)
    ensure_indices(es_client, index_name, embedding_dims=8)  # idempotent
    aliases = es_client.indices.get_alias(name=f"{index_name}*")
    assert set(aliases.keys()) == {f"{index_name}-v1", f"{index_name}-articles-v1"}
    assert count(es_client, articles_alias(index_name)) == 0


def test_the_embedding_size_is_asked_only_when_the_chunk_index_is_created(
    es_client: Elasticsearch, index_name: str
):
    asked: list[int] = []

    def dims() -> int:  # stands in for loading a model to learn its size
        asked.append(8)
        return 8

    ensure_indices(es_client, index_name, embedding_dims=dims)
    ensure_indices(es_client, index_name, embedding_dims=dims)
    assert asked == [8]
    mapping = next(iter(es_client.indices.get_mapping(index=index_name).values()))["mappings"]
    assert mapping["properties"]["embedding"]["dims"] == 8


def test_bulk_write_reports_each_rejected_document(es_client: Elasticsearch, index_name: str):
    ensure_indices(es_client, index_name, embedding_dims=384)
    good = {"_op_type": "index", "_index": index_name, "_id": "ok", "_source": {"doc_id": "ok"}}
    bad = {
        "_op_type": "index",
        "_index": index_name,
        "_id": "bad",
        "_source": {"doc_id": "bad", "published": "not a date"},
    }
    result = bulk_write(es_client, [good, bad])
    assert result.written == ["ok"]
    assert set(result.failed) == {"bad"}
    assert "published" in result.failed["bad"] or "date" in result.failed["bad"]
