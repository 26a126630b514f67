"""Posting an ingestion run's alert matches to each alert's webhook.

At the end of a run, every alert with a webhook whose matches are not yet delivered gets **one**
POST: a JSON body with the alert, the run and its matches (up to ``NEWSDESK_WEBHOOK_MAX_MATCHES``;
more follow with the next run). A match stays *undelivered* until a POST carrying it succeeds, so a
receiver that was down gets the matches with the next run's POST: nothing is lost, and a receiver
should de-duplicate by ``doc_id`` + ``run_id`` if it can see a POST twice (a run that dies between
the POST and marking its matches delivered posts them again).

Outgoing requests follow the fetcher's rules (``ingest.urls``): http(s) only, no private, loopback
or link-local address unless ``NEWSDESK_ALLOW_PRIVATE_URLS=true`` (checked before every attempt,
against what the name resolves to then), redirects are not followed. Each POST is retried on
connection errors, timeouts, 429 and 5xx (``NEWSDESK_WEBHOOK_ATTEMPTS``, waits doubling from
``NEWSDESK_WEBHOOK_RETRY_DELAY_S``) and bounded by ``NEWSDESK_WEBHOOK_TIMEOUT_S`` per attempt. A
failure is reported (``webhook_errors`` in the run report, the URL reduced to its host), never
raised: ingestion has finished and stays finished. With ``NEWSDESK_WEBHOOK_SECRET`` the body is
signed: ``X-Newsdesk-Signature: sha256=<hex HMAC-SHA256 of the body>``.

Usage::

    result = deliver_webhooks(client, settings, run_id="r1", allow_private_urls=False)
    result.delivered   # {"qaim": 3}
    result.errors      # [{"alert": ..., "webhook": "https://hooks.example.com/…", "error": ...}]
"""

from __future__ import annotations

import hashlib
import hmac
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
from elasticsearch import Elasticsearch
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from ingest.models import IngestError
from ingest.urls import check_url
from search.alerts import Alert, load_alerts, match_view, redact_url
from search.settings import SearchSettings
from search.store import alert_matches_index, bulk_write, refresh_indices

USER_AGENT = "newsdesk-webhook/0.1"


class WebhookError(RuntimeError):
    """A POST that did not succeed; the message names the host only, never the whole URL."""


class _Retryable(WebhookError):
    """A failure worth another attempt (the receiver may be restarting or overloaded)."""


@dataclass
class WebhookResult:
    """What a run's webhook step did: matches delivered per alert, and each failure."""

    delivered: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)


def post_json(url: str, payload: dict[str, Any], settings: SearchSettings, allow_private_urls: bool) -> int:
    """POST ``payload`` as JSON under the SSRF rules, with retries; returns the HTTP status.

    Raises ``WebhookError`` when the URL is refused or every attempt failed.
    """
    body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if settings.webhook_secret:
        key = settings.webhook_secret.get_secret_value().encode()
        headers["X-Newsdesk-Signature"] = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    where = redact_url(url)

    @retry(
        retry=retry_if_exception_type(_Retryable),
        stop=stop_after_attempt(settings.webhook_attempts),
        wait=wait_exponential(multiplier=settings.webhook_retry_delay_s, max=30),
        reraise=True,
    )
    def attempt(http: httpx.Client) -> int:
        try:
            check_url(url, allow_private_urls)  # per attempt: what the name resolves to now
        except IngestError as exc:
            raise WebhookError(exc.reason.replace(url, where)) from None
        try:
            resp = http.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise _Retryable(f"{type(exc).__name__}: {str(exc).replace(url, where)}") from None
        if resp.status_code == 429 or resp.status_code >= 500:
            raise _Retryable(f"HTTP {resp.status_code}")
        if resp.is_redirect:
            raise WebhookError(f"HTTP {resp.status_code}: redirects are not followed")
        if resp.status_code >= 400:
            raise WebhookError(f"HTTP {resp.status_code}")
        return resp.status_code

    with httpx.Client(timeout=settings.webhook_timeout_s, follow_redirects=False) as http:
        return attempt(http)


def pending_matches(client: Elasticsearch, alias: str, alert: str, limit: int) -> tuple[list[dict], int]:
    """An alert's undelivered matches, oldest first (up to ``limit``), and how many there are."""
    resp = client.search(
        index=alert_matches_index(alias),
        query={"bool": {"filter": [{"term": {"alert": alert}}, {"term": {"delivered": False}}]}},
        size=limit,
        sort=[{"matched_at": {"order": "asc"}}, {"doc_id": "asc"}],
        track_total_hits=True,
        ignore_unavailable=True,
    )
    hits = resp["hits"]["hits"]
    return [{"_id": h["_id"], **h["_source"]} for h in hits], int(resp["hits"]["total"]["value"])


def deliver_alert(
    client: Elasticsearch, settings: SearchSettings, alert: Alert, run_id: str, allow_private_urls: bool
) -> int:
    """One POST with the alert's undelivered matches (none: no POST); returns how many it carried."""
    if not alert.webhook:
        return 0
    matches, total = pending_matches(client, settings.index, alert.name, settings.webhook_max_matches)
    if not matches:
        return 0
    payload = {
        "alert": alert.name,
        "query": alert.query,
        "source": alert.source,
        "entities": alert.entities,
        "run_id": run_id,
        "count": len(matches),
        "pending_after_this": total - len(matches),
        "matches": [match_view(m) for m in matches],
    }
    post_json(alert.webhook, payload, settings, allow_private_urls)
    index = alert_matches_index(settings.index)
    marked = bulk_write(
        client,
        [
            {"_op_type": "update", "_index": index, "_id": m["_id"], "doc": {"delivered": True}}
            for m in matches
        ],
    )
    marked.raise_if_unavailable()
    return len(matches)


def deliver_webhooks(
    client: Elasticsearch, settings: SearchSettings, *, run_id: str, allow_private_urls: bool
) -> WebhookResult:
    """The run's webhook step: every alert with a webhook and undelivered matches gets one POST."""
    result = WebhookResult()
    alerts = [a for a in load_alerts(client, settings.index) if a.webhook]
    if not alerts:
        return result
    refresh_indices(client, alert_matches_index(settings.index))

    def one(alert: Alert) -> tuple[Alert, int | None, str | None]:
        try:
            return alert, deliver_alert(client, settings, alert, run_id, allow_private_urls), None
        except WebhookError as exc:
            return alert, None, str(exc)
        except Exception as exc:  # never let one alert's failure hide another's delivery
            return alert, None, f"{type(exc).__name__}: {exc}"[:500]

    with ThreadPoolExecutor(max_workers=min(4, len(alerts))) as pool:
        for alert, delivered, error in pool.map(one, alerts):
            if error is not None:
                result.errors.append(
                    {"alert": alert.name, "webhook": redact_url(alert.webhook or ""), "error": error}
                )
            elif delivered:
                result.delivered[alert.name] = delivered
    refresh_indices(client, alert_matches_index(settings.index))
    return result
