"""A real Elasticsearch for development and tests on machines without Docker.

Elastic publishes a minimal server build (``integ-test-zip``: server and a few modules, no bundled
JDK) on Maven Central. We fetch it once with ``mvn`` into the cache directory, unpack it, and run
one *instance* per directory (config, data, logs, pid file), so the CLI's development server, the
test suite's throwaway server and a multi-node test cluster never share state.

Elasticsearch refuses to run as root, so as root we run it as an unprivileged system user that we
create on first use. The build lacks the ``analysis-common`` module (no ``english`` analyzer, no
stemmers); ``search.mapping`` copes with that, see its docstring.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from flows.ports import port_in_use

MAVEN_ARTIFACT = "org.elasticsearch.distribution.integ-test-zip:elasticsearch:{version}:zip"


class LocalESError(RuntimeError):
    """Raised with a message a user can act on (what failed, and the log to read)."""


def find_java_home(preferred: Path | None = None, min_major: int = 17) -> Path:
    """Locate a JDK for Elasticsearch: explicit setting, then $ES_JAVA_HOME/$JAVA_HOME, then PATH."""
    candidates: list[Path] = []
    if preferred:
        candidates.append(Path(preferred))
    for var in ("ES_JAVA_HOME", "JAVA_HOME"):
        if os.environ.get(var):
            candidates.append(Path(os.environ[var]))
    java = shutil.which("java")
    if java:
        candidates.append(Path(os.path.realpath(java)).parent.parent)
    jvm_root = Path("/usr/lib/jvm")
    if jvm_root.is_dir():
        candidates.extend(sorted(p for p in jvm_root.iterdir() if p.is_dir()))
    for home in candidates:
        exe = home / "bin" / "java"
        if exe.exists() and _java_major(exe) >= min_major:
            return home
    raise LocalESError(
        f"No Java {min_major}+ found for Elasticsearch. Install one (Debian: "
        "apt-get install -y openjdk-17-jre-headless) or set NEWSDESK_ES_JAVA_HOME."
    )


def _java_major(java: Path) -> int:
    try:
        out = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return 0
    text = out.stderr + out.stdout
    for token in text.replace('"', " ").split():
        head = token.split(".")[0]
        if head.isdigit() and int(head) >= 8 and any(c == "." for c in token):
            return int(head)
    return 0


def ensure_distribution(version: str, cache_dir: Path) -> Path:
    """Download (once) and unpack the Elasticsearch build; return its home directory.

    Idempotent and safe to interrupt: the zip lands in the cache first and is unpacked into a
    temporary directory that is renamed into place only when complete.
    """
    home = cache_dir / "elasticsearch" / f"elasticsearch-{version}"
    if (home / "bin" / "elasticsearch").exists():
        return home
    downloads = cache_dir / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    archive = downloads / f"elasticsearch-{version}.zip"
    if not archive.exists():
        _maven_fetch(version, downloads)
    tmp = Path(tempfile.mkdtemp(prefix=".unpack-", dir=home.parent if home.parent.exists() else None))
    try:
        home.parent.mkdir(parents=True, exist_ok=True)
        _unzip_with_modes(archive, tmp)
        unpacked = tmp / f"elasticsearch-{version}"
        if not (unpacked / "bin" / "elasticsearch").exists():
            raise LocalESError(f"{archive} does not look like an Elasticsearch build (no bin/elasticsearch)")
        os.replace(unpacked, home)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    # The service user must be able to read the build when we run as root.
    for path in (cache_dir, cache_dir / "elasticsearch", home):
        with contextlib.suppress(OSError):
            path.chmod(path.stat().st_mode | 0o755)
    return home


def _maven_fetch(version: str, dest: Path) -> None:
    mvn = shutil.which("mvn")
    if not mvn:
        raise LocalESError(
            "Maven ('mvn') is needed once to fetch Elasticsearch from Maven Central. "
            "Install it (Debian: apt-get install -y maven) and retry."
        )
    artifact = MAVEN_ARTIFACT.format(version=version)
    cmd = [mvn, "-q", "-B", "dependency:copy", f"-Dartifact={artifact}", f"-DoutputDirectory={dest}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0 or not (dest / f"elasticsearch-{version}.zip").exists():
        tail = (proc.stdout + proc.stderr)[-2000:]
        raise LocalESError(f"Could not fetch {artifact} with Maven (exit {proc.returncode}):\n{tail}")


def _unzip_with_modes(archive: Path, dest: Path) -> None:
    """Unzip keeping Unix permission bits (zipfile drops them, and bin/ must stay executable)."""
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            target = zf.extract(info, dest)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(target, mode)


def ensure_service_user(name: str) -> pwd.struct_passwd:
    """Create the unprivileged system user that runs Elasticsearch (root only)."""
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(name)
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    proc = subprocess.run(
        [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
        capture_output=True,
        text=True,
    )
    if proc.returncode not in (0, 9):  # 9: already exists (a concurrent creator won)
        raise LocalESError(f"Could not create user {name!r} for Elasticsearch: {proc.stderr.strip()}")
    return pwd.getpwnam(name)


@dataclass
class LocalElasticsearch:
    """One Elasticsearch node process with its own config, data and logs under ``instance_dir``.

    ``seed_hosts``/``initial_master_nodes`` let several instances form a cluster; by default the
    node runs as ``discovery.type: single-node``.
    """

    home: Path
    instance_dir: Path
    port: int = 9200
    transport_port: int | None = None
    heap: str = "512m"
    cluster_name: str = "newsdesk"
    node_name: str = "node-1"
    service_user: str = "newsdesk-es"
    java_home: Path | None = None
    seed_hosts: list[str] = field(default_factory=list)
    initial_master_nodes: list[str] = field(default_factory=list)
    extra_settings: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.instance_dir / "elasticsearch.pid"

    @property
    def log_file(self) -> Path:
        return self.instance_dir / "logs" / f"{self.cluster_name}.log"

    @property
    def console_log(self) -> Path:
        return self.instance_dir / "logs" / "console.log"

    # -- lifecycle -------------------------------------------------------------------------
    def start(self, timeout_s: float = 120.0) -> None:
        """Start the node (no-op if this instance already runs) and wait until it is healthy."""
        if self.pid() is not None:
            self.wait_healthy(timeout_s)
            return
        if port_in_use(self.port):
            raise LocalESError(
                f"Port {self.port} is already in use by another process; set NEWSDESK_ES_PORT or stop it."
            )
        java_home = find_java_home(self.java_home)
        self.pid_file.unlink(missing_ok=True)  # stale, from a node that crashed
        self._write_config()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "ES_JAVA_HOME": str(java_home),
            "ES_PATH_CONF": str(self.instance_dir / "config"),
            "ES_JAVA_OPTS": f"-Xms{self.heap} -Xmx{self.heap}",
            "ES_TMPDIR": str(self.instance_dir / "tmp"),
            "LANG": "C.UTF-8",
        }
        cmd = [str(self.home / "bin" / "elasticsearch"), "-d", "-p", str(self.pid_file)]
        if os.geteuid() == 0:
            user = ensure_service_user(self.service_user)
            self._chown_tree(user.pw_uid, user.pw_gid)
            runuser = shutil.which("runuser") or "/usr/sbin/runuser"
            cmd = [runuser, "-u", self.service_user, "--", "env", *[f"{k}={v}" for k, v in env.items()], *cmd]
            env = {"PATH": env["PATH"]}
        with open(self.console_log, "ab") as console:
            proc = subprocess.run(
                cmd,
                stdout=console,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                timeout=timeout_s,
            )
        if proc.returncode != 0:
            raise LocalESError(
                f"Elasticsearch failed to start (exit {proc.returncode}). Last log lines:\n{self.log_tail()}"
            )
        self.wait_healthy(timeout_s)

    def stop(self, timeout_s: float = 60.0) -> bool:
        """Stop the node by PID (TERM, then KILL after ``timeout_s``); True if it was running."""
        pid = self.pid()
        if pid is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.2)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.1)
        with contextlib.suppress(FileNotFoundError):
            self.pid_file.unlink()
        return True

    def kill(self) -> None:
        """SIGKILL the node at once: a crash, for fault-injection tests."""
        pid = self.pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.05)

    def pid(self) -> int | None:
        """PID of the running node of this instance, or None."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _alive(pid) else None

    def health(self, timeout_s: float = 5.0) -> dict | None:
        """Cluster health as Elasticsearch reports it, or None when it does not answer."""
        try:
            resp = httpx.get(f"{self.url}/_cluster/health", timeout=timeout_s)
            return resp.json() if resp.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            return None

    def wait_healthy(self, timeout_s: float = 120.0, status: str = "yellow") -> dict:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                resp = httpx.get(
                    f"{self.url}/_cluster/health",
                    params={"wait_for_status": status, "timeout": "2s"},
                    timeout=5.0,
                )
                if resp.status_code == 200 and not resp.json().get("timed_out"):
                    return resp.json()
            except httpx.HTTPError:
                pass
            if self.pid_file.exists() and self.pid() is None:
                raise LocalESError(f"Elasticsearch exited during startup. Last log lines:\n{self.log_tail()}")
            time.sleep(0.5)
        raise LocalESError(f"Elasticsearch not {status} after {timeout_s:.0f}s. Log:\n{self.log_tail()}")

    def log_tail(self, lines: int = 25) -> str:
        for path in (self.log_file, self.console_log):
            if path.exists():
                return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
        return "(no log written)"

    def destroy(self) -> None:
        """Stop the node and delete its instance directory (config, data, logs)."""
        self.stop()
        shutil.rmtree(self.instance_dir, ignore_errors=True)

    # -- internals -------------------------------------------------------------------------
    def _write_config(self) -> None:
        conf = self.instance_dir / "config"
        for sub in ("config", "data", "logs", "tmp"):
            (self.instance_dir / sub).mkdir(parents=True, exist_ok=True)
        for name in ("jvm.options", "log4j2.properties"):
            if not (conf / name).exists():
                shutil.copy(self.home / "config" / name, conf / name)
        (conf / "jvm.options.d").mkdir(exist_ok=True)
        settings: dict[str, str] = {
            "cluster.name": self.cluster_name,
            "node.name": self.node_name,
            "network.host": "127.0.0.1",
            "http.port": str(self.port),
            "path.data": str(self.instance_dir / "data"),
            "path.logs": str(self.instance_dir / "logs"),
            # Disks on shared machines can be nearly full; watermarks would then block all writes.
            "cluster.routing.allocation.disk.threshold_enabled": "false",
            # This build ships x-pack security, on by default with generated TLS certs: a local
            # development node on loopback runs without it.
            "xpack.security.enabled": "false",
            "action.destructive_requires_name": "false",
        }
        if self.transport_port:
            settings["transport.port"] = str(self.transport_port)
        if self.seed_hosts:
            settings["discovery.seed_hosts"] = "[" + ", ".join(self.seed_hosts) + "]"
            settings["cluster.initial_master_nodes"] = "[" + ", ".join(self.initial_master_nodes) + "]"
        else:
            settings["discovery.type"] = "single-node"
        settings.update(self.extra_settings)
        (conf / "elasticsearch.yml").write_text("".join(f"{k}: {v}\n" for k, v in settings.items()))

    def _chown_tree(self, uid: int, gid: int) -> None:
        for root, dirs, files in os.walk(self.instance_dir):
            os.chown(root, uid, gid)
            for name in dirs + files:
                with contextlib.suppress(FileNotFoundError):
                    os.lchown(os.path.join(root, name), uid, gid)
        # Parents must be traversable by the service user.
        for parent in self.instance_dir.parents:
            if str(parent) in ("/", "/tmp"):
                break
            with contextlib.suppress(OSError):
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    parent.chmod(mode | 0o011)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); treat it as gone.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def dev_instance(settings, download: bool = True) -> LocalElasticsearch:
    """The development server that ``newsdesk es`` manages, configured from ``SearchSettings``.

    ``download=False`` is for status/stop, which must not fetch anything.
    """
    if download:
        home = ensure_distribution(settings.es_version, settings.cache_dir)
    else:
        home = settings.cache_dir / "elasticsearch" / f"elasticsearch-{settings.es_version}"
    return LocalElasticsearch(
        home=home,
        instance_dir=settings.data_dir / "elasticsearch" / "dev",
        port=settings.es_port,
        heap=settings.es_heap,
        service_user=settings.es_user,
        java_home=settings.es_java_home,
        cluster_name="newsdesk-dev",
    )
