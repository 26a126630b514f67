"""Keyword ranking at article level on the quiz questions: chunk BM25, article BM25 and their fusion.

Issue 14.

The question this answers: does BM25 over whole articles (``body_stem``: title and text) find the
story better than BM25 over chunks, and does fusing the two beat both? It needs no vectors, so it
runs on a ``--no-embed`` index of the whole scraped corpus, where far more questions count than on
the embedded windows (``eval_ranking.py``).

Honest protocol, as ``eval_ranking.py``: only questions whose answer text occurs somewhere in the
index count; questions are split by the parity of their number within the quiz week (odd = dev,
even = test) before anything is chosen; every fusion setting is compared on dev, and the one with
the best dev MRR@10 is reported once on test, beside chunk BM25 alone (the shipped keyword mode),
article BM25 alone, and a stock BM25 query over the raw, uncleaned article text (the floor).

    .venv/bin/python bench/eval_keyword_ranking.py --index bench-kw \\
        --corpus ../shared/data/scraped_news_2023_2024.jsonl.gz

Writes ``bench/results/keyword_ranking_eval.json``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import QUIZ, SCRAPED, es_version, machine, print_table, require, versions, write_result
from eval_ranking import ensure_raw_index, first_hit, load_questions, metrics, raw_search
from eval_retrieval import contains_any

DEPTHS = (1, 2, 3)
WEIGHTS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
METHODS = ("rrf", "minmax", "zscore")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", default="bench-kw")
    ap.add_argument("--raw-index", default=None, help="default: INDEX-raw")
    ap.add_argument("--corpus", type=Path, default=SCRAPED, help="the JSONL the index was built from")
    ap.add_argument("--from", dest="start", default="2000/01/01")
    ap.add_argument("--to", dest="end", default="2099/12/31")
    ap.add_argument("--candidates", type=int, default=100)
    ap.add_argument("--limit", type=int, default=0, help="first N answerable questions (0: all)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    require(QUIZ)
    es_url = os.environ.setdefault("NEWSDESK_ES_URL", "http://127.0.0.1:9200")
    raw_name = args.raw_index or f"{args.index}-raw"

    from elasticsearch import Elasticsearch

    from search.indexing import backfill_article_search_fields
    from search.ranking import fuse, score_articles
    from search.retrieval import Searcher
    from search.settings import SearchSettings
    from search.store import articles_alias

    client = Elasticsearch(es_url, request_timeout=120)
    settings = SearchSettings(es_url=es_url, index=args.index, article_bm25_weight=1.0)
    searcher = Searcher(settings, client)
    bm25 = searcher.pipeline("keyword").get_component("bm25")
    n_articles = client.count(index=articles_alias(args.index))["count"]
    backfilled = backfill_article_search_fields(client, args.index)  # an index built before body_stem
    if backfilled:
        client.indices.refresh(index=articles_alias(args.index))
        print(f"gave {backfilled} article records their body_stem", flush=True)
    n_raw = ensure_raw_index(client, raw_name, args.corpus)

    questions = load_questions(args.start, args.end)
    answerable = []
    for q in questions:
        for a in q["answers"]:
            resp = client.search(
                index=args.index, query={"match_phrase": {"content": a}}, size=20, source_includes=["content"]
            )
            if any(contains_any(h["_source"].get("content") or "", [a]) for h in resp["hits"]["hits"]):
                answerable.append(q)
                break
        if args.limit and len(answerable) >= args.limit:
            break
    print(f"{len(answerable)} of {len(questions)} questions have their answer in the index", flush=True)

    texts: dict[str, str] = {}

    def fetch_texts(ids: set[str]) -> None:
        missing = [d for d in ids if d not in texts]
        for i in range(0, len(missing), 200):
            resp = client.mget(
                index=articles_alias(args.index), ids=missing[i : i + 200], source_includes=["text", "title"]
            )
            for d in resp["docs"]:
                src = d.get("_source") or {}
                texts[d["_id"]] = f"{src.get('title') or ''}\n{src.get('text') or ''}"

    timings: dict[str, list[float]] = {"chunk bm25": [], "article bm25": [], "raw bm25": []}
    rows = []
    for i, q in enumerate(answerable):
        t = time.perf_counter()
        chunks = bm25.run(query=q["question"], top_k=args.candidates)["documents"]
        timings["chunk bm25"].append(time.perf_counter() - t)
        t = time.perf_counter()
        articles = searcher.article_bm25(q["question"], None, args.candidates)
        timings["article bm25"].append(time.perf_counter() - t)
        t = time.perf_counter()
        raw = raw_search(client, raw_name, q["question"], None)
        timings["raw bm25"].append(time.perf_counter() - t)
        lists = {
            "bm25": [(d.meta.get("doc_id") or d.id.split("#")[0], d.id, float(d.score or 0)) for d in chunks],
            "article": [(d.meta["doc_id"], d.id, float(d.score or 0)) for d in articles],
        }
        fetch_texts({x[0] for lst in lists.values() for x in lst[:30]})
        rows.append({"q": q, "lists": lists, "raw": raw})
        if (i + 1) % 200 == 0:
            print(f"{i + 1}/{len(answerable)} questions fetched", flush=True)

    def ranking(r: dict[str, Any], cfg: dict[str, Any]) -> list[str]:
        per = {}
        if cfg["chunk"]:
            per["bm25"] = score_articles(r["lists"]["bm25"], depth=cfg["depth"], damping=0.5)
        if cfg["article"]:
            per["article"] = score_articles(r["lists"]["article"], depth=1)
        if len(per) == 1:
            return [a.doc_id for a in next(iter(per.values()))]
        fused = fuse(per, cfg["method"], weights={"bm25": 1.0, "article": cfg["w"]})
        return [a.doc_id for a in fused]

    def firsts(rs: list[dict[str, Any]], cfg: dict[str, Any]) -> list[int | None]:
        return [first_hit(ranking(r, cfg), r["q"]["answers"], texts) for r in rs]

    def raw_firsts(rs: list[dict[str, Any]]) -> list[int | None]:
        out = []
        for r in rs:
            ids, raw_texts = r["raw"]
            answers = r["q"]["answers"]
            out.append(next((k for k, d in enumerate(ids, 1) if contains_any(raw_texts[d], answers)), None))
        return out

    dev = [r for r in rows if r["q"]["split"] == "dev"]
    test = [r for r in rows if r["q"]["split"] == "test"]
    chunk_only = {"chunk": True, "article": False, "depth": settings.article_chunk_depth}
    article_only = {"chunk": False, "article": True, "depth": 1}
    grid = []
    for depth, method, w in itertools.product(DEPTHS, METHODS, WEIGHTS):
        cfg = {"chunk": True, "article": True, "depth": depth, "method": method, "w": w}
        m = metrics(firsts(dev, cfg))
        grid.append((m["mrr10"], m["top5"], m["top10"], cfg))
    grid.sort(key=lambda g: (-g[0], -g[1], -g[2]))
    best = grid[0][3]

    results: dict[str, Any] = {}
    table = []
    for split_name, rs in (("dev", dev), ("test", test)):
        systems = {
            "raw BM25 (no cleaning, no chunks)": raw_firsts(rs),
            "chunk BM25 (keyword today)": firsts(rs, chunk_only),
            "article BM25 alone": firsts(rs, article_only),
            "chunk + article BM25 (chosen on dev)": firsts(rs, best),
        }
        results[split_name] = {name: metrics(f) for name, f in systems.items()}
        for name, m in results[split_name].items():
            table.append([split_name, name, len(rs), m["top1"], m["top5"], m["top10"], m["mrr10"]])

    def pct(values: list[float], p: float) -> float:
        s = sorted(values)
        return round(1000 * s[min(len(s) - 1, int(p * len(s)))], 1) if s else 0.0

    latency = {k: {"p50_ms": pct(v, 0.5), "p95_ms": pct(v, 0.95), "n": len(v)} for k, v in timings.items()}
    print_table(
        f"Keyword ranking: answer text in the top-k articles, index {args.index} ({n_articles} articles); "
        f"raw baseline {raw_name} ({n_raw} articles)",
        ["split", "system", "n", "top1", "top5", "top10", "MRR@10"],
        table,
    )
    print(f"chosen on dev: {best}")
    print_table(
        "Latency (100 candidates each)",
        ["request", "n", "p50 ms", "p95 ms"],
        [[k, v["n"], v["p50_ms"], v["p95_ms"]] for k, v in latency.items()],
    )
    write_result(
        "keyword_ranking_eval",
        {
            "machine": machine(),
            "versions": versions(),
            "elasticsearch": {"url": es_url, "version": es_version(client)},
            "corpus": {
                "index": args.index,
                "articles": n_articles,
                "raw_index": raw_name,
                "raw_articles": n_raw,
            },
            "questions": {
                "all": len(questions),
                "answer_in_index": len(answerable),
                "dev": len(dev),
                "test": len(test),
                "split": "question number within its week: odd = dev, even = test",
            },
            "chosen_on_dev": best,
            "grid_top": [{"mrr10": g[0], "top5": g[1], "top10": g[2], **g[3]} for g in grid[:15]],
            "results": results,
            "latency": latency,
        },
        False,
        args.out,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
