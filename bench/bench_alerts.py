"""What alerts cost ingestion: the matching stage with 1, 100 and 1,000 saved searches vs none.

Each run ingests the same sample through the real flow (``flows.ingestion.ingest_flow``, one Prefect
server for the process) into a fresh index that holds K alerts. Matching is its own stage in the
run report (``seconds.alerts``: per batch, a refresh of the chunk index, one search per 500 alerts
over the batch's chunks, and writing the matches), so its cost is measured directly, and the whole
run's time is measured too. Rounds rotate the order of the configurations so drift on the shared
machine hits each alike.

Saved searches are 3-word queries made from the titles of *other* BBC articles (records after the
sample): realistic topics, some of which match the sample. No webhooks (their cost is the
receiver's network, not ours). With ``--embed`` the embedder's in-memory cache is cleared before
every run, so each run encodes its chunks (the model is loaded once, by the warm-up run).

    .venv/bin/python bench/bench_alerts.py                       # 400 BBC articles, --no-embed, 2 rounds
    .venv/bin/python bench/bench_alerts.py --n 100 --embed --alerts 0,100 --rounds 1
    .venv/bin/python bench/bench_alerts.py --smoke               # 4 articles, 1 round (CI)
    .venv/bin/python bench/bench_alerts.py --strategies          # how to run K queries over one batch

``--strategies`` compares, on the last batch of the sample indexed batch by batch, the shipped
matching search (one ``filters`` aggregation per 500 alerts, only the clauses that decide a hit)
with the same aggregation over the full keyword queries, ``_msearch`` (one search per alert) and one
search with every alert as a named ``should`` clause (``matched_queries``); each must give the same
matches. Writes ``bench/results/alert_strategies.json``.

Entity tagging is off (``NEWSDESK_ENTITIES=false``; ``--entities`` turns it on): with it, every
article costs ~0.2 s more and the share alerts take would look smaller. Elasticsearch:
``NEWSDESK_ES_URL``; indices ``bench-alerts-*`` are created and deleted. Writes
``bench/results/alerts.json``.
"""

from __future__ import annotations

import argparse
import atexit
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    RESULTS,
    SHARED_DATA,
    es_version,
    iter_jsonl,
    machine,
    prefect_server,
    print_table,
    smoke_sample,
    versions,
    write_result,
)

BBC = SHARED_DATA / "bbc_news.jsonl"
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{2,}")


def saved_queries(path: Path | None, skip: int, k: int) -> list[str]:
    """``k`` 3-word topics from the titles of articles after the first ``skip`` (not the sample's)."""
    from search.analysis import ENGLISH_STOP_WORDS

    titles: list[str] = []
    if path is not None and path.exists():
        titles = [r.get("title") or "" for i, r in enumerate(iter_jsonl(path)) if i >= skip]
    queries: list[str] = []
    for title in titles:
        words = [w for w in _WORD.findall(title) if w.lower() not in ENGLISH_STOP_WORDS][:3]
        if len(words) >= 2:
            queries.append(" ".join(words))
    n = 0
    while len(queries) < k:  # more alerts than titles (smoke runs): numbered variants
        queries.append(f"{queries[n % len(queries)] if queries else 'market'} topic{n}")
        n += 1
    return queries[:k]


def write_bbc_sample(n: int, out: Path) -> int:
    with out.open("w", encoding="utf-8") as f:
        import json

        written = 0
        for rec in iter_jsonl(BBC):
            if written >= n:
                break
            f.write(json.dumps({**rec, "source": "bbc.co.uk"}, ensure_ascii=False) + "\n")
            written += 1
    return written


def one_run(client: Any, es_url: str, sample: Path, queries: list[str], embed: bool, batch_size: int) -> dict:
    from flows.ingestion import ingest_flow
    from search.alerts import Alert, Alerts
    from search.settings import SearchSettings

    alias = f"bench-alerts-{uuid.uuid4().hex[:8]}"
    try:
        settings = SearchSettings(es_url=es_url, index=alias)
        t0 = time.perf_counter()
        Alerts(client, settings).add_many(
            [Alert(f"a{i:04d}", q) for i, q in enumerate(queries)], allow_private_urls=False
        )
        setup_s = time.perf_counter() - t0
        if embed:  # every run encodes its chunks: none served from an earlier run's vectors
            from search.embedding import _EMBEDDERS

            for embedder in list(_EMBEDDERS.values()):
                embedder.clear_cache()
        t1 = time.perf_counter()
        report = ingest_flow(paths=[str(sample)], embed=embed, index=alias, batch_size=batch_size)
        wall_s = time.perf_counter() - t1
    finally:
        client.indices.delete(index=f"{alias}*", ignore_unavailable=True, allow_no_indices=True)
    written = report["new"] + report["updated"]
    return {
        "alerts": len(queries),
        "setup_s": setup_s,
        "wall_s": wall_s,
        "total_s": report["seconds"]["total"],
        "alerts_s": report["seconds"].get("alerts", 0.0),
        "articles_written": written,
        "chunks": report["chunks_written"],
        "matches": sum(report["alert_matches"].values()),
        "alerts_matching": len(report["alert_matches"]),
        "alert_errors": report["alert_errors"],
        "seconds": report["seconds"],
    }


def _time_strategies(client: Any, alias: str, ids: list[str], run: Any, full: dict, repeats: int) -> dict:
    names = sorted(run.queries)
    only_ids = {"terms": {"doc_id": ids}}
    per_doc = {"d": {"terms": {"field": "doc_id", "size": len(ids)}}}

    def shipped() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for i in range(0, len(names), 500):
            found.update(run._search(names[i : i + 500], ids))
        return found

    def filters_full() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for i in range(0, len(names), 500):
            aggs = {"a": {"filters": {"filters": {n: full[n] for n in names[i : i + 500]}}, "aggs": per_doc}}
            resp = client.search(index=alias, size=0, query={"bool": {"filter": [only_ids]}}, aggs=aggs)
            for n, b in resp["aggregations"]["a"]["buckets"].items():
                if b["doc_count"]:
                    found[n] = [x["key"] for x in b["d"]["buckets"]]
        return found

    def msearch() -> dict[str, list[str]]:
        body: list[dict[str, Any]] = []
        for n in names:
            query = {"bool": {"filter": [only_ids, run.queries[n]]}}
            body += [{"index": alias}, {"size": 0, "query": query, "aggs": per_doc}]
        found = {}
        for n, resp in zip(names, client.msearch(body=body)["responses"], strict=True):
            keys = [x["key"] for x in resp["aggregations"]["d"]["buckets"]]
            if keys:
                found[n] = keys
        return found

    def named() -> dict[str, list[str]]:
        found: dict[str, set[str]] = {}
        for i in range(0, len(names), 500):
            should = [{"bool": {**run.queries[n]["bool"], "_name": n}} for n in names[i : i + 500]]
            query = {"bool": {"filter": [only_ids], "should": should, "minimum_should_match": 1}}
            resp = client.search(
                index=alias, size=10_000, source=False, docvalue_fields=["doc_id"], query=query
            )
            for hit in resp["hits"]["hits"]:
                for n in hit.get("matched_queries", []):
                    found.setdefault(n, set()).add(hit["fields"]["doc_id"][0])
        return {n: sorted(v) for n, v in found.items()}

    reference = {n: sorted(v) for n, v in shipped().items()}
    row = {}
    for label, fn in (
        ("filters agg, deciding clauses (shipped)", shipped),
        ("filters agg, full keyword query", filters_full),
        ("_msearch, one search per alert", msearch),
        ("named should clauses", named),
    ):
        fn()  # warm caches alike
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            got = fn()
            times.append(time.perf_counter() - t0)
        same = {n: sorted(v) for n, v in got.items()} == reference
        row[label] = {"ms_median": round(1000 * statistics.median(times), 1), "same_matches": same}
    return row


def compare_strategies(client: Any, es_url: str, sample: Path, counts: list[int], repeats: int = 5) -> dict:
    """Median ms of each way to match K alerts against one 64-article batch (see the docstring)."""
    from ingest.cleaning import clean_record
    from ingest.models import RawRecord
    from search.alerts import Alert, AlertRun, ensure_alert_indices
    from search.indexing import IndexingOptions, index_articles
    from search.query import keyword_query
    from search.settings import SearchSettings
    from search.store import ensure_indices, refresh

    alias = f"bench-alerts-{uuid.uuid4().hex[:8]}"
    settings = SearchSettings(es_url=es_url, index=alias)
    records = list(iter_jsonl(sample))
    articles = [
        clean_record(RawRecord(origin=str(sample), id=r.get("id"), title=r.get("title"), text=r.get("text")))
        for r in records
    ]
    batches = [articles[i : i + 64] for i in range(0, len(articles), 64)]
    out: dict[str, Any] = {"articles": len(articles), "batch": len(batches[-1]), "results": {}}
    try:
        ensure_indices(client, alias, embedding_dims=384)
        ensure_alert_indices(client, alias)
        for batch in batches:  # as a run with alerts leaves the index: one refresh per batch
            index_articles(client, alias, batch, IndexingOptions(embed=False))
            refresh(client, alias)
        ids = [a.doc_id for a in batches[-1]]
        for k in counts:
            alerts = [
                Alert(f"a{i:04d}", q) for i, q in enumerate(saved_queries(BBC, skip=len(articles), k=k))
            ]
            run = AlertRun(client, settings, "bench", alerts)
            full = {
                a.name: keyword_query(a.query, min_should_match=settings.keyword_min_match, emphasis_boost=0)
                for a in alerts
            }
            out["results"][str(k)] = _time_strategies(client, alias, ids, run, full, repeats)
    finally:
        client.indices.delete(index=f"{alias}*", ignore_unavailable=True, allow_no_indices=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=400, help="BBC articles ingested per run")
    ap.add_argument(
        "--alerts", default="0,1,100,1000", help="alert counts, comma-separated (0: the baseline)"
    )
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--embed", action="store_true", help="compute embeddings (default: --no-embed)")
    ap.add_argument("--entities", action="store_true", help="tag entities (default: off)")
    ap.add_argument("--smoke", action="store_true", help="4 articles, alerts 0,1,100, 1 round")
    ap.add_argument("--strategies", action="store_true", help="compare ways to match, on one batch")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    if args.smoke:
        args.n, args.rounds, args.alerts = 4, 1, "0,1,100"
    started_on = machine()  # load average at the start, before our own work
    os.environ["NEWSDESK_ENTITIES"] = "true" if args.entities else "false"
    counts = [int(x) for x in args.alerts.split(",")]
    if 0 not in counts:
        counts = [0, *counts]

    from elasticsearch import Elasticsearch

    es_url = os.environ.get("NEWSDESK_ES_URL", "http://127.0.0.1:9200")
    client = Elasticsearch(es_url, request_timeout=120)
    tmp = Path(tempfile.mkdtemp(prefix="bench-alerts-"))
    atexit.register(shutil.rmtree, tmp, True)  # the sample and the data dir go with the process
    sample = tmp / "sample.jsonl"
    if args.smoke or not BBC.exists():
        n = smoke_sample(args.n, sample)
        corpus = {"path": "smoke sample", "articles": n}
        query_source: Path | None = BBC if BBC.exists() else None
    else:
        n = write_bbc_sample(args.n, sample)
        corpus = {"path": BBC.name, "articles": n, "first_n": True, "source": "bbc.co.uk"}
        query_source = BBC
    queries = saved_queries(query_source, skip=args.n, k=max(counts))
    os.environ.setdefault("NEWSDESK_DATA_DIR", str(tmp / "data"))
    if args.strategies:
        k_values = [k for k in counts if k] if args.alerts != ap.get_default("alerts") else [100, 1000]
        found = compare_strategies(client, es_url, sample, k_values)
        rows = [
            [k, label, r["ms_median"], "yes" if r["same_matches"] else "NO"]
            for k, row in found["results"].items()
            for label, r in row.items()
        ]
        print_table(
            f"Alert matching strategies ({found['batch']}-article batch of {found['articles']}, median ms)",
            ["alerts", "strategy", "ms", "same matches"],
            rows,
        )
        es = {"url": es_url, "version": es_version(client)}
        report = {
            "machine": started_on,
            "corpus": corpus,
            "elasticsearch": es,
            "settings": {"alert_counts": k_values},
        }
        write_result("alert_strategies", {**report, **found}, args.smoke, args.out)
        return

    runs: list[dict[str, Any]] = []
    with prefect_server() as prefect:
        one_run(client, es_url, sample, [], args.embed, args.batch_size)  # warm-up: imports, first flow run
        for r in range(args.rounds):
            order = counts[r % len(counts) :] + counts[: r % len(counts)]
            for k in order:
                result = one_run(client, es_url, sample, queries[:k], args.embed, args.batch_size)
                result["round"] = r
                runs.append(result)
                took = f"total {result['total_s']:.2f}s, matching {result['alerts_s']:.3f}s"
                print(f"round {r} alerts {k}: {took}, {result['matches']} matches", flush=True)

    def med(k: int, key: str) -> float:
        return statistics.median(x[key] for x in runs if x["alerts"] == k)

    base_total = med(0, "total_s")
    rows, results = [], {}
    for k in counts:
        written = statistics.median(x["articles_written"] for x in runs if x["alerts"] == k)
        alerts_s, total_s = med(k, "alerts_s"), med(k, "total_s")
        results[str(k)] = {
            "alerts": k,
            "runs": sum(1 for x in runs if x["alerts"] == k),
            "total_s_median": round(total_s, 3),
            "alerts_s_median": round(alerts_s, 4),
            "ms_per_article": round(1000 * alerts_s / written, 3) if written else None,
            "share_of_ingestion_without_alerts": round(alerts_s / base_total, 4) if base_total else None,
            "total_vs_no_alerts": round(total_s / base_total, 3) if base_total else None,
            "matches_median": med(k, "matches"),
            "setup_s_median": round(med(k, "setup_s"), 3),
        }
        res = results[str(k)]
        share = 100 * (res["share_of_ingestion_without_alerts"] or 0)
        rows.append(
            [
                k,
                total_s,
                alerts_s,
                res["ms_per_article"],
                share,
                res["total_vs_no_alerts"],
                int(res["matches_median"]),
            ]
        )
    mode = "with embeddings" if args.embed else "--no-embed"
    print_table(
        f"Alert matching cost ({n} articles, {mode}, entities {'on' if args.entities else 'off'}, median of "
        f"{args.rounds} round(s))",
        ["alerts", "run s", "matching s", "ms/article", "% of run w/o alerts", "run vs 0", "matches"],
        rows,
    )
    write_result(
        "alerts",
        {
            "machine": started_on,
            "corpus": corpus,
            "versions": versions(),
            "elasticsearch": {"url": es_url, "version": es_version(client)},
            "settings": {
                "rounds": args.rounds,
                "batch_size": args.batch_size,
                "embed": args.embed,
                "entities": args.entities,
                "alert_counts": counts,
                "prefect_server": prefect,
                "queries_sample": queries[:5],
            },
            "results": results,
            "runs": runs,
        },
        args.smoke,
        args.out,
    )
    client.close()


if __name__ == "__main__":
    RESULTS.mkdir(parents=True, exist_ok=True)
    main()
