"""The benchmark scripts keep working: each ``--smoke`` run prints its table and writes valid JSON.

Smoke runs use a handful of articles (the shared scraped corpus when present, else the scraped
articles committed under tests/fixtures/cleaning_labels), the session's Elasticsearch and Prefect
server; their numbers mean nothing, only that the scripts run end to end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.elasticsearch, pytest.mark.slow]

SCRIPTS = {
    "bench_alerts.py": ("Alert matching cost", "results"),
    "bench_ingest.py": ("Ingestion throughput", "ratios"),
    "bench_incremental.py": ("Incremental", "ratio_second_over_first"),
    "bench_query.py": ("Query latency", "results"),
    "eval_retrieval.py": ("Retrieval", "results"),
    "bench_scale.py": ("Scale", "sizes"),
    "bench_distributed.py": ("Distributed ingestion", "runs"),
    "bench_encoder.py": ("Encoder quality", "decision"),
}


@pytest.fixture(scope="module")
def bench_env(es_url: str, prefect_api: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return {
        **os.environ,
        "NEWSDESK_ES_URL": es_url,
        "PREFECT_API_URL": prefect_api,
        "NEWSDESK_DATA_DIR": str(tmp_path_factory.mktemp("bench-data")),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_smoke_run_prints_table_and_writes_json(
    script: str, bench_env: dict[str, str], tmp_path: Path
) -> None:
    title, key = SCRIPTS[script]
    out = tmp_path / f"{script}.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / script), "--smoke", "--out", str(out)],
        env=bench_env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert f"== {title}" in proc.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["smoke"] is True
    assert report["command"].endswith("--smoke --out " + str(out))
    assert report["machine"]["cpus_usable"] >= 1
    assert key in report
