"""docker-compose.yml stays in step with the pins (no Docker engine here: structure and versions)."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess

import yaml

from search.settings import SearchSettings
from tests.conftest import REPO


def _compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_compose_runs_the_same_elasticsearch_version_as_the_local_server():
    image = _compose()["services"]["elasticsearch"]["image"]
    assert image.endswith(":" + SearchSettings().es_version)
    env = _compose()["services"]["elasticsearch"]["environment"]
    assert env["discovery.type"] == "single-node" and env["xpack.security.enabled"] == "false"


def test_compose_prefect_server_matches_the_locked_prefect():
    image = _compose()["services"]["prefect-server"]["image"]
    assert image.split(":")[1].startswith(importlib.metadata.version("prefect") + "-")


def test_compose_has_api_prefect_server_worker_and_named_volume():
    c = _compose()
    assert {"elasticsearch", "api", "prefect-server", "worker"} <= set(c["services"])
    assert "esdata" in c["volumes"]
    assert any(v.startswith("esdata:") for v in c["services"]["elasticsearch"]["volumes"])


def test_compose_file_is_valid_for_docker_compose_when_it_is_installed():
    exe = shutil.which("docker-compose")
    argv = [exe] if exe else None
    if argv is None and shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        argv = ["docker", "compose"] if probe.returncode == 0 else None
    if argv is None:
        import pytest

        pytest.skip("no docker compose binary on this machine (structure is checked by the tests above)")
    proc = subprocess.run(
        [*argv, "-f", str(REPO / "docker-compose.yml"), "config", "-q"], capture_output=True
    )
    assert proc.returncode == 0, proc.stderr.decode()
