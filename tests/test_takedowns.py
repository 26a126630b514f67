"""Takedowns that stay down (issue 19), against a real Elasticsearch and a real Prefect server."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import httpx
import pytest
from elasticsearch import Elasticsearch

from flows.ingestion import ingest_flow
from ingest.models import CleanArticle
from search.indexing import IndexingOptions, index_articles
from search.settings import SearchSettings
from search.store import articles_alias, count, ensure_indices, refresh
from search.takedowns import delete_documents, lift, list_tombstones
from tests.conftest import SEEDS
from tests.live_server import live_api

pytestmark = pytest.mark.elasticsearch

KEY = {"X-API-Key": "k3y"}
NO_EMBED = IndexingOptions(embed=False)


def _index(client: Elasticsearch, alias: str, articles: list[CleanArticle]):
    report = index_articles(client, alias, articles, NO_EMBED)
    refresh(client, alias)
    return report


def _article(doc_id: str, text: str, **kw) -> CleanArticle:
    return CleanArticle(doc_id=doc_id, title=kw.pop("title", f"Story {doc_id}"), text=text, **kw)


def test_a_deleted_article_leaves_search_ask_and_documents_stays_gone_on_reingest_and_returns_after_undo(
    app_env: dict[str, str], es_client: Elasticsearch, tmp_path: Path
):
    from typer.testing import CliRunner

    from flows.cli import app

    seed = tmp_path / "inbox" / "qaim.txt"
    seed.parent.mkdir()
    shutil.copy(SEEDS / "iraq-isis-qaim-2017-11-05.txt", seed)
    assert ingest_flow(paths=[str(seed)], embed=False)["new"] == 1
    alias = app_env["NEWSDESK_INDEX"]
    doc_id = es_client.search(index=articles_alias(alias))["hits"]["hits"][0]["_id"]
    settings = SearchSettings(es_url=app_env["NEWSDESK_ES_URL"], index=alias, api_key="k3y", warm_up=False)

    with live_api(settings) as base:

        def visible() -> tuple[bool, bool, int]:
            hits = httpx.get(f"{base}/search", params={"q": "Qaim border", "mode": "keyword"}).json()["hits"]
            ask = httpx.post(
                f"{base}/ask", json={"question": "who reclaimed Qaim?", "mode": "keyword"}, timeout=60
            )
            cited = any(e["doc_id"] == doc_id for e in ask.json()["evidence"])
            return (
                any(h["doc_id"] == doc_id for h in hits),
                cited,
                httpx.get(f"{base}/documents/{doc_id}").status_code,
            )

        assert visible() == (True, True, 200)
        assert httpx.delete(f"{base}/documents/{doc_id}").status_code == 401
        gone = httpx.delete(f"{base}/documents/{doc_id}", params={"reason": "retracted"}, headers=KEY)
        assert gone.status_code == 200 and gone.json()["deleted"] == [doc_id]
        assert gone.json()["chunks_deleted"] >= 2
        assert visible() == (False, False, 404)
        assert count(es_client, alias, {"term": {"doc_id": doc_id}}) == 0, "no chunk left behind"
        assert httpx.get(f"{base}/tombstones").status_code == 401, "what was taken down is not public"
        [stone] = httpx.get(f"{base}/tombstones", headers=KEY).json()["tombstones"]
        assert (stone["doc_id"], stone["reason"], stone["origin"]) == (doc_id, "retracted", str(seed))
        assert "text" not in stone

        again = ingest_flow(paths=[str(seed)], embed=False)
        assert (again["seen"], again["suppressed"], again["new"], again["chunks_written"]) == (1, 1, 0, 0)
        assert visible() == (False, False, 404), "re-ingesting the same file does not bring it back"

        undo = CliRunner().invoke(app, ["delete", "--undo", doc_id])
        assert undo.exit_code == 0, undo.output
        assert str(seed) in undo.output, "the undo says what to re-ingest"
        assert ingest_flow(paths=[str(seed)], embed=False)["new"] == 1
        assert visible() == (True, True, 200)
        assert httpx.delete(f"{base}/tombstones/{doc_id}", headers=KEY).status_code == 404


def test_a_tombstone_keeps_out_the_same_url_or_text_under_another_id(
    es_client: Elasticsearch, settings: SearchSettings
):
    alias = settings.index
    ensure_indices(es_client, alias, embedding_dims=384)
    text = "The council voted seven to two to close the old bridge to lorries from June."
    _index(es_client, alias, [_article("a1", text, url="https://news.example/bridge")])
    assert delete_documents(es_client, alias, ["a1"], reason="legal").deleted == ["a1"]

    report = _index(
        es_client,
        alias,
        [
            _article(
                "b1", "A rewritten story.", url="https://NEWS.example/bridge/?utm_source=feed"
            ),  # same URL
            _article(
                "c1", "  the COUNCIL voted seven to two to close\nthe old bridge to lorries from June. "
            ),
            _article("d1", "The bridge stays open to buses and bicycles, the council said."),
        ],
    )
    assert (report.suppressed, report.new) == (2, 1)
    assert count(es_client, articles_alias(alias)) == 1


def test_deleting_an_article_takes_its_wire_copies_with_it_and_undo_lifts_them_together(
    es_client: Elasticsearch, settings: SearchSettings
):
    alias = settings.index
    ensure_indices(es_client, alias, embedding_dims=384)
    text = "Rescuers pulled twelve miners from a flooded shaft in the north on Sunday after two days of work."
    first = _index(es_client, alias, [_article("orig", text, source="ap.org")])
    copy = _index(
        es_client, alias, [_article("copy", text, source="local.example", url="https://local.example/m")]
    )
    assert (first.new, copy.duplicates) == (1, 1)

    report = delete_documents(es_client, alias, ["orig"], reason="retracted")
    assert (report.deleted, report.copies_deleted) == (["orig"], ["copy"])
    assert count(es_client, articles_alias(alias)) == 0 and count(es_client, alias) == 0
    stones = {s["doc_id"]: s["copy_of"] for s in list_tombstones(es_client, alias)}
    assert stones == {"orig": None, "copy": "orig"}

    again = _index(es_client, alias, [_article("orig", text, source="ap.org"), _article("copy", text)])
    assert (again.suppressed, again.new) == (2, 0)
    assert {s["doc_id"] for s in lift(es_client, alias, ["orig"])} == {"orig", "copy"}
    assert list_tombstones(es_client, alias) == []


def test_deleting_a_copy_leaves_its_original_and_the_originals_list_of_outlets(
    es_client: Elasticsearch, settings: SearchSettings
):
    alias = settings.index
    ensure_indices(es_client, alias, embedding_dims=384)
    text = "The museum returned forty looted bronzes to their country of origin in a ceremony on Friday."
    _index(es_client, alias, [_article("orig", text, source="ap.org")])
    _index(es_client, alias, [_article("copy", text, source="local.example")])
    original = es_client.get(index=articles_alias(alias), id="orig")["_source"]
    assert [c["doc_id"] for c in original["also_published_by"]] == ["copy"]

    report = delete_documents(es_client, alias, ["copy"])
    assert (report.deleted, report.copies_deleted, report.chunks_deleted) == (["copy"], [], 0)
    original = es_client.get(index=articles_alias(alias), id="orig")["_source"]
    assert (original["also_published_by"], original["copies"]) == ([], 0)
    assert count(es_client, alias, {"term": {"doc_id": "orig"}}) >= 1


def test_retention_by_source_and_date_counts_first_and_deletes_only_with_yes(
    app_env: dict[str, str], es_client: Elasticsearch
):
    from typer.testing import CliRunner

    from flows.cli import app

    alias = app_env["NEWSDESK_INDEX"]
    ensure_indices(es_client, alias, embedding_dims=384)
    stories = [
        ("old-1", "wire.example", date(2020, 3, 1), "Floods closed the valley road for a week in March."),
        ("old-2", "wire.example", date(2021, 5, 9), "A new ferry route linked the two islands in spring."),
        ("new-1", "wire.example", date(2024, 1, 2), "The observatory named a comet after a local teacher."),
        ("other", "paper.example", date(2020, 3, 1), "The bakery on Mill Lane won a national bread prize."),
        ("undated", "wire.example", None, "Volunteers planted four hundred oak saplings by the river."),
    ]
    _index(es_client, alias, [_article(d, t, source=s, published=p) for d, s, p, t in stories])
    runner = CliRunner()
    select = ["delete", "--source", "wire.example", "--before", "2022-01-01"]

    dry = runner.invoke(app, [*select, "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout) == {"dry_run": True, "articles": 2, "chunks": 2}
    unconfirmed = runner.invoke(app, select)  # not a terminal, no --yes: count only, and say so
    assert unconfirmed.exit_code == 1 and "pass --yes" in unconfirmed.output
    assert count(es_client, articles_alias(alias)) == 5

    done = runner.invoke(app, [*select, "--yes", "--json"])
    assert done.exit_code == 0, done.output
    assert sorted(json.loads(done.stdout)["deleted"]) == ["old-1", "old-2"]
    es_client.indices.refresh(index=articles_alias(alias))
    left = {h["_id"] for h in es_client.search(index=articles_alias(alias), size=10)["hits"]["hits"]}
    assert left == {"new-1", "other", "undated"}
    assert {s["doc_id"] for s in list_tombstones(es_client, alias)} == {"old-1", "old-2"}
    assert all(
        s["reason"].startswith("retention: source=wire.example") for s in list_tombstones(es_client, alias)
    )

    assert runner.invoke(app, ["delete"]).exit_code == 2, "nothing selected is a usage error"
    missing = runner.invoke(app, ["delete", "no-such-doc"])
    assert missing.exit_code == 1 and "no-such-doc" in missing.output
