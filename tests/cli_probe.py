"""Run the real ``newsdesk`` CLI in a fresh Python and record which heavy libraries it imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO

#: Runs the CLI in this process and records, at exit, which heavy libraries had been imported.
#: ``torch._C`` (not ``torch``) is the sign that torch really loaded: see ingest/lazy_torch.py.
WRAPPER = """
import atexit, json, os, sys
def _record():
    heavy = ["torch._C", "sentence_transformers", "transformers", "haystack", "elasticsearch", "prefect"]
    with open(os.environ["MODULES_OUT"], "w") as fh:
        json.dump({m: m in sys.modules for m in heavy}, fh)
atexit.register(_record)
from flows.cli import main
main(sys.argv[1:])
"""


def run_cli(
    args: list[str], env: dict[str, str], tmp_path: Path, timeout: float = 180
) -> tuple[subprocess.CompletedProcess, dict]:
    wrapper = tmp_path / "wrapper.py"
    wrapper.write_text(WRAPPER)
    modules_out = tmp_path / f"modules-{time.monotonic_ns()}.json"
    proc = subprocess.run(
        [sys.executable, str(wrapper), *args],
        cwd=REPO,
        env={**os.environ, **env, "MODULES_OUT": str(modules_out)},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return proc, json.loads(modules_out.read_text())
