"""The local stack without Docker: Elasticsearch, a Prefect server with its UI, the API, a worker,
and with ``--dask-workers N`` a Dask scheduler and N Dask workers that run the ingestion batches.

``newsdesk up`` starts what is not running yet and waits until each piece answers; ``down`` stops
what it started (worker first, Elasticsearch last); ``status`` reports each piece with its URL,
PID, health and log. Everything lives under ``NEWSDESK_DATA_DIR``: PID files in ``run/``, logs in
``logs/``, Prefect's database in ``prefect/``. What the user pointed elsewhere is used, never
started or stopped: ``NEWSDESK_ES_URL`` naming a cluster other than the local dev node,
``PREFECT_API_URL`` naming a Prefect server, ``NEWSDESK_API_URL`` naming a remote API.

With Dask, ``up`` also starts ``dask scheduler`` on 127.0.0.1 (``NEWSDESK_DASK_PORT``) and N
``dask worker`` processes (one thread each, ``cores // N`` torch threads each, the model loaded at
start by ``--preload flows.dask_runner``), and the ingestion worker runs its flows with
``--dask tcp://127.0.0.1:<port>``. The count is remembered in ``run/dask-workers`` until ``down``,
so a later ``up`` restarts a Dask worker that died; ``--dask-workers 0`` stops them.

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

from flows.dask_runner import worker_environment
from flows.ports import port_in_use
from flows.settings import FlowSettings
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
        flow: The flow section: the port of the Dask scheduler ``up`` starts (``NEWSDESK_DASK_PORT``).
        dask_workers: Dask workers to run (0: none, and stop any); ``None``: as the last ``up`` said.
    """

    def __init__(
        self,
        settings: SearchSettings,
        env: dict[str, str] | None = None,
        say: Callable[[str], None] | None = None,
        flow: FlowSettings | None = None,
        dask_workers: int | None = None,
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
        self.dask_port = (flow or FlowSettings()).dask_port
        self.dask_address = f"tcp://127.0.0.1:{self.dask_port}"
        self._dask_asked = dask_workers

    # -- paths ----------------------------------------------------------------------------
    def pid_file(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.logs_dir / f"{name}.log"

    @property
    def heartbeat_file(self) -> Path:
        return self.run_dir / "worker.heartbeat"

    @property
    def dask_file(self) -> Path:
        return self.run_dir / "dask-workers"

    @property
    def dask_workers(self) -> int:
        """Dask workers this stack runs: as asked, else as the last ``up`` recorded (0: no Dask)."""
        if self._dask_asked is not None:
            return self._dask_asked
        try:
            return max(0, int(self.dask_file.read_text().strip()))
        except (OSError, ValueError):
            return 0

    # -- commands -------------------------------------------------------------------------
    def up(self, timeout_s: float = 180.0) -> list[ServiceStatus]:
        """Start whatever is not running, in dependency order, and wait until all answer."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout_s
        self._check_ports()  # before anything starts: a taken port fails `up` with nothing half-started
        self._up_elasticsearch(deadline)
        # Prefect, the API and Dask do not depend on each other: start them all, then wait.
        self._start_prefect()
        self._start_api()
        self._start_dask()
        self._wait("prefect", self._prefect_healthy, deadline)
        self._start_worker()
        self._wait("api", self._api_healthy, deadline)
        if self.dask_workers:
            self._wait("dask-scheduler", lambda: port_in_use(self.dask_port), deadline)
            self._wait_dask_workers(deadline)
        self._wait("worker", self._worker_ready, deadline)
        return self.status()

    def down(self, keep_es: bool = False) -> list[ServiceStatus]:
        """Stop the pieces newsdesk started, worker first (it hands back a run it is in), then the
        Dask workers and scheduler, the API, Prefect and Elasticsearch."""
        for name in ("worker", *self._dask_names(), "api", "prefect"):
            if self._stop_process(name):
                self.say(f"stopped {name}")
        self.heartbeat_file.unlink(missing_ok=True)
        self.dask_file.unlink(missing_ok=True)
        if not keep_es and not self.es_external:
            node = self._es_node(download=False)
            if node.pid() is not None and node.stop():
                self.say("stopped elasticsearch")
        return self.status()

    def status(self) -> list[ServiceStatus]:
        """Each piece's state, URL, PID and health; starts nothing."""
        pieces = [self._es_status(), self._prefect_status(), self._api_status(), self._worker_status()]
        return pieces + self._dask_status()

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
        if self.dask_workers and self._pid("dask-scheduler") is None and port_in_use(self.dask_port):
            raise StackError(
                f"port {self.dask_port} (Dask scheduler) is in use by another program: stop it, or set "
                "NEWSDESK_DASK_PORT to a free port (or point NEWSDESK_DASK_ADDRESS at your own cluster "
                "and start the stack without --dask-workers)."
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

    # -- dask -----------------------------------------------------------------------------
    def _dask_names(self) -> list[str]:
        """The Dask pieces with a PID file or asked for: workers first, the scheduler last."""
        running = sorted(p.stem for p in self.run_dir.glob("dask-worker-*.pid"))
        wanted = [f"dask-worker-{i}" for i in range(self.dask_workers)]
        names = sorted(set(running) | set(wanted), key=lambda n: int(n.rsplit("-", 1)[1]))
        if names or self.pid_file("dask-scheduler").exists():
            names.append("dask-scheduler")
        return names

    def _start_dask(self) -> None:
        n = self.dask_workers
        for name in self._dask_names():  # workers beyond the count asked for (or all, for 0)
            surplus = name.startswith("dask-worker-") and int(name.rsplit("-", 1)[1]) >= n
            if (surplus or (name == "dask-scheduler" and not n)) and self._stop_process(name):
                self.say(f"stopped {name}")
        if not n:
            self.dask_file.unlink(missing_ok=True)
            return
        self.dask_file.write_text(f"{n}\n")
        dask = str(Path(sys.executable).with_name("dask"))
        env = {**self.env, "PREFECT_API_URL": self.prefect_url}
        if self._pid("dask-scheduler") is None:
            self.say(f"starting dask scheduler on {self.dask_address}")
            cmd = [dask, "scheduler", "--host", "127.0.0.1", "--port", str(self.dask_port), "--no-dashboard"]
            self._spawn("dask-scheduler", cmd, env)
        worker_env = worker_environment(n, env)
        for i in range(n):
            name = f"dask-worker-{i}"
            if self._pid(name) is not None:
                continue
            cmd = [
                dask, "worker", self.dask_address, "--name", name, "--nthreads", "1", "--nworkers", "1",
                "--no-dashboard", "--preload", "flows.dask_runner", "--death-timeout", "120",
            ]  # fmt: skip
            self.say(f"starting {name} ({worker_env['NEWSDESK_EMBEDDING_THREADS']} torch threads)")
            self._spawn(name, cmd, worker_env)

    def _dask_registered(self) -> int | None:
        """Workers the scheduler knows, or None when it does not answer."""
        try:
            from distributed import Client

            with Client(self.dask_address, timeout=3) as client:
                return len(client.scheduler_info(n_workers=-1)["workers"])
        except Exception:
            return None

    def _wait_dask_workers(self, deadline: float) -> None:
        n = self.dask_workers
        while time.monotonic() < deadline:
            if (self._dask_registered() or 0) >= n:
                return
            dead = [f"dask-worker-{i}" for i in range(n) if self._pid(f"dask-worker-{i}") is None]
            if dead:
                raise StackError(
                    f"{dead[0]} exited during startup. Last log lines:\n{self.log_tail(dead[0])}\n"
                    f"Full log: {self.log_file(dead[0])}"
                )
            time.sleep(0.5)
        raise StackError(
            f"the Dask workers did not register with the scheduler at {self.dask_address} in time. "
            f"Last log lines of dask-worker-0:\n{self.log_tail('dask-worker-0')}"
        )

    def _dask_status(self) -> list[ServiceStatus]:
        names = self._dask_names()
        if not names:
            return []
        registered = self._dask_registered() if self._pid("dask-scheduler") is not None else None
        out = []
        for name in names:
            healthy = self._pid(name) is not None and registered is not None
            st = self._process_status(name, self.dask_address if name == "dask-scheduler" else None, healthy)
            if name == "dask-scheduler" and registered is not None:
                st.detail = f"{registered} of {self.dask_workers} workers registered"
            out.append(st)
        return out

    # -- worker ---------------------------------------------------------------------------
    def _worker_command(self) -> list[str]:
        cmd = [sys.executable, "-m", "flows.cli", "worker", "--heartbeat-file", str(self.heartbeat_file)]
        return cmd + (["--dask", self.dask_address] if self.dask_workers else [])

    def _start_worker(self) -> None:
        cmd = self._worker_command()
        if self._pid("worker") is not None:
            if self._recorded_command("worker") == " ".join(cmd):
                return
            # Dask was switched on or off: the worker runs its flows elsewhere from now on.
            self.say("restarting worker (its Dask cluster changed)")
            self._stop_process("worker")
        self.heartbeat_file.unlink(missing_ok=True)
        where = f", batches on Dask at {self.dask_address}" if self.dask_workers else ""
        self.say(f"starting worker (serves the newsdesk-ingest deployment and its schedules{where})")
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

    def _recorded_command(self, name: str) -> str:
        try:
            return self.pid_file(name).read_text().partition("\n")[2].strip()
        except OSError:
            return ""

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
