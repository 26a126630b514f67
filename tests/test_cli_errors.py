"""The CLI ends every failure on one clear line and a non-zero exit, quickly (issue 12, items 1 and 4).

Each command runs as a real subprocess (``python -m flows.cli``), the way a user runs it; the
``timeout`` of each run is a hang guard, not a speed assertion.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from flows.ports import free_port
from tests.conftest import REPO, SEEDS

HANG_GUARD_S = 90


def _run(args: list[str], env: dict[str, str], timeout: float = HANG_GUARD_S) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        cwd=REPO,
        env={**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _lines(proc: subprocess.CompletedProcess) -> list[str]:
    return [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]


def _short_message(proc: subprocess.CompletedProcess) -> str:
    """The failure's message: at most two lines (one, wrapped), and never a traceback."""
    lines = _lines(proc)
    assert len(lines) <= 2, lines
    assert "Traceback" not in proc.stderr
    return " ".join(lines)


@pytest.mark.elasticsearch
@pytest.mark.parametrize("command", [["search", "harbour", "--mode", "keyword"], ["ask", "who holds Qaim?"]])
def test_missing_index_is_one_line_and_a_nonzero_exit(es_url: str, tmp_path: Path, command: list[str]):
    proc = _run(
        command,
        {
            "NEWSDESK_ES_URL": es_url,
            "NEWSDESK_INDEX": "nonexistent-index-xyz",
            "NEWSDESK_DATA_DIR": str(tmp_path),
        },
    )
    assert proc.returncode == 1
    lines = _lines(proc)
    assert len(lines) == 1, lines
    assert "'nonexistent-index-xyz' does not exist" in lines[0]
    assert "newsdesk ingest" in lines[0]
    assert "Traceback" not in proc.stderr


def test_ingest_with_elasticsearch_down_fails_fast_naming_the_url_and_the_fix(tmp_path: Path):
    dead = f"http://127.0.0.1:{free_port()}"
    proc = _run(
        ["ingest", str(SEEDS), "--no-embed"],
        {"NEWSDESK_ES_URL": dead, "NEWSDESK_DATA_DIR": str(tmp_path)},
        timeout=60,
    )
    assert proc.returncode == 1
    message = _short_message(proc)
    assert f"not reachable at {dead}" in message
    assert "newsdesk es start" in message and "NEWSDESK_ES_URL" in message
    assert "tried 3 times" in message


def test_ingest_of_a_mistyped_path_fails_at_once_naming_the_path_it_meant(tmp_path: Path):
    # nothing exists under the name given: no flow starts, no Elasticsearch is needed
    dead = f"http://127.0.0.1:{free_port()}"
    proc = _run(
        ["ingest", str(REPO / "seedz"), "--no-embed"],
        {"NEWSDESK_ES_URL": dead, "NEWSDESK_DATA_DIR": str(tmp_path)},
        timeout=60,
    )
    assert proc.returncode == 2
    message = _short_message(proc)
    assert "no such file or directory" in message and "seedz" in message
    assert f"did you mean {REPO / 'seeds'}?" in message


@pytest.mark.elasticsearch
def test_ingest_on_a_dask_scheduler_that_does_not_answer_fails_fast_naming_it_and_the_fix(
    es_url: str, tmp_path: Path
):
    dead = f"tcp://127.0.0.1:{free_port()}"
    proc = _run(
        ["ingest", str(SEEDS), "--no-embed", "--in-process", "--dask", dead],
        {"NEWSDESK_ES_URL": es_url, "NEWSDESK_DATA_DIR": str(tmp_path), "PREFECT_API_URL": ""},
        timeout=60,
    )
    assert proc.returncode == 1
    message = _short_message(proc)
    assert f"no Dask scheduler answers at {dead}" in message and "NEWSDESK_DASK_ADDRESS" in message
    assert "newsdesk up --dask-workers" in message


class _NotElasticsearch(BaseHTTPRequestHandler):
    """Answers every request with a 200 that is not Elasticsearch (a proxy page, a wrong port)."""

    def do_GET(self) -> None:
        body = b"<html>hello</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args) -> None:
        pass


def test_an_unexpected_failure_is_one_bounded_line_without_a_traceback(tmp_path: Path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotElasticsearch)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        proc = _run(
            ["search", "harbour", "--mode", "keyword"],
            {"NEWSDESK_ES_URL": url, "NEWSDESK_DATA_DIR": str(tmp_path)},
        )
    finally:
        server.shutdown()
    assert proc.returncode == 1
    lines = _lines(proc)
    assert len(lines) == 1, lines
    assert len(lines[0]) < 600
    assert "Traceback" not in proc.stderr


def test_describe_error_bounds_huge_messages():
    from flows.cli import describe_error

    code, line = describe_error(RuntimeError("x" * 100_000))
    assert code == 1
    assert len(line) < 500 and line.startswith("error: RuntimeError:")
    assert "NEWSDESK_DEBUG=1" in line
