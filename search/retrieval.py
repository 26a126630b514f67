"""Keyword, semantic and hybrid retrieval as Haystack pipelines, grouped per article.

* keyword: ``ElasticsearchBM25Retriever`` (BM25 over stemmed text, title and captions, with
  highlights);
* semantic: query embedding → ``ElasticsearchEmbeddingRetriever`` (kNN over chunk vectors);
* hybrid: both, fused by ``DocumentJoiner`` with reciprocal rank fusion. RRF uses ranks, not scores,
  so BM25's unbounded scores and cosine similarities need no calibration against each other, and
  it is robust when one list is poor (Cormack, Clarke & Büttcher, SIGIR 2009). Haystack's constant
  k = 61 is the paper's k = 60 with 0-based ranks; both lists weigh the same.

Each retriever fetches ``top_k × CHUNKS_PER_HIT`` chunks; results are grouped by article (best chunk
shown, the other matching chunks counted) and decorated from the article ledger with the outlets
that also ran the story.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

from elasticsearch import Elasticsearch
from haystack import Document, Pipeline, component
from haystack.components.joiners import DocumentJoiner
from haystack.core.errors import PipelineRuntimeError
from haystack_integrations.components.retrievers.elasticsearch import (
    ElasticsearchBM25Retriever,
    ElasticsearchEmbeddingRetriever,
)

from search.docstore import NewsDocumentStore
from search.settings import SearchSettings
from search.store import articles_alias, make_client

Mode = Literal["keyword", "semantic", "hybrid"]
MODES: tuple[str, ...] = ("keyword", "semantic", "hybrid")
CHUNKS_PER_HIT = 4
MAX_QUERY_CHARS = 12_000


class QueryError(ValueError):
    """The request cannot be served as asked (a 4xx, with this message)."""


@component
class QueryEmbedder:
    """Embeds the query text with newsdesk's embedder (same model as the indexed chunks).

    Usage:
        >>> emb = QueryEmbedder(settings)
        >>> emb.run(text="who holds Qaim?")["embedding"][:3]
    """

    def __init__(self, settings: SearchSettings):
        self.settings = settings

    @component.output_types(embedding=list[float])
    def run(self, text: str) -> dict[str, Any]:
        from search.embedding import get_embedder

        return {"embedding": get_embedder(self.settings).embed_query(text)}


@dataclass
class SearchHit:
    """One article in the results (the contract's hit), with its best chunk."""

    doc_id: str
    chunk_id: str
    title: str
    url: str | None
    published: str | None
    source: str | None
    score: float
    text: str
    highlights: list[str] = field(default_factory=list)
    start: int | None = None
    end: int | None = None
    chunks_matched: int = 1
    also_published_by: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_filters(
    source: str | None = None,
    since: date | None = None,
    until: date | None = None,
    doc_ids: list[str] | None = None,
) -> dict[str, Any] | None:
    """Haystack filter dict on the real ``published`` date, source and doc ids."""
    conditions: list[dict[str, Any]] = []
    if source:
        conditions.append({"field": "meta.source", "operator": "==", "value": source})
    if since:
        conditions.append({"field": "meta.published", "operator": ">=", "value": since.isoformat()})
    if until:
        conditions.append({"field": "meta.published", "operator": "<=", "value": until.isoformat()})
    if doc_ids:
        conditions.append({"field": "meta.doc_id", "operator": "in", "value": list(doc_ids)})
    if not conditions:
        return None
    return {"operator": "AND", "conditions": conditions}


def validate_query(query: str) -> str:
    if query is None or not query.strip():
        raise QueryError("query must not be empty")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"query is longer than {MAX_QUERY_CHARS} characters")
    # Control characters carry no meaning for search; drop them rather than fail.
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", " ", query).strip()


class Searcher:
    """The query side: one per process, pipelines built once and reused."""

    def __init__(self, settings: SearchSettings, client: Elasticsearch | None = None):
        self.settings = settings
        self.client = client or make_client(settings)
        self.store = NewsDocumentStore(settings)
        self._pipelines: dict[str, Pipeline] = {}

    # -- pipelines ----------------------------------------------------------------------------
    def pipeline(self, mode: str) -> Pipeline:
        if mode not in MODES:
            raise QueryError(f"mode must be one of {', '.join(MODES)}")
        if mode not in self._pipelines:
            self._pipelines[mode] = self._build(mode)
        return self._pipelines[mode]

    def _build(self, mode: str) -> Pipeline:
        p = Pipeline()
        if mode in ("keyword", "hybrid"):
            p.add_component("bm25", ElasticsearchBM25Retriever(document_store=self.store, fuzziness="0"))
        if mode in ("semantic", "hybrid"):
            p.add_component("query_embedder", QueryEmbedder(self.settings))
            p.add_component("knn", ElasticsearchEmbeddingRetriever(document_store=self.store))
            p.connect("query_embedder.embedding", "knn.query_embedding")
        if mode == "hybrid":
            p.add_component("joiner", DocumentJoiner(join_mode="reciprocal_rank_fusion", sort_by_score=True))
            p.connect("bm25.documents", "joiner.documents")
            p.connect("knn.documents", "joiner.documents")
        return p

    # -- retrieval ------------------------------------------------------------------------------
    def retrieve_chunks(
        self, query: str, mode: str = "hybrid", top_k: int = 40, filters: dict[str, Any] | None = None
    ) -> list[Document]:
        """Ranked chunks (not grouped): the input to answer extraction."""
        query = validate_query(query)
        p = self.pipeline(mode)
        data: dict[str, Any] = {}
        if mode in ("keyword", "hybrid"):
            data["bm25"] = {"query": query, "top_k": top_k, "filters": filters}
        if mode in ("semantic", "hybrid"):
            data["query_embedder"] = {"text": query}
            data["knn"] = {"top_k": top_k, "filters": filters}
        try:
            result = p.run(data, include_outputs_from={"bm25"} if mode == "hybrid" else None)
        except PipelineRuntimeError as exc:
            # Surface the real cause (Elasticsearch down, bad request) so callers map it to 503/4xx.
            cause = exc.__cause__
            if isinstance(cause, Exception):
                raise cause from exc
            raise
        if mode == "keyword":
            return result["bm25"]["documents"]
        if mode == "semantic":
            return result["knn"]["documents"]
        # RRF keeps one copy per chunk (the kNN one when both lists have it): keep BM25's highlights.
        marks = {d.id: d.meta.get("highlights") for d in result["bm25"]["documents"]}
        fused = result["joiner"]["documents"][:top_k]
        for d in fused:
            if marks.get(d.id) and not d.meta.get("highlights"):
                d.meta["highlights"] = marks[d.id]
        return fused

    def search(
        self,
        query: str,
        mode: str = "hybrid",
        top_k: int = 10,
        filters: dict[str, Any] | None = None,
        group: bool = True,
    ) -> list[SearchHit]:
        """Search; one hit per article unless ``group`` is False."""
        if not 1 <= top_k <= 100:
            raise QueryError("top_k must be between 1 and 100")
        chunks = self.retrieve_chunks(query, mode, top_k * (CHUNKS_PER_HIT if group else 1), filters)
        hits = group_by_article(chunks) if group else [_hit(d) for d in chunks]
        hits = hits[:top_k]
        self._decorate_copies(hits)
        return hits

    def _decorate_copies(self, hits: list[SearchHit]) -> None:
        if not hits:
            return
        resp = self.client.mget(
            index=articles_alias(self.settings.index),
            ids=list({h.doc_id for h in hits}),
            source_includes=["also_published_by"],
        )
        copies = {
            d["_id"]: d["_source"].get("also_published_by") or [] for d in resp["docs"] if d.get("found")
        }
        for h in hits:
            h.also_published_by = copies.get(h.doc_id, [])


def _hit(doc: Document) -> SearchHit:
    m = doc.meta
    return SearchHit(
        doc_id=m.get("doc_id", doc.id.split("#")[0]),
        chunk_id=doc.id,
        title=m.get("title") or "",
        url=m.get("url"),
        published=m.get("published"),
        source=m.get("source"),
        score=float(doc.score or 0.0),
        text=doc.content or "",
        highlights=list(m.get("highlights") or []),
        start=m.get("start"),
        end=m.get("end"),
    )


def group_by_article(chunks: list[Document]) -> list[SearchHit]:
    """One hit per article, in order of its best chunk; the others are counted."""
    best: dict[str, SearchHit] = {}
    order: list[str] = []
    for doc in chunks:
        hit = _hit(doc)
        if hit.doc_id in best:
            best[hit.doc_id].chunks_matched += 1
            if not best[hit.doc_id].highlights and hit.highlights:
                best[hit.doc_id].highlights = hit.highlights
            continue
        best[hit.doc_id] = hit
        order.append(hit.doc_id)
    return [best[d] for d in order]
