"""Which URLs newsdesk may fetch, and how: the rules shared by the flow's fetcher and the API.

Why here, below ``search`` and ``flows``: ``POST /ingest`` refuses a URL that can never be fetched
at once (4xx) with the same rules the fetcher applies, without importing the orchestration layer.
Only ``http``/``https`` URLs whose host does not resolve to a private, loopback or link-local
address are fetched (server-side request forgery guard) unless ``NEWSDESK_ALLOW_PRIVATE_URLS=true``.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingest.models import IngestError

__all__ = ["FetchSettings", "check_url", "check_url_form", "is_url"]


class FetchSettings(BaseSettings):
    """How newsdesk fetches from the web (``NEWSDESK_FETCH_*`` and ``NEWSDESK_ALLOW_PRIVATE_URLS``)."""

    model_config = SettingsConfigDict(env_prefix="NEWSDESK_", env_file=".env", extra="ignore")

    fetch_timeout_s: float = Field(20.0, gt=0)
    fetch_max_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    fetch_max_redirects: int = Field(5, ge=0, le=20)
    fetch_max_feed_items: int = Field(200, ge=1)
    fetch_user_agent: str = "newsdesk/0.1 (news ingestion; +https://github.com/newsdesk)"
    allow_private_urls: bool = Field(False, description="Allow URLs on private/loopback addresses.")


def is_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://")) or "://" in value[:12]


_NOT_PUBLIC = "not a public address (set NEWSDESK_ALLOW_PRIVATE_URLS=true to allow private hosts)"


def check_url_form(url: str, allow_private: bool) -> str:
    """Refuse, without any network lookup, a URL that can never be fetched; returns its host.

    Scheme and host are checked, and hosts that are literally local (``localhost``, an IP literal
    that is not public) are refused here, so ``POST /ingest`` can say so at once with a 4xx
    instead of accepting a job that fails later. Names are resolved (and refused) by ``check_url``.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as exc:
        raise IngestError(f"malformed URL: {exc}", origin=url) from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise IngestError(f"refused URL scheme {parts.scheme!r}: only http and https are fetched", origin=url)
    if not host:
        raise IngestError("URL has no host", origin=url)
    if allow_private:
        return host
    if host.lower().rstrip(".") in ("localhost", "localhost.localdomain") or host.lower().endswith(
        ".localhost"
    ):
        raise IngestError(f"refused {host}: {_NOT_PUBLIC}", origin=url)
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return host
    if not _is_public(literal):
        raise IngestError(f"refused {host}: {_NOT_PUBLIC}", origin=url)
    return host


def _is_public(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    # Not global: private, loopback, link-local, reserved, and also shared (100.64/10 carrier-grade
    # NAT), documentation and benchmark ranges, and IPv4-mapped forms of all of them.
    return addr.is_global and not addr.is_multicast


def check_url(url: str, allow_private: bool) -> None:
    """Refuse what must not be fetched; raises ``IngestError`` with the reason.

    The reason names the host as the user wrote it, never the address it resolved to: echoing
    resolved internal addresses would map a private network for whoever submits URLs.
    """
    host = check_url_form(url, allow_private)
    if allow_private:
        return
    port = urlsplit(url).port
    try:
        infos = socket.getaddrinfo(host, port or 80, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise IngestError(f"cannot resolve host {host!r}: {exc}", origin=url) from exc
    for info in infos:
        if not _is_public(ipaddress.ip_address(info[4][0])):
            raise IngestError(f"refused {host}: {_NOT_PUBLIC}", origin=url)
