"""Where the flow's input comes from: local paths, web pages and RSS/Atom feeds.

Fetching is polite and bounded: a named user agent, timeouts, at most ``max_redirects`` redirects,
a byte cap per response (read as a stream, so a huge page costs at most the cap), and only
``http``/``https`` URLs whose host does not resolve to a private, loopback or link-local address
(server-side request forgery guard) unless ``NEWSDESK_ALLOW_PRIVATE_URLS=true``. Each failed
fetch becomes an ``IngestError`` for the quarantine; it never stops the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin

import feedparser
import httpx

from ingest.loaders import AllowedRoots, iter_records
from ingest.models import IngestError, RawRecord
from ingest.settings import IngestSettings
from ingest.urls import FetchSettings, check_url, is_url

ACCEPT = "text/html, application/xhtml+xml, application/rss+xml, application/atom+xml;q=0.9, */*;q=0.5"
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "text/xml",
    "application/feed",
)


@dataclass
class Fetched:
    url: str  # final URL after redirects
    content_type: str
    body: bytes


def fetch(url: str, settings: FetchSettings, client: httpx.Client) -> Fetched:
    """GET with manual redirects (each hop re-checked against the SSRF guard) and a byte cap."""
    current = url
    for _ in range(settings.fetch_max_redirects + 1):
        check_url(current, settings.allow_private_urls)
        try:
            with client.stream("GET", current) as resp:
                if resp.is_redirect and resp.headers.get("location"):
                    current = urljoin(current, resp.headers["location"])
                    continue
                if resp.status_code >= 400:
                    raise IngestError(f"HTTP {resp.status_code} from {current}", origin=url)
                declared = int(resp.headers.get("content-length") or 0)
                if declared > settings.fetch_max_bytes:
                    raise IngestError(
                        f"response is {declared} bytes, over the {settings.fetch_max_bytes} cap", origin=url
                    )
                body = bytearray()
                for part in resp.iter_bytes():
                    body.extend(part)
                    if len(body) > settings.fetch_max_bytes:
                        raise IngestError(
                            f"response exceeds the {settings.fetch_max_bytes} byte cap", origin=url
                        )
                return Fetched(str(resp.url), resp.headers.get("content-type", ""), bytes(body))
        except httpx.HTTPError as exc:
            raise IngestError(f"fetch failed: {type(exc).__name__}: {exc}", origin=url) from exc
    raise IngestError(f"more than {settings.fetch_max_redirects} redirects", origin=url)


def _looks_like_feed(fetched: Fetched) -> bool:
    ctype = fetched.content_type.split(";")[0].strip().lower()
    if ctype in FEED_TYPES or ctype.endswith("+xml"):
        return True
    head = fetched.body[:512].lstrip().lower()
    return head.startswith(b"<?xml") and (b"<rss" in fetched.body[:2048] or b"<feed" in fetched.body[:2048])


def records_from_url(
    url: str, source: str | None, settings: FetchSettings, client: httpx.Client
) -> Iterator[RawRecord | IngestError]:
    """A page URL yields one record; a feed URL yields one record per item (its page fetched)."""
    try:
        fetched = fetch(url, settings, client)
    except IngestError as exc:
        yield exc
        return
    if not _looks_like_feed(fetched):
        yield _page_record(fetched, origin=url, source=source)
        return
    feed = feedparser.parse(fetched.body)
    if feed.bozo and not feed.entries:
        yield IngestError(f"not a readable feed: {feed.get('bozo_exception')}", origin=url)
        return
    for n, entry in enumerate(feed.entries[: settings.fetch_max_feed_items], start=1):
        link = entry.get("link")
        if not link:
            yield IngestError("feed item has no link", origin=url, record_no=n)
            continue
        link = urljoin(fetched.url, link)
        try:
            page = fetch(link, settings, client)
        except IngestError as exc:
            exc.origin, exc.record_no = link, None
            yield exc
            continue
        rec = _page_record(page, origin=link, source=source)
        if isinstance(rec, IngestError):
            yield rec
            continue
        rec.title = rec.title or entry.get("title")
        rec.published = rec.published or entry.get("published") or entry.get("updated")
        if not rec.authors and entry.get("author"):
            rec.authors = [entry.get("author")]
        rec.extra["feed"] = url
        yield rec


def _page_record(fetched: Fetched, origin: str, source: str | None) -> RawRecord | IngestError:
    from ingest.loaders import decode_bytes

    try:
        html = decode_bytes(fetched.body, origin=origin)
    except IngestError as exc:
        return exc
    return RawRecord(origin=origin, url=fetched.url, html=html, source=source)


class RunInputs:
    """The flow's inputs, iterable more than once (learning pass, then cleaning pass).

    Local paths are re-read lazily (streamed); web inputs are fetched once per run and kept.
    """

    def __init__(
        self,
        paths: Iterable[str],
        source: str | None,
        ingest_settings: IngestSettings,
        fetch_settings: FetchSettings | None = None,
        roots: AllowedRoots | None = None,
    ):
        self.paths = [str(p) for p in paths]
        self.source = source
        self.ingest_settings = ingest_settings
        self.roots = roots
        self.fetch_settings = fetch_settings or FetchSettings()
        self._web: dict[str, list[RawRecord | IngestError]] = {}

    def __iter__(self) -> Iterator[RawRecord | IngestError]:
        for p in self.paths:
            if is_url(p):
                if p not in self._web:
                    self._web[p] = list(self._fetch(p))
                yield from self._web[p]
            else:
                yield from iter_records(
                    [p], source=self.source, settings=self.ingest_settings, roots=self.roots
                )

    def _fetch(self, url: str) -> Iterator[RawRecord | IngestError]:
        s = self.fetch_settings
        with httpx.Client(
            timeout=s.fetch_timeout_s,
            follow_redirects=False,
            headers={
                "User-Agent": s.fetch_user_agent,
                "Accept": ACCEPT,
            },
        ) as client:
            yield from records_from_url(url, self.source, s, client)
