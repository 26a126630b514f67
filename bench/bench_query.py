"""Query latency over HTTP (the real API under uvicorn, in its own process) vs bare Elasticsearch.

For keyword, semantic and hybrid search (``GET /search``, top 10 articles) and ``POST /ask``, at
concurrency 1 and 8, the same quiz questions are sent to ``newsdesk serve``; the equivalent bare
requests go straight to Elasticsearch with the Python client from this process:

* keyword: the very BM25 body our store sends (stemmed + plain match, title, captions, highlights,
  40 chunks = top 10 articles x 4), without the article-ledger ``mget`` and the grouping;
* semantic: ``SentenceTransformer.encode`` of the query (same model, in this process) + the same
  kNN body; the encode is part of the bare latency, since Elasticsearch needs the vector;
* hybrid: both of the above, fused with reciprocal rank fusion in Python;
* ask has no bare equivalent: its goal is absolute (p95 <= 500 ms).

Latency is per request, client side (httpx / elasticsearch client), after a warm-up. The index is
reused, never built here (except ``--smoke``): build it once with
``newsdesk ingest ../shared/data/scraped_news_2023_2024.jsonl.gz --index bench-scraped`` (1-2 h
with embeddings on 2 cores), and give ``--keyword-index`` a ``--no-embed`` build of the whole
corpus when the embedded one is partial.

    .venv/bin/python bench/bench_query.py --index bench-scraped --queries 100
    .venv/bin/python bench/bench_query.py --smoke      # 3-article index, 4 queries, concurrency 1 and 2 (CI)

Writes ``bench/results/query_latency.json``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    QUIZ,
    REPO,
    es_version,
    iter_jsonl,
    machine,
    percentile,
    prefect_server,
    print_table,
    ratio,
    require,
    smoke_questions,
    smoke_sample,
    versions,
    write_result,
)

MODES = ("keyword", "semantic", "hybrid", "ask")
TOP_K = 10


def load_questions(n: int) -> list[str]:
    out = []
    for rec in iter_jsonl(QUIZ):
        q = (rec.get("question") or "").strip()
        if q:
            out.append(q)
        if len(out) >= n:
            break
    return out


def article_count(client, alias: str) -> int:
    from search.store import articles_alias

    try:
        return client.count(index=articles_alias(alias))["count"]
    except Exception:
        return 0


def start_api(env: dict[str, str], workers: int = 1) -> tuple[subprocess.Popen, str]:
    """``newsdesk serve`` on a free port with ``env``: the process and its base URL, once it answers."""
    from flows.ports import free_port

    port = free_port()
    proc = subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "newsdesk"), "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import httpx

    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"newsdesk serve exited with {proc.returncode}")
        try:
            if httpx.get(base + "/docs", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("newsdesk serve did not come up in 180 s")


def _timed_load(
    fn: Callable[[str], Any], queries: list[str], concurrency: int
) -> tuple[list[float], int, float]:
    """Send every query once: latencies (ms), errors and the wall time of the whole load."""
    latencies: list[float] = []
    errors = 0

    def one(q: str) -> None:
        nonlocal errors
        t = time.perf_counter()
        try:
            fn(q)
        except Exception:
            errors += 1
            return
        latencies.append(1000 * (time.perf_counter() - t))

    t0 = time.perf_counter()
    if concurrency == 1:
        for q in queries:
            one(q)
    else:
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one, queries))
    return latencies, errors, time.perf_counter() - t0


def _summary(latencies: list[float], errors: int, wall: float) -> dict[str, Any]:
    if not latencies:
        return {"n": 0, "errors": errors}
    return {
        "n": len(latencies),
        "errors": errors,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "mean_ms": round(sum(latencies) / len(latencies), 1),
        "qps": round(len(latencies) / wall, 2),
    }


def run_load(fn: Callable[[str], Any], queries: list[str], concurrency: int) -> dict[str, Any]:
    """Send every query once; returns latency percentiles (ms), errors and throughput."""
    return _summary(*_timed_load(fn, queries, concurrency))


PAIRED_BATCHES = 5


def run_paired(
    api: Callable[[str], Any], bare: Callable[[str], Any], queries: list[str], concurrency: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The API and the bare query over the same questions, taking turns batch by batch (the order
    flips each batch), so both see the same machine: run one whole load after the other and a
    background merge or a noisy neighbour lands on one side only (this machine's speed moves by
    half within minutes, which swung the ratio from 2x to 4x between runs of the same code)."""
    size = max(1, -(-len(queries) // PAIRED_BATCHES))
    acc = {"api": ([], 0, 0.0), "bare": ([], 0, 0.0)}
    for k in range(0, len(queries), size):
        batch = queries[k : k + size]
        order = ("api", "bare") if (k // size) % 2 == 0 else ("bare", "api")
        for side in order:
            lat, err, wall = _timed_load(api if side == "api" else bare, batch, concurrency)
            a_lat, a_err, a_wall = acc[side]
            acc[side] = (a_lat + lat, a_err + err, a_wall + wall)
    return _summary(*acc["api"]), _summary(*acc["bare"])


def bare_functions(client, alias: str, model) -> dict[str, Callable[[str], Any]]:
    from search.analysis import stem_text
    from search.retrievers import highlight_request

    def bm25_body(q: str) -> dict[str, Any]:
        stemmed = stem_text(q)
        return {
            "size": TOP_K * 4,
            "query": {
                "bool": {
                    "should": [
                        {"match": {"content_stem": {"query": stemmed}}},
                        {"match": {"content": {"query": q, "boost": 0.5}}},
                        {"match": {"title_stem": {"query": stemmed, "boost": 0.8}}},
                        {"match": {"captions": {"query": q, "boost": 0.3}}},
                    ],
                    "minimum_should_match": 1,
                }
            },
            "_source": {"excludes": ["embedding", "content_stem", "title_stem"]},
            "highlight": highlight_request(q),
        }

    def knn_body(q: str) -> dict[str, Any]:
        vec = model.encode([q], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)[0]
        k = TOP_K * 4
        return {
            "knn": {
                "field": "embedding",
                "query_vector": vec.tolist(),
                "k": k,
                "num_candidates": max(100, k * 10),
            },
            "size": k,
            "_source": {"excludes": ["embedding", "content_stem", "title_stem"]},
        }

    def keyword(q: str) -> Any:
        return client.search(index=alias, **bm25_body(q))

    def semantic(q: str) -> Any:
        return client.search(index=alias, **knn_body(q))

    def hybrid(q: str) -> Any:
        a = client.search(index=alias, **bm25_body(q))["hits"]["hits"]
        b = client.search(index=alias, **knn_body(q))["hits"]["hits"]
        scores: dict[str, float] = {}
        for hits in (a, b):
            for rank, h in enumerate(hits):
                scores[h["_id"]] = scores.get(h["_id"], 0.0) + 1.0 / (61 + rank)
        return sorted(scores, key=scores.get, reverse=True)[: TOP_K * 4]

    return {"keyword": keyword, "semantic": semantic, "hybrid": hybrid}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", default="bench-scraped", help="alias for semantic/hybrid/ask (embedded)")
    ap.add_argument("--keyword-index", default=None, help="alias for keyword (default: --index)")
    ap.add_argument("--queries", type=int, default=100, help="quiz questions per mode and concurrency")
    ap.add_argument("--concurrency", default="1,8")
    ap.add_argument("--modes", default=",".join(MODES), help="subset, e.g. keyword (a --no-embed index)")
    ap.add_argument(
        "--warmup", type=int, default=5, help="questions (none of the measured) sent to both paths first"
    )
    ap.add_argument("--smoke", action="store_true", help="tiny index, 4 queries (CI)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    if not args.smoke:
        require(QUIZ)
    mach = machine()
    es_url = os.environ.setdefault("NEWSDESK_ES_URL", "http://127.0.0.1:9200")
    from elasticsearch import Elasticsearch

    client = Elasticsearch(es_url, request_timeout=60)
    built = None
    if args.smoke:
        args.queries = min(args.queries, 4)
        args.concurrency = "1,2"
        built = args.index = f"bench-query-smoke-{uuid.uuid4().hex[:8]}"
        args.keyword_index = None
        tmp = Path(tempfile.mkdtemp(prefix="newsdesk-bench-query-"))
        smoke_sample(3, tmp / "sample.jsonl")
        os.environ["NEWSDESK_DATA_DIR"] = str(tmp / "data")
        from flows.ingestion import ingest_flow

        with prefect_server():
            ingest_flow([str(tmp / "sample.jsonl")], embed=True, index=built)
    kw_index = args.keyword_index or args.index
    sizes = {args.index: article_count(client, args.index), kw_index: article_count(client, kw_index)}
    if not sizes[args.index]:
        sys.exit(f"index {args.index!r} is empty or missing: build it first (see --help)")
    conc = [int(c) for c in args.concurrency.split(",")]
    # Every (mode, concurrency) gets its own questions: the API's embedder caches vectors by text,
    # so repeating a question would measure the cache, not the query path. Bare and API runs of
    # one combination share their questions. ``--warmup`` more questions warm both paths up.
    modes = [m for m in args.modes.split(",") if m]
    if unknown := set(modes) - set(MODES):
        sys.exit(f"unknown mode(s) {sorted(unknown)}: choose from {', '.join(MODES)}")
    n_sets = len(conc) * len(modes)
    if args.smoke:
        pool = [q["question"] for q in smoke_questions(tmp / "sample.jsonl", args.queries)]
    else:
        pool = load_questions(args.queries * n_sets + args.warmup)
    queries = pool[: args.queries]

    def question_set(i: int) -> list[str]:
        return pool[i * args.queries : (i + 1) * args.queries] or queries

    from search.embedding import get_embedder
    from search.settings import SearchSettings

    model = get_embedder(SearchSettings()).model
    procs: list[subprocess.Popen] = []
    results: dict[str, dict[str, Any]] = {}
    try:
        import httpx

        bases = {}
        for alias in dict.fromkeys([args.index, kw_index]):
            env = {**os.environ, "NEWSDESK_INDEX": alias, "NEWSDESK_ES_URL": es_url}
            proc, base = start_api(env)
            procs.append(proc)
            bases[alias] = base
        http = httpx.Client(timeout=120, limits=httpx.Limits(max_connections=16))

        def api_fn(mode: str) -> Callable[[str], Any]:
            base = bases[kw_index if mode == "keyword" else args.index]
            if mode == "ask":
                return lambda q: http.post(base + "/ask", json={"question": q}).raise_for_status()
            return lambda q: http.get(
                base + "/search", params={"q": q, "mode": mode, "top_k": TOP_K}
            ).raise_for_status()

        bare = {
            "keyword": bare_functions(client, kw_index, model)["keyword"],
            **{m: f for m, f in bare_functions(client, args.index, model).items() if m != "keyword"},
        }
        warm = pool[-args.warmup :] if len(pool) > args.queries * n_sets else pool[: args.warmup]
        for mode in modes:
            for f in [api_fn(mode), bare.get(mode)]:
                if f:
                    for q in warm:
                        f(q)
        for i, (c, mode) in enumerate((c, m) for c in conc for m in modes):
            qs = question_set(i)
            print(f"concurrency {c}: {mode} ...", flush=True)
            results[f"{mode}@{c}"] = {"mode": mode, "concurrency": c}
            if mode in bare:
                api_r, bare_r = run_paired(api_fn(mode), bare[mode], qs, c)
                results[f"{mode}@{c}"].update(api=api_r, bare=bare_r, paired_batches=PAIRED_BATCHES)
            else:
                results[f"{mode}@{c}"]["api"] = run_load(api_fn(mode), qs, c)
        http.close()
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        if built:
            client.indices.delete(index=f"{built}*", ignore_unavailable=True, allow_no_indices=True)

    rows = []
    for r in results.values():
        api, bare_r = r["api"], r.get("bare") or {}
        r["p95_ratio_api_vs_bare"] = ratio(api.get("p95_ms"), bare_r.get("p95_ms"))
        rows.append(
            [
                r["mode"],
                r["concurrency"],
                api.get("p50_ms"),
                api.get("p95_ms"),
                api.get("p99_ms"),
                api.get("qps"),
                api.get("errors"),
                bare_r.get("p50_ms"),
                bare_r.get("p95_ms"),
                bare_r.get("p99_ms"),
                r["p95_ratio_api_vs_bare"],
            ]
        )
    print_table(
        f"Query latency (ms), {len(queries)} quiz questions, "
        f"index {args.index} ({sizes[args.index]} articles)"
        + (f", keyword on {kw_index} ({sizes[kw_index]} articles)" if kw_index != args.index else ""),
        [
            "mode",
            "conc",
            "api p50",
            "api p95",
            "api p99",
            "api qps",
            "errors",
            "bare p50",
            "bare p95",
            "bare p99",
            "p95 api/bare",
        ],
        rows,
    )
    goals = {
        f"keyword@{c}_p95_api_over_bare": {
            "value": results.get(f"keyword@{c}", {}).get("p95_ratio_api_vs_bare"),
            "goal": "<= 1.5",
        }
        for c in conc
    }
    goals.update(
        {
            f"ask@{c}_p95_ms": {
                "value": results.get(f"ask@{c}", {}).get("api", {}).get("p95_ms"),
                "goal": "<= 500",
            }
            for c in conc
        }
    )
    for g in goals.values():
        v, limit = g["value"], float(g["goal"].split()[-1])
        g["met"] = None if v is None else v <= limit
    print_table(
        "Goals",
        ["measure", "value", "goal", "met"],
        [[k, g["value"], g["goal"], g["met"]] for k, g in goals.items()],
    )
    write_result(
        "query_latency",
        {
            "machine": mach,
            "corpus": {
                "index": args.index,
                "articles": sizes[args.index],
                "keyword_index": kw_index,
                "keyword_articles": sizes[kw_index],
                "queries": len(queries),
                "queries_note": "distinct quiz questions per mode and concurrency (first ones in file order)",
                "query_source": QUIZ.name,
            },
            "versions": versions(),
            "elasticsearch": {"url": es_url, "version": es_version(client)},
            "settings": {"top_k": TOP_K, "concurrency": conc, "server": "newsdesk serve (uvicorn, 1 worker)"},
            "results": results,
            "goals": goals,
        },
        args.smoke,
        args.out,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
