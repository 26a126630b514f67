"""The CLI's rough edges a new user hit (issue 12.7), each run the way a user runs it.

Subprocesses (``python -m flows.cli``) where the terminal output itself is the point; typer's
runner where only the command's effect matters.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from flows.cli import app
from flows.quarantine import Quarantine, QuarantineEntry
from tests.conftest import REPO, SEEDS

GUARD_S = 120  # hang guard, not a speed assertion


def _run(
    args: list[str], env: dict[str, str] | None = None, merged: bool = False
) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        cwd=REPO,
        env={**base, "PREFECT_LOGGING_LEVEL": "WARNING", "COLUMNS": "120", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merged else subprocess.PIPE,
        text=True,
        timeout=GUARD_S,
    )


def test_version_prints_the_package_version() -> None:
    from importlib.metadata import version

    proc = _run(["--version"])
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"newsdesk {version('newsdesk')}"


def test_help_shows_flags_as_switches_and_lists_the_mode_choices() -> None:
    proc = _run(["search", "--help"])
    assert proc.returncode == 0
    assert "<bool>" not in proc.stdout
    assert "<keyword|semantic|hybrid>" in proc.stdout
    assert "<bool>" not in _run(["ingest", "--help"]).stdout


def test_an_unknown_mode_is_refused_before_anything_runs() -> None:
    proc = _run(["search", "harbour", "--mode", "fuzzy"])
    assert proc.returncode == 2
    assert "fuzzy" in proc.stderr and "keyword" in proc.stderr


def test_highlights_render_as_characters_with_matches_in_bold() -> None:
    from flows.cli import highlight_markup

    console = Console(record=True, width=200, color_system=None)
    console.print(highlight_markup("the militants&#x27; <mark>base</mark> [in Qaim] &amp; more"))
    text = console.export_text().strip()
    assert text == "the militants' base [in Qaim] & more"
    segments = list(Console(width=200).render(highlight_markup("a <mark>base</mark> b")))
    assert any(s.text == "base" and s.style and s.style.bold for s in segments)


@pytest.mark.elasticsearch
def test_search_snippets_show_no_html_entities(app_env, tmp_path: Path) -> None:
    from flows.ingestion import ingest_flow

    story = tmp_path / "story.txt"
    story.write_text(
        "Militants' base falls\n\nThe militants' base near the harbour fell on Friday, officials said. "
        "Troops entered the base's compound & raised a flag over the harbour.\n",
        encoding="utf-8",
    )
    assert ingest_flow(paths=[str(story)], embed=False)["new"] == 1
    proc = _run(["search", "militants base harbour", "--mode", "keyword"], app_env)
    assert proc.returncode == 0, proc.stderr
    assert "militants'" in proc.stdout
    assert "&#x27;" not in proc.stdout and "&amp;" not in proc.stdout


def test_clean_summary_is_a_line_of_its_own_after_the_output() -> None:
    proc = _run(["clean", str(SEEDS)], merged=True)
    assert proc.returncode == 0
    lines = proc.stdout.rstrip("\n").splitlines()
    assert lines[-1] == "cleaned 1, failed 0"
    assert lines[-2] == ""  # a blank line between the last removal and the summary


@pytest.mark.elasticsearch
def test_es_status_says_an_elasticsearch_answers_though_another_data_dir_started_it(
    es_url: str, tmp_path: Path
) -> None:
    env = {"NEWSDESK_ES_URL": es_url, "NEWSDESK_DATA_DIR": str(tmp_path / "elsewhere")}
    proc = _run(["es", "status", "--json"], env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    info = json.loads(proc.stdout)
    assert info["running"] is True and info["managed"] is False
    assert info["url"] == es_url.rstrip("/") and info["status"] in ("green", "yellow")
    text = _run(["es", "status"], env)
    assert text.returncode == 0 and "answers at" in text.stdout and "not running" not in text.stdout


def test_es_status_with_nothing_answering_exits_1(tmp_path: Path) -> None:
    from flows.ports import free_port

    env = {"NEWSDESK_ES_URL": f"http://127.0.0.1:{free_port()}", "NEWSDESK_DATA_DIR": str(tmp_path)}
    proc = _run(["es", "status"], env)
    assert proc.returncode == 1 and "not running" in proc.stdout


def test_schedule_create_without_a_prefect_server_refuses_with_the_fix(tmp_path: Path) -> None:
    proc = _run(["schedule", "create", str(SEEDS)], {"NEWSDESK_DATA_DIR": str(tmp_path)})
    assert proc.returncode == 2
    assert "PREFECT_API_URL" in proc.stderr and "prefect server start" in proc.stderr
    assert "Deployment" not in proc.stdout


def test_quarantine_clear_empties_the_list_or_only_the_inputs_named(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(tmp_path))
    q = Quarantine(tmp_path / "quarantine")
    q.add(
        [
            QuarantineEntry("/in/a.jsonl", 2, "bad json", "load"),
            QuarantineEntry("/in/b.txt", None, "binary", "load"),
        ],
        "r1",
    )
    runner = CliRunner()
    done = runner.invoke(app, ["quarantine", "clear", "/in/a.jsonl"])
    assert done.exit_code == 0 and "Cleared 1" in done.stdout
    assert [e.origin for e in q.entries()] == ["/in/b.txt"]
    done = runner.invoke(app, ["quarantine", "clear"])
    assert done.exit_code == 0 and q.entries() == []
    listed = runner.invoke(app, ["quarantine", "list"])
    assert "Quarantine is empty" in listed.stdout


def test_a_prefect_server_on_the_stack_port_is_used_only_by_the_data_dir_whose_stack_started_it(
    prefect_api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real Prefect server answers where the stack's would; this command's data dir started no
    # stack, so its runs stay here: another installation's worker would write with its settings.
    from urllib.parse import urlsplit

    from flows.cli import _stack_prefect

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("NEWSDESK_PREFECT_PORT", str(urlsplit(prefect_api).port))
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(tmp_path))
    assert _stack_prefect() is None  # (tests/test_stack.py: a data dir's own stack is used)


def test_a_search_with_no_hits_says_so_in_a_sentence_and_small_scores_stay_readable() -> None:
    import flows.cli as cli

    console = Console(record=True, width=200, color_system=None)
    saved, cli.out = cli.out, console
    try:
        cli._print_hits({"hits": [], "facets": {}}, "Zephyrine xylophone", "hybrid")
        cli._print_hits(
            {"hits": [{"score": 0.000312, "title": "Qaim", "text": "Qaim fell.", "published": "2017-11-05"}]},
            "Qaim",
            "hybrid",
        )
    finally:
        cli.out = saved
    text = console.export_text()
    assert "No article matches 'Zephyrine xylophone' well enough (hybrid)" in text
    assert "0.000312" in text and "0.000 " not in text
