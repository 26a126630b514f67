"""Idempotent indexing of clean articles: chunk, embed, write, and fold wire copies.

The article index is the ledger. For each batch we read the stored articles (one ``mget``), and:

* **unchanged** (same content hash, same pipeline version, embedded if embeddings are on):
  nothing is written, not even a chunk;
* **new / updated**: chunks are (re)written under stable ids ``doc_id#NNNN``; chunks a previous
  version had beyond the new count are deleted (found with one query per batch, so chunks left by
  a crashed run are cleaned up too); the article document is written *last*, as the commit marker,
  so a crash anywhere before it makes the next run redo the article;
* **duplicate** (exact normalised text, or MinHash near-duplicate of an already indexed article):
  no chunks of its own; the copy's source, URL and date are appended to the canonical article's
  ``also_published_by``, so search shows one result that knows how many outlets ran it;
* **suppressed** (a takedown's tombstone names its id, URL or text, ``search.takedowns``): nothing
  is read or written for it.

New and changed articles are matched against the saved searches (``search.alerts``) once their
chunks are written and before their ledger records are, so a run that dies in between matches
them again next time, and an unchanged article is never matched again.

Nothing is refreshed per write; callers refresh once per batch (``store.refresh``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from datasketch import MinHash
from elasticsearch import Elasticsearch

from ingest.chunking import chunk_text
from ingest.dedupe import DuplicateIndex, minhash_bands, minhash_signature
from ingest.entities import ENTITY_TYPES, Tagged, all_entities, mentions_within, tag_texts
from ingest.models import CleanArticle, chunk_id, normalise_text
from search.alerts import AlertRun
from search.analysis import stem_text
from search.store import articles_alias, bulk_write, is_transient
from search.takedowns import suppressed

CHUNKER_VERSION = "c1"


@dataclass
class IndexReport:
    """What one call to ``index_articles`` did; summed over batches by the flow."""

    seen: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    chunks_written: int = 0
    chunks_deleted: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    duplicate_of: dict[str, str] = field(default_factory=dict)
    suppressed: int = 0  # named by a takedown's tombstone: skipped
    alert_matches: dict[str, int] = field(default_factory=dict)  # alert name -> new matches
    alert_errors: list[str] = field(default_factory=list)  # matching that failed (never the articles)

    def add(self, other: IndexReport) -> None:
        for name in (
            "seen", "new", "updated", "unchanged", "duplicates", "chunks_written", "chunks_deleted",
            "suppressed",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.failed.update(other.failed)
        self.duplicate_of.update(other.duplicate_of)
        for alert, n in other.alert_matches.items():
            self.alert_matches[alert] = self.alert_matches.get(alert, 0) + n
        self.alert_errors += other.alert_errors
        for k, v in other.seconds.items():
            self.seconds[k] = self.seconds.get(k, 0.0) + v


@dataclass
class IndexingOptions:
    """Knobs that change what gets written; their fingerprint is stored as ``pipeline_version``."""

    embed: bool = True
    model_name: str = ""
    entities: bool = False  # tag people, organisations, groups and places (ingest.entities)
    chunk_target_chars: int | None = None
    chunk_max_chars: int | None = None
    chunk_overlap: int | None = None
    near_duplicate_threshold: float = 0.72

    def chunk_kwargs(self) -> dict[str, int]:
        kw = {
            "target_chars": self.chunk_target_chars,
            "max_chars": self.chunk_max_chars,
            "overlap_sentences": self.chunk_overlap,
        }
        return {k: v for k, v in kw.items() if v is not None}

    @property
    def pipeline_version(self) -> str:
        """Fingerprint of the chunking configuration: a change re-chunks every article once."""
        raw = (
            f"{CHUNKER_VERSION}|{sorted(self.chunk_kwargs().items())}|{self.model_name if self.embed else ''}"
        )
        return hashlib.sha1(raw.encode()).hexdigest()[:12]


def text_hash(text: str) -> str:
    """Identity of an article's body for exact-duplicate detection (case/space-insensitive)."""
    return hashlib.sha256(normalise_text(text).encode()).hexdigest()


def index_articles(
    client: Elasticsearch,
    alias: str,
    articles: Sequence[CleanArticle],
    options: IndexingOptions,
    embed_fn: Callable[[list[str]], list[list[float]]] | None = None,
    *,
    alerts: AlertRun | None = None,
    check_tombstones: bool = True,
) -> IndexReport:
    """Index one batch of clean articles idempotently; see the module docstring.

    ``alerts``: the run's saved searches, matched against the batch's new and changed articles.
    ``check_tombstones``: skip articles a takedown names (off only for benchmarks of the rest).
    """
    report = IndexReport(seen=len(articles))
    if not articles:
        return report
    t0 = time.perf_counter()
    art_alias = articles_alias(alias)
    # The same doc_id twice in one batch: the last version wins, like a re-run would.
    by_id: dict[str, CleanArticle] = {}
    for article in articles:
        by_id[article.doc_id] = article
    report.unchanged += len(articles) - len(by_id)
    if check_tombstones:
        for doc_id in suppressed(client, alias, {d: (a.url, text_hash(a.text)) for d, a in by_id.items()}):
            del by_id[doc_id]
            report.suppressed += 1
        if not by_id:
            report.seconds["lookup"] = time.perf_counter() - t0
            return report
    stored = _mget_articles(client, art_alias, list(by_id))

    version = options.pipeline_version
    todo: list[CleanArticle] = []
    for doc_id, article in by_id.items():
        old = stored.get(doc_id)
        if old and _is_unchanged(old, article, version, options.embed, options.entities):
            report.unchanged += 1
            continue
        todo.append(article)
    if not todo:
        report.seconds["lookup"] = time.perf_counter() - t0
        return report

    # --- duplicates: against the index, and within this batch ---------------------------------
    canonical_of = _find_duplicates(client, art_alias, todo, stored, options.near_duplicate_threshold)
    report.seconds["lookup"] = time.perf_counter() - t0

    # --- chunk --------------------------------------------------------------------------------
    t1 = time.perf_counter()
    originals = [a for a in todo if a.doc_id not in canonical_of]
    chunks_by_doc = {a.doc_id: chunk_text(a.doc_id, a.text, **options.chunk_kwargs()) for a in originals}
    report.seconds["chunk"] = time.perf_counter() - t1

    # --- entities -----------------------------------------------------------------------------
    tagged: dict[str, dict[str, list[str]]] = {}
    mentions: dict[str, tuple[Tagged, int]] = {}  # per article: its tagging, where its text begins
    if options.entities and originals:
        t_ent = time.perf_counter()
        found = tag_texts([f"{a.title}\n{a.text}" if a.title else a.text for a in originals])
        tagged = {a.doc_id: t.entities for a, t in zip(originals, found, strict=True)}
        mentions = {
            a.doc_id: (t, len(a.title) + 1 if a.title else 0) for a, t in zip(originals, found, strict=True)
        }
        report.seconds["entities"] = time.perf_counter() - t_ent

    # --- embed --------------------------------------------------------------------------------
    t2 = time.perf_counter()
    vectors: dict[str, list[float]] = {}
    if options.embed:
        if embed_fn is None:
            raise ValueError("embed=True needs an embed_fn")
        all_chunks = [c for cs in chunks_by_doc.values() for c in cs]
        if all_chunks:
            embedded = embed_fn([embedding_text(by_id[c.doc_id].title, c.text) for c in all_chunks])
            vectors = {c.chunk_id: v for c, v in zip(all_chunks, embedded, strict=True)}
    report.seconds["embed"] = time.perf_counter() - t2

    # --- write chunks, delete stale chunks -----------------------------------------------------
    t3 = time.perf_counter()
    actions: list[dict[str, Any]] = []
    for article in originals:
        chunks = chunks_by_doc[article.doc_id]
        shared = _article_fields(article, tagged.get(article.doc_id))
        for c in chunks:
            src = _chunk_source(article, shared, c.index, len(chunks), c.text, c.start, c.end)
            if article.doc_id in mentions:
                tagging, offset = mentions[article.doc_id]
                found_in = mentions_within(tagging, c.start, c.end, offset)
                if found_in is not None:
                    src["ner"] = found_in  # stored, not indexed: what the answer reader reuses
            if c.chunk_id in vectors:
                src["embedding"] = vectors[c.chunk_id]
            actions.append({"_op_type": "index", "_index": alias, "_id": c.chunk_id, "_source": src})
    result = bulk_write(client, actions)
    result.raise_if_unavailable()
    failed_docs: dict[str, str] = {}
    for cid, reason in result.failed.items():
        failed_docs.setdefault(cid.rsplit("#", 1)[0], f"chunk {cid}: {reason}")
    report.chunks_written += len(result.written)

    keep_counts = {a.doc_id: len(chunks_by_doc[a.doc_id]) for a in originals if a.doc_id not in failed_docs}
    for a in todo:
        if a.doc_id in canonical_of:
            keep_counts[a.doc_id] = 0  # a copy keeps no chunks of its own
    stale = _stale_chunk_ids(client, alias, keep_counts)
    if stale:
        deleted = bulk_write(client, [{"_op_type": "delete", "_index": alias, "_id": cid} for cid in stale])
        deleted.raise_if_unavailable()
        for cid, reason in deleted.failed.items():
            if "not_found" not in reason and "404" not in reason:
                failed_docs.setdefault(cid.rsplit("#", 1)[0], f"deleting stale {cid}: {reason}")
        report.chunks_deleted += len(deleted.written)
    report.seconds["write"] = time.perf_counter() - t3

    # --- alerts: new and changed articles, once their chunks are searchable ---------------------
    if alerts is not None:
        t_alerts = time.perf_counter()
        _match_alerts(alerts, [a for a in originals if a.doc_id not in failed_docs], report)
        report.seconds["alerts"] = time.perf_counter() - t_alerts

    # --- articles last: the commit marker ------------------------------------------------------
    t4 = time.perf_counter()
    now = datetime.now(UTC).isoformat()
    art_actions = []
    copies_to_add: dict[str, list[dict[str, Any]]] = {}
    kind: dict[str, str] = {}
    for article in todo:
        if article.doc_id in failed_docs:
            continue
        canonical = canonical_of.get(article.doc_id)
        doc = _article_source(article, version, options.embed, now)
        if options.entities:
            doc.update(_entity_fields(tagged.get(article.doc_id)))
        doc["canonical_doc_id"] = canonical
        doc["chunk_count"] = 0 if canonical else len(chunks_by_doc[article.doc_id])
        old = stored.get(article.doc_id)
        doc["also_published_by"] = (old or {}).get("also_published_by") or []
        art_actions.append({"_op_type": "index", "_index": art_alias, "_id": article.doc_id, "_source": doc})
        if canonical:
            copies_to_add.setdefault(canonical, []).append(_copy_entry(article))
            report.duplicate_of[article.doc_id] = canonical
        kind[article.doc_id] = "duplicates" if canonical else "updated" if old else "new"
    art_result = bulk_write(client, art_actions)
    art_result.raise_if_unavailable()
    for doc_id, reason in art_result.failed.items():
        failed_docs[doc_id] = f"article record: {reason}"
    # Counted only once the commit marker is written: a refused article record is "failed", not "new".
    for doc_id, what in kind.items():
        if doc_id not in art_result.failed:
            setattr(report, what, getattr(report, what) + 1)
    _append_copies(client, art_alias, copies_to_add, art_actions)
    report.failed.update(failed_docs)
    report.seconds["write"] += time.perf_counter() - t4
    return report


def _match_alerts(alerts: AlertRun, articles: list[CleanArticle], report: IndexReport) -> None:
    """Alerts never fail ingestion: Elasticsearch being away makes the batch retry (as for any
    write); any other failure is reported and the articles are written regardless."""
    try:
        report.alert_matches = dict(alerts.match(articles))
    except Exception as exc:
        if is_transient(exc):
            raise
        report.alert_errors.append(f"matching {len(articles)} article(s): {type(exc).__name__}: {exc}"[:500])


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def _is_unchanged(
    old: dict[str, Any], article: CleanArticle, version: str, embed: bool, entities: bool = False
) -> bool:
    if old.get("content_hash") != article.content_hash or old.get("pipeline_version") != version:
        return False
    if entities and "entities" not in old and not old.get("canonical_doc_id"):
        return False  # indexed before entity tagging was on: tag it once
    return not (embed and not old.get("embedded") and not old.get("canonical_doc_id"))


def _mget_articles(client: Elasticsearch, art_alias: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    resp = client.mget(index=art_alias, ids=ids, source_excludes=["text", "removed"])
    return {d["_id"]: d["_source"] for d in resp["docs"] if d.get("found")}


def _find_duplicates(
    client: Elasticsearch,
    art_alias: str,
    todo: list[CleanArticle],
    stored: dict[str, dict[str, Any]],
    threshold: float,
) -> dict[str, str]:
    """Map doc_id → canonical doc_id for articles that copy an earlier one.

    The canonical copy is the first one indexed (stable across re-runs). An article already
    stored as canonical stays canonical when it is merely updated.
    """
    canonical_of: dict[str, str] = {}
    hashes = {a.doc_id: text_hash(a.text) for a in todo}
    # One MinHash per article: its bands query the index, the signature goes to ``dup_index.add``
    # (asked together, so the second call is served by the memo whatever the batch size).
    signatures: dict[str, MinHash] = {}
    bands: dict[str, list[str]] = {}
    for a in todo:
        signatures[a.doc_id] = minhash_signature(a.text)
        bands[a.doc_id] = minhash_bands(a.text)

    # Candidates from the index: same exact hash, or sharing a MinHash band.
    should: list[dict[str, Any]] = [{"terms": {"text_hash": list(set(hashes.values()))}}]
    all_bands = sorted({b for bs in bands.values() for b in bs})
    if all_bands:
        should.append({"terms": {"minhash_bands": all_bands}})
    resp = client.search(
        index=art_alias,
        query={
            "bool": {
                "should": should,
                "minimum_should_match": 1,
                "must_not": [{"exists": {"field": "canonical_doc_id"}}],
                "filter": [{"bool": {"must_not": [{"ids": {"values": list(hashes)}}]}}],
            }
        },
        source_includes=["doc_id", "text", "text_hash", "minhash_bands", "ingested_at"],
        size=1000,
        sort=[{"ingested_at": {"order": "asc", "unmapped_type": "date"}}, {"doc_id": "asc"}],
    )
    dup_index = DuplicateIndex(threshold=threshold)
    for hit in resp["hits"]["hits"]:
        src = hit["_source"]
        dup_index.add(src["doc_id"], src.get("text") or "")

    for article in todo:
        old = stored.get(article.doc_id)
        if old and not old.get("canonical_doc_id"):
            # Already canonical: keep it so (its copies point at it); still let later articles match it.
            dup_index.add(article.doc_id, article.text, signatures[article.doc_id])
            continue
        canonical = dup_index.add(article.doc_id, article.text, signatures[article.doc_id])
        if canonical and canonical != article.doc_id:
            canonical_of[article.doc_id] = canonical
    return canonical_of


def _stale_chunk_ids(client: Elasticsearch, alias: str, keep_counts: dict[str, int]) -> list[str]:
    """Chunk ids stored for these articles beyond the chunk count they now have."""
    if not keep_counts:
        return []
    stale: list[str] = []
    ids = list(keep_counts)
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        resp = client.search(
            index=alias,
            query={"terms": {"doc_id": part}},
            source_includes=["doc_id", "chunk_index"],
            size=10000,
            track_total_hits=True,
        )
        for hit in resp["hits"]["hits"]:
            src = hit["_source"]
            if src.get("chunk_index", 0) >= keep_counts.get(src["doc_id"], 0):
                stale.append(hit["_id"])
    return stale


def embedding_text(title: str | None, text: str) -> str:
    """What gets embedded for a chunk ``text`` of an article titled ``title``.

    The title gives a chunk its topic; MiniLM was trained on short texts, so the title is
    prepended once rather than as a separate field. Public because whatever computes vectors for
    this flow elsewhere (``bench/gpu_vectors.py``) must embed exactly this text.
    """
    return f"{title}\n{text}" if title else text


def _entity_fields(entities: dict[str, list[str]] | None) -> dict[str, Any]:
    if entities is None:
        return {}
    return {**{k: entities.get(k, []) for k in ENTITY_TYPES}, "entities": all_entities(entities)}


def _article_fields(article: CleanArticle, entities: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """Fields every chunk of ``article`` repeats, computed once per article (hashing the whole text
    and stemming the title per chunk was ~1.5 ms an article in the ``--no-embed`` profile)."""
    return {
        **_entity_fields(entities),
        "doc_id": article.doc_id,
        "title": article.title,
        "title_stem": stem_text(article.title or ""),
        "captions": article.captions,
        "url": article.url,
        "source": article.source,
        "published": article.published.isoformat() if article.published else None,
        "updated": article.updated.isoformat() if article.updated else None,
        "language": article.language,
        "dateline": article.dateline,
        "authors": article.authors,
        "content_hash": article.content_hash,
    }


def _chunk_source(
    article: CleanArticle, shared: dict[str, Any], index: int, count: int, text: str, start: int, end: int
) -> dict[str, Any]:
    return {
        **shared,
        "id": chunk_id(article.doc_id, index),
        "chunk_index": index,
        "chunk_count": count,
        "content": text,
        "content_stem": stem_text(text),
        "start": start,
        "end": end,
    }


def _article_source(article: CleanArticle, version: str, embedded: bool, now: str) -> dict[str, Any]:
    return {
        "doc_id": article.doc_id,
        "title": article.title,
        "text": article.text,
        "url": article.url,
        "source": article.source,
        "published": article.published.isoformat() if article.published else None,
        "updated": article.updated.isoformat() if article.updated else None,
        "content_hash": article.content_hash,
        "text_hash": text_hash(article.text),
        "minhash_bands": minhash_bands(article.text),
        "body_stem": article_body_stem(article.title, article.text),
        "authors": article.authors,
        "metadata": article.metadata_dict(),
        "removed": [r.to_dict() for r in article.removed],
        "origin": article.origin,
        "ingested_at": now,
        "pipeline_version": version,
        "embedded": embedded,
    }


def article_body_stem(title: str | None, text: str) -> str:
    """The article-level BM25 field: title and text, stemmed as ``content_stem`` is."""
    return stem_text(f"{title}\n{text}" if title else text)


def backfill_article_search_fields(client: Elasticsearch, alias: str, page: int = 500) -> int:
    """Give article records written before ``body_stem`` existed their search fields; returns how
    many were updated (0, after one count query, on an index that has them all).

    Why in place: the stored title, text and byline are all it takes, so an upgrade needs neither
    a re-ingestion nor ``newsdesk reindex``; the ingestion flow runs it when it prepares a run.
    """
    from elasticsearch import helpers

    art_alias = articles_alias(alias)
    lacking = {"bool": {"must_not": {"exists": {"field": "body_stem"}}}}
    if client.count(index=art_alias, query=lacking)["count"] == 0:
        return 0
    updated = 0
    batch: list[dict[str, Any]] = []
    hits = helpers.scan(
        client,
        index=art_alias,
        query={"query": lacking},
        size=page,
        source_includes=["title", "text", "metadata.authors"],
    )
    for hit in hits:
        src = hit["_source"]
        batch.append(
            {
                "_op_type": "update",
                "_index": hit["_index"],
                "_id": hit["_id"],
                "doc": {
                    "body_stem": article_body_stem(src.get("title"), src.get("text") or ""),
                    "authors": (src.get("metadata") or {}).get("authors") or [],
                },
            }
        )
        if len(batch) >= page:
            updated += len(bulk_write(client, batch).written)
            batch = []
    if batch:
        updated += len(bulk_write(client, batch).written)
    return updated


def _copy_entry(article: CleanArticle) -> dict[str, Any]:
    return {
        "doc_id": article.doc_id,
        "source": article.source,
        "url": article.url,
        "published": article.published.isoformat() if article.published else None,
        "title": article.title,
    }


def _append_copies(
    client: Elasticsearch,
    art_alias: str,
    copies: dict[str, list[dict[str, Any]]],
    just_written: list[dict[str, Any]],
) -> None:
    """Add copy entries to canonical articles (read-modify-write; idempotent by copy doc_id)."""
    if not copies:
        return
    written = {a["_id"]: a["_source"] for a in just_written}
    current = _mget_articles(client, art_alias, [c for c in copies if c not in written])
    current.update({k: v for k, v in written.items() if k in copies})
    actions = []
    for canonical, entries in copies.items():
        src = current.get(canonical)
        if src is None:
            continue
        existing = {e["doc_id"]: e for e in src.get("also_published_by") or []}
        for e in entries:
            existing[e["doc_id"]] = e
        merged = sorted(existing.values(), key=lambda e: (e.get("published") or "", e["doc_id"]))
        actions.append(
            {
                "_op_type": "update",
                "_index": art_alias,
                "_id": canonical,
                "doc": {"also_published_by": merged, "copies": len(merged)},
            }
        )
    bulk_write(client, actions)
