"""Every write and administrative call newsdesk makes to Elasticsearch.

Writes go through the bulk helper without a refresh per call (``refresh`` once per batch instead),
are retried on transient failures, and report per document what could not be written, so a caller
can quarantine or retry it: nothing is dropped silently.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError, helpers
from tenacity import retry, retry_if_exception, stop_after_delay, wait_exponential

from search.mapping import (
    ADDED_ARTICLE_FIELDS,
    ADDED_FIELDS,
    MAPPING_VERSION,
    article_mapping,
    chunk_mapping,
    index_settings,
)
from search.settings import SearchSettings

log = logging.getLogger(__name__)

# Bulk item statuses worth retrying: overload and unavailability, not bad documents.
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


def is_transient(exc: BaseException) -> bool:
    """Errors that mean "Elasticsearch is down, starting or overloaded": worth waiting for."""
    if isinstance(exc, TransportError) and not isinstance(exc, ApiError):
        return True  # connection refused/reset, timeouts
    return isinstance(exc, ApiError) and exc.meta.status in RETRYABLE_STATUSES


# Calls made once per run (create indices, final refresh) wait out a restarting cluster: up to a
# minute, long enough for a node to come back and recover its shards.
es_retry = retry(
    retry=retry_if_exception(is_transient),
    stop=stop_after_delay(60),
    wait=wait_exponential(multiplier=0.5, max=8),
    reraise=True,
)


def make_client(settings: SearchSettings) -> Elasticsearch:
    """A client with retries on connection errors and timeouts, built from settings."""
    return Elasticsearch(
        **settings.es_client_kwargs(),
        retry_on_timeout=True,
        max_retries=3,
    )


def articles_alias(alias: str) -> str:
    return f"{alias}-articles"


def alerts_index(alias: str) -> str:
    """Saved searches of the index behind ``alias`` (``search.alerts``)."""
    return f"{alias}-alerts"


def alert_matches_index(alias: str) -> str:
    """What the saved searches matched, one document per alert, article and content version."""
    return f"{alias}-alert-matches"


def tombstones_index(alias: str) -> str:
    """Takedowns (``search.takedowns``): what must not be indexed again."""
    return f"{alias}-tombstones"


@es_retry
def _add_new_fields(client: Elasticsearch, alias: str, added: dict[str, Any]) -> None:
    """Fields added to the mapping since an index was created (adding fields needs no reindex)."""
    current = client.indices.get_mapping(index=alias)
    for concrete, body in current.items():
        props = body.get("mappings", {}).get("properties", {})
        missing = {k: v for k, v in added.items() if k not in props}
        if missing:
            client.indices.put_mapping(index=concrete, properties=missing)


def ensure_indices(
    client: Elasticsearch,
    alias: str,
    embedding_dims: int | Callable[[], int],
    shards: int = 1,
    replicas: int = 0,
) -> None:
    """Create the versioned chunk and article indices behind their aliases if they are missing.

    ``embedding_dims`` may be a callable, called only when the chunk index has to be created: the
    size of a model without a config on disk (a hub id) is only known by loading it, and a run
    against existing indices must not pay for that.
    """
    targets: list[tuple[str, Callable[[], dict[str, Any]], dict[str, Any]]] = [
        (
            alias,
            lambda: chunk_mapping(embedding_dims() if callable(embedding_dims) else embedding_dims),
            ADDED_FIELDS,
        ),
        (articles_alias(alias), article_mapping, ADDED_ARTICLE_FIELDS),
    ]
    for name, mapping, added in targets:
        if client.indices.exists_alias(name=name):
            _add_new_fields(client, name, added)
            continue
        if client.indices.exists(index=name):
            raise RuntimeError(
                f"{name!r} exists as a concrete index, not an alias; newsdesk needs it to be an alias "
                f"(re-create it with `newsdesk reindex`, or choose another NEWSDESK_INDEX)."
            )
        concrete = f"{name}-v{MAPPING_VERSION}"
        try:
            client.indices.create(
                index=concrete,
                settings=index_settings(shards, replicas),
                mappings=mapping(),
                aliases={name: {"is_write_index": True}},
            )
        except ApiError as exc:
            if exc.meta.status == 400 and "resource_already_exists" in str(exc):
                continue  # a concurrent run created it first
            raise


@es_retry
def ensure_index(client: Elasticsearch, name: str, mapping: dict[str, Any]) -> None:
    """Create a plain (unversioned) index if it is missing; safe when two processes race to it."""
    if client.indices.exists(index=name):
        return
    try:
        client.indices.create(index=name, settings=index_settings(1, 0), mappings=mapping)
    except ApiError as exc:
        if not (exc.meta.status == 400 and "resource_already_exists" in str(exc)):
            raise


def put_document(
    client: Elasticsearch, index: str, doc_id: str, doc: dict[str, Any], *, create: bool = False
) -> bool:
    """Write one document and wait until searches see it (a user's command, not a bulk load).

    ``create``: only if no document has this id; returns False when one has (nothing written).
    """
    try:
        client.index(
            index=index, id=doc_id, document=doc, op_type="create" if create else "index", refresh="wait_for"
        )
    except ApiError as exc:
        if create and exc.meta.status == 409:
            return False
        raise
    return True


def delete_document(client: Elasticsearch, index: str, doc_id: str) -> bool:
    """Delete one document, visible to searches on return; False when there was none."""
    try:
        client.delete(index=index, id=doc_id, refresh="wait_for")
    except NotFoundError:
        return False
    return True


def current_index(client: Elasticsearch, alias: str) -> str:
    """The concrete index an alias writes to."""
    info = client.indices.get_alias(name=alias)
    for index, body in info.items():
        if body["aliases"][alias].get("is_write_index", True):
            return index
    return next(iter(info))


def _next_version_name(client: Elasticsearch, alias: str) -> str:
    existing = client.indices.get(index=f"{alias}-v*", allow_no_indices=True, ignore_unavailable=True)
    versions = [int(n.rsplit("-v", 1)[1]) for n in existing if n.rsplit("-v", 1)[1].isdigit()]
    return f"{alias}-v{max(versions, default=0) + 1}"


def reindex(
    client: Elasticsearch, alias: str, embedding_dims: int, shards: int = 1, replicas: int = 0
) -> dict[str, Any]:
    """Copy both indices into new versions with the current mapping and swap the aliases atomically.

    Queries keep using the old index until the swap, so there is no downtime. The copy is done
    client-side (scroll + bulk), because the minimal Elasticsearch build has no ``_reindex`` API.
    Writes that land in the old index during the copy are not carried over: run it between
    ingestion runs (a later ingestion run would re-add anything missing, by content hash).
    """
    report: dict[str, Any] = {}
    for name, mapping in ((alias, chunk_mapping(embedding_dims)), (articles_alias(alias), article_mapping())):
        old = current_index(client, name)
        new = _next_version_name(client, name)
        client.indices.create(index=new, settings=index_settings(shards, replicas), mappings=mapping)
        client.indices.put_settings(index=new, settings={"refresh_interval": "-1"})
        # helpers.reindex probes the data-stream API, which this build also lacks: scan + bulk.
        docs = helpers.scan(
            client, index=old, query={"query": {"match_all": {}}}, size=500, preserve_order=False
        )
        result = bulk_write(
            client,
            ({"_op_type": "index", "_index": new, "_id": d["_id"], "_source": d["_source"]} for d in docs),
        )
        errors = list(result.failed.values())
        client.indices.put_settings(index=new, settings={"refresh_interval": "1s"})
        client.indices.refresh(index=new)
        copied, expected = count(client, new), count(client, old)
        if copied != expected or errors:
            client.indices.delete(index=new)
            first = f"; first error: {errors[0]}" if errors else ""
            raise RuntimeError(
                f"reindex of {name}: copied {copied} of {expected} documents{first}; alias unchanged"
            )
        client.indices.update_aliases(
            actions=[
                {"remove": {"index": old, "alias": name}},
                {"add": {"index": new, "alias": name, "is_write_index": True}},
            ]
        )
        client.indices.delete(index=old)
        report[name] = {"from": old, "to": new, "documents": copied}
    return report


def delete_indices(client: Elasticsearch, alias: str) -> None:
    """Drop both aliases and every index behind them (tests, and `newsdesk reset`)."""
    for name in (alias, articles_alias(alias)):
        try:
            concrete = list(client.indices.get_alias(name=name).keys())
        except NotFoundError:
            concrete = []
        for index in concrete:
            client.indices.delete(index=index, ignore_unavailable=True)


@dataclass
class BulkResult:
    """What a bulk write did: ids written and, per failed id, the reason."""

    written: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    # Failed ids whose last failure was Elasticsearch being unavailable, not the document.
    unavailable: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def raise_if_unavailable(self) -> None:
        """Turn "Elasticsearch is down/overloaded" into an exception, so the caller's retry (the
        Prefect task) redoes the batch instead of quarantining documents that are fine."""
        if self.unavailable:
            first = self.unavailable[0]
            raise WritesUnavailable(
                f"Elasticsearch refused {len(self.unavailable)} write(s) as unavailable; first: "
                f"{first}: {self.failed.get(first)}"
            )


class WritesUnavailable(TransportError):
    """Bulk writes kept failing because Elasticsearch was unavailable (a transient condition)."""


def bulk_write(
    client: Elasticsearch,
    actions: Iterable[Mapping[str, Any]],
    attempts: int = 4,
    chunk_size: int = 500,
) -> BulkResult:
    """Write bulk actions, retrying retryable per-item failures; never refreshes.

    Each action is a bulk-helper dict with ``_index``, ``_id`` and ``_op_type``. Items that fail for
    good (mapping errors, or still unavailable after ``attempts``) come back in ``failed`` with the
    reason Elasticsearch gave.
    """
    pending = {a["_id"]: dict(a) for a in actions}
    result = BulkResult()
    written: set[str] = set()
    for attempt in range(1, attempts + 1):
        retry_next: dict[str, dict] = {}
        try:
            for ok, item in helpers.streaming_bulk(
                client,
                list(pending.values()),
                chunk_size=chunk_size,
                raise_on_error=False,
                raise_on_exception=False,
                max_retries=2,
                initial_backoff=1,
                refresh=False,
            ):
                info = next(iter(item.values()))
                doc_id = info.get("_id")
                if ok:
                    written.add(doc_id)
                    result.failed.pop(doc_id, None)
                    continue
                status = int(info.get("status") or 0)
                result.failed[doc_id] = _item_reason(info)
                if status in RETRYABLE_STATUSES or status == 0:
                    retry_next[doc_id] = pending[doc_id]
        except TransportError as exc:
            # The request as a whole failed: whatever this round did not confirm is retried.
            for doc_id, action in pending.items():
                if doc_id not in written:
                    retry_next[doc_id] = action
                    result.failed[doc_id] = f"transport error: {exc}"
        pending = retry_next
        if not pending:
            break
        if attempt < attempts:
            log.warning("bulk: %d item(s) failed, retrying (attempt %d/%d)", len(pending), attempt, attempts)
            time.sleep(min(2 ** (attempt - 1), 10))
    result.unavailable = sorted(pending)
    result.written = sorted(written)
    return result


def _item_reason(info: Mapping[str, Any]) -> str:
    err = info.get("error")
    if isinstance(err, Mapping):
        return f"{err.get('type')}: {err.get('reason')}"
    return str(err or f"status {info.get('status')}")


@es_retry
def refresh(client: Elasticsearch, alias: str) -> None:
    """Make everything written so far searchable (once per batch, not per write)."""
    client.indices.refresh(index=f"{alias},{articles_alias(alias)}", ignore_unavailable=True)


@es_retry
def refresh_indices(client: Elasticsearch, *names: str) -> None:
    """Refresh the named indices that exist (the alert and takedown indices are made on first use)."""
    client.indices.refresh(index=",".join(names), ignore_unavailable=True, allow_no_indices=True)


def count(client: Elasticsearch, index: str, query: Mapping[str, Any] | None = None) -> int:
    try:
        return int(client.count(index=index, query=query or {"match_all": {}})["count"])
    except NotFoundError:
        return 0
