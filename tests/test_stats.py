"""The archive overview (issue 19): ``newsdesk stats`` and ``GET /stats`` against counts computed from
the index itself, on a real Elasticsearch (and a real Prefect server for the run history)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import httpx
import pytest
from elasticsearch import Elasticsearch, helpers

from flows.ingestion import ingest_flow
from flows.overview import overview_extras
from flows.settings import Settings
from ingest.models import CleanArticle
from search.alerts import Alert, AlertRun, Alerts
from search.indexing import IndexingOptions, index_articles
from search.settings import SearchSettings
from search.stats import UNKNOWN_SOURCE, archive_stats
from search.store import articles_alias, ensure_indices, refresh
from search.takedowns import delete_documents
from tests.live_server import live_api

pytestmark = pytest.mark.elasticsearch

CORPUS = [
    ("a1", "ap.org", date(2017, 11, 3), "Iraqi forces reclaimed the border town of Qaim on Friday. " * 30),
    ("a2", "ap.org", date(2017, 11, 5), "Syrian troops entered Deir el-Zour after a long siege ended. " * 3),
    ("a3", "ap.org", None, "A spokesman said the talks would resume after the holiday weekend. " * 2),
    ("b1", "bbc.co.uk", date(2016, 2, 1), "The central bank held interest rates at half a percent. " * 4),
    (
        "b2",
        "bbc.co.uk",
        date(2016, 3, 9),
        "Iraqi forces reclaimed the border town of Qaim on Friday. " * 30,
    ),  # copy
    ("b3", "bbc.co.uk", date(2016, 1, 4), "Floods closed the valley road for a week in January. " * 2),
    ("x1", None, date(2020, 6, 1), "Volunteers planted four hundred oak saplings by the river. " * 2),
]


def expected_from_index(client: Elasticsearch, alias: str) -> dict:
    """The overview counted the slow way: every record and chunk read back and tallied in Python."""
    rows: dict[str, dict] = defaultdict(lambda: {"articles": 0, "duplicates": 0, "chunks": 0, "dates": []})
    for hit in helpers.scan(client, index=articles_alias(alias), query={"query": {"match_all": {}}}):
        src = hit["_source"]
        row = rows[src.get("source") or UNKNOWN_SOURCE]
        row["duplicates" if src.get("canonical_doc_id") else "articles"] += 1
        if src.get("published"):
            row["dates"].append(src["published"][:10])
    chunks = Counter(
        h["_source"].get("source") or UNKNOWN_SOURCE
        for h in helpers.scan(
            client, index=alias, query={"query": {"match_all": {}}}, _source_includes=["source"]
        )
    )
    for source, n in chunks.items():
        rows[source]["chunks"] = n
    return {
        source: {
            "source": source,
            "articles": r["articles"],
            "duplicates": r["duplicates"],
            "chunks": r["chunks"],
            "first_published": min(r["dates"], default=None),
            "last_published": max(r["dates"], default=None),
        }
        for source, r in rows.items()
    }


@pytest.fixture()
def archive(es_client: Elasticsearch, settings: SearchSettings) -> SearchSettings:
    """A small archive: three sources (one unnamed), a wire copy, an undated article, a takedown, an alert."""
    ensure_indices(es_client, settings.index, embedding_dims=384)
    Alerts(es_client, settings).add(Alert("qaim", "Qaim border town"), allow_private_urls=False)
    run = AlertRun.load(es_client, settings, "r1")
    for doc_id, source, published, text in CORPUS:  # one by one: the copy must find its original
        article = CleanArticle(
            doc_id=doc_id, title=f"Story {doc_id}", text=text, source=source, published=published
        )
        index_articles(es_client, settings.index, [article], IndexingOptions(embed=False), alerts=run)
        refresh(es_client, settings.index)
    delete_documents(es_client, settings.index, ["b3"], reason="test")
    return settings


def test_stats_equal_the_counts_computed_from_the_index(es_client: Elasticsearch, archive: SearchSettings):
    stats = archive_stats(es_client, archive.index)
    expected = expected_from_index(es_client, archive.index)
    assert {r["source"]: r for r in stats["sources"]} == expected
    t = stats["totals"]
    assert (t["articles"], t["duplicates"], t["sources"]) == (5, 1, 3)
    assert t["chunks"] == sum(r["chunks"] for r in expected.values()) > 5
    assert (t["tombstones"], t["alerts"], t["alert_matches"]) == (1, 1, 1)
    assert (t["first_published"], t["last_published"]) == ("2016-02-01", "2020-06-01")
    assert stats["sources"][0]["source"] == "ap.org", "biggest source first"
    assert (
        stats["index_bytes"]["total"] == sum(v for k, v in stats["index_bytes"].items() if k != "total") > 0
    )
    assert stats["quarantined"] is None and stats["runs"] is None, "not known to the search layer alone"


def test_get_stats_and_newsdesk_stats_say_the_same(
    es_client: Elasticsearch,
    archive: SearchSettings,
    app_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
):
    from typer.testing import CliRunner

    from flows.cli import app

    monkeypatch.setenv("NEWSDESK_INDEX", archive.index)
    direct = archive_stats(es_client, archive.index)
    with live_api(archive.model_copy(update={"warm_up": False})) as base:
        served = httpx.get(f"{base}/stats").json()
    printed = CliRunner().invoke(app, ["stats", "--json"])
    assert printed.exit_code == 0, printed.output
    for body in (served, json.loads(printed.stdout)):
        assert (body["totals"], body["sources"]) == (direct["totals"], direct["sources"])
        assert body["quarantined"] == 0
        assert body["runs"]["available"] is True, "the session's Prefect server answers"


def test_stats_count_the_quarantine_and_show_the_last_run_from_prefect(
    app_env: dict[str, str], tmp_path: Path
):
    dump = tmp_path / "dump.jsonl"
    good = {
        "id": "g1",
        "title": "Bridge",
        "text": "The bridge reopened after repairs on Monday morning. " * 3,
    }
    dump.write_text(json.dumps(good) + "\n{not json\n", encoding="utf-8")
    report = ingest_flow(paths=[str(dump)], embed=False)
    assert (report["new"], report["quarantined"]) == (1, 1)

    extras = overview_extras(Settings.load())
    assert extras["quarantined"] == 1
    last = extras["runs"]["recent"][0]
    assert last["flow_run_id"] == report["run_id"] and last["state"] == "Completed"
    assert last["counts"]["new"] == 1 and last["counts"]["quarantined"] == 1
