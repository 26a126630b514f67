"""The local stack without Docker: Elasticsearch, a Prefect server with its UI, the API, a worker.

``newsdesk up`` starts what is not running yet and waits until each piece answers; ``down`` stops
what it started (worker first, Elasticsearch last); ``status`` reports each piece with its URL,
PID, health and log. Everything lives under ``NEWSDESK_DATA_DIR``: PID files in ``run/``, logs in
``logs/``, Prefect's database in ``prefect/``. What the user pointed elsewhere is used, never
started or stopped: ``NEWSDESK_ES_URL`` naming a cluster other than the local dev node,
``PREFECT_API_URL`` naming a Prefect server, ``NEWSDESK_API_URL`` naming a remote API.

Why processes with PID files and not a supervisor: the CLI must stay the one thing a user learns,
and ``up`` must be idempotent across shells: a second ``up`` finds the PIDs, checks they are still
the processes it started (``/proc/<pid>/cmdline``, not just a live number) and only starts what died.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from flows.ports import port_in_use
from search.prefect_runs import PrefectRuns, configured_prefect_url, ui_url
from search.settings import SearchSettings

SERVICES = ("elasticsearch", "prefect", "api", "worker")
HEARTBEAT_STALE_S = 60.0


class StackError(RuntimeError):
    """A piece of the stack cannot start; the message names it, says why, and what to do."""


@dataclass
class ServiceStatus:
    """One piece of the stack as ``newsdesk status`` reports it."""

    name: str
    state: str  # running | stopped | external | down | starting
    url: str | None = None
    pid: int | None = None
    managed: bool = True  # started and stopped by newsdesk (False: the user's own server)
    detail: str = ""
    log: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _host_port(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


def _is_local(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1")


class Stack:
    """The four services for one ``NEWSDESK_DATA_DIR``.

    Usage::

        stack = Stack(SearchSettings())
        for s in stack.up():       # idempotent: running pieces are left alone
            print(s.name, s.state, s.url)
        stack.status()             # the same shape, without starting anything
        stack.down()               # stops what newsdesk started, worker first

    Args:
        settings: Where things are (ES URL and local node, data dir, API URL, Prefect port).
        env: The environment the services inherit (default: this process's).
        say: Called with one line per step (the CLI prints them).
    """

    def __init__(
        self,
        settings: SearchSettings,
        env: dict[str, str] | None = None,
        say: Callable[[str], None] | None = None,
    ):
        self.settings = settings
        self.env = dict(os.environ if env is None else env)
        self.say = say or (lambda _line: None)
        self.run_dir = settings.data_dir / "run"
        self.logs_dir = settings.data_dir / "logs"
        named = self.env.get("PREFECT_API_URL", "").strip()
        self.prefect_url, self.prefect_external = (
            (named.rstrip("/"), True) if named else configured_prefect_url(settings.prefect_port)
        )
        self.api_url = settings.api_url or "http://127.0.0.1:8000"
        api_host, self.api_port = _host_port(self.api_url, 8000)
        self.api_external = not _is_local(api_host)
        self.api_host = "127.0.0.1" if api_host == "localhost" else api_host
        self.es_url = settings.es_url.split(",")[0].strip().rstrip("/")
        es_host, es_port = _host_port(self.es_url, 9200)
        self.es_external = not (_is_local(es_host) and es_port == settings.es_port)

    # -- paths ----------------------------------------------------------------------------
    def pid_file(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.logs_dir / f"{name}.log"

    @property
    def heartbeat_file(self) -> Path:
        return self.run_dir / "worker.heartbeat"

    # -- commands -------------------------------------------------------------------------
    def up(self, timeout_s: float = 180.0) -> list[ServiceStatus]:
        """Start whatever is not running, in dependency order, and wait until all answer."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout_s
        self._check_ports()  # before anything starts: a taken port fails `up` with nothing half-started
        self._up_elasticsearch(deadline)
        # Prefect and the API do not depend on each other: start both, then wait for both.
        self._start_prefect()
        self._start_api()
        self._wait("prefect", self._prefect_healthy, deadline)
        self._start_worker()
        self._wait("api", self._api_healthy, deadline)
        self._wait("worker", self._worker_ready, deadline)
        return self.status()

    def down(self, keep_es: bool = False) -> list[ServiceStatus]:
        """Stop the pieces newsdesk started, worker first (it hands back a run it is in)."""
        for name in ("worker", "api", "prefect"):
            if self._stop_process(name):
                self.say(f"stopped {name}")
        self.heartbeat_file.unlink(missing_ok=True)
        if not keep_es and not self.es_external:
            node = self._es_node(download=False)
            if node.pid() is not None and node.stop():
                self.say("stopped elasticsearch")
        return self.status()

    def status(self) -> list[ServiceStatus]:
        """Each piece's state, URL, PID and health; starts nothing."""
        return [self._es_status(), self._prefect_status(), self._api_status(), self._worker_status()]

    def ok(self) -> bool:
        return all(s.state in ("running", "external") for s in self.status())

    def _check_ports(self) -> None:
        if not self.prefect_external and self._pid("prefect") is None:
            port = self.settings.prefect_port
            if port_in_use(port):
                if self._prefect_healthy():
                    raise StackError(
                        f"a Prefect server newsdesk did not start already answers on port {port}: use "
                        f"it with PREFECT_API_URL={self.prefect_url}, or set NEWSDESK_PREFECT_PORT for ours."
                    )
                raise StackError(
                    f"port {port} (Prefect server) is in use by another program: stop it, or set "
                    "NEWSDESK_PREFECT_PORT to a free port."
                )
        if not self.api_external and self._pid("api") is None and port_in_use(self.api_port, self.api_host):
            raise StackError(
                f"port {self.api_port} (newsdesk API, from NEWSDESK_API_URL={self.api_url}) is in use by "
                "another program: stop it, or set NEWSDESK_API_URL to a free port."
            )

    # -- elasticsearch --------------------------------------------------------------------
    def _es_node(self, download: bool = True):
        from flows.local_stack.elasticsearch import dev_instance

        return dev_instance(self.settings, download=download)

    def _es_health(self) -> dict | None:
        try:
            resp = httpx.get(f"{self.es_url}/_cluster/health", timeout=2.0)
            return resp.json() if resp.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            return None

    def _up_elasticsearch(self, deadline: float) -> None:
        if self.es_external:
            if self._es_health() is None:
                raise StackError(
                    f"Elasticsearch at {self.es_url} (NEWSDESK_ES_URL) does not answer; newsdesk does not "
                    "start a cluster it was pointed to. Start it, or unset NEWSDESK_ES_URL to use the "
                    "local development node."
                )
            return
        from flows.local_stack.elasticsearch import LocalESError

        node = self._es_node()
        if node.pid() is None and self._es_health() is not None:
            return  # an Elasticsearch newsdesk did not start answers on the port: use it, as is
        if node.pid() is None:
            self.say(f"starting elasticsearch on {node.url}")
        try:
            node.start(timeout_s=max(5.0, deadline - time.monotonic()))
        except LocalESError as exc:
            raise StackError(f"elasticsearch: {exc}") from exc

    def _es_status(self) -> ServiceStatus:
        health = self._es_health()
        detail = f"cluster {health.get('cluster_name')}, {health.get('status')}" if health else ""
        if self.es_external:
            return ServiceStatus(
                "elasticsearch",
                "external" if health else "down",
                self.es_url,
                managed=False,
                detail=detail or "does not answer (NEWSDESK_ES_URL points here; newsdesk does not start it)",
            )
        node = self._es_node(download=False)
        pid = node.pid()
        log = str(node.log_file)
        if pid is None:
            if health:
                return ServiceStatus(
                    "elasticsearch", "external", self.es_url, None, False, detail + " (not ours)"
                )
            return ServiceStatus("elasticsearch", "stopped", self.es_url, None, log=log)
        if health is None:
            return ServiceStatus(
                "elasticsearch",
                "down",
                self.es_url,
                pid,
                detail="process alive, HTTP does not answer",
                log=log,
            )
        return ServiceStatus("elasticsearch", "running", self.es_url, pid, detail=detail, log=log)

    # -- prefect --------------------------------------------------------------------------
    def _prefect_healthy(self) -> bool:
        with PrefectRuns(self.prefect_url, timeout_s=2.0) as runs:
            return runs.healthy(timeout_s=2.0)

    def _start_prefect(self) -> None:
        if self.prefect_external:
            if not self._prefect_healthy():
                raise StackError(
                    f"the Prefect server at {self.prefect_url} (PREFECT_API_URL) does not answer; newsdesk "
                    "does not start a server it was pointed to. Start it, or unset PREFECT_API_URL."
                )
            return
        if self._pid("prefect") is not None:
            return
        port = self.settings.prefect_port
        home = self.settings.data_dir / "prefect"
        home.mkdir(parents=True, exist_ok=True)
        env = {
            **self.env,
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_API_HOST": "127.0.0.1",
            "PREFECT_SERVER_API_PORT": str(port),
            "PREFECT_LOGGING_SERVER_LEVEL": "WARNING",
        }
        env.pop("PREFECT_API_URL", None)
        prefect = Path(sys.executable).with_name("prefect")
        cmd = [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
        self.say(f"starting prefect server on {ui_url(self.prefect_url)} (database in {home})")
        self._spawn("prefect", cmd, env)

    def _prefect_status(self) -> ServiceStatus:
        healthy = self._prefect_healthy()
        url = ui_url(self.prefect_url)
        if self.prefect_external:
            state = "external" if healthy else "down"
            return ServiceStatus("prefect", state, url, managed=False, detail="PREFECT_API_URL")
        return self._process_status("prefect", url, healthy)

    # -- api ------------------------------------------------------------------------------
    def _api_healthy(self) -> bool:
        try:
            resp = httpx.get(f"{self.api_url}/health", timeout=2.0)
        except httpx.HTTPError:
            return False
        return resp.status_code in (200, 503) and "status" in resp.text

    def _start_api(self) -> None:
        if self.api_external or self._pid("api") is not None:
            return
        cmd = [
            sys.executable, "-m", "flows.cli", "serve", "--host", self.api_host, "--port", str(self.api_port),
        ]  # fmt: skip
        self.say(f"starting api on {self.api_url}")
        self._spawn("api", cmd, {**self.env, "PREFECT_API_URL": self.prefect_url})

    def _api_status(self) -> ServiceStatus:
        healthy = self._api_healthy()
        if self.api_external:
            state = "external" if healthy else "down"
            return ServiceStatus("api", state, self.api_url, managed=False, detail="NEWSDESK_API_URL")
        return self._process_status("api", self.api_url, healthy)

    # -- worker ---------------------------------------------------------------------------
    def _start_worker(self) -> None:
        if self._pid("worker") is not None:
            return
        self.heartbeat_file.unlink(missing_ok=True)
        cmd = [sys.executable, "-m", "flows.cli", "worker", "--heartbeat-file", str(self.heartbeat_file)]
        self.say("starting worker (serves the newsdesk-ingest deployment and its schedules)")
        env = {**self.env, "PREFECT_API_URL": self.prefect_url}
        env["PREFECT_LOGGING_LEVEL"] = "INFO"  # the run's log lines in the UI, not only its warnings
        self._spawn("worker", cmd, env)

    def _heartbeat(self) -> tuple[float | None, str]:
        try:
            stamp, _, current = self.heartbeat_file.read_text().strip().partition(" ")
            return time.time() - float(stamp), current
        except (OSError, ValueError):
            return None, ""

    def _worker_ready(self) -> bool:
        age, _ = self._heartbeat()
        return age is not None and age < HEARTBEAT_STALE_S

    def _worker_status(self) -> ServiceStatus:
        age, current = self._heartbeat()
        st = self._process_status("worker", None, age is not None and age < HEARTBEAT_STALE_S)
        if st.state == "running":
            st.detail = f"running flow run {current}" if current else f"idle, polled {max(age, 0):.0f}s ago"
        elif st.pid is not None and age is None:
            st.detail = "starting (loading the model, registering the deployment)"
        return st

    # -- processes ------------------------------------------------------------------------
    def _spawn(self, name: str, cmd: list[str], env: dict[str, str]) -> int:
        log = open(self.log_file(name), "ab")  # noqa: SIM115 - the child keeps it
        try:
            log.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} newsdesk up: {' '.join(cmd)}\n".encode())
            log.flush()
            proc = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=str(self.settings.data_dir),
                start_new_session=True,  # its own process group: `down` stops its children too
            )
        finally:
            log.close()
        self.pid_file(name).write_text(f"{proc.pid}\n{' '.join(cmd)}\n")
        return proc.pid

    def _pid(self, name: str) -> int | None:
        """The PID of the process ``up`` started for ``name``, if it is still that process."""
        try:
            pid_s, _, cmd = self.pid_file(name).read_text().partition("\n")
            pid = int(pid_s)
        except (OSError, ValueError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return None
        first = cmd.split(" ")[0]
        return pid if first and first in cmdline else None

    def _stop_process(self, name: str, timeout_s: float = 30.0) -> bool:
        pid = self._pid(name)
        self.pid_file(name).unlink(missing_ok=True)
        if pid is None:
            return False
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and _group_alive(pid):
            time.sleep(0.1)
        if _group_alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            while _group_alive(pid):
                time.sleep(0.05)
        return True

    def _process_status(self, name: str, url: str | None, healthy: bool) -> ServiceStatus:
        pid = self._pid(name)
        log = str(self.log_file(name))
        if pid is None:
            return ServiceStatus(name, "stopped", url, log=log)
        if not healthy:
            return ServiceStatus(name, "starting" if self._young(name) else "down", url, pid, log=log)
        return ServiceStatus(name, "running", url, pid, log=log)

    def _young(self, name: str, grace_s: float = 120.0) -> bool:
        try:
            return time.time() - self.pid_file(name).stat().st_mtime < grace_s
        except OSError:
            return False

    def _wait(self, name: str, healthy: Callable[[], bool], deadline: float) -> None:
        managed = not (name == "prefect" and self.prefect_external) and not (
            name == "api" and self.api_external
        )
        while time.monotonic() < deadline:
            if healthy():
                return
            if managed and self._pid(name) is None:
                raise StackError(
                    f"{name} exited during startup. Last log lines:\n{self.log_tail(name)}\n"
                    f"Full log: {self.log_file(name)}"
                )
            time.sleep(0.3)
        raise StackError(
            f"{name} did not become ready in time. Last log lines:\n{self.log_tail(name)}\n"
            f"Full log: {self.log_file(name)}"
        )

    def log_tail(self, name: str, lines: int = 15) -> str:
        if name == "elasticsearch" and not self.es_external:
            return self._es_node(download=False).log_tail(lines)
        try:
            return "\n".join(self.log_file(name).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log written)"


def _group_alive(pgid: int) -> bool:
    """Whether any live (non-zombie) process remains in the process group ``up`` started."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pgid, os.WNOHANG)  # reap the leader if this process started it
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False
