"""`newsdesk clean`: the real CLI, run in-process with typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "seeds" / "iraq-isis-qaim-2017-11-05.txt"
HTML = Path(__file__).resolve().parent / "fixtures" / "html" / "article_figcaption.html"


@pytest.fixture
def runner(tmp_path, monkeypatch) -> CliRunner:
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(tmp_path / "data"))  # no learned profiles from elsewhere
    return CliRunner()


def test_clean_prints_text_metadata_and_removals(runner):
    result = runner.invoke(app, ["clean", str(SEED)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "BEIRUT -- Clashes have broken out" in out
    assert '"dateline": "BEIRUT"' in out and '"published": "2017-11-05"' in out
    assert "print_edition: A Section on 11/05/2017" in out
    assert "caption -> captions: This frame grab" in out


def test_clean_json_prints_one_contract_object_per_document(runner):
    result = runner.invoke(app, ["clean", str(SEED), "--json"])
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.strip().splitlines()
    doc = json.loads(line)
    assert set(doc) == {"doc_id", "path", "title", "text", "metadata", "removed"}
    assert doc["path"] == str(SEED)
    assert doc["metadata"]["captions"][0].startswith("This frame grab")
    assert doc["metadata"]["credits"][0].startswith("Information for this article")
    assert {"rule", "text", "start", "end"} <= set(doc["removed"][0])
    rules = {r["rule"] for r in doc["removed"]}
    assert {"caption", "credits", "print_edition", "upcoming_events"} <= rules


def test_clean_json_with_several_inputs_is_json_lines(runner, tmp_path):
    jsonl = tmp_path / "two.jsonl"
    jsonl.write_text(
        json.dumps({"id": "a", "text": "First article body.\n\nADVERTISEMENT"})
        + "\n"
        + json.dumps({"id": "b", "url": "https://www.cnn.com/x", "text": "CNN —\n\nSecond article body."})
        + "\n"
    )
    result = runner.invoke(app, ["clean", str(SEED), str(HTML), str(jsonl), "--json"])
    assert result.exit_code == 0, result.output
    docs = [json.loads(x) for x in result.stdout.strip().splitlines()]
    assert [d["doc_id"] for d in docs][2:] == ["a", "b"]
    assert docs[1]["metadata"]["captions"] and docs[1]["metadata"]["source"] == "example-news.com"
    assert docs[2]["path"] == f"{jsonl}:1" and docs[2]["text"] == "First article body."
    assert docs[3]["metadata"]["source"] == "cnn.com" and docs[3]["text"] == "Second article body."


def test_bad_inputs_are_reported_on_stderr_and_the_rest_is_cleaned(runner, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["clean", str(empty), str(SEED), "--json"])
    assert result.exit_code == 0
    assert f"error: {empty}: empty document" in result.stderr
    assert len(result.stdout.strip().splitlines()) == 1


def test_exit_code_is_nonzero_only_when_every_input_failed(runner, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["clean", str(empty), str(tmp_path / "missing.html")])
    assert result.exit_code == 1
    assert "no such file or directory" in result.stderr
    assert result.stdout == ""


def test_clean_applies_boilerplate_learned_by_earlier_runs(runner, tmp_path):
    from ingest.learned import SourceProfiles
    from ingest.settings import IngestSettings

    furniture = "Catch up on the week with our Sunday digest from the Riverside Ledger"
    profiles = SourceProfiles.load(settings=IngestSettings())  # NEWSDESK_DATA_DIR points into tmp_path
    for i in range(10):
        profiles.observe(
            f"Story {i} about the county budget and the vote.\n{furniture}", source="ledger.example"
        )
    profiles.save()
    page = tmp_path / "page.json"
    page.write_text(
        json.dumps(
            {"url": "https://www.ledger.example/x", "text": f"Today's story about roads.\n\n{furniture}"}
        )
    )
    result = runner.invoke(app, ["clean", str(page), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["text"] == "Today's story about roads."
    assert doc["removed"][0]["rule"] == "learned:ledger.example"
