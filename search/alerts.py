"""Saved searches that watch what ingestion brings in: alerts.

An alert is a keyword query (the same words, stemming, question-word stripping and relevance floor
as ``newsdesk search --mode keyword``: ``search.query.keyword_query``), optionally narrowed to a
source and to entities. Every ingestion run matches each article it writes *new or changed*
against every alert, once, and records each match (alert, doc_id, content version, run, time) in
``<index>-alert-matches``; an article a run finds unchanged is never matched again, so it never
re-fires. A match is identified by (alert, article, content hash): an article that changes fires
again, one that is only re-chunked does not.

Why not Elasticsearch's percolator: the Elasticsearch build newsdesk runs without Docker (Maven
Central's ``integ-test-zip``) ships no ``percolator`` module, and Maven Central has none for 8.x
(``percolator-client`` ends at 7.17). Percolating is "run every saved query against a few new
documents"; here that is one search per batch (per 500 alerts) over the chunks the batch just
wrote: a ``filters`` aggregation with one filter per alert, under a query that admits only the
batch's articles, so each filter is evaluated against those few hundred chunks only, whatever
the size of the index. It matches exactly what keyword search would find (a chunk matching the
query, with its article's title), on any Elasticsearch 8, and costs one refresh of the chunk
index per batch (``bench/bench_alerts.py`` measures it).

Usage::

    alerts = Alerts(client, settings)
    alerts.add(Alert("qaim", "Qaim border", webhook="https://hooks.example.com/x"), allow_private_urls=False)
    run = AlertRun.load(client, settings, run_id="r1")      # None when there are no alerts
    run.match(articles)                                     # Counter: alert name -> new matches
    alerts.matches("qaim")
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from elasticsearch import Elasticsearch, NotFoundError, helpers

from ingest.models import CleanArticle, IngestError
from ingest.urls import check_url_form
from search.mapping import alert_mapping, alert_match_mapping
from search.query import keyword_query
from search.settings import SearchSettings
from search.store import (
    alert_matches_index,
    alerts_index,
    bulk_write,
    delete_document,
    ensure_index,
    put_document,
    refresh_indices,
)

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_QUERY_CHARS = 2000
MAX_ENTITIES = 20
#: Alerts evaluated in one search (one ``filters`` aggregation): bounds the request's size.
FILTERS_PER_REQUEST = 500


class AlertError(ValueError):
    """A saved search that cannot be saved as given: the message says what to change."""


class AlertExists(AlertError):
    """An alert of that name exists already (remove it first, or replace it)."""


@dataclass
class Alert:
    """A saved search: its name, its words, what narrows it, where its matches are posted."""

    name: str
    query: str
    source: str | None = None
    entities: list[str] = field(default_factory=list)
    webhook: str | None = None
    created_at: str = ""

    def to_dict(self, reveal_webhook: bool = False) -> dict[str, Any]:
        """The alert for people and the API; a webhook URL often carries a secret token, so only
        its scheme and host are shown unless ``reveal_webhook``."""
        return {
            "name": self.name,
            "query": self.query,
            "source": self.source,
            "entities": list(self.entities),
            "webhook": (self.webhook if reveal_webhook else redact_url(self.webhook))
            if self.webhook
            else None,
            "created_at": self.created_at,
        }

    @classmethod
    def from_source(cls, src: dict[str, Any]) -> Alert:
        return cls(
            name=src["name"],
            query=src["query"],
            source=src.get("source"),
            entities=list(src.get("entities") or []),
            webhook=src.get("webhook"),
            created_at=src.get("created_at") or "",
        )


def redact_url(url: str) -> str:
    """``https://hooks.example.com/…``: where a URL points, without its path or credentials."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/…"


def validate_alert(alert: Alert, settings: SearchSettings, allow_private_urls: bool) -> None:
    """Refuse, with a message a user can act on, what could never match or never be delivered."""
    if not NAME.match(alert.name or ""):
        raise AlertError(
            "alert names are 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    if not alert.query or not alert.query.strip():
        raise AlertError("the alert's query must not be empty")
    if len(alert.query) > MAX_QUERY_CHARS:
        raise AlertError(f"the alert's query is over {MAX_QUERY_CHARS} characters")
    if alert.source is not None and not (0 < len(alert.source) <= 200):
        raise AlertError("source must be 1-200 characters")
    if len(alert.entities) > MAX_ENTITIES or any(not (0 < len(e) <= 256) for e in alert.entities):
        raise AlertError(f"at most {MAX_ENTITIES} entities of 1-256 characters each")
    if alert_query(alert, settings) is None:
        raise AlertError(f"the query {alert.query!r} has no searchable words (only stop words)")
    if alert.webhook:
        try:
            check_url_form(alert.webhook, allow_private_urls)
        except IngestError as exc:
            raise AlertError(f"webhook: {exc.reason}") from exc


def alert_query(alert: Alert, settings: SearchSettings) -> dict[str, Any] | None:
    """The Elasticsearch query an alert runs: keyword search's query (no scoring extras), with its
    source and entities as filters. ``None`` when its words leave nothing to search."""
    base = keyword_query(
        alert.query,
        min_should_match=settings.keyword_min_match,
        strip_question_words=settings.keyword_strip_question_words,
        emphasis_boost=0.0,  # emphasis only reorders hits; an alert asks which chunks match
        only_what_decides=True,
    )
    if base is None:
        return None
    filters: list[dict[str, Any]] = []
    if alert.source:
        filters.append({"term": {"source": alert.source}})
    filters += [{"term": {"entities": name}} for name in alert.entities]
    if not filters:
        return base
    return {"bool": {"must": [base], "filter": filters}}


def match_id(alert: str, doc_id: str, content_hash: str) -> str:
    """One match per alert, article and content version: the record's id, so it is written once."""
    return hashlib.sha256(f"{alert}\x1f{doc_id}\x1f{content_hash}".encode()).hexdigest()[:32]


def ensure_alert_indices(client: Elasticsearch, alias: str) -> None:
    ensure_index(client, alerts_index(alias), alert_mapping())
    ensure_index(client, alert_matches_index(alias), alert_match_mapping())


class Alerts:
    """The saved searches of one index (``settings.index``) and what they matched.

    :param client: the Elasticsearch client.
    :param settings: the search settings (index, and the keyword settings an alert's query uses).
    """

    def __init__(self, client: Elasticsearch, settings: SearchSettings):
        self.client = client
        self.settings = settings
        self.alias = settings.index

    def add(self, alert: Alert, *, allow_private_urls: bool, replace: bool = False) -> Alert:
        """Save an alert; it watches every run from now on (the past is what search is for)."""
        validate_alert(alert, self.settings, allow_private_urls)
        ensure_alert_indices(self.client, self.alias)
        alert.created_at = datetime.now(UTC).isoformat(timespec="seconds")
        doc = {**alert.to_dict(reveal_webhook=True)}
        if not put_document(self.client, alerts_index(self.alias), alert.name, doc, create=not replace):
            raise AlertExists(
                f"an alert named {alert.name!r} exists already (remove it first, or replace it)"
            )
        return alert

    def add_many(self, alerts: Sequence[Alert], *, allow_private_urls: bool) -> int:
        """Save many alerts at once (an import): each is checked first; an alert whose name exists
        is replaced. One bulk write and one refresh, not one wait per alert; returns how many."""
        for alert in alerts:
            validate_alert(alert, self.settings, allow_private_urls)
        ensure_alert_indices(self.client, self.alias)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        index = alerts_index(self.alias)
        actions = []
        for alert in alerts:
            alert.created_at = now
            actions.append(
                {"_op_type": "index", "_index": index, "_id": alert.name, "_source": alert.to_dict(True)}
            )
        result = bulk_write(self.client, actions)
        refresh_indices(self.client, index)
        if result.failed:
            raise AlertError(
                f"{len(result.failed)} alert(s) not saved; first: {next(iter(result.failed.values()))}"
            )
        return len(result.written)

    def list(self) -> list[Alert]:
        """Every alert, by name."""
        return load_alerts(self.client, self.alias)

    def get(self, name: str) -> Alert | None:
        try:
            src = self.client.get(index=alerts_index(self.alias), id=name)["_source"]
        except NotFoundError:
            return None
        return Alert.from_source(src)

    def remove(self, name: str) -> bool:
        """Delete the alert and its recorded matches; False when there was no such alert."""
        if not delete_document(self.client, alerts_index(self.alias), name):
            return False
        index = alert_matches_index(self.alias)
        ids = [
            h["_id"]
            for h in helpers.scan(
                self.client,
                index=index,
                query={"query": {"term": {"alert": name}}, "_source": False},
                ignore_unavailable=True,
            )
        ]
        bulk_write(self.client, [{"_op_type": "delete", "_index": index, "_id": i} for i in ids])
        refresh_indices(self.client, index)
        return True

    def matches(self, name: str, *, limit: int = 100, run_id: str | None = None) -> list[dict[str, Any]]:
        """The alert's matches, newest first (optionally only one run's)."""
        query: dict[str, Any] = {"bool": {"filter": [{"term": {"alert": name}}]}}
        if run_id:
            query["bool"]["filter"].append({"term": {"run_id": run_id}})
        resp = self.client.search(
            index=alert_matches_index(self.alias),
            query=query,
            size=limit,
            sort=[{"matched_at": {"order": "desc"}}, {"doc_id": "asc"}],
            ignore_unavailable=True,
        )
        return [match_view(h["_source"]) for h in resp["hits"]["hits"]]


def match_view(src: dict[str, Any]) -> dict[str, Any]:
    """A recorded match as the API, the CLI and webhooks show it."""
    return {
        "alert": src.get("alert"),
        "doc_id": src.get("doc_id"),
        "title": src.get("title"),
        "url": src.get("url"),
        "source": src.get("source"),
        "published": src.get("published"),
        "run_id": src.get("run_id"),
        "matched_at": src.get("matched_at"),
    }


def load_alerts(client: Elasticsearch, alias: str) -> list[Alert]:
    """Every saved alert of the index (none when the alerts index does not exist yet)."""
    try:
        hits = helpers.scan(client, index=alerts_index(alias), query={"query": {"match_all": {}}})
        alerts = [Alert.from_source(h["_source"]) for h in hits]
    except NotFoundError:
        return []
    return sorted(alerts, key=lambda a: a.name)


class AlertRun:
    """One ingestion run's matching: every alert against each batch's new and changed articles.

    Built once per run (``load``), so alerts added during a run apply from the next one.

    :param client: the Elasticsearch client.
    :param settings: the search settings (index, keyword settings).
    :param run_id: recorded with each match (``GET /alerts/{name}/matches?run_id=``).
    :param alerts: the alerts to match.
    """

    def __init__(self, client: Elasticsearch, settings: SearchSettings, run_id: str, alerts: Sequence[Alert]):
        self.client = client
        self.alias = settings.index
        self.run_id = run_id
        self.alerts = {a.name: a for a in alerts}
        self._matches_index_ready = False
        self.queries: dict[str, dict[str, Any]] = {}
        for a in alerts:
            query = alert_query(a, settings)
            if query is not None:  # validated when saved; settings may have changed since
                self.queries[a.name] = query

    @property
    def webhooks(self) -> bool:
        """Whether any alert posts its matches (the run then has a webhook step)."""
        return any(a.webhook for a in self.alerts.values())

    @classmethod
    def load(cls, client: Elasticsearch, settings: SearchSettings, run_id: str) -> AlertRun | None:
        alerts = load_alerts(client, settings.index)
        return cls(client, settings, run_id, alerts) if alerts else None

    def match(self, articles: Sequence[CleanArticle]) -> Counter:
        """Match these just-written articles (their chunks are in the index, not yet refreshed)
        against every alert, record the new matches, and count them per alert.

        Called before the articles' ledger records are written: a run that dies after this is
        redone by the next run, whose matches are the same records (nothing fires twice).
        """
        if not articles or not self.queries:
            return Counter()
        refresh_indices(self.client, self.alias)  # the batch's chunks become searchable
        by_id = {a.doc_id: a for a in articles}
        hits: dict[str, list[str]] = {}
        names = sorted(self.queries)
        for i in range(0, len(names), FILTERS_PER_REQUEST):
            hits.update(self._search(names[i : i + FILTERS_PER_REQUEST], list(by_id)))
        return self._record(hits, by_id)

    def _search(self, names: list[str], doc_ids: list[str]) -> dict[str, list[str]]:
        resp = self.client.search(
            index=self.alias,
            size=0,
            query={"bool": {"filter": [{"terms": {"doc_id": doc_ids}}]}},
            aggs={
                "alerts": {
                    "filters": {"filters": {n: self.queries[n] for n in names}},
                    "aggs": {"docs": {"terms": {"field": "doc_id", "size": len(doc_ids)}}},
                }
            },
        )
        buckets = resp["aggregations"]["alerts"]["buckets"]
        return {
            name: [b["key"] for b in bucket["docs"]["buckets"]]
            for name, bucket in buckets.items()
            if bucket["doc_count"]
        }

    def _record(self, hits: dict[str, list[str]], by_id: dict[str, CleanArticle]) -> Counter:
        """Write the matches not recorded by an earlier run; a match this run recorded already (a
        retried batch) still counts for this run."""
        wanted = {
            match_id(name, doc_id, by_id[doc_id].content_hash): (name, by_id[doc_id])
            for name, doc_ids in hits.items()
            for doc_id in doc_ids
        }
        if not wanted:
            return Counter()
        index = alert_matches_index(self.alias)
        if not self._matches_index_ready:  # made with the first alert; checked once per run
            ensure_index(self.client, index, alert_match_mapping())
            self._matches_index_ready = True
        seen = self.client.mget(index=index, ids=list(wanted), source_includes=["run_id"])["docs"]
        earlier = {d["_id"] for d in seen if d.get("found") and d["_source"].get("run_id") != self.run_id}
        now = datetime.now(UTC).isoformat()
        actions, counts = [], Counter()
        for mid, (name, article) in wanted.items():
            if mid in earlier:
                continue  # fired for this very content before: never again
            doc = {
                "alert": name,
                "doc_id": article.doc_id,
                "content_hash": article.content_hash,
                "run_id": self.run_id,
                "matched_at": now,
                "title": article.title,
                "url": article.url,
                "source": article.source,
                "published": article.published.isoformat() if article.published else None,
            }
            if self.alerts[name].webhook:
                doc["delivered"] = False  # the run's webhook step posts it, then marks it delivered
            actions.append({"_op_type": "index", "_index": index, "_id": mid, "_source": doc})
            counts[name] += 1
        result = bulk_write(self.client, actions)
        result.raise_if_unavailable()
        for mid in result.failed:
            counts[wanted[mid][0]] -= 1
        return +counts
