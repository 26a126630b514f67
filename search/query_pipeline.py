"""The three query pipelines (keyword, semantic, hybrid) as Haystack ``Pipeline``s.

Every component in them is newsdesk's own or Haystack's stock ``DocumentJoiner`` and takes
primitives, so ``build_query_pipeline(mode, settings).dumps()`` is a YAML file that
``Pipeline.loads()`` (or Hayhooks) turns back into the same pipeline; the Elasticsearch key and
password stay references to ``NEWSDESK_ES_API_KEY``/``NEWSDESK_ES_PASSWORD``, never values.

Run them with::

    pipe = build_query_pipeline("hybrid", SearchSettings())
    pipe.run({"bm25": {"query": q, "top_k": 40}, "query_embedder": {"text": q}, "knn": {"top_k": 40}})

* keyword: ``NewsBM25Retriever`` (BM25 over stemmed text, title and captions, with highlights);
* semantic: ``NewsdeskTextEmbedder`` → ``NewsEmbeddingRetriever`` (kNN over chunk vectors);
* hybrid: both, fused by ``DocumentJoiner`` with reciprocal rank fusion (ranks, not scores, so
  BM25's unbounded scores and cosine similarities need no calibration; Cormack, Clarke &
  Büttcher, SIGIR 2009). Grouped search (``Searcher.search``) fuses at the article level instead
  (``search.ranking``), from each retriever's own list.
"""

from __future__ import annotations

from typing import Any

from ingest.lazy_torch import haystack_without_torch
from search.embedding_components import NewsdeskTextEmbedder, embedder_params
from search.retrievers import NewsBM25Retriever, NewsEmbeddingRetriever
from search.settings import SearchSettings

with haystack_without_torch():
    from haystack import Pipeline
    from haystack.components.joiners import DocumentJoiner

MODES: tuple[str, ...] = ("keyword", "semantic", "hybrid")


def build_query_pipeline(mode: str, settings: SearchSettings) -> Pipeline:
    """The pipeline for ``mode``; components named ``bm25``, ``query_embedder``, ``knn``, ``joiner``."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    p = Pipeline()
    if mode in ("keyword", "hybrid"):
        p.add_component("bm25", NewsBM25Retriever.from_settings(settings))
    if mode in ("semantic", "hybrid"):
        p.add_component("query_embedder", NewsdeskTextEmbedder(**embedder_params(settings)))
        p.add_component("knn", NewsEmbeddingRetriever.from_settings(settings))
        p.connect("query_embedder.embedding", "knn.query_embedding")
    if mode == "hybrid":
        p.add_component("joiner", DocumentJoiner(join_mode="reciprocal_rank_fusion", sort_by_score=True))
        p.connect("bm25.documents", "joiner.documents")
        p.connect("knn.documents", "joiner.documents")
    return p


def query_inputs(
    mode: str, query: str, top_k: int, filters: dict[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """The ``Pipeline.run`` data for one query in ``mode``."""
    data: dict[str, dict[str, Any]] = {}
    if mode in ("keyword", "hybrid"):
        data["bm25"] = {"query": query, "top_k": top_k, "filters": filters}
    if mode in ("semantic", "hybrid"):
        data["query_embedder"] = {"text": query}
        data["knn"] = {"top_k": top_k, "filters": filters}
    return data
