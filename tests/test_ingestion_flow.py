"""Integration: the Prefect ingestion flow against real Elasticsearch and a real Prefect server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from flows.ingestion import ingest_flow
from flows.quarantine import Quarantine, QuarantineEntry
from search.store import articles_alias, count
from tests.conftest import REPO, SEEDS

# A fresh process: the flow is run twice with nothing to embed, then reports what got imported.
_NOTHING_TO_EMBED = """
import json, sys
from flows.ingestion import ingest_flow
unchanged = ingest_flow(paths=[sys.argv[1]])
no_embed = ingest_flow(paths=[sys.argv[1]], embed=False, index=sys.argv[2])
embedders = getattr(sys.modules.get("search.embedding"), "_EMBEDDERS", {})
print(json.dumps({
    "unchanged": [unchanged["unchanged"], unchanged["chunks_written"]],
    "no_embed": [no_embed["new"], no_embed["chunks_written"] > 0],
    "imported": [m for m in ("torch", "haystack", "sentence_transformers") if m in sys.modules],
    "models_loaded": len(embedders),
}))
"""


def test_seed_ingests_then_second_run_reports_everything_unchanged(app_env, es_client: Elasticsearch):
    first = ingest_flow(paths=[str(SEEDS)])
    assert (first["seen"], first["new"], first["quarantined"]) == (1, 1, 0)
    assert first["chunks_written"] >= 2
    assert first["boilerplate_removed"], "the seed's caption/footer removals are reported by rule"
    alias = app_env["NEWSDESK_INDEX"]
    chunks = count(es_client, alias)
    assert chunks == first["chunks_written"]
    hit = es_client.search(index=alias, query={"match": {"content": "Qaim"}}, size=1)["hits"]["hits"][0]
    assert len(hit["_source"]["embedding"]) == 384

    second = ingest_flow(paths=[str(SEEDS)])
    assert (second["seen"], second["unchanged"], second["new"], second["chunks_written"]) == (1, 1, 0, 0)
    assert count(es_client, alias) == chunks


def test_bad_inputs_are_quarantined_and_the_run_goes_on(app_env, tmp_path: Path, es_client: Elasticsearch):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    good = {"id": "good-1", "title": "Council votes", "text": "The city council voted 7-2 on Tuesday. " * 5}
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({"id": "empty-1", "title": "nothing here"}),
        json.dumps({"id": "good-2", "title": "Bridge", "text": "The bridge reopened after repairs. " * 5}),
    ]
    (inbox / "dump.jsonl").write_text("\n".join(lines) + "\n")
    (inbox / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (inbox / "empty.txt").write_text("")

    report = ingest_flow(paths=[str(inbox)], embed=False)
    assert report["new"] == 2
    assert report["quarantined"] == 4
    where = {(Path(q["origin"]).name, q["record_no"]) for q in report["quarantine"]}
    assert {("dump.jsonl", 2), ("dump.jsonl", 3)} <= where
    assert count(es_client, articles_alias(app_env["NEWSDESK_INDEX"])) == 2

    listed = Quarantine(Path(app_env["NEWSDESK_DATA_DIR"]) / "quarantine").entries()
    assert len(listed) == 4 and all(e.reason for e in listed)


def test_volatile_scrape_time_never_creates_new_ids_or_writes(
    app_env, tmp_path: Path, es_client: Elasticsearch
):
    path = tmp_path / "feed.jsonl"
    record = {
        "url": "https://example.com/news/harbour?utm_source=feed",
        "title": "Harbour reopens",
        "text": "The harbour reopened on Monday after storm repairs were finished. " * 4,
    }
    path.write_text(json.dumps({**record, "scraped_at": "2024-01-01T10:00:00Z"}) + "\n")
    first = ingest_flow(paths=[str(path)], embed=False)
    path.write_text(json.dumps({**record, "scraped_at": "2024-01-02T11:30:00Z"}) + "\n")
    second = ingest_flow(paths=[str(path)], embed=False)
    assert (first["new"], second["unchanged"], second["chunks_written"]) == (1, 1, 0)
    assert count(es_client, articles_alias(app_env["NEWSDESK_INDEX"])) == 1


def test_runs_with_nothing_to_embed_neither_import_torch_nor_load_the_model(
    app_env, es_client: Elasticsearch
):
    assert ingest_flow(paths=[str(SEEDS)])["new"] == 1  # embedded here; the re-run below has nothing to do
    out = subprocess.run(
        [sys.executable, "-c", _NOTHING_TO_EMBED, str(SEEDS), f"{app_env['NEWSDESK_INDEX']}-no-embed"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
        # Entity tagging (spaCy) imports torch through thinc when it has something new to tag; this
        # test is about the embedding model, so tagging is off for the new --no-embed index.
        env={**os.environ, "NEWSDESK_ENTITIES": "false"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["unchanged"] == [1, 0] and result["no_embed"] == [1, True]
    assert (result["imported"], result["models_loaded"]) == ([], 0)


def test_an_edited_file_is_updated_not_added_twice(app_env, tmp_path: Path, es_client: Elasticsearch):
    story = tmp_path / "strike.txt"
    body = (
        "Dock workers walked out on Monday over pay. The union said the strike would last a week. "
        "Shipping lines diverted three vessels to other ports while talks continued."
    )
    story.write_text("Dock strike\n\n" + body + "\n")
    first = ingest_flow(paths=[str(story)], embed=False)
    assert (first["new"], first["updated"]) == (1, 0)

    story.write_text("Dock strike\n\n" + body.replace("a week", "two weeks") + "\n")
    second = ingest_flow(paths=[str(story)], embed=False)
    assert (second["new"], second["updated"], second["duplicates"]) == (0, 1, 0)

    alias = app_env["NEWSDESK_INDEX"]
    es_client.indices.refresh(index=f"{alias}*")
    articles = es_client.search(index=articles_alias(alias), query={"match_all": {}}, size=10)["hits"]
    assert articles["total"]["value"] == 1, "one article per file"
    hits = es_client.search(index=alias, query={"match": {"content": "strike"}}, size=10)["hits"]["hits"]
    texts = " ".join(h["_source"]["content"] for h in hits)
    assert "two weeks" in texts and "a week." not in texts, "the stale version is gone"


def test_a_rejected_file_leaves_the_quarantine_once_it_ingests_however_its_path_is_spelled(
    app_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    broken = inbox / "report.txt"
    broken.write_bytes(bytes(range(256)) * 40)  # binary: rejected whole
    quarantine = Quarantine(Path(app_env["NEWSDESK_DATA_DIR"]) / "quarantine")
    monkeypatch.chdir(tmp_path)
    assert ingest_flow(paths=["inbox"], embed=False)["quarantined"] == 1  # a relative path
    assert [e.origin for e in quarantine.entries()] == [str(broken)]  # kept absolute, for retry

    broken.write_text("Harbour reopens\n\nThe harbour reopened on Monday after repairs.\n", encoding="utf-8")
    monkeypatch.chdir(REPO)
    report = ingest_flow(paths=[str(broken)], embed=False)  # the same file, by its absolute path
    assert (report["new"], report["quarantined"]) == (1, 0)
    assert quarantine.entries() == []


def test_a_file_rejected_whole_is_cleared_by_its_records_unless_it_failed_again():
    from flows.run_ledger import succeeded_inputs

    again = QuarantineEntry("/in/b.jsonl", None, "too big", "load")
    cleared = succeeded_inputs([("/in/a.jsonl", 1), ("/in/a.jsonl", 2), ("/in/b.jsonl", 1)], set(), [again])
    assert ("/in/a.jsonl", None) in cleared and ("/in/a.jsonl", 1) in cleared
    assert ("/in/b.jsonl", None) not in cleared
    assert succeeded_inputs([("/in/c.jsonl", 4)], {("/in/c.jsonl", 4)}, []) == []
