"""Keyword, semantic and hybrid retrieval, grouped per article.

The retrievers run as the Haystack pipelines of ``search.query_pipeline``. Grouped search
(``Searcher.search``) asks each retriever for its own ranked chunks, scores articles from all
their chunks and fuses the two article rankings (``search.ranking``); ungrouped search and answer
extraction use the chunk-level pipelines as they are (RRF over chunks in hybrid).

Grouped search ranks on candidates that carry only ids, scores and dates, then fetches the text
and highlights of the articles it shows, and the outlets that also ran each story from the article
ledger, in a second round trip.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from elasticsearch import Elasticsearch
from pydantic import Field

from ingest.entities import ENTITY_TYPES
from ingest.lazy_torch import haystack_without_torch
from ingest.models import chunk_id

with haystack_without_torch():  # keyword search never embeds: torch loads with the first query vector
    from haystack import Document, Pipeline
    from haystack.core.errors import PipelineRuntimeError

from search.es_filters import to_es_filter
from search.query import article_keyword_query, keyword_query
from search.query_pipeline import MODES, build_query_pipeline
from search.ranking import ArticleScore, fuse, recency_rerank, score_articles
from search.retrievers import (
    MAX_QUERY_TERMS,
    RANK_SOURCE,
    SOURCE_EXCLUDES,
    highlight_request,
    highlight_text,
    to_document,
)
from search.settings import SearchSettings
from search.store import articles_alias, make_client

Mode = Literal["keyword", "semantic", "hybrid"]
CHUNKS_PER_HIT = 4
MAX_QUERY_CHARS = 12_000


class QueryError(ValueError):
    """The request cannot be served as asked (a 4xx, with this message)."""


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
    entities: Annotated[
        dict[str, list[str]], Field(description="people, organizations, groups, places tagged on the article")
    ] = field(default_factory=dict)
    updated: Annotated[str | None, Field(description="the last update the article states, if any")] = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_filters(
    source: str | None = None,
    since: date | None = None,
    until: date | None = None,
    doc_ids: list[str] | None = None,
    as_of: date | None = None,
    entities: list[str] | None = None,
    author: str | None = None,
) -> dict[str, Any] | None:
    """Haystack filter dict on the real ``published`` date, source, doc ids, entities and author.

    ``author``: one of the article's ``authors`` as stored (the byline the cleaner moved to metadata).

    ``entities``: every one must be tagged on the article (clicking two facets narrows twice).

    ``as_of``: only what had been published by the end of that day (the index as it stood then).
    """
    conditions: list[dict[str, Any]] = []
    if as_of:
        after = (as_of + timedelta(days=1)).isoformat()
        conditions.append({"field": "meta.published", "operator": "<", "value": after})
    if source:
        conditions.append({"field": "meta.source", "operator": "==", "value": source})
    if since:
        conditions.append({"field": "meta.published", "operator": ">=", "value": since.isoformat()})
    if until:
        conditions.append({"field": "meta.published", "operator": "<=", "value": until.isoformat()})
    if doc_ids:
        conditions.append({"field": "meta.doc_id", "operator": "in", "value": list(doc_ids)})
    if author:
        conditions.append({"field": "meta.authors", "operator": "==", "value": author})
    for name in entities or []:
        conditions.append({"field": "meta.entities", "operator": "==", "value": name})
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
        self._pipelines: dict[str, Pipeline] = {}
        self._vectors_checked: tuple[float, bool] | None = None

    def has_vectors(self) -> bool:
        """Does the index hold any embedded chunk? (re-checked every 30 s: ingestion may add them)."""
        now = time.monotonic()
        if self._vectors_checked is None or now - self._vectors_checked[0] > 30:
            resp = self.client.count(index=self.settings.index, query={"exists": {"field": "embedding"}})
            self._vectors_checked = (now, resp["count"] > 0)
        return self._vectors_checked[1]

    def _effective_mode(self, mode: str) -> str:
        """Semantic needs vectors: say so for semantic; hybrid on a keyword-only index is keyword."""
        if mode == "keyword" or self.has_vectors():
            return mode
        if mode == "semantic":
            raise QueryError(
                f"index {self.settings.index!r} has no vectors (it was built with --no-embed), so "
                "semantic search cannot run: use --mode keyword, or ingest again with embeddings"
            )
        return "keyword"

    # -- pipelines ----------------------------------------------------------------------------
    def pipeline(self, mode: str) -> Pipeline:
        if mode not in MODES:
            raise QueryError(f"mode must be one of {', '.join(MODES)}")
        if mode not in self._pipelines:
            self._pipelines[mode] = self._build(mode)
        return self._pipelines[mode]

    def _build(self, mode: str) -> Pipeline:
        return build_query_pipeline(mode, self.settings)

    # -- retrieval ------------------------------------------------------------------------------
    def retrieve_chunks(
        self,
        query: str,
        mode: str = "hybrid",
        top_k: int = 40,
        filters: dict[str, Any] | None = None,
        highlights: bool = True,
    ) -> list[Document]:
        """Ranked chunks (not grouped): the input to answer extraction (which reads sentences, not
        highlights: ``highlights=False`` spares Elasticsearch marking them)."""
        query = validate_query(query)
        mode = self._effective_mode(mode) if mode in MODES else mode
        p = self.pipeline(mode)
        # The pipeline's components, run in its order by hand: Pipeline.run deep-copies every
        # document between components, which cost ~25 ms of an ask's ~130 ms.
        bm25: list[Document] = []
        knn: list[Document] = []
        if mode in ("keyword", "hybrid"):
            retriever = p.get_component("bm25")
            if highlights:
                bm25 = retriever.run(query=query, filters=filters, top_k=top_k)["documents"]
            else:
                body = retriever.request(query, filters, top_k)
                if body is not None:
                    body.pop("highlight")
                    bm25 = [to_document(h) for h in self._msearch([(self.settings.index, body)])[0]]
        if mode in ("semantic", "hybrid"):
            try:
                vector = p.get_component("query_embedder").run(text=query)["embedding"]
            except PipelineRuntimeError as exc:  # surface the real cause, as Pipeline.run's callers did
                cause = exc.__cause__
                raise (cause if isinstance(cause, Exception) else exc) from exc
            knn = p.get_component("knn").run(query_embedding=vector, filters=filters, top_k=top_k)[
                "documents"
            ]
        if mode == "keyword":
            if len(bm25) < top_k and self.settings.keyword_min_match:
                bm25 += self._chunks_of_matching_articles(query, filters, bm25, top_k - len(bm25))
            return bm25
        if mode == "semantic":
            return knn
        # RRF keeps one copy per chunk (the kNN one when both lists have it): keep BM25's highlights.
        marks = {d.id: d.meta.get("highlights") for d in bm25}
        fused = p.get_component("joiner").run(documents=[bm25, knn])["documents"][:top_k]
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
        as_of: date | None = None,
    ) -> list[SearchHit]:
        """Search; one hit per article (ranked from all its chunks) unless ``group`` is False.

        ``as_of``: only articles published by then, and for present-tense queries a recency prior
        relative to it (``NEWSDESK_RECENCY_HALF_LIFE_DAYS``).

        Two round trips: the retrievers' candidates (ids, scores and dates only, one ``_msearch``),
        then the text, highlights and copies of the ``top_k`` articles shown (another).
        """
        if not 1 <= top_k <= 100:
            raise QueryError("top_k must be between 1 and 100")
        if mode not in MODES:
            raise QueryError(f"mode must be one of {', '.join(MODES)}")
        if as_of is not None:
            filters = _and(filters, build_filters(as_of=as_of))
        if not group:
            if self._effective_mode(mode) == "semantic":
                docs = self.retrieve_lists(query, "semantic", filters)["knn"]
            else:
                docs = self.retrieve_chunks(query, mode, top_k, filters)
            return [_hit(d) for d in docs][:top_k]
        lists = self.retrieve_lists(query, mode, filters, rank_only=True)
        ranked = rank_articles(lists, self.settings)
        if as_of is not None and is_present_query(query):
            ranked = _recency_reorder(ranked, lists, as_of, self.settings.recency_half_life_days)
        return self._shown(ranked[:top_k], query)

    def retrieve_lists(
        self, query: str, mode: str, filters: dict[str, Any] | None = None, rank_only: bool = False
    ) -> dict[str, list[Document]]:
        """Each retriever's own ranked chunks (``bm25``, ``knn``; ``article``: whole articles, each
        as its lead chunk's id), after the relevance floor. ``rank_only``: without text or
        highlights, just what ranking reads (``RANK_SOURCE``)."""
        query = validate_query(query)
        mode = self._effective_mode(mode)
        n = self.settings.candidate_chunks
        requests: dict[str, tuple[str, dict[str, Any]]] = {}
        if mode in ("keyword", "hybrid"):
            bm25 = self.pipeline("keyword").get_component("bm25").request(query, filters, n)
            if bm25 is not None:
                requests["bm25"] = (self.settings.index, bm25)
            if self.settings.article_bm25_weight > 0:
                article = self._article_request(query, filters, n)
                if article is not None:
                    requests["article"] = (articles_alias(self.settings.index), article)
        if mode in ("semantic", "hybrid"):
            semantic = self.pipeline("semantic")
            try:
                vector = semantic.get_component("query_embedder").run(text=query)["embedding"]
            except PipelineRuntimeError as exc:
                cause = exc.__cause__
                raise (cause if isinstance(cause, Exception) else exc) from exc
            knn = semantic.get_component("knn").request(vector, filters, n)
            requests["knn"] = (self.settings.index, knn)
            if mode == "semantic" and (lexical := self._lexical_knn_request(query, vector, filters, n)):
                requests["knn_lexical"] = (self.settings.index, lexical)
        if rank_only:
            for name, (_, body) in requests.items():
                body.pop("highlight", None)
                body["_source"] = RANK_SOURCE if name != "article" else ["published"]
        hits = self._msearch(list(requests.values()))
        out: dict[str, list[Document]] = {"bm25": []} if mode in ("keyword", "hybrid") else {}
        for name, found in zip(requests, hits, strict=True):
            if name == "article":
                out[name] = [_article_doc(h) for h in found]
            else:
                out[name] = [to_document(h) for h in found]
        if "knn" in out:
            out["knn"] = self._floored(out["knn"], out.pop("knn_lexical", []))
        return out

    def _lexical_knn_request(
        self, query: str, vector: list[float], filters: dict[str, Any] | None, n: int
    ) -> dict[str, Any] | None:
        """Semantic neighbours among the chunks that carry every word of the query (in any of its
        forms, in the chunk or its title), whatever their similarity; ``None`` when keyword search
        runs without a floor (then nothing is known to match by words).

        A short query ("Qaim border") sits further from any chunk than a question does: the
        seed's paragraph on the town scores 0.63 against a floor of 0.64. A neighbour that also
        carries all the query's words is a match by both measures.
        """
        if not self.settings.keyword_min_match:
            return None
        bm25 = self.pipeline("keyword").get_component("bm25")
        # every word of the query, not the keyword floor's share of them: a long query of chance
        # words (a pasted JSON blob) passes the share somewhere in a large index
        keyword = keyword_query(
            query,
            min_should_match="100%",
            strip_question_words=bm25.strip_question_words,
            max_terms=MAX_QUERY_TERMS,
            only_what_decides=True,
        )
        if keyword is None:
            return None
        body = self.pipeline("semantic").get_component("knn").request(vector, filters, n)
        body["knn"]["filter"] = {"bool": {"filter": [keyword, *([body["knn"]["filter"]] if filters else [])]}}
        return body

    def _chunks_of_matching_articles(
        self, query: str, filters: dict[str, Any] | None, found: list[Document], n: int
    ) -> list[Document]:
        """Up to ``n`` chunks, best first by BM25 without the floor, of articles that pass the
        floor as a whole and have no chunk among the hits ``found``.

        "Who holds Qaim?" names the town in one paragraph of the story and says who *held* it in
        another: no chunk carries both words, the article does. Keyword search shows that article
        (article BM25); ``ask`` reads chunks, and without these it had nothing to read.
        """
        seen = {d.meta.get("doc_id") for d in found}
        doc_ids = [a.meta["doc_id"] for a in self.article_bm25(query, filters, n + len(seen))]
        doc_ids = [d for d in doc_ids if d not in seen][:n]
        if not doc_ids:
            return []
        q = keyword_query(
            query,
            min_should_match=None,
            strip_question_words=self.settings.keyword_strip_question_words,
            emphasis_boost=self.settings.keyword_emphasis_boost,
            max_terms=MAX_QUERY_TERMS,
        )
        if q is None:
            return []
        q["bool"]["filter"] = [to_es_filter(_and(build_filters(doc_ids=doc_ids), filters))]
        res = self.client.search(
            index=self.settings.index, query=q, size=n, source={"excludes": SOURCE_EXCLUDES}
        )
        return [to_document(h) for h in res["hits"]["hits"]]

    def article_bm25(self, query: str, filters: dict[str, Any] | None, n: int) -> list[Document]:
        """Articles ranked by BM25 over their whole text, each as its lead chunk's id (the chunk
        shown when no chunk of the article is among the other lists' hits)."""
        body = self._article_request(query, filters, n)
        if body is None:
            return []
        res = self.client.search(index=articles_alias(self.settings.index), **body)
        return [_article_doc(h) for h in res["hits"]["hits"]]

    def _article_request(self, query: str, filters: dict[str, Any] | None, n: int) -> dict[str, Any] | None:
        q = article_keyword_query(
            query,
            min_should_match=self.settings.keyword_min_match,
            strip_question_words=self.settings.keyword_strip_question_words,
        )
        if q is None:
            return None
        if filters:
            q["bool"]["filter"] = [*q["bool"].get("filter", []), to_es_filter(filters)]
        return {"query": q, "size": n, "_source": ["published"]}

    def _msearch(self, requests: list[tuple[str, dict[str, Any]]]) -> list[list[dict[str, Any]]]:
        """The hits of several searches in one round trip (Elasticsearch runs them in parallel).
        A search that failed is sent again on its own, so its error is raised as ``search`` raises it
        (a 400 for a bad request, a connection error when the cluster is gone)."""
        if not requests:
            return []
        if len(requests) == 1:
            index, body = requests[0]
            return [self.client.search(index=index, **body)["hits"]["hits"]]
        searches: list[dict[str, Any]] = []
        for index, body in requests:
            searches += [{"index": index}, body]
        responses = self.client.msearch(searches=searches)["responses"]
        out = []
        for (index, body), resp in zip(requests, responses, strict=True):
            if "error" in resp:
                resp = self.client.search(index=index, **body)
            out.append(resp["hits"]["hits"])
        return out

    def _shown(self, ranked: list[ArticleScore], query: str) -> list[SearchHit]:
        """Hits for ranked articles: each shows its best chunk (the next one if that was deleted
        since), with the query's words marked, and the outlets that also ran the story."""
        if not ranked:
            return []
        ids = list(dict.fromkeys(c for art in ranked for c in art.chunk_ids[:2]))
        chunks: dict[str, Any] = {"query": {"ids": {"values": ids}}, "size": len(ids)}
        chunks["_source"] = {"excludes": SOURCE_EXCLUDES}
        words = highlight_text(query, self.settings.keyword_strip_question_words)
        if words.strip():
            chunks["highlight"] = highlight_request(words)
        doc_ids = [art.doc_id for art in ranked]
        copies = {"query": {"ids": {"values": doc_ids}}, "size": len(doc_ids)}
        copies["_source"] = ["also_published_by"]
        found, articles = self._msearch(
            [(self.settings.index, chunks), (articles_alias(self.settings.index), copies)]
        )
        shown = {d.id: d for d in map(to_document, found)}
        also = {h["_id"]: h["_source"].get("also_published_by") or [] for h in articles}
        hits = article_hits(ranked, shown)
        for h in hits:
            h.also_published_by = also.get(h.doc_id, [])
        return hits

    def _floored(self, docs: list[Document], lexical: list[Document] | None = None) -> list[Document]:
        """Semantic neighbours under the calibrated similarity are noise, not results, unless
        they carry every word of the query (``lexical``: ``_lexical_knn_request``'s hits)."""
        floor = self.settings.semantic_floor
        if not floor:
            return docs
        kept = {d.id: d for d in docs if (d.score or 0.0) >= floor}
        for d in lexical or []:
            kept.setdefault(d.id, d)
        return sorted(kept.values(), key=lambda d: -(d.score or 0.0))


def _hit(doc: Document) -> SearchHit:
    m = doc.meta
    return SearchHit(
        doc_id=m.get("doc_id", doc.id.split("#")[0]),
        chunk_id=doc.id,
        title=m.get("title") or "",
        url=m.get("url"),
        published=m.get("published"),
        updated=m.get("updated"),
        source=m.get("source"),
        score=float(doc.score or 0.0),
        text=doc.content or "",
        highlights=list(m.get("highlights") or []),
        start=m.get("start"),
        end=m.get("end"),
        entities={k: list(m[k]) for k in ENTITY_TYPES if m.get(k)},
    )


def _article_doc(hit: dict[str, Any]) -> Document:
    """An article-level BM25 hit, standing for the article's lead chunk (``article_level``)."""
    src = hit.get("_source") or {}
    meta = {"doc_id": hit["_id"], "published": src.get("published"), "article_level": True}
    return Document(id=chunk_id(hit["_id"], 0), meta=meta, score=hit["_score"])


def _and(a: dict[str, Any] | None, b: dict[str, Any] | None) -> dict[str, Any] | None:
    if not a or not b:
        return a or b
    return {"operator": "AND", "conditions": [a, b]}


_PRESENT = re.compile(
    r"\b(?:who|what|which|where)\s+(?:\w+\s+)?(?:is|are|\w+s)\b|\b(?:currently|now|still|today|at present)\b",
    re.IGNORECASE,
)


def is_present_query(query: str) -> bool:
    """ "who holds …", "which team leads …", "… currently …": about the state as of a date."""
    return bool(_PRESENT.search(query))


def rank_articles(lists: dict[str, list[Document]], settings: SearchSettings) -> list[ArticleScore]:
    """Articles ranked from each retriever's chunks, then fused (one list: just that ranking)."""
    per_list = {
        name: score_articles(
            ((d.meta.get("doc_id") or d.id.split("#")[0], d.id, float(d.score or 0.0)) for d in docs),
            depth=settings.article_chunk_depth,
            damping=settings.article_chunk_damping,
        )
        for name, docs in lists.items()
    }
    if len(per_list) == 1:
        return next(iter(per_list.values()))
    weights = {"bm25": 1.0, "knn": settings.fusion_semantic_weight, "article": settings.article_bm25_weight}
    fused = fuse(per_list, settings.fusion, weights=weights)
    alone = settings.semantic_floor_alone
    if not alone:
        return fused
    # Keyword search found nothing for an article: its semantic similarity alone must be strong
    # (nonsense queries have neighbours at ~0.6-0.75; real matches the keyword side misses, higher).
    found_by_keyword = {a.doc_id for name in ("bm25", "article") for a in per_list.get(name, [])}
    best_knn: dict[str, float] = {}
    for d in lists.get("knn", []):
        doc_id = d.meta.get("doc_id") or d.id.split("#")[0]
        best_knn[doc_id] = max(best_knn.get(doc_id, 0.0), float(d.score or 0.0))
    return [a for a in fused if a.doc_id in found_by_keyword or best_knn.get(a.doc_id, 0.0) >= alone]


def _recency_reorder(
    ranked: list[ArticleScore], lists: dict[str, list[Document]], as_of: date, half_life: float
) -> list[ArticleScore]:
    published = {
        d.meta.get("doc_id") or d.id.split("#")[0]: d.meta.get("published")
        for docs in lists.values()
        for d in docs
    }
    return recency_rerank(ranked, published, as_of, half_life)


def article_hits(ranked: list[ArticleScore], chunks: dict[str, Document]) -> list[SearchHit]:
    """Search hits for ranked articles: each shows the first of its chunks (best first) that
    ``chunks`` holds, with that chunk's highlights; an article none of whose chunks is there (an
    article-level hit whose lead chunk was deleted since) has nothing to show and is left out."""
    hits = []
    for art in ranked:
        shown = next((c for c in art.chunk_ids if c in chunks), None)
        if shown is None:
            continue
        hit = _hit(chunks[shown])
        hit.score = art.score
        hit.chunks_matched = len(art.chunk_ids)
        hits.append(hit)
    return hits


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
