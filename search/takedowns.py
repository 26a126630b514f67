"""Takedowns that stay down: delete an article everywhere and keep it out of later ingestion.

Deleting an article removes its ledger record, every chunk, its wire copies' records (a copy has no
chunks of its own: it *is* the same story) and the alert matches that name any of them, and leaves
a **tombstone** per removed record: its doc_id, normalised URL, content and text hashes, the
reason and the time, never the text. Ingestion (``search.indexing``) skips any article whose id,
URL or normalised text a tombstone names and counts it as ``suppressed``; re-ingesting the file a
retracted article came from does not bring it back. ``lift`` (``newsdesk delete --undo``) removes
the tombstones of an article and its copies; the article returns with the next ingestion of its
source (the tombstone remembers where it came from), because a takedown keeps no copy of the text.

Order of work: tombstones first (visible to ingestion at once), then chunks, then records. A
deletion interrupted anywhere is finished by running it again; an ingestion run in between
already skips the article.

Usage::

    report = delete_documents(client, "news", ["doc-1"], reason="retracted by the publisher")
    retention_count(client, "news", source="cnn.com", before=date(2023, 1, 1))   # dry run
    lift(client, "news", ["doc-1"])
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError, helpers

from ingest.models import normalise_url
from search.mapping import tombstone_mapping
from search.store import (
    alert_matches_index,
    articles_alias,
    bulk_write,
    ensure_index,
    refresh,
    refresh_indices,
    tombstones_index,
)

#: Records deleted per round of a retention deletion (each round: one search, a few bulk writes).
PAGE = 500


@dataclass
class DeleteReport:
    """What a deletion did; ``not_found`` ids had no article record (and got no tombstone)."""

    deleted: list[str] = field(default_factory=list)
    copies_deleted: list[str] = field(default_factory=list)
    chunks_deleted: int = 0
    matches_deleted: int = 0
    not_found: list[str] = field(default_factory=list)

    def add(self, other: DeleteReport) -> None:
        self.deleted += other.deleted
        self.copies_deleted += other.copies_deleted
        self.chunks_deleted += other.chunks_deleted
        self.matches_deleted += other.matches_deleted
        self.not_found += other.not_found

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def ensure_tombstone_index(client: Elasticsearch, alias: str) -> None:
    ensure_index(client, tombstones_index(alias), tombstone_mapping())


def delete_documents(
    client: Elasticsearch, alias: str, doc_ids: Sequence[str], reason: str = ""
) -> DeleteReport:
    """Delete these articles (and their copies) from the index and tombstone them; see the module doc."""
    report = DeleteReport()
    wanted = list(dict.fromkeys(doc_ids))
    if not wanted:
        return report
    art_alias = articles_alias(alias)
    records = _records(client, art_alias, wanted)
    report.not_found = [d for d in wanted if d not in records]
    found = [d for d in wanted if d in records]
    if not found:
        return report
    # Copies of the deleted articles go with them; a deleted copy leaves its canonical article's
    # list of outlets.
    copies = {d: src for d, src in _copies_of(client, art_alias, found).items() if d not in records}
    now = datetime.now(UTC).isoformat(timespec="seconds")
    stones = [_tombstone(d, records[d], reason, now) for d in found]
    stones += [
        _tombstone(d, src, reason, now, copy_of=src.get("canonical_doc_id")) for d, src in copies.items()
    ]
    ensure_tombstone_index(client, alias)
    index = tombstones_index(alias)
    written = bulk_write(
        client, [{"_op_type": "index", "_index": index, "_id": s["doc_id"], "_source": s} for s in stones]
    )
    if written.failed:
        first = next(iter(written.failed.items()))
        raise RuntimeError(
            f"could not write {len(written.failed)} tombstone(s); first: {first}; nothing deleted"
        )
    refresh_indices(client, index)  # ingestion skips them from now on

    gone = found + list(copies)
    report.chunks_deleted = _delete_where(client, alias, "doc_id", gone)
    deleted = bulk_write(client, [{"_op_type": "delete", "_index": art_alias, "_id": d} for d in gone])
    deleted.raise_if_unavailable()
    _forget_copies(client, art_alias, {d: records[d] for d in found}, set(gone))
    report.matches_deleted = _delete_where(client, alert_matches_index(alias), "doc_id", gone)
    refresh(client, alias)
    refresh_indices(client, alert_matches_index(alias))
    report.deleted = found
    report.copies_deleted = sorted(copies)
    return report


def retention_query(source: str | None = None, before: date | None = None) -> dict[str, Any]:
    """The articles a retention deletion selects: of ``source``, published before ``before`` (both
    when both are given). Articles without a publication date are never selected by ``before``."""
    if source is None and before is None:
        raise ValueError("a retention deletion needs a source, a date, or both")
    clauses: list[dict[str, Any]] = []
    if source is not None:
        clauses.append({"term": {"source": source}})
    if before is not None:
        clauses.append({"range": {"published": {"lt": before.isoformat()}}})
    return {"bool": {"filter": clauses}}


def retention_count(
    client: Elasticsearch, alias: str, source: str | None = None, before: date | None = None
) -> dict[str, int]:
    """What a retention deletion would remove (the dry run): articles, and chunks of them."""
    query = retention_query(source, before)
    try:
        articles = client.count(index=articles_alias(alias), query=query)["count"]
        chunks = client.count(index=alias, query=query)["count"]
    except NotFoundError:
        return {"articles": 0, "chunks": 0}
    return {"articles": int(articles), "chunks": int(chunks)}


def delete_retention(
    client: Elasticsearch,
    alias: str,
    source: str | None = None,
    before: date | None = None,
    reason: str = "",
) -> DeleteReport:
    """Delete (and tombstone) every article ``retention_query`` selects, a page at a time."""
    query = retention_query(source, before)
    reason = reason or _retention_reason(source, before)
    report = DeleteReport()
    while True:
        try:
            resp = client.search(
                index=articles_alias(alias), query=query, size=PAGE, source=False, sort=["_doc"]
            )
        except NotFoundError:
            break
        ids = [h["_id"] for h in resp["hits"]["hits"]]
        if not ids:
            break
        done = delete_documents(client, alias, ids, reason)
        report.add(done)
        if not done.deleted:  # nothing could be deleted: do not loop on the same page
            break
    return report


def lift(client: Elasticsearch, alias: str, doc_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Remove the tombstones of these articles and of their copies; returns the lifted tombstones
    (each with the ``origin`` to re-ingest to bring the article back)."""
    index = tombstones_index(alias)
    wanted = list(dict.fromkeys(doc_ids))
    try:
        resp = client.search(
            index=index,
            query={"bool": {"should": [{"ids": {"values": wanted}}, {"terms": {"copy_of": wanted}}]}},
            size=10_000,
        )
    except NotFoundError:
        return []
    stones = [h["_source"] for h in resp["hits"]["hits"]]
    bulk_write(client, [{"_op_type": "delete", "_index": index, "_id": s["doc_id"]} for s in stones])
    refresh_indices(client, index)
    return stones


def list_tombstones(client: Elasticsearch, alias: str, limit: int = 100) -> list[dict[str, Any]]:
    """The newest tombstones first."""
    try:
        resp = client.search(
            index=tombstones_index(alias),
            query={"match_all": {}},
            size=limit,
            sort=[{"deleted_at": {"order": "desc"}}, {"doc_id": "asc"}],
        )
    except NotFoundError:
        return []
    return [h["_source"] for h in resp["hits"]["hits"]]


def suppressed(
    client: Elasticsearch, alias: str, candidates: Mapping[str, tuple[str | None, str]]
) -> dict[str, str]:
    """Which of a batch's articles a tombstone names, each with the tombstone's doc_id.

    ``candidates``: doc_id → (URL, text hash as ``search.indexing.text_hash`` computes it). One
    search per batch; an index where nothing was ever taken down answers it at once.
    """
    if not candidates:
        return {}
    urls = {d: normalise_url(url) for d, (url, _) in candidates.items() if url}
    texts = {d: h for d, (_, h) in candidates.items()}
    should: list[dict[str, Any]] = [
        {"ids": {"values": list(candidates)}},
        {"terms": {"text_hash": sorted(set(texts.values()))}},
    ]
    if urls:
        should.append({"terms": {"url_key": sorted(set(urls.values()))}})
    resp = client.search(
        index=tombstones_index(alias),
        query={"bool": {"should": should, "minimum_should_match": 1}},
        source_includes=["doc_id", "url_key", "text_hash"],
        size=len(candidates) * 3,
        ignore_unavailable=True,
        allow_no_indices=True,
    )
    by_id: dict[str, str] = {}
    by_url: dict[str, str] = {}
    by_text: dict[str, str] = {}
    for hit in resp["hits"]["hits"]:
        src = hit["_source"]
        by_id[hit["_id"]] = src["doc_id"]
        if src.get("url_key"):
            by_url[src["url_key"]] = src["doc_id"]
        if src.get("text_hash"):
            by_text[src["text_hash"]] = src["doc_id"]
    out: dict[str, str] = {}
    for doc_id in candidates:
        stone = by_id.get(doc_id) or by_url.get(urls.get(doc_id, "")) or by_text.get(texts[doc_id])
        if stone:
            out[doc_id] = stone
    return out


def count_tombstones(client: Elasticsearch, alias: str) -> int:
    try:
        return int(client.count(index=tombstones_index(alias))["count"])
    except NotFoundError:
        return 0


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def _records(client: Elasticsearch, art_alias: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    try:
        docs = client.mget(index=art_alias, ids=ids, source_excludes=["text", "removed", "minhash_bands"])[
            "docs"
        ]
    except NotFoundError:
        return {}
    return {d["_id"]: d["_source"] for d in docs if d.get("found")}


def _copies_of(client: Elasticsearch, art_alias: str, canonical: list[str]) -> dict[str, dict[str, Any]]:
    hits = helpers.scan(
        client,
        index=art_alias,
        query={"query": {"terms": {"canonical_doc_id": canonical}}},
        _source_excludes=["text", "removed", "minhash_bands"],
    )
    return {h["_id"]: h["_source"] for h in hits}


def _tombstone(
    doc_id: str, src: dict[str, Any], reason: str, now: str, copy_of: str | None = None
) -> dict[str, Any]:
    url = src.get("url")
    return {
        "doc_id": doc_id,
        "url": url,
        "url_key": normalise_url(url) if url else None,
        "content_hash": src.get("content_hash"),
        "text_hash": src.get("text_hash"),
        "reason": reason,
        "deleted_at": now,
        "copy_of": copy_of,
        "source": src.get("source"),
        "title": src.get("title"),
        "origin": src.get("origin"),
    }


def _ids_where(client: Elasticsearch, index: str, field_name: str, values: list[str]) -> Iterator[str]:
    for i in range(0, len(values), 1000):
        try:
            for hit in helpers.scan(
                client,
                index=index,
                query={"query": {"terms": {field_name: values[i : i + 1000]}}, "_source": False},
            ):
                yield hit["_id"]
        except NotFoundError:
            return


def _delete_where(client: Elasticsearch, index: str, field_name: str, values: list[str]) -> int:
    """Delete every document whose ``field_name`` is one of ``values`` (this build has no
    ``_delete_by_query``: it lives in the missing ``reindex`` module)."""
    refresh_indices(client, index)  # chunks written moments ago are found too
    ids = list(_ids_where(client, index, field_name, values))
    if not ids:
        return 0
    result = bulk_write(client, [{"_op_type": "delete", "_index": index, "_id": i} for i in ids])
    result.raise_if_unavailable()
    return len(result.written)


def _forget_copies(
    client: Elasticsearch, art_alias: str, deleted: dict[str, dict[str, Any]], gone: set[str]
) -> None:
    """A deleted copy leaves the ``also_published_by`` list of the article it copied."""
    canonical_ids = {src["canonical_doc_id"] for src in deleted.values() if src.get("canonical_doc_id")}
    canonical_ids -= gone
    if not canonical_ids:
        return
    current = _records(client, art_alias, sorted(canonical_ids))
    actions = []
    for cid, src in current.items():
        kept = [c for c in src.get("also_published_by") or [] if c.get("doc_id") not in gone]
        actions.append(
            {
                "_op_type": "update",
                "_index": art_alias,
                "_id": cid,
                "doc": {"also_published_by": kept, "copies": len(kept)},
            }
        )
    bulk_write(client, actions)


def _retention_reason(source: str | None, before: date | None) -> str:
    parts = [f"source={source}" if source else "", f"published before {before}" if before else ""]
    return "retention: " + ", ".join(p for p in parts if p)
