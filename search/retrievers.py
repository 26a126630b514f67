"""newsdesk's Elasticsearch retrievers as Haystack components: keyword (BM25) and semantic (kNN).

Why our own components and not ``elasticsearch-haystack``'s retrievers: newsdesk's queries are its
own (BM25 over the Python-stemmed ``content_stem``/``title_stem`` fields of ``search.analysis``
plus the unstemmed text and captions, a relevance floor, emphasis on quoted phrases and names,
highlights; vectors and stemmed fields never shipped back). Getting those through the stock
retrievers meant overriding private methods of the integration's document store, held together
by a version pin. Here the requests are built in newsdesk's code, filters are converted by
``search.es_filters``, and the components take primitives and ``Secret``s so a pipeline made of
them round-trips through ``Pipeline.dumps()``/``loads()`` (YAML).

User text only ever goes into ``match`` queries, never into query-string syntax, so ``"``, ``*``,
``(``, ``:`` and ``\\`` are just characters.
"""

from __future__ import annotations

from typing import Any

from ingest.lazy_torch import haystack_without_torch
from search.es_connection import ElasticsearchConnection, connection_params
from search.es_filters import to_es_filter
from search.query import keyword_query, searchable_text
from search.settings import SearchSettings

with haystack_without_torch():  # see ingest/lazy_torch.py: torch loads only when a model runs
    from haystack import Document, component, default_to_dict
    from haystack.utils import Secret

SOURCE_EXCLUDES = ["embedding", "content_stem", "title_stem"]
# What ranking candidates carry when only their ranking is needed (``Searcher.search`` fetches the
# text and highlights of the few it shows afterwards): highlighting 100 candidates cost more than
# finding them.
RANK_SOURCE = ["doc_id", "published"]
# Long pasted queries: keep the first terms only (a 10 kB query is still answered, not rejected).
MAX_QUERY_TERMS = 256
_DEFAULT_MIN_MATCH = SearchSettings.model_fields["keyword_min_match"].default


@component
class NewsBM25Retriever(ElasticsearchConnection):
    """Keyword retrieval over newsdesk's chunk index: stemmed BM25, a relevance floor, highlights.

    Usage::

        from search.retrievers import NewsBM25Retriever

        bm25 = NewsBM25Retriever(hosts=["http://localhost:9200"], index="news")
        bm25.run(query="Qaim border", top_k=5)["documents"][0].meta["highlights"]

    :param hosts: Elasticsearch node URLs of one cluster.
    :param index: the chunk alias (``NEWSDESK_INDEX``).
    :param api_key: Elasticsearch API key (default: ``NEWSDESK_ES_API_KEY``, if set).
    :param username: basic-auth user, if the cluster is secured that way.
    :param password: basic-auth password (default: ``NEWSDESK_ES_PASSWORD``, if set).
    :param request_timeout: seconds per request.
    :param top_k: chunks returned when ``run`` is not told.
    :param min_should_match: ``minimum_should_match`` a chunk needs on its text or title (the
        relevance floor, e.g. ``"2<-25% 6<40%"``); ``None`` or ``""``: off.
    :param strip_question_words: drop wh-words, auxiliaries and pronouns from the query.
    :param emphasis_boost: extra weight of quoted phrases, multi-word names and numbers; 0: off.
    """

    def __init__(
        self,
        *,
        hosts: list[str] | str = "http://localhost:9200",
        index: str = "news",
        api_key: Secret | None = None,
        username: str | None = None,
        password: Secret | None = None,
        request_timeout: float = 30.0,
        top_k: int = 10,
        min_should_match: str | None = _DEFAULT_MIN_MATCH,
        strip_question_words: bool = True,
        emphasis_boost: float = 1.0,
    ):
        self._connect(hosts, index, api_key, username, password, request_timeout)
        if top_k < 1:
            raise ValueError("top_k must be at least 1")
        if emphasis_boost < 0:
            raise ValueError("emphasis_boost must not be negative")
        self.top_k = top_k
        self.min_should_match = min_should_match or None
        self.strip_question_words = strip_question_words
        self.emphasis_boost = float(emphasis_boost)

    @classmethod
    def from_settings(cls, settings: SearchSettings) -> NewsBM25Retriever:
        """The retriever ``NEWSDESK_*`` settings describe."""
        return cls(
            **connection_params(settings),
            min_should_match=settings.keyword_min_match,
            strip_question_words=settings.keyword_strip_question_words,
            emphasis_boost=settings.keyword_emphasis_boost,
        )

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(
            self,
            **self._connection_dict(),
            top_k=self.top_k,
            min_should_match=self.min_should_match,
            strip_question_words=self.strip_question_words,
            emphasis_boost=self.emphasis_boost,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NewsBM25Retriever:
        return cls._from_dict_with_secrets(data)

    @component.output_types(documents=list[Document])
    def run(
        self, query: str, filters: dict[str, Any] | None = None, top_k: int | None = None
    ) -> dict[str, list[Document]]:
        """Chunks matching ``query``, best first; none when it matches nothing well enough."""
        body = self.request(query, filters, top_k or self.top_k)
        return {"documents": _search(self, body) if body else []}

    def request(self, query: str, filters: dict[str, Any] | None, top_k: int) -> dict[str, Any] | None:
        """The search request body (``None``: the query has no searchable term)."""
        built = keyword_query(
            query,
            min_should_match=self.min_should_match,
            strip_question_words=self.strip_question_words,
            emphasis_boost=self.emphasis_boost,
            max_terms=MAX_QUERY_TERMS,
        )
        if built is None:
            return None
        bool_query: dict[str, Any] = built["bool"]
        if filters:
            bool_query["filter"] = [*bool_query.get("filter", []), to_es_filter(filters)]
        return {
            "size": top_k,
            "query": {"bool": bool_query},
            "_source": {"excludes": SOURCE_EXCLUDES},
            "highlight": highlight_request(highlight_text(query, self.strip_question_words)),
        }


def highlight_text(query: str, strip_question_words: bool = True) -> str:
    """The words of ``query`` that are marked in results: those the keyword query searches."""
    return searchable_text(query, strip_question_words, MAX_QUERY_TERMS)


def highlight_request(query: str) -> dict[str, Any]:
    """Two 180-character fragments of the chunk text around the query's words, HTML-escaped."""
    return {
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
    }


@component
class NewsEmbeddingRetriever(ElasticsearchConnection):
    """Semantic retrieval: approximate kNN over newsdesk's chunk vectors.

    Usage::

        from search.retrievers import NewsEmbeddingRetriever

        knn = NewsEmbeddingRetriever(hosts=["http://localhost:9200"], index="news")
        knn.run(query_embedding=vector, top_k=5)["documents"]

    Parameters as for ``NewsBM25Retriever``'s connection, plus ``top_k`` and ``num_candidates``
    (kNN candidates per shard; default ``max(100, 10 × top_k)``).
    """

    def __init__(
        self,
        *,
        hosts: list[str] | str = "http://localhost:9200",
        index: str = "news",
        api_key: Secret | None = None,
        username: str | None = None,
        password: Secret | None = None,
        request_timeout: float = 30.0,
        top_k: int = 10,
        num_candidates: int | None = None,
    ):
        self._connect(hosts, index, api_key, username, password, request_timeout)
        if top_k < 1:
            raise ValueError("top_k must be at least 1")
        if num_candidates is not None and num_candidates < 1:
            raise ValueError("num_candidates must be at least 1")
        self.top_k = top_k
        self.num_candidates = num_candidates

    @classmethod
    def from_settings(cls, settings: SearchSettings) -> NewsEmbeddingRetriever:
        return cls(**connection_params(settings))

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(
            self, **self._connection_dict(), top_k=self.top_k, num_candidates=self.num_candidates
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NewsEmbeddingRetriever:
        return cls._from_dict_with_secrets(data)

    @component.output_types(documents=list[Document])
    def run(
        self, query_embedding: list[float], filters: dict[str, Any] | None = None, top_k: int | None = None
    ) -> dict[str, list[Document]]:
        """The chunks nearest ``query_embedding`` (Elasticsearch's score: (1 + cosine) / 2)."""
        return {"documents": _search(self, self.request(query_embedding, filters, top_k or self.top_k))}

    def request(
        self, query_embedding: list[float], filters: dict[str, Any] | None, top_k: int
    ) -> dict[str, Any]:
        """The search request body."""
        if not query_embedding:
            raise ValueError("query_embedding must be a non-empty list of floats")
        k = top_k
        body: dict[str, Any] = {
            "knn": {
                "field": "embedding",
                "query_vector": query_embedding,
                "k": k,
                "num_candidates": self.num_candidates or max(100, k * 10),
            },
            "size": k,
            "_source": {"excludes": SOURCE_EXCLUDES},
        }
        if filters:
            body["knn"]["filter"] = to_es_filter(filters)
        return body


def _search(conn: ElasticsearchConnection, body: dict[str, Any]) -> list[Document]:
    # One request: top-k retrieval needs no paging.
    res = conn.client.search(index=conn.index, **body)
    return [to_document(hit) for hit in res["hits"]["hits"]]


def to_document(hit: dict[str, Any]) -> Document:
    """A chunk hit as a Haystack ``Document`` (meta flat, as stored; BM25 highlights in meta)."""
    src = dict(hit["_source"])
    content = src.pop("content", None)
    doc_id = src.pop("id", hit["_id"])
    if "highlight" in hit:
        src["highlights"] = hit["highlight"].get("content", [])
    return Document(id=doc_id, content=content, meta=src, score=hit.get("_score"))
