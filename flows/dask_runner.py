"""Where the ingestion flow's batches run: on threads in this process, or on a Dask cluster.

Without ``NEWSDESK_DASK_ADDRESS`` nothing changes: a ``ThreadPoolTaskRunner`` of two threads
cleans the next batch while the current one is embedded and written. With it, Prefect's
``DaskTaskRunner`` (``prefect-dask``) sends every clean and index task to the cluster's workers:
batches are cleaned, chunked, embedded and written on the workers, in parallel, while this process
(the *driver*) reads the inputs, learns the boilerplate, orders the batches and keeps the report.

Each worker process keeps what is expensive to build: the embedding model (``search.embedding``
caches one per configuration and process), the Elasticsearch client and spaCy, through the
``IndexWriter`` it receives (``search.index_writer.WriterSpec``: a writer travels as its settings
and is built once per worker). ``dask worker --preload flows.dask_runner`` loads the model when
the worker starts, so the first batch does not pay for it. A worker started with
``NEWSDESK_EMBEDDING_DEVICE=cuda`` embeds on its GPU; ``NEWSDESK_EMBEDDING_THREADS`` sizes its CPU
encoding (``newsdesk up --dask-workers N`` gives each of N workers an equal share of the cores).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger("newsdesk.dask")

# Dask settings for our workers (see the file): DASK_CONFIG for `dask worker` processes.
DASK_CONFIG_FILE = Path(__file__).with_name("dask.yaml")

# In-process: two threads, cleaning batch n+1 beside embedding/writing batch n (one index task in
# flight at a time: both stages use both cores, and batches are written in input order).
THREADS = 2


def task_runner(dask_address: str | None) -> Any:
    """The task runner for an ingestion run: Dask when an address is given, threads otherwise."""
    if not dask_address:
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=THREADS)
    from prefect_dask import DaskTaskRunner

    # A scheduler that does not answer fails the run within the timeout, with its address.
    return DaskTaskRunner(address=dask_address, client_kwargs={"timeout": "20s"})


class DaskUnavailable(RuntimeError):
    """No Dask scheduler answers at the configured address; the message says what to do."""


def require_dask(address: str, timeout_s: float = 3.0) -> None:
    """Fail at once, naming the address and the fix, when no scheduler answers at ``address``.

    Why: a flow started against a dead address would start Prefect and the run, then wait out the
    client's connect timeout. Only ``tcp://`` addresses are probed (TLS and other transports are
    left to the client, which reports them in its own words).
    """
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme != "tcp":
        return
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 8786), timeout_s):
            return
    except OSError as exc:
        raise DaskUnavailable(
            f"no Dask scheduler answers at {address} (--dask / NEWSDESK_DASK_ADDRESS): "
            f"{exc.strerror or exc}. "
            "Start one (`newsdesk up --dask-workers N`, or `dask scheduler` and `dask worker ADDRESS`), "
            "or ingest without it."
        ) from None


def batches_in_flight(runner: Any) -> int:
    """How many index tasks the flow keeps submitted at once.

    Threads: one (the other thread cleans the next batch). Dask: one per worker thread of the
    cluster as it is now, plus one, so a worker that finishes a batch finds the next already
    queued rather than waiting for the driver.
    """
    client = getattr(runner, "client", None) if _is_dask(runner) else None
    if client is None:
        return 1
    try:
        threads = sum(client.nthreads().values())
    except Exception:  # a cluster still starting: it grows into the window as workers join
        threads = 1
    return max(1, threads) + 1


def _is_dask(runner: Any) -> bool:
    return type(runner).__name__ == "DaskTaskRunner"


def worker_environment(n_workers: int, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for ``n_workers`` worker processes sharing this machine's cores.

    Why: torch uses every core it sees in each process; N workers would each start that many
    threads and fight over the cores. Each gets ``cores // N`` (at least one) unless
    ``NEWSDESK_EMBEDDING_THREADS`` says otherwise.
    """
    env = dict(os.environ if base is None else base)
    env.setdefault("DASK_CONFIG", str(DASK_CONFIG_FILE))
    if not env.get("NEWSDESK_EMBEDDING_THREADS"):
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # not Linux
            cores = os.cpu_count() or 1
        env["NEWSDESK_EMBEDDING_THREADS"] = str(max(1, cores // max(1, n_workers)))
    return env


def dask_config() -> dict[str, Any]:
    """``DASK_CONFIG_FILE`` as dotted keys, for ``dask.config.set`` in a process that hosts nannies
    (dotted: ``set`` replaces a whole nested section given as a dict)."""
    import yaml

    def flat(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in tree.items():
            if isinstance(value, dict):
                out.update(flat(value, f"{prefix}{key}."))
            else:
                out[f"{prefix}{key}"] = value
        return out

    return flat(yaml.safe_load(DASK_CONFIG_FILE.read_text(encoding="utf-8")))


@contextlib.contextmanager
def local_cluster(n_workers: int, **kwargs: Any) -> Iterator[Any]:
    """A ``LocalCluster`` of ``n_workers`` worker processes set up as newsdesk's workers are: one
    task thread each, an equal share of the cores for torch, ``dask_config()``; ``kwargs`` go to
    ``LocalCluster`` (e.g. ``preload=["flows.dask_runner"]``).

    Why not a bare ``LocalCluster``: its nannies run in this process and export their workers'
    environment (``OMP_NUM_THREADS=1``, ...) into this process's ``os.environ`` before each spawn,
    where every later subprocess would inherit it; it is put back when the cluster has started and
    when it closes.
    """
    import dask
    from distributed import LocalCluster

    saved = dict(os.environ)

    def restore() -> None:
        os.environ.clear()
        os.environ.update(saved)

    options = {"processes": True, "threads_per_worker": 1, "dashboard_address": ":0", **kwargs}
    try:
        with (
            dask.config.set(dask_config()),
            LocalCluster(n_workers=n_workers, env=worker_environment(n_workers), **options) as cluster,
        ):
            restore()
            yield cluster
    finally:
        restore()


def warm_up() -> None:
    """Load the embedding model (and spaCy, when entities are tagged) this process's settings name,
    so a worker's first batch finds them loaded; a failure is logged, and the first batch that
    needs the model reports it."""
    try:
        from search.embedding import get_embedder
        from search.settings import get_settings

        get_embedder().embed_documents(["warm up"])
        if get_settings().entities:
            from ingest.entities import tag_entities

            tag_entities(["Warm up in London."])
    except Exception as exc:
        log.warning("embedding model not loaded at start: %s", exc)


def dask_setup(worker: Any = None) -> None:
    """Dask's preload hook (``dask worker --preload flows.dask_runner``): warm the model up.

    ``NEWSDESK_WARM_UP=false`` skips it (a worker that only ever runs ``--no-embed`` ingestion).
    """
    if os.environ.get("NEWSDESK_WARM_UP", "1").lower() in ("0", "false", "no"):
        return
    warm_up()
