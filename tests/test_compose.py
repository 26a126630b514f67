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
    assert {"elasticsearch", "api", "prefect-server", "worker", "dask-scheduler", "dask-worker"} <= set(
        c["services"]
    )
    assert "esdata" in c["volumes"]
    assert any(v.startswith("esdata:") for v in c["services"]["elasticsearch"]["volumes"])


def test_compose_dask_workers_scale_and_find_the_scheduler_the_worker_submits_to():
    services = _compose()["services"]
    scheduler, dask_worker, worker = services["dask-scheduler"], services["dask-worker"], services["worker"]
    # `docker compose up --scale dask-worker=N` refuses services with a fixed name or host port.
    assert "container_name" not in dask_worker and not dask_worker.get("ports")
    port = scheduler["command"][scheduler["command"].index("--port") + 1]
    address = f"tcp://dask-scheduler:{port}"
    assert dask_worker["command"][:3] == ["dask", "worker", address]
    assert worker["environment"]["NEWSDESK_DASK_ADDRESS"] == address
    assert {"dask-scheduler", "elasticsearch"} <= set(dask_worker["depends_on"])
    assert "dask-scheduler" in worker["depends_on"]


def test_compose_dask_workers_run_the_drivers_image_one_thread_each_with_the_model_preloaded():
    services = _compose()["services"]
    dask_worker = services["dask-worker"]
    # Tasks are pickled by reference: the workers must run the same code and pins as the driver.
    assert dask_worker["image"] == services["worker"]["image"] == services["dask-scheduler"]["image"]
    cmd = dask_worker["command"]
    assert cmd[cmd.index("--nthreads") + 1] == "1" and cmd[cmd.index("--preload") + 1] == "flows.dask_runner"
    # Our Dask settings (flows/dask.yaml, copied into the image with the code) are the workers'.
    assert dask_worker["environment"]["DASK_CONFIG"] == "/app/flows/dask.yaml"
    assert (REPO / "flows" / "dask.yaml").is_file()
    # Secrets stay in each service's own environment, never in a task: none is baked in here.
    assert not any("PASSWORD" in k or "API_KEY" in k for k in dask_worker["environment"])


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
