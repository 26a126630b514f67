"""Integration: web pages and an RSS feed served by a local HTTP server (standing in for the
remote sites), ingested through the Prefect flow into the real Elasticsearch."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from flows.ingestion import ingest_flow
from search.store import articles_alias
from tests.conftest import FIXTURES

SITE = FIXTURES / "site"


class _Site(SimpleHTTPRequestHandler):
    """/feed.xml, /news/<page>.html, and /old/<page> redirecting to /news/<page>; logs user agents."""

    user_agents: list[str] = []  # noqa: RUF012 - shared by handler instances on purpose

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(SITE), **kwargs)

    def do_GET(self) -> None:
        type(self).user_agents.append(self.headers.get("User-Agent", ""))
        if self.path.startswith("/old/"):
            self.send_response(301)
            self.send_header("Location", "/news/" + self.path.rsplit("/", 1)[1])
            self.end_headers()
            return
        if self.path.startswith("/news/"):
            self.path = "/" + self.path.rsplit("/", 1)[1]
        super().do_GET()

    def guess_type(self, path):
        return "application/rss+xml" if str(path).endswith(".xml") else super().guess_type(path)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def site(monkeypatch) -> Iterator[str]:
    monkeypatch.setenv("NEWSDESK_ALLOW_PRIVATE_URLS", "true")  # the test site lives on 127.0.0.1
    _Site.user_agents = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _articles(es: Elasticsearch, alias: str) -> dict[str, dict]:
    es.indices.refresh(index=articles_alias(alias))
    hits = es.search(index=articles_alias(alias), size=100)["hits"]["hits"]
    return {h["_source"]["url"]: h["_source"] for h in hits}


def test_feed_items_are_fetched_and_ingested_with_feed_metadata(app_env, site, es_client):
    report = ingest_flow(paths=[f"{site}/feed.xml"], embed=False)
    assert report["new"] == 2
    assert report["quarantined"] == 1  # the missing page, with its reason
    assert "404" in report["quarantine"][0]["reason"]
    arts = _articles(es_client, app_env["NEWSDESK_INDEX"])
    harbour = arts[f"{site}/news/harbour.html"]
    assert harbour["title"] == "Harbour reopens after storm"
    assert harbour["published"].startswith("2024-10-07")
    assert "breakwater" in harbour["text"]
    assert "newsletter" not in harbour["text"] and "Home" not in harbour["text"].split()
    assert all(ua.startswith("newsdesk/") for ua in _Site.user_agents)

    again = ingest_flow(paths=[f"{site}/feed.xml"], embed=False)
    assert (again["unchanged"], again["chunks_written"]) == (2, 0)


def test_page_url_follows_redirects_and_keeps_the_final_url(app_env, site, es_client):
    report = ingest_flow(paths=[f"{site}/old/ferry.html"], embed=False)
    assert report["new"] == 1
    arts = _articles(es_client, app_env["NEWSDESK_INDEX"])
    assert list(arts) == [f"{site}/news/ferry.html"]


def test_loopback_urls_are_refused_unless_allowed(app_env, site, es_client, monkeypatch):
    monkeypatch.setenv("NEWSDESK_ALLOW_PRIVATE_URLS", "false")
    report = ingest_flow(paths=[f"{site}/feed.xml", "file:///etc/passwd"], embed=False)
    assert report["new"] == 0 and report["quarantined"] == 2
    reasons = " ".join(q["reason"] for q in report["quarantine"])
    assert "not a public address" in reasons and "scheme" in reasons


def test_oversized_page_is_quarantined_not_loaded(app_env, site, monkeypatch, tmp_path: Path):
    monkeypatch.setenv("NEWSDESK_FETCH_MAX_BYTES", "1024")
    report = ingest_flow(paths=[f"{site}/news/harbour.html"], embed=False)
    assert report["new"] == 0 and report["quarantined"] == 1
    assert "cap" in report["quarantine"][0]["reason"]
