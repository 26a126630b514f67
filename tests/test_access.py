"""Access: the API key guards write endpoints, secrets never leak, URL ingestion refuses SSRF targets.

All over real HTTP: the API runs under uvicorn, "web sites" are HTTP servers on 127.0.0.1, and the
redirect tests go through a real forward proxy on 127.0.0.1 so that a URL on a *public* address
can answer with a redirect to a private one. (The web page's escaping of document text is tested
in Chromium by ``test_web_page``.)
"""

from __future__ import annotations

import inspect
import io
import logging
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import urlsplit

import httpx
import pytest

from flows.ports import free_port
from flows.sources import FetchSettings, RunInputs, check_url, fetch
from ingest.models import IngestError, RawRecord
from ingest.settings import IngestSettings
from search import api as api_module
from search.settings import SearchSettings
from tests.conftest import REPO
from tests.live_server import live_api

API_KEY = "key-" + uuid.uuid4().hex
ES_PASSWORD = "pw-" + uuid.uuid4().hex
ES_API_KEY = "eskey-" + uuid.uuid4().hex
URL_PASSWORD = "urlpw-" + uuid.uuid4().hex
SECRETS = (API_KEY, ES_PASSWORD, ES_API_KEY, URL_PASSWORD)
PUBLIC_IP = "93.184.216.34"  # a global address; only ever reached through the local proxy below
PAGE = b"<html><head><title>Harbour</title></head><body><article><p>" + b"The harbour reopened. " * 20
PAGE += b"</p></article></body></html>"


# ---------------------------------------------------------------------------------------------
# the API key
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def keyed_api(es_url: str) -> Iterator[str]:
    settings = SearchSettings(
        es_url=es_url, index=f"t-{uuid.uuid4().hex[:12]}", api_key=API_KEY, warm_up=False
    )
    with live_api(settings) as base:
        yield base


@pytest.mark.parametrize(
    "key",
    [None, "", "nope", API_KEY[:-1], API_KEY + "x", API_KEY.upper(), "é".encode() * 10],
    ids=["missing", "empty", "wrong", "prefix", "longer", "case", "non-ascii"],
)
def test_write_endpoints_refuse_every_wrong_key_with_401_and_never_echo_the_key(keyed_api, key):
    headers = {} if key is None else {"X-API-Key": key}
    post = httpx.post(f"{keyed_api}/ingest", json={"paths": ["https://example.com/a"]}, headers=headers)
    status = httpx.get(f"{keyed_api}/ingest/{uuid.uuid4().hex}", headers=headers)
    alert = httpx.post(f"{keyed_api}/alerts", json={"name": "a", "query": "dock strike"}, headers=headers)
    deletes = [
        httpx.delete(f"{keyed_api}{path}", headers=headers)
        for path in ("/alerts/a", "/documents/some-doc", "/tombstones/some-doc")
    ]
    for r in (post, status, alert, *deletes):
        assert r.status_code == 401, r.text
        assert r.json()["error"]["code"] == "unauthorized"
        assert API_KEY not in r.text and API_KEY not in str(r.headers)


def test_the_right_key_is_accepted_and_the_comparison_is_constant_time(keyed_api):
    r = httpx.get(f"{keyed_api}/ingest/{uuid.uuid4().hex}", headers={"X-API-Key": API_KEY})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    source = inspect.getsource(api_module.require_api_key)  # defined in search.api_deps, used by every router
    assert "hmac.compare_digest(" in source and "== expected" not in source


def test_without_a_configured_key_write_endpoints_are_disabled(es_url):
    settings = SearchSettings(es_url=es_url, index="unused", warm_up=False)
    with live_api(settings) as base:
        for headers in ({}, {"X-API-Key": ""}, {"X-API-Key": "anything"}):
            r = httpx.post(f"{base}/ingest", json={"paths": ["https://example.com"]}, headers=headers)
            assert r.status_code == 403 and r.json()["error"]["code"] == "writes_disabled"
            r = httpx.delete(f"{base}/documents/some-doc", headers=headers)
            assert r.status_code == 403 and r.json()["error"]["code"] == "writes_disabled"
        # Read endpoints stay open.
        assert httpx.get(f"{base}/health").status_code in (200, 503)


# ---------------------------------------------------------------------------------------------
# secrets
# ---------------------------------------------------------------------------------------------
def _secret_settings(es_url: str, **kw) -> SearchSettings:
    return SearchSettings(
        es_url=es_url,
        index=f"t-{uuid.uuid4().hex[:12]}",
        es_username="elastic",
        es_password=ES_PASSWORD,
        es_api_key=ES_API_KEY,
        api_key=API_KEY,
        warm_up=False,
        **kw,
    )


@contextmanager
def _all_logs() -> Iterator[io.StringIO]:
    """Every log record of every logger, at DEBUG, with tracebacks, into a string."""
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield buf
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def _assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a secret leaked into {where}"


def test_settings_repr_and_dump_hide_every_secret():
    s = _secret_settings("http://127.0.0.1:9")
    for text in (repr(s), str(s), s.model_dump_json(), repr(s.model_dump())):
        _assert_no_secret(text, "settings repr/dump")
    # ...while the client still gets them.
    kwargs = s.es_client_kwargs()
    assert kwargs["api_key"] == ES_API_KEY
    basic = SearchSettings(es_url="http://h:1", es_username="u", es_password=ES_PASSWORD).es_client_kwargs()
    assert basic["basic_auth"] == ("u", ES_PASSWORD)
    assert URL_PASSWORD not in SearchSettings(es_url=f"http://u:{URL_PASSWORD}@h:1").es_url_redacted


@pytest.mark.parametrize("es_alive", [False, True], ids=["elasticsearch-down", "elasticsearch-up"])
def test_credentials_never_reach_logs_or_error_bodies(es_url, es_alive):
    target = es_url if es_alive else f"http://127.0.0.1:{free_port()}"
    settings = _secret_settings(target, es_timeout_s=2)
    bodies: list[str] = []
    with _all_logs() as logs, live_api(settings) as base:
        calls = [
            ("GET", "/search", {"params": {"q": "harbour", "mode": "keyword"}}),
            ("GET", "/search", {"params": {"q": "x" * 20_000}}),
            ("POST", "/ask", {"json": {"question": "who holds Qaim?", "mode": "keyword"}}),
            ("POST", "/ask", {"json": {"question": 12}}),
            ("GET", "/documents/nope", {}),
            ("GET", "/health", {}),
            ("POST", "/ingest", {"json": {"paths": ["/etc/passwd"]}, "headers": {"X-API-Key": "wrong"}}),
            ("POST", "/ingest", {"json": {"paths": ["/etc/passwd"]}, "headers": {"X-API-Key": API_KEY}}),
        ]
        for method, path, kw in calls:
            r = httpx.request(method, base + path, timeout=60, **kw)
            assert r.status_code < 500 or r.status_code == 503, (path, r.status_code, r.text)
            bodies.append(f"{r.status_code} {r.headers} {r.text}")
    _assert_no_secret("\n".join(bodies), "an HTTP response")
    _assert_no_secret(logs.getvalue(), "the logs")
    assert logs.getvalue(), "logs were captured"


def test_cli_error_messages_carry_no_credentials():
    env = {
        **os.environ,
        "NEWSDESK_ES_URL": f"http://elastic:{URL_PASSWORD}@127.0.0.1:{free_port()}",
        "NEWSDESK_ES_PASSWORD": ES_PASSWORD,
        "NEWSDESK_ES_API_KEY": ES_API_KEY,
        "NEWSDESK_API_KEY": API_KEY,
        "NEWSDESK_ES_TIMEOUT_S": "2",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "search", "harbour", "--mode", "keyword"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "not reachable" in proc.stdout + proc.stderr
    _assert_no_secret(proc.stdout + proc.stderr, "CLI output")


# ---------------------------------------------------------------------------------------------
# SSRF: schemes, private addresses, redirects
# ---------------------------------------------------------------------------------------------
class _Site(BaseHTTPRequestHandler):
    """A web site on 127.0.0.1 that is also a forward proxy (absolute-URI requests)."""

    port = 0
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        _Site.hits.append(self.path)
        redirects = {
            "/to-loopback": f"http://127.0.0.1:{self.port}/secret",
            "/to-metadata": "http://169.254.169.254/latest/meta-data/",
            "/to-file": "file:///etc/passwd",
            "/to-private-name": f"http://localhost:{self.port}/secret",
            "/to-public": f"http://{PUBLIC_IP}/article",
        }
        if path in redirects:
            self.send_response(302)
            self.send_header("Location", redirects[path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    _Site.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{_Site.port}"
    server.shutdown()


def _inputs(urls: list[str], allow_private: bool) -> list[RawRecord | IngestError]:
    fs = FetchSettings(allow_private_urls=allow_private, fetch_timeout_s=5)
    return list(RunInputs(urls, None, IngestSettings(), fs))


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/a.html",
        "gopher://127.0.0.1:70/_GET",
        "dict://127.0.0.1:11211/stat",
        "jar:http://example.com!/a",
    ],
)
def test_non_http_schemes_are_refused_even_when_private_addresses_are_allowed(url):
    (item,) = _inputs([url], allow_private=True)
    assert isinstance(item, IngestError) and "refused URL scheme" in item.reason


def test_private_loopback_and_link_local_addresses_are_refused_and_never_contacted(site):
    port = _Site.port
    urls = [
        f"{site}/page",
        f"http://localhost:{port}/page",
        f"http://[::1]:{port}/page",
        f"http://[::ffff:127.0.0.1]:{port}/page",
        f"http://2130706433:{port}/page",  # 127.0.0.1 as one decimal number
        f"http://0.0.0.0:{port}/page",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://[fd00::1]/",
    ]
    _Site.hits.clear()
    items = _inputs(urls, allow_private=False)
    assert len(items) == len(urls)
    for url, item in zip(urls, items, strict=True):
        assert isinstance(item, IngestError), url
        assert "NEWSDESK_ALLOW_PRIVATE_URLS" in item.reason, (url, item.reason)
        assert "not a public address" in item.reason, (url, item.reason)
    # The reason names the host as written, never the address a name resolved to.
    by_name = dict(zip(urls, items, strict=True))[f"http://localhost:{port}/page"]
    assert "127.0.0.1" not in by_name.reason and "::1" not in by_name.reason
    decimal = dict(zip(urls, items, strict=True))[f"http://2130706433:{port}/page"]
    assert "127.0.0.1" not in decimal.reason
    assert _Site.hits == [], "a refused address must not even be contacted"


def test_private_addresses_are_fetched_when_configuration_allows_them(site):
    (item,) = _inputs([f"{site}/page"], allow_private=True)
    assert isinstance(item, RawRecord) and b"harbour" in item.html.encode().lower()


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/to-loopback", "not a public address"),
        ("/to-private-name", "not a public address"),
        ("/to-metadata", "not a public address"),
        ("/to-file", "refused URL scheme"),
    ],
)
def test_a_redirect_from_a_public_address_to_a_forbidden_target_is_refused(site, path, reason):
    """Each hop is re-checked: a public page that redirects inward is not followed."""
    settings = FetchSettings(allow_private_urls=False, fetch_timeout_s=5)
    _Site.hits.clear()
    with httpx.Client(proxy=site, follow_redirects=False, timeout=5) as client:
        with pytest.raises(IngestError, match=reason):
            fetch(f"http://{PUBLIC_IP}{path}", settings, client)
        # The public hop was made (through the proxy); the forbidden one never was.
        assert _Site.hits == [f"http://{PUBLIC_IP}{path}"]
        page = fetch(f"http://{PUBLIC_IP}/to-public", settings, client)
        assert page.url == f"http://{PUBLIC_IP}/article" and page.body == PAGE


def test_the_guard_itself_refuses_before_any_connection():
    for url in ("http:///nohost", "http://127.0.0.1/", "https://[::1]/"):
        with pytest.raises(IngestError):
            check_url(url, allow_private=False)
