"""Ingestion on a Dask cluster against one process (issue 18): same corpus, same index, wall and CPU.

    .venv/bin/python bench/bench_distributed.py --n 500     # the committed result
    .venv/bin/python bench/bench_distributed.py --smoke     # 6 articles, 1 worker (CI)

Runs, one after the other, each from an empty index, on the first N scraped articles with
embeddings (entities on, as by default):

* ``in-process``: the flow on its two threads (what ``newsdesk ingest`` does without Dask);
* ``dask-1`` / ``dask-2``: the same flow with ``DaskTaskRunner`` on a ``LocalCluster`` of 1 / 2
  worker processes set up as ``newsdesk up --dask-workers`` sets them up
  (``flows.dask_runner.local_cluster``: one thread each, torch threads = cores / workers,
  ``flows/dask.yaml``), the model and spaCy loaded when the workers start
  (``--preload flows.dask_runner``), as a long-lived cluster has them;
* ``dask-2-killed``: 2 workers, one SIGKILLed while it runs an index task once a third of the
  articles are committed; its nanny restarts it; re-run once if the run fails.

Before each run the model is loaded where it will run (this process for ``in-process``, the
workers otherwise) and this process's embedding cache is emptied, so every run encodes every chunk.

Measured: wall seconds of the flow call; CPU seconds of every process involved (this driver, which
also hosts the Dask scheduler; the worker processes; the Prefect server; Elasticsearch); chunks/s;
each index compared with the in-process one document by document (article ids, content hashes,
copies; chunk ids, content hashes, vectors max |Δ|); Dask's overhead on one worker against one
process; a projection for 1M articles from the measured per-worker rate. The machine is shared:
its load average is recorded at the start and end of every run.

Writes ``bench/results/distributed.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    SCRAPED,
    es_version,
    machine,
    prefect_server,
    print_table,
    ratio,
    require,
    smoke_sample,
    versions,
    write_result,
    write_sample,
)

ARTICLES_PER_DAY_TARGET = 1_000_000


# ---------------------------------------------------------------------------------------------
# CPU accounting
# ---------------------------------------------------------------------------------------------
def es_pid(es_url: str) -> int | None:
    """The local Elasticsearch process (listening on the URL's port), if it runs on this machine."""
    from urllib.parse import urlsplit

    import psutil

    port = urlsplit(es_url.split(",")[0]).port or 9200
    with contextlib.suppress(psutil.Error):
        for conn in psutil.net_connections(kind="tcp"):
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
                return conn.pid
    return None


def cpu_of(pids: list[int]) -> dict[int, float]:
    import psutil

    out = {}
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            t = psutil.Process(pid).cpu_times()
            out[pid] = t.user + t.system  # all threads (this process: driver and Dask scheduler)
    return out


def descendants() -> list[int]:
    import psutil

    return [p.pid for p in psutil.Process().children(recursive=True)]


class CpuMeter:
    """CPU seconds spent by groups of processes between ``start`` and ``stop`` (processes that end in
    between, such as a killed worker, count up to their last reading)."""

    def __init__(self, groups: dict[str, list[int]]):
        self.groups = groups
        self.before = {g: cpu_of(p) for g, p in groups.items()}
        self.last = dict(self.before)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.wait(0.5):
            for g, pids in self.groups.items():
                self.last[g] = {**self.last[g], **cpu_of(pids)}

    def add(self, group: str, pids: list[int]) -> None:
        """Processes that started after ``start`` (a restarted worker): counted from zero."""
        fresh = [p for p in pids if p not in self.groups.setdefault(group, [])]
        self.groups[group] = self.groups[group] + fresh
        self.before.setdefault(group, {}).update({p: 0.0 for p in fresh})

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        out = {}
        for g, pids in self.groups.items():
            now = {**self.last[g], **cpu_of(pids)}
            out[g] = round(sum(now.get(p, 0.0) - self.before[g].get(p, 0.0) for p in now), 2)
        out["total"] = round(sum(out.values()), 2)
        return out


# ---------------------------------------------------------------------------------------------
# index snapshots
# ---------------------------------------------------------------------------------------------
def snapshot(client: Any, alias: str) -> dict[str, Any]:
    from elasticsearch.helpers import scan

    from search.store import articles_alias

    client.indices.refresh(index=f"{alias},{articles_alias(alias)}")
    chunks = {}
    for hit in scan(client, index=alias, query={"query": {"match_all": {}}}, size=500):
        src = hit["_source"]
        chunks[hit["_id"]] = (
            hashlib.sha256(src["content"].encode()).hexdigest(),
            src.get("content_hash"),
            src.get("embedding"),
        )
    articles = {}
    for hit in scan(
        client,
        index=articles_alias(alias),
        query={"query": {"match_all": {}}},
        size=500,
        _source_includes=["content_hash", "canonical_doc_id", "chunk_count", "also_published_by"],
    ):
        src = hit["_source"]
        copies = sorted(c["doc_id"] for c in src.get("also_published_by") or [])
        articles[hit["_id"]] = (
            src.get("content_hash"), src.get("canonical_doc_id"), src.get("chunk_count"), copies,
        )  # fmt: skip
    return {"chunks": chunks, "articles": articles}


def compare(got: dict[str, Any], want: dict[str, Any]) -> dict[str, Any]:
    """Document-by-document comparison with the reference index."""
    lost_a = sorted(set(want["articles"]) - set(got["articles"]))
    extra_a = sorted(set(got["articles"]) - set(want["articles"]))
    lost_c = sorted(set(want["chunks"]) - set(got["chunks"]))
    extra_c = sorted(set(got["chunks"]) - set(want["chunks"]))
    differ_a = [
        k for k in want["articles"] if k in got["articles"] and got["articles"][k] != want["articles"][k]
    ]
    differ_c, max_delta, missing_vec = [], 0.0, 0
    for cid, (h, ch, vec) in want["chunks"].items():
        if cid not in got["chunks"]:
            continue
        gh, gch, gvec = got["chunks"][cid]
        if (gh, gch) != (h, ch):
            differ_c.append(cid)
        if vec is None or gvec is None:
            missing_vec += int((vec is None) != (gvec is None))
            continue
        max_delta = max(max_delta, max(abs(a - b) for a, b in zip(vec, gvec, strict=True)))
    return {
        "articles": len(got["articles"]),
        "chunks": len(got["chunks"]),
        "articles_lost": len(lost_a),
        "articles_extra": len(extra_a),
        "articles_differing": len(differ_a),
        "chunks_lost": len(lost_c),
        "chunks_extra": len(extra_c),
        "chunks_differing": len(differ_c),
        "vectors_missing": missing_vec,
        "vector_max_abs_diff": max_delta,
        "identical": not (lost_a or extra_a or differ_a or lost_c or extra_c or differ_c or missing_vec)
        and max_delta <= 1e-6,
        "examples": (lost_a + extra_a + differ_a + lost_c + extra_c + differ_c)[:10],
    }


# ---------------------------------------------------------------------------------------------
# runs
# ---------------------------------------------------------------------------------------------
def warm_here() -> None:
    from flows.dask_runner import warm_up
    from search.embedding import get_embedder

    warm_up()
    get_embedder().clear_cache()


@contextlib.contextmanager
def cluster_of(n_workers: int):
    """``flows.dask_runner.local_cluster`` (our workers' settings) with the models preloaded."""
    from distributed import Client

    from flows.dask_runner import local_cluster

    # preload: the model and spaCy load as each worker starts, as on a long-lived cluster.
    with (
        local_cluster(n_workers, preload=["flows.dask_runner"], silence_logs=40) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(n_workers, timeout=300)
        yield cluster, client


def killer(client: Any, es: Any, alias: str, at_articles: int, done: list[str]) -> threading.Thread:
    """SIGKILL one worker while it runs an index task, once ``at_articles`` are committed."""
    from search.store import articles_alias

    pids = client.run(os.getpid)

    def committed() -> int:
        with contextlib.suppress(Exception):
            return es.options(request_timeout=2).count(index=articles_alias(alias))["count"]
        return 0

    def run() -> None:
        deadline = time.monotonic() + 3600
        while time.monotonic() < deadline and not done:
            if committed() >= at_articles:
                for worker, keys in client.processing().items():
                    if any(str(k).startswith("index_batch") for k in keys):
                        os.kill(pids[worker], signal.SIGKILL)
                        done.append(f"{worker} (pid {pids[worker]}) at {committed()} articles committed")
                        return
            time.sleep(0.05)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def summarize(rows: dict[str, dict[str, Any]], n: int, mach: dict[str, Any]):
    """Dask's overhead on one worker, and the 1M-article projection, from the recorded runs.

    The projection is made twice: from wall time per worker on this (shared) machine, and from the
    CPU seconds the runs cost per article (workers, the driver, Elasticsearch), which do not
    depend on what else the machine was doing; the second sizes a cluster of idle cores.
    """
    base, one, two = rows.get("in-process"), rows.get("dask-1"), rows.get("dask-2")
    overhead = None
    if base and one:
        overhead = {
            "wall": ratio(one["wall_s"], base["wall_s"]),
            "cpu_total": ratio(one["cpu_s"]["total"], base["cpu_s"]["total"]),
            "cpu_driver_and_workers": ratio(
                one["cpu_s"]["driver"] + one["cpu_s"]["workers"],
                base["cpu_s"]["driver"] + base["cpu_s"]["workers"],
            ),
            "goal_at_most": 1.10,
            "met_wall": bool(one["wall_s"] <= 1.10 * base["wall_s"]),
            "met_cpu": bool(one["cpu_s"]["total"] <= 1.10 * base["cpu_s"]["total"]),
        }
    rated = [r for r in (one, two) if r]
    if not rated:
        return overhead, None
    day = 86_400
    per_worker = min(r["articles_per_s"] / r["workers"] for r in rated)  # the slower of the two
    cpu = {
        g: statistics.mean(r["cpu_s"][g] / n for r in rated) for g in ("workers", "driver", "elasticsearch")
    }
    projection = {
        "articles": ARTICLES_PER_DAY_TARGET,
        "chunks_per_article": round(rated[-1]["chunks"] / n, 1),
        "by_wall_time": {
            "articles_per_s_per_worker": round(per_worker, 3),
            "cores_per_worker": max(1, (mach["cpus_usable"] or 1) // max(r["workers"] for r in rated)),
            "worker_days": round(ARTICLES_PER_DAY_TARGET / per_worker / day, 1),
            "workers_for_one_day": math.ceil(ARTICLES_PER_DAY_TARGET / (per_worker * day)),
        },
        "by_cpu_time": {
            "worker_cpu_s_per_article": round(cpu["workers"], 3),
            "driver_cpu_s_per_article": round(cpu["driver"], 4),
            "elasticsearch_cpu_s_per_article": round(cpu["elasticsearch"], 4),
            "worker_cores_for_one_day": math.ceil(ARTICLES_PER_DAY_TARGET * cpu["workers"] / day),
            "driver_cores_for_one_day": math.ceil(ARTICLES_PER_DAY_TARGET * cpu["driver"] / day),
            "elasticsearch_cores_for_one_day": math.ceil(
                ARTICLES_PER_DAY_TARGET * cpu["elasticsearch"] / day
            ),
        },
        "note": "wall: the slower per-worker rate of dask-1/dask-2 on this shared machine; CPU: the mean "
        "CPU seconds per article of those runs, i.e. cores kept busy for a day; both for articles like "
        "these (scraped news, entities on, MiniLM fp32 on CPUs)",
    }
    return overhead, projection


def report_tables(rows, n, batch_size, overhead, projection) -> None:
    table = []
    for mode, r in rows.items():
        c = r["compared_with_in_process"]
        table.append([
            mode, r["workers"], r["wall_s"], r["cpu_s"]["total"],
            round(r["cpu_s"]["workers"] + r["cpu_s"]["driver"], 2),
            r["chunks_per_s"], r["cpu_ms_per_chunk"], "yes" if c["identical"] else "NO",
            f"{c['articles_lost']}/{c['chunks_lost']}", f"{c['articles_extra']}/{c['chunks_extra']}",
            f"{c['vector_max_abs_diff']:.1e}",
        ])  # fmt: skip
    print_table(
        f"Distributed ingestion ({n} scraped articles, batch {batch_size})",
        ["mode", "workers", "wall s", "CPU s all", "CPU s driver+workers", "chunks/s", "CPU ms/chunk",
         "identical", "lost art/chunks", "dup art/chunks", "max |Δvec|"],
        table,
    )  # fmt: skip
    if overhead:
        print(
            f"Dask on 1 worker vs in-process: wall {overhead['wall']}x, CPU (all processes) "
            f"{overhead['cpu_total']}x"
        )
    if projection:
        w, c = projection["by_wall_time"], projection["by_cpu_time"]
        print(
            f"1M articles in a day: {w['workers_for_one_day']} workers of {w['cores_per_worker']} core(s) at "
            f"the measured {w['articles_per_s_per_worker']} articles/s per worker; by CPU time "
            f"{c['worker_cores_for_one_day']} worker cores + {c['elasticsearch_cores_for_one_day']} "
            f"Elasticsearch cores + {c['driver_cores_for_one_day']} driver core(s)"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=500, help="first N scraped articles")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--modes", default="in-process,dask-1,dask-2,dask-2-killed")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the bench indices")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument(
        "--resummarize",
        type=Path,
        default=None,
        help="recompute the overhead and projection of a results file from its recorded runs (no runs)",
    )
    args = ap.parse_args(argv)
    if args.resummarize:
        data = json.loads(args.resummarize.read_text(encoding="utf-8"))
        n = data["corpus"]["articles"]
        overhead, projection = summarize(data["runs"], n, data["machine"])
        report_tables(data["runs"], n, data["batch_size"], overhead, projection)
        data["overhead_dask_1_vs_in_process"], data["projection"] = overhead, projection
        args.resummarize.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
        return 0
    import logging

    logging.getLogger("distributed").setLevel(logging.WARNING)  # the cluster's start/stop chatter
    if args.smoke:
        args.n, args.batch_size, args.modes = 6, 2, "in-process,dask-1"
    else:
        require(SCRAPED)
    mach = machine()
    es_url = os.environ.setdefault("NEWSDESK_ES_URL", "http://127.0.0.1:9200")
    tmp = Path(tempfile.mkdtemp(prefix="newsdesk-bench-dist-"))
    os.environ.setdefault("NEWSDESK_DATA_DIR", str(tmp / "data"))
    sample = tmp / "sample.jsonl"
    n = smoke_sample(args.n, sample) if args.smoke else write_sample([SCRAPED], args.n, sample)

    from elasticsearch import Elasticsearch

    from flows.ingestion import run_ingestion

    es = Elasticsearch(es_url, request_timeout=120)
    prefix = f"bench-dist-{uuid.uuid4().hex[:6]}"
    es_proc = es_pid(es_url)
    rows: dict[str, dict[str, Any]] = {}
    reference: dict[str, Any] | None = None
    prefect_info: dict[str, Any] | None = None
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    try:
        with prefect_server() as prefect_info:
            server = descendants()  # the temporary Prefect server (and its children)
            for mode in modes:
                alias = f"{prefix}-{mode}"
                workers = 0 if mode == "in-process" else int(mode.split("-")[1])
                load_start = [round(x, 2) for x in os.getloadavg()]
                killed: list[str] = []
                reruns = 0
                ctx = cluster_of(workers) if workers else contextlib.nullcontext((None, None))
                with ctx as (cluster, client):
                    if cluster is None:
                        warm_here()
                        overrides: dict[str, Any] = {}
                        worker_pids: list[int] = []
                    else:
                        overrides = {"dask_address": cluster.scheduler_address}
                        worker_pids = list(client.run(os.getpid).values())
                    groups = {
                        "driver": [os.getpid()],
                        "workers": worker_pids,
                        "prefect": server,
                        "elasticsearch": [es_proc] if es_proc else [],
                    }
                    meter = CpuMeter(groups)
                    watcher = None
                    if mode.endswith("killed"):
                        watcher = killer(client, es, alias, max(1, n // 3), killed)
                    t0 = time.perf_counter()
                    try:
                        report = run_ingestion(
                            [str(sample)], batch_size=args.batch_size, index=alias, settings=overrides
                        )
                    except Exception as exc:  # a killed worker may fail the run: a re-run finishes it
                        print(f"{mode}: run failed ({type(exc).__name__}: {exc}); re-running", flush=True)
                        reruns += 1
                        report = run_ingestion(
                            [str(sample)], batch_size=args.batch_size, index=alias, settings=overrides
                        )
                    wall = time.perf_counter() - t0
                    if watcher is not None:
                        watcher.join(timeout=1)
                    if client is not None:
                        meter.add("workers", list(client.run(os.getpid).values()))
                    cpu = meter.stop()
                snap = snapshot(es, alias)
                if reference is None:
                    reference = snap
                same = compare(snap, reference)
                chunks = len(snap["chunks"])
                rows[mode] = {
                    "workers": workers,
                    "wall_s": round(wall, 2),
                    "cpu_s": cpu,
                    "chunks": chunks,
                    "chunks_written": report["chunks_written"],
                    "chunks_per_s": round(chunks / wall, 2),
                    "articles_per_s": round(n / wall, 3),
                    "cpu_ms_per_chunk": round(1000 * cpu["total"] / max(1, chunks), 1),
                    "report": {
                        k: report[k]
                        for k in ("seen", "new", "updated", "unchanged", "duplicates", "quarantined")
                    },
                    "compared_with_in_process": same,
                    "killed": killed,
                    "reruns": reruns,
                    "load_avg_start": load_start,
                    "load_avg_end": [round(x, 2) for x in os.getloadavg()],
                }
                print(
                    f"{mode}: {wall:.1f}s wall, {cpu['total']:.1f}s CPU, {chunks} chunks, "
                    f"identical={same['identical']} {killed or ''}",
                    flush=True,
                )
    finally:
        if not args.keep:
            es.indices.delete(index=f"{prefix}-*", ignore_unavailable=True, allow_no_indices=True)

    overhead, projection = summarize(rows, n, mach)
    report_tables(rows, n, args.batch_size, overhead, projection)
    write_result(
        "distributed",
        {
            "machine": mach,
            "corpus": {"path": str(SCRAPED) if not args.smoke else "smoke sample", "articles": n},
            "batch_size": args.batch_size,
            "elasticsearch": {"url": es_url.split("@")[-1], "version": es_version(es), "pid": es_proc},
            "prefect": prefect_info,
            "versions": versions(["distributed", "dask", "prefect-dask"]),
            "runs": rows,
            "overhead_dask_1_vs_in_process": overhead,
            "projection": projection,
        },
        args.smoke,
        args.out,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
