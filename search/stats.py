"""What is in the archive, from whom, up to when: the overview behind ``newsdesk stats`` and ``GET /stats``.

Everything here is counted by Elasticsearch in three requests (one aggregation over the article
ledger, one over the chunks, one for index sizes) plus a count each of tombstones and alerts, so
it costs the same on ten articles or a million. What Elasticsearch does not hold — quarantined
inputs (files under ``NEWSDESK_DATA_DIR``) and recent runs (Prefect's) — is added by the caller
that can see them (``flows``), through ``extras``.

* ``articles``: ledger records that carry their own chunks (canonical articles); ``duplicates``:
  wire copies folded into another article (records with no chunks of their own). Per source,
  both, with chunks and the first and last publication date of its articles.
* ``index_bytes``: primary store size of each index behind the alias (chunks, articles, alerts,
  matches, tombstones).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError

from search.store import alert_matches_index, alerts_index, articles_alias, tombstones_index

#: Sources listed one by one; the rest are summed into ``other_sources``.
MAX_SOURCES = 500
UNKNOWN_SOURCE = "(unknown)"


def archive_stats(
    client: Elasticsearch, alias: str, extras: Callable[[], dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The archive overview of the index behind ``alias`` (see the module docstring for the fields)."""
    sources = _article_sources(client, alias)
    chunks = _chunk_sources(client, alias)
    for name, n in chunks.items():
        sources.setdefault(name, _empty_source(name))["chunks"] = n
    rows = sorted(sources.values(), key=lambda r: (-r["articles"] - r["duplicates"], r["source"]))
    sizes = _index_bytes(client, alias)
    stats: dict[str, Any] = {
        "index": alias,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "totals": {
            "articles": sum(r["articles"] for r in rows),
            "duplicates": sum(r["duplicates"] for r in rows),
            "chunks": _count(client, alias),
            "sources": len(rows),
            "tombstones": _count(client, tombstones_index(alias)),
            "alerts": _count(client, alerts_index(alias)),
            "alert_matches": _count(client, alert_matches_index(alias)),
            "first_published": min(
                (r["first_published"] for r in rows if r["first_published"]), default=None
            ),
            "last_published": max((r["last_published"] for r in rows if r["last_published"]), default=None),
        },
        "sources": rows[:MAX_SOURCES],
        "other_sources": len(rows) - min(len(rows), MAX_SOURCES),
        "index_bytes": sizes,
        "quarantined": None,
        "runs": None,
    }
    if extras is not None:
        stats.update(extras())
    return stats


def _empty_source(name: str) -> dict[str, Any]:
    return {
        "source": name,
        "articles": 0,
        "duplicates": 0,
        "chunks": 0,
        "first_published": None,
        "last_published": None,
    }


def _article_sources(client: Elasticsearch, alias: str) -> dict[str, dict[str, Any]]:
    try:
        resp = client.search(
            index=articles_alias(alias),
            size=0,
            aggs={
                "sources": {
                    "terms": {"field": "source", "size": 100_000, "missing": UNKNOWN_SOURCE},
                    "aggs": {
                        "copies": {"filter": {"exists": {"field": "canonical_doc_id"}}},
                        "first": {"min": {"field": "published"}},
                        "last": {"max": {"field": "published"}},
                    },
                }
            },
        )
    except NotFoundError:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for b in resp["aggregations"]["sources"]["buckets"]:
        row = _empty_source(b["key"])
        row["duplicates"] = b["copies"]["doc_count"]
        row["articles"] = b["doc_count"] - row["duplicates"]
        row["first_published"] = _day(b["first"].get("value_as_string"))
        row["last_published"] = _day(b["last"].get("value_as_string"))
        out[b["key"]] = row
    return out


def _chunk_sources(client: Elasticsearch, alias: str) -> dict[str, int]:
    try:
        resp = client.search(
            index=alias,
            size=0,
            aggs={"sources": {"terms": {"field": "source", "size": 100_000, "missing": UNKNOWN_SOURCE}}},
        )
    except NotFoundError:
        return {}
    return {b["key"]: b["doc_count"] for b in resp["aggregations"]["sources"]["buckets"]}


def _index_bytes(client: Elasticsearch, alias: str) -> dict[str, int]:
    names = {
        "chunks": alias,
        "articles": articles_alias(alias),
        "alerts": alerts_index(alias),
        "alert_matches": alert_matches_index(alias),
        "tombstones": tombstones_index(alias),
    }
    out: dict[str, int] = {}
    for key, name in names.items():
        try:
            resp = client.indices.stats(index=name, metric="store")
        except NotFoundError:
            out[key] = 0
            continue
        out[key] = int(resp["_all"]["primaries"].get("store", {}).get("size_in_bytes", 0))
    out["total"] = sum(out.values())
    return out


def _count(client: Elasticsearch, index: str) -> int:
    try:
        return int(client.count(index=index)["count"])
    except NotFoundError:
        return 0


def _day(value: str | None) -> str | None:
    return value[:10] if value else None
