"""Alerts (issue 19): saved searches matched by every ingestion run, against a real Elasticsearch and a
real Prefect server; webhooks received by a local HTTP server (the only thing faked: the outside world)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from elasticsearch import Elasticsearch

from flows.ingestion import ingest_flow
from ingest.models import CleanArticle
from search.alerts import Alert, AlertError, AlertExists, AlertRun, Alerts, validate_alert
from search.indexing import IndexingOptions, index_articles
from search.settings import SearchSettings
from search.store import ensure_indices, refresh
from tests.live_server import live_api

pytestmark = pytest.mark.elasticsearch

STRIKE = (
    "Dock workers walked out on Monday over pay at the container port. The union said the dock strike "
    "would last a week. Shipping lines diverted three vessels to other ports while talks continued."
)
HARBOUR = "The harbour reopened on Monday after storm repairs were finished. Fishing boats returned at dawn."


class Receiver:
    """A webhook endpoint on 127.0.0.1: records every POST; answers with the next status queued."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.posts.append({"body": body, "headers": dict(self.headers), "status": status})
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/{uuid.uuid4().hex}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def delivered(self) -> list[dict[str, Any]]:
        """Bodies of the POSTs answered 2xx."""
        return [json.loads(p["body"]) for p in self.posts if p["status"] < 300]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture()
def alerts(app_env: dict[str, str], es_client: Elasticsearch) -> Alerts:
    """The alerts of the test's index (the one the flow writes to, through ``app_env``)."""
    return Alerts(
        es_client, SearchSettings(es_url=app_env["NEWSDESK_ES_URL"], index=app_env["NEWSDESK_INDEX"])
    )


def _story(path: Path, title: str, body: str) -> str:
    path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    return str(path)


def test_an_alert_fires_once_for_a_new_article_not_for_an_unchanged_rerun_and_again_when_it_changes(
    alerts: Alerts, tmp_path: Path
):
    alerts.add(Alert("dock-strike", "dock strike"), allow_private_urls=False)
    alerts.add(Alert("elsewhere", "dock strike", source="nowhere.example"), allow_private_urls=False)
    story = _story(tmp_path / "strike.txt", "Dock strike", STRIKE)
    other = _story(tmp_path / "harbour.txt", "Harbour reopens", HARBOUR)

    first = ingest_flow(paths=[story, other], embed=False)
    assert (first["new"], first["alert_matches"], first["alert_errors"]) == (2, {"dock-strike": 1}, [])
    matched = alerts.matches("dock-strike")
    assert [(m["title"], m["run_id"]) for m in matched] == [("Dock strike", first["run_id"])]
    assert alerts.matches("elsewhere") == [], "an alert's source filter holds"

    again = ingest_flow(paths=[story, other], embed=False)
    assert (again["unchanged"], again["alert_matches"]) == (2, {})
    assert len(alerts.matches("dock-strike")) == 1, "an unchanged article never fires again"

    _story(tmp_path / "strike.txt", "Dock strike", STRIKE.replace("a week", "two weeks"))
    changed = ingest_flow(paths=[story, other], embed=False)
    assert (changed["updated"], changed["alert_matches"]) == (1, {"dock-strike": 1})
    runs = [m["run_id"] for m in alerts.matches("dock-strike")]
    assert runs == [changed["run_id"], first["run_id"]], "newest first, one per content version"
    assert alerts.matches("dock-strike", run_id=first["run_id"])[0]["run_id"] == first["run_id"]


def test_the_webhook_receives_one_signed_post_per_run_with_that_runs_matches(
    alerts: Alerts, receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("NEWSDESK_ALLOW_PRIVATE_URLS", "true")  # the receiver is on 127.0.0.1
    monkeypatch.setenv("NEWSDESK_WEBHOOK_SECRET", "s3cret")
    alerts.add(Alert("ports", "dock strike", webhook=receiver.url), allow_private_urls=True)
    a = _story(tmp_path / "a.txt", "Dock strike", STRIKE)
    b = _story(tmp_path / "b.txt", "Dock strike spreads", STRIKE.replace("Monday", "Tuesday") + " It spread.")

    report = ingest_flow(paths=[a, b], embed=False)
    assert report["alert_matches"] == {"ports": 2} and report["webhook_errors"] == []
    assert len(receiver.posts) == 1, "one POST per run, not one per article"
    post = receiver.posts[0]
    body = json.loads(post["body"])
    assert (body["alert"], body["run_id"], body["count"]) == ("ports", report["run_id"], 2)
    assert {m["title"] for m in body["matches"]} == {"Dock strike", "Dock strike spreads"}
    expected = hmac.new(b"s3cret", post["body"], hashlib.sha256).hexdigest()
    assert post["headers"]["X-Newsdesk-Signature"] == f"sha256={expected}"

    ingest_flow(paths=[a, b], embed=False)
    assert len(receiver.posts) == 1, "a run that matched nothing posts nothing"


def test_a_failing_webhook_is_reported_never_fails_the_run_and_its_matches_come_with_the_next_post(
    alerts: Alerts, receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("NEWSDESK_ALLOW_PRIVATE_URLS", "true")
    monkeypatch.setenv("NEWSDESK_WEBHOOK_ATTEMPTS", "2")
    monkeypatch.setenv("NEWSDESK_WEBHOOK_RETRY_DELAY_S", "0")
    alerts.add(Alert("ports", "dock strike", webhook=receiver.url), allow_private_urls=True)
    receiver.statuses = [503, 503]  # down for both attempts of the first run

    first = ingest_flow(paths=[_story(tmp_path / "a.txt", "Dock strike", STRIKE)], embed=False)
    assert (first["new"], first["alert_matches"]) == (1, {"ports": 1})
    [error] = first["webhook_errors"]
    assert error["alert"] == "ports" and "503" in error["error"]
    assert error["webhook"] == f"http://127.0.0.1:{receiver.server.server_port}/…", (
        "the URL's token stays out"
    )
    assert len(receiver.posts) == 2, "retried"

    later = STRIKE.replace("Monday", "Friday") + " Talks failed."
    second = ingest_flow(paths=[_story(tmp_path / "b.txt", "Dock strike resumes", later)], embed=False)
    assert second["webhook_errors"] == []
    [body] = receiver.delivered()
    assert body["run_id"] == second["run_id"]
    assert sorted(m["run_id"] for m in body["matches"]) == sorted([first["run_id"], second["run_id"]])


def test_a_webhook_on_a_private_address_is_refused_unless_allowed(
    alerts: Alerts, receiver: Receiver, tmp_path: Path
):
    with pytest.raises(AlertError, match="not a public address"):
        alerts.add(Alert("ports", "dock strike", webhook=receiver.url), allow_private_urls=False)
    # Saved while private URLs were allowed, then the setting was turned off: the run refuses it.
    alerts.add(Alert("ports", "dock strike", webhook=receiver.url), allow_private_urls=True)
    report = ingest_flow(paths=[_story(tmp_path / "a.txt", "Dock strike", STRIKE)], embed=False)
    assert report["new"] == 1
    assert "not a public address" in report["webhook_errors"][0]["error"]
    assert receiver.posts == []


def test_alerts_match_exactly_what_keyword_search_finds(es_client: Elasticsearch, settings: SearchSettings):
    from search.retrieval import Searcher

    ensure_indices(es_client, settings.index, embedding_dims=384)
    qaim = "Iraqi forces reclaimed the border town of Qaim from the Islamic State on Friday."
    talks = "Officials met at the border to discuss trade and tariffs with their neighbours."
    articles = [
        CleanArticle(doc_id="qaim", title="Iraq forces retake Qaim", text=qaim, source="ap.org"),
        CleanArticle(doc_id="harbour", title="Harbour reopens", text=HARBOUR, source="local.example"),
        CleanArticle(doc_id="border", title="Border talks", text=talks, source="ap.org"),
    ]
    queries = {
        "q": Alert("q", "who reclaimed Qaim?"),  # question words stripped, as search does
        "border": Alert("border", "border"),
        "border-ap": Alert("border-ap", "border", source="ap.org"),
        "floor": Alert("floor", "border town harbour fishing"),  # the relevance floor: too few terms meet
    }
    run = AlertRun(es_client, settings, "r1", list(queries.values()))
    report = index_articles(es_client, settings.index, articles, IndexingOptions(embed=False), alerts=run)
    refresh(es_client, settings.index)
    es_client.indices.refresh(index=f"{settings.index}-alert-matches")
    matched = {name: set() for name in queries}
    for doc in es_client.search(index=f"{settings.index}-alert-matches", size=100)["hits"]["hits"]:
        matched[doc["_source"]["alert"]].add(doc["_source"]["doc_id"])
    searcher = Searcher(settings)
    for name, alert in queries.items():
        filters = {"field": "meta.source", "operator": "==", "value": alert.source} if alert.source else None
        found = {h.doc_id for h in searcher.search(alert.query, mode="keyword", top_k=20, filters=filters)}
        assert matched[name] == found, name
    assert report.alert_matches == {n: len(m) for n, m in matched.items() if m}
    assert matched["q"] == {"qaim"} and matched["floor"] == set()


def test_alert_names_queries_and_webhooks_are_checked_before_saving():
    settings = SearchSettings()
    bad = [
        Alert("has space", "dock strike"),
        Alert("", "dock strike"),
        Alert("ok", "   "),
        Alert("ok", "the of and"),  # nothing searchable
        Alert("ok", "dock", webhook="ftp://example.com/hook"),
        Alert("ok", "dock", webhook="http://localhost:8080/hook"),
        Alert("ok", "dock", webhook="http://10.0.0.7/hook"),
    ]
    for alert in bad:
        with pytest.raises(AlertError):
            validate_alert(alert, settings, allow_private_urls=False)
    validate_alert(Alert("ok.1_a-b", "dock", webhook="https://hooks.example.com/x"), settings, False)
    shown = Alert("ok", "dock", webhook="https://hooks.example.com/T000/B000/secret-token").to_dict()
    assert shown["webhook"] == "https://hooks.example.com/…"


def test_the_alerts_api_needs_the_key_to_write_and_lists_matches(es_url: str, es_client: Elasticsearch):
    alias = f"t-{uuid.uuid4().hex[:12]}"
    settings = SearchSettings(es_url=es_url, index=alias, api_key="k3y", warm_up=False)
    key = {"X-API-Key": "k3y"}
    try:
        with live_api(settings) as base:
            new = {"name": "ports", "query": "dock strike", "webhook": "https://hooks.example.com/abc/secret"}
            assert httpx.post(f"{base}/alerts", json=new).status_code == 401
            created = httpx.post(f"{base}/alerts", json=new, headers=key)
            assert created.status_code == 201 and created.json()["webhook"] == "https://hooks.example.com/…"
            again = httpx.post(f"{base}/alerts", json=new, headers=key)
            assert (again.status_code, again.json()["error"]["code"]) == (409, "alert_exists")
            stop = httpx.post(f"{base}/alerts", json={"name": "x", "query": "the"}, headers=key)
            assert (stop.status_code, stop.json()["error"]["code"]) == (422, "invalid_alert")
            assert [a["name"] for a in httpx.get(f"{base}/alerts").json()["alerts"]] == ["ports"]

            ensure_indices(es_client, alias, embedding_dims=384)
            article = CleanArticle(doc_id="s1", title="Dock strike", text=STRIKE, source="ap.org")
            run = AlertRun.load(es_client, settings, "run-1")
            index_articles(es_client, alias, [article], IndexingOptions(embed=False), alerts=run)
            refresh(es_client, f"{alias}-alert-matches")
            matches = httpx.get(f"{base}/alerts/ports/matches").json()["matches"]
            assert [(m["doc_id"], m["run_id"]) for m in matches] == [("s1", "run-1")]
            assert httpx.get(f"{base}/alerts/nope/matches").status_code == 404

            assert httpx.delete(f"{base}/alerts/ports").status_code == 401
            assert httpx.delete(f"{base}/alerts/ports", headers=key).status_code == 200
            assert httpx.get(f"{base}/alerts").json()["alerts"] == []
            assert httpx.delete(f"{base}/alerts/ports", headers=key).status_code == 404
    finally:
        es_client.indices.delete(index=f"{alias}*", ignore_unavailable=True, allow_no_indices=True)


def test_the_cli_saves_lists_and_shows_an_alerts_matches(
    app_env: dict[str, str], alerts: Alerts, tmp_path: Path
):
    from typer.testing import CliRunner

    from flows.cli import app

    runner = CliRunner()
    added = runner.invoke(app, ["alert", "add", "ports", "dock strike", "--source", "ap.org", "--json"])
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["source"] == "ap.org"
    exists = runner.invoke(app, ["alert", "add", "ports", "dock strike"])
    assert exists.exit_code == 2 and "exists already" in exists.output
    with pytest.raises(AlertExists):
        alerts.add(Alert("ports", "dock strike"), allow_private_urls=False)

    path = tmp_path / "s.jsonl"
    path.write_text(
        json.dumps({"id": "s1", "title": "Dock strike", "text": STRIKE, "source": "ap.org"}) + "\n"
    )
    report = ingest_flow(paths=[str(path)], embed=False)
    assert report["alert_matches"] == {"ports": 1}
    shown = runner.invoke(app, ["alert", "matches", "ports", "--json"])
    assert shown.exit_code == 0, shown.output
    assert [m["doc_id"] for m in json.loads(shown.stdout)["matches"]] == ["s1"]
    listed = json.loads(runner.invoke(app, ["alert", "list", "--json"]).stdout)
    assert [a["name"] for a in listed["alerts"]] == ["ports"]
    assert runner.invoke(app, ["alert", "remove", "ports"]).exit_code == 0
    assert runner.invoke(app, ["alert", "matches", "ports"]).exit_code == 1
