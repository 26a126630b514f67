"""A thin client of a running newsdesk API, for the CLI's ``search`` and ``ask``.

Why: a CLI process that searches in-process pays for Python, Haystack, the Elasticsearch client
and (for semantic, hybrid and ask) torch and the embedding model on every call: 14 s and 860 MB
for one keyword query on a 2-core machine. The API (``newsdesk serve``, or ``newsdesk up``) keeps
all of that loaded, so the CLI asks it over HTTP and only needs ``httpx``. This module imports
nothing heavier than ``httpx`` and the settings, on purpose; keep it that way.

Usage::

    base, why_not = find_api(settings)
    if base:
        body = search_via_api(base, {"q": "Qaim", "mode": "keyword"}, settings.api_timeout_s)
"""

from __future__ import annotations

from typing import Any

import httpx

from search.settings import SearchSettings

#: Seconds the health probe may take. A closed port is refused at once; a live API answers its
#: /health in tens of milliseconds, so this only bounds a hung or foreign server.
PROBE_TIMEOUT_S = 1.5


class ApiRequestError(RuntimeError):
    """The API answered a request with an error: its status, its stable code and its message."""

    def __init__(self, status: int, code: str, message: str):
        self.status, self.code, self.message = status, code, message
        super().__init__(message)


class ApiUnreachable(RuntimeError):
    """The API stopped answering between the probe and the request (the caller falls back)."""


def find_api(settings: SearchSettings, timeout_s: float = PROBE_TIMEOUT_S) -> tuple[str | None, str]:
    """``(base URL, "")`` when a newsdesk API serving this index answers, else ``(None, why not)``.

    The API must say it is newsdesk (its ``/health`` body), serve the same alias as
    ``NEWSDESK_INDEX`` here (so ``NEWSDESK_INDEX=other newsdesk search`` never silently searches
    the API's index instead) and have that index. ``NEWSDESK_API_URL=""`` turns the client off
    (``why`` is then "").
    """
    base = (settings.api_url or "").strip().rstrip("/")
    if not base:
        return None, ""
    try:
        resp = httpx.get(f"{base}/health", timeout=timeout_s)
    except httpx.TimeoutException:
        return None, f"no answer from {base} within {timeout_s:g} s"
    except httpx.HTTPError as exc:
        return None, f"nothing answers at {base} ({_short(exc)})"
    try:
        body = resp.json()
        alias = body["index"]["alias"]
    except (ValueError, KeyError, TypeError):
        return None, f"{base} answers, but not as a newsdesk API (HTTP {resp.status_code} on /health)"
    if alias != settings.index:
        return None, f"the API at {base} serves index {alias!r}, not {settings.index!r}"
    if body.get("status") == "down" or not body["index"].get("exists"):
        # Work here instead: this process's own preflight then names what to fix in one line.
        return None, f"the API at {base} reports Elasticsearch or its index missing"
    return base, ""


def search_via_api(base: str, params: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """``GET /search`` with these query parameters (lists repeat the key): the contract's JSON."""
    clean = {k: v for k, v in params.items() if v is not None and v != []}
    return _call("GET", f"{base}/search", timeout_s, params=clean)


def ask_via_api(base: str, body: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """``POST /ask`` with this body: the contract's answer JSON."""
    return _call("POST", f"{base}/ask", timeout_s, json={k: v for k, v in body.items() if v is not None})


def _call(method: str, url: str, timeout_s: float, **kwargs: Any) -> dict[str, Any]:
    try:
        resp = httpx.request(method, url, timeout=timeout_s, **kwargs)
    except httpx.HTTPError as exc:
        raise ApiUnreachable(f"the API stopped answering ({_short(exc)})") from exc
    try:
        body = resp.json()
    except ValueError:
        body = None
    if resp.status_code >= 400:
        err = (body or {}).get("error") if isinstance(body, dict) else None
        if isinstance(err, dict):
            raise ApiRequestError(resp.status_code, str(err.get("code")), str(err.get("message")))
        raise ApiRequestError(resp.status_code, "http_error", f"HTTP {resp.status_code} from {url}")
    if not isinstance(body, dict):
        raise ApiRequestError(resp.status_code, "bad_response", f"{url} did not return a JSON object")
    return body


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:119] + "…"
