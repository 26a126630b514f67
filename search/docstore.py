"""newsdesk's Elasticsearch document store for Haystack: the stock store, told about our mapping.

``elasticsearch-haystack``'s retrievers (``ElasticsearchBM25Retriever``,
``ElasticsearchEmbeddingRetriever``) call the store's ``_bm25_retrieval``/``_embedding_retrieval``.
We keep the retrievers and override those two so that:

* BM25 queries the Python-stemmed ``content_stem`` field (see ``search.analysis``) plus the
  unstemmed ``content`` and the title, and asks for highlights: user text only ever goes into
  ``match`` queries, never into query-string syntax, so ``"``, ``*``, ``(``, ``:`` and ``\\`` are
  just characters;
* vectors and stemmed fields are not shipped back with every hit;
* the index is never created by the store with its default mapping (``search.store`` owns that).
"""

from __future__ import annotations

from typing import Any

from search.lazy_torch import haystack_without_torch

with haystack_without_torch():  # see search/lazy_torch.py: torch loads only when a model runs
    from haystack import Document
    from haystack_integrations.document_stores.elasticsearch import ElasticsearchDocumentStore
    from haystack_integrations.document_stores.elasticsearch.filters import _normalize_filters

from search.analysis import stem_text
from search.query import emphasis_clauses, keyword_text
from search.settings import SearchSettings

_SOURCE_EXCLUDES = ["embedding", "content_stem", "title_stem"]
# Long pasted queries: keep the first terms only (a 10 kB query is still answered, not rejected).
MAX_QUERY_TERMS = 256


class NewsDocumentStore(ElasticsearchDocumentStore):
    """``ElasticsearchDocumentStore`` over newsdesk's chunk alias."""

    def __init__(self, settings: SearchSettings):
        kwargs: dict[str, Any] = {"request_timeout": settings.es_timeout_s}
        auth = settings.es_client_kwargs()
        if "basic_auth" in auth:
            kwargs["basic_auth"] = auth["basic_auth"]
        # The relevance floor of keyword search (see ``_bm25_retrieval``); "" or None: off.
        self.min_should_match = settings.keyword_min_match or None
        self.strip_question_words = settings.keyword_strip_question_words
        self.emphasis_boost = settings.keyword_emphasis_boost
        super().__init__(
            hosts=settings.es_hosts,
            index=settings.index,
            api_key=auth.get("api_key"),
            **kwargs,
        )

    def _ensure_initialized(self) -> None:
        # Same client, but no index creation with the store's default mapping.
        if self._client is None:
            from elasticsearch import Elasticsearch

            self._client = Elasticsearch(
                self._hosts, api_key=self._handle_auth(), headers=self._headers, **self._kwargs
            )

    def _bm25_retrieval(
        self,
        query: str,
        *,
        filters: dict[str, Any] | None = None,
        fuzziness: str = "0",
        top_k: int = 10,
        scale_score: bool = False,
    ) -> list[Document]:
        terms = query.split()
        if len(terms) > MAX_QUERY_TERMS:
            query = " ".join(terms[:MAX_QUERY_TERMS])
        emphasised = emphasis_clauses(query, self.emphasis_boost)
        if self.strip_question_words:
            query = keyword_text(query)
        stemmed = stem_text(query)
        if not stemmed.strip():
            return []
        msm = self.min_should_match
        floor = {"minimum_should_match": msm} if msm else {}
        topical: list[dict[str, Any]] = [
            {"match": {"content_stem": {"query": stemmed, **floor}}},
            {"match": {"title_stem": {"query": stemmed, "boost": 0.8, **floor}}},
        ]
        extra: list[dict[str, Any]] = [
            {"match": {"content": {"query": query, "boost": 0.5}}},
            {"match": {"captions": {"query": query, "boost": 0.3}}},
            *emphasised,
        ]
        if msm:
            # The floor: a chunk must match enough of the query's terms in its text or its
            # article's title (``minimum_should_match``, e.g. "2<-25% 6<40%"); the other fields
            # only add to the score. A query that matches nothing that well gets no hits.
            bool_query: dict[str, Any] = {
                "must": [{"bool": {"should": topical, "minimum_should_match": 1}}],
                "should": extra,
            }
        else:
            bool_query = {"should": topical + extra, "minimum_should_match": 1}
        body: dict[str, Any] = {
            "size": top_k,
            "query": {"bool": bool_query},
            "_source": {"excludes": _SOURCE_EXCLUDES},
            "highlight": {
                "fields": {
                    "content": {
                        "type": "fvh",
                        "fragment_size": 180,
                        "number_of_fragments": 2,
                        "highlight_query": {"match": {"content": {"query": query}}},
                    }
                },
                "pre_tags": ["<mark>"],
                "post_tags": ["</mark>"],
                "encoder": "html",
            },
        }
        if filters:
            body["query"]["bool"]["filter"] = _normalize_filters(filters)
        return self._search_once(body)

    def _embedding_retrieval(
        self,
        query_embedding: list[float],
        *,
        filters: dict[str, Any] | None = None,
        top_k: int = 10,
        num_candidates: int | None = None,
    ) -> list[Document]:
        if not query_embedding:
            raise ValueError("query_embedding must be a non-empty list of floats")
        body: dict[str, Any] = {
            "knn": {
                "field": "embedding",
                "query_vector": query_embedding,
                "k": top_k,
                "num_candidates": num_candidates or max(100, top_k * 10),
            },
            "size": top_k,
            "_source": {"excludes": _SOURCE_EXCLUDES},
        }
        if filters:
            body["knn"]["filter"] = _normalize_filters(filters)
        return self._search_once(body)

    def _search_once(self, body: dict[str, Any]) -> list[Document]:
        # One request: the stock store pages until ``total`` (pointless for top-k retrieval).
        res = self.client.search(index=self._index, **body)
        return [self._to_document(hit) for hit in res["hits"]["hits"]]

    @staticmethod
    def _to_document(hit: dict[str, Any]) -> Document:
        src = dict(hit["_source"])
        content = src.pop("content", None)
        doc_id = src.pop("id", hit["_id"])
        meta = src
        if "highlight" in hit:
            meta["highlights"] = hit["highlight"].get("content", [])
        return Document(id=doc_id, content=content, meta=meta, score=hit.get("_score"))
