"""Cheap checks that Elasticsearch and the index are there, before any expensive work starts.

Why: a command pointed at a stopped server or a missing index should say so in one line within a
second or two. Without these checks the CLI imported torch and Haystack, started a Prefect server,
then waited out the one-minute retry meant for a cluster that restarts *during* a run, and printed
the library's exception. Only the ``elasticsearch`` client is imported here.
"""

from __future__ import annotations

import time

from elastic_transport import ConnectionError as ESConnectionError
from elastic_transport import ConnectionTimeout, TransportError
from elasticsearch import ApiError, Elasticsearch

from search.settings import SearchSettings
from search.store import make_client

#: Attempts and pause of the start-up check: long enough for a node that is just coming up, short
#: enough that a wrong URL fails fast (the message says how long was waited).
PREFLIGHT_ATTEMPTS = 3
PREFLIGHT_DELAY_S = 1.0
PREFLIGHT_TIMEOUT_S = 3.0


class ElasticsearchUnavailable(RuntimeError):
    """Elasticsearch did not answer at the configured URL; the message names the URL and the fix."""

    def __init__(self, url: str, detail: str, waited_s: float):
        self.url, self.detail, self.waited_s = url, detail, waited_s
        super().__init__(
            f"Elasticsearch is not reachable at {url} ({detail}; tried {PREFLIGHT_ATTEMPTS} times over "
            f"{waited_s:.0f} s): start it with `newsdesk es start`, or set NEWSDESK_ES_URL to a running "
            "cluster."
        )


class IndexMissing(RuntimeError):
    """The alias queries go through does not exist yet: nothing was ingested under that name."""

    def __init__(self, index: str, url: str):
        self.index, self.url = index, url
        super().__init__(
            f"The index {index!r} does not exist at {url}: ingest something first "
            f"(`newsdesk ingest PATH`), or set NEWSDESK_INDEX to an existing index."
        )


def _why(exc: Exception) -> str:
    if isinstance(exc, ConnectionTimeout):
        return "timed out"
    if isinstance(exc, ESConnectionError):
        return "connection refused or failed"
    if isinstance(exc, ApiError):
        return f"HTTP {exc.meta.status}"
    return type(exc).__name__


def require_elasticsearch(
    settings: SearchSettings,
    *,
    attempts: int = PREFLIGHT_ATTEMPTS,
    delay_s: float = PREFLIGHT_DELAY_S,
    timeout_s: float = PREFLIGHT_TIMEOUT_S,
) -> Elasticsearch:
    """The usual client (``make_client``) once its cluster answered a health request.

    Raises ``ElasticsearchUnavailable`` otherwise. The checks themselves go without the client's
    retries, so the stated attempts are the only ones.
    """
    client = make_client(settings)
    quick = client.options(max_retries=0, request_timeout=timeout_s)
    started = time.monotonic()
    last: Exception | None = None
    for attempt in range(attempts):
        try:
            quick.cluster.health()
            return client
        except ApiError as exc:
            if exc.meta.status in (401, 403):
                raise ElasticsearchUnavailable(
                    settings.es_url_redacted,
                    "credentials refused: check NEWSDESK_ES_USERNAME/PASSWORD or NEWSDESK_ES_API_KEY",
                    time.monotonic() - started,
                ) from exc
            last = exc
        except TransportError as exc:
            last = exc
        if attempt < attempts - 1:
            time.sleep(delay_s)
    assert last is not None
    raise ElasticsearchUnavailable(settings.es_url_redacted, _why(last), time.monotonic() - started) from last


def require_index(settings: SearchSettings, client: Elasticsearch | None = None) -> Elasticsearch:
    """``require_elasticsearch``, then ``IndexMissing`` unless the query alias (or index) exists."""
    client = client or require_elasticsearch(settings)
    quick = client.options(max_retries=0, request_timeout=PREFLIGHT_TIMEOUT_S)
    if not quick.indices.exists(index=settings.index):
        raise IndexMissing(settings.index, settings.es_url_redacted)
    return client
