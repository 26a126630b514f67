"""The encoder: torch fp32 against ONNX Runtime int8, and what gets embedded (issue 18).

    .venv/bin/python bench/bench_encoder.py                        # the committed result
    .venv/bin/python bench/bench_encoder.py --variants title,long  # also the embedded-text variants
    .venv/bin/python bench/bench_encoder.py --smoke                # a few articles (CI)

Corpus: the scraped articles published in a window (default 2023/01/01–2023/02/28, ~570 articles,
the window ``eval_ranking.py`` uses), ingested once by the normal flow with the default encoder
(torch fp32, title prefix, default chunks) into ``bench-enc-fp32``. Every other index is that
index's chunks, same ids and text, with only the vectors (or, for ``long``, the chunking) changed,
so each row isolates one change:

* ``onnx-int8``: the chunk texts encoded by ``Embedder(backend="onnx-int8")`` (queries too);
* ``title`` (variant): the chunks embedded without the title prefix (``embedding_text``);
* ``long`` (variant): the article texts re-chunked at 1,000/1,600 characters (default 500/900).

Throughput: the same sample of chunk texts, encoded by each backend in interleaved rounds in this
process (cache off): texts/s of wall time and CPU seconds (all threads) per 1,000 texts, and tokens
per text. Quality: the window's quiz questions whose answer text occurs in the window's articles;
a question counts at k when an answer text is in the title or text of one of the top-k articles
``Searcher.search`` returns, for semantic and hybrid search (keyword does not use vectors).

The issue's rule: int8 becomes the default only if it is >= 1.5x faster per CPU-second and loses
<= 0.5 points at top 5 and top 10 (semantic and hybrid); the verdict is printed and recorded.

Writes ``bench/results/encoder.json``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    QUIZ,
    SCRAPED,
    es_version,
    iter_jsonl,
    machine,
    prefect_server,
    print_table,
    require,
    smoke_questions,
    smoke_sample,
    versions,
    write_result,
)
from eval_retrieval import contains_any, norm

CUTOFFS = (1, 5, 10)
MODES = ("semantic", "hybrid")
SPEEDUP_NEEDED = 1.5
POINTS_ALLOWED = 0.5


def cpu_now() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def window_sample(start: str, end: str, out: Path) -> int:
    n = 0
    with out.open("w", encoding="utf-8") as f:
        import json

        for rec in iter_jsonl(SCRAPED):
            day = (rec.get("publish_date") or "")[:10].replace("-", "/")
            if start <= day <= end:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
                n += 1
    return n


def window_questions(start: str, end: str) -> list[dict[str, Any]]:
    out = []
    for rec in iter_jsonl(QUIZ):
        day = (rec.get("date") or "").replace("-", "/")
        answers = rec.get("answer_text") or []
        answers = [norm(a) for a in ([answers] if isinstance(answers, str) else answers) if norm(a)]
        if start <= day <= end and rec.get("question") and answers:
            out.append({"id": rec["question_id"], "question": rec["question"], "answers": answers})
    return out


def read_index(client: Any, alias: str) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Every chunk (id and source, sorted by id) and every article (title and text) of an index."""
    from elasticsearch.helpers import scan

    from search.store import articles_alias

    client.indices.refresh(index=f"{alias},{articles_alias(alias)}")
    chunks = [
        {"_id": h["_id"], **h["_source"]}
        for h in scan(client, index=alias, query={"query": {"match_all": {}}}, size=500)
    ]
    chunks.sort(key=lambda c: c["_id"])
    articles = {
        h["_id"]: h["_source"]
        for h in scan(
            client,
            index=articles_alias(alias),
            query={"query": {"match_all": {}}},
            size=500,
            _source_includes=["title", "text", "canonical_doc_id"],
        )
    }
    return chunks, articles


def copy_index(client: Any, source: str, target: str, chunks: list[dict[str, Any]], dims: int) -> None:
    """``target`` with ``source``'s article records and the given chunk documents."""
    from elasticsearch.helpers import scan

    from search.store import articles_alias, bulk_write, ensure_indices, refresh

    ensure_indices(client, target, embedding_dims=lambda: dims)
    actions = [
        {
            "_op_type": "index",
            "_index": target,
            "_id": c["_id"],
            "_source": {k: v for k, v in c.items() if k != "_id"},
        }
        for c in chunks
    ]
    for h in scan(client, index=articles_alias(source), query={"query": {"match_all": {}}}, size=500):
        actions.append(
            {"_op_type": "index", "_index": articles_alias(target), "_id": h["_id"], "_source": h["_source"]}
        )
    for i in range(0, len(actions), 500):
        bulk_write(client, actions[i : i + 500]).raise_if_unavailable()
    refresh(client, target)


def rechunk(chunks: list[dict[str, Any]], articles: dict[str, dict[str, Any]], target: int, most: int):
    """Chunk documents for the same articles cut at ``target``/``most`` characters (fields per article
    copied from its first chunk; text, offsets and stems recomputed)."""
    from ingest.chunking import chunk_text
    from search.analysis import stem_text

    first: dict[str, dict[str, Any]] = {}
    for c in chunks:
        first.setdefault(c["doc_id"], c)
    out = []
    for doc_id, template in first.items():
        text = (articles.get(doc_id) or {}).get("text") or ""
        parts = chunk_text(doc_id, text, target_chars=target, max_chars=most)
        for p in parts:
            doc = {k: v for k, v in template.items() if k not in ("embedding",)}
            doc.update(
                _id=p.chunk_id, id=p.chunk_id, chunk_index=p.index, chunk_count=len(parts), content=p.text,
                content_stem=stem_text(p.text), start=p.start, end=p.end,
            )  # fmt: skip
            out.append(doc)
    return out


def evaluate(settings_kw: dict[str, Any], alias: str, questions, articles) -> dict[str, Any]:
    from search.retrieval import Searcher
    from search.settings import SearchSettings

    searcher = Searcher(SearchSettings(index=alias, **settings_kw))
    for mode in MODES:
        searcher.search("warm up", mode=mode, top_k=10)
    text = {d: f"{a.get('title') or ''}\n{a.get('text') or ''}" for d, a in articles.items()}
    out: dict[str, Any] = {}
    for mode in MODES:
        counts = dict.fromkeys(CUTOFFS, 0)
        t = time.perf_counter()
        for q in questions:
            ids = [h.doc_id for h in searcher.search(q["question"], mode=mode, top_k=max(CUTOFFS))]
            first = next(
                (r for r, d in enumerate(ids, 1) if contains_any(text.get(d, ""), q["answers"])), None
            )
            for k in CUTOFFS:
                counts[k] += bool(first and first <= k)
        n = max(1, len(questions))
        out[mode] = {f"top{k}": round(counts[k] / n, 4) for k in CUTOFFS}
        out[mode]["hits"] = {f"top{k}": counts[k] for k in CUTOFFS}
        out[mode]["ms_per_query"] = round(1000 * (time.perf_counter() - t) / n, 1)
    return out


def throughput(embedders: dict[str, Any], texts: list[str], rounds: int) -> dict[str, Any]:
    """Interleaved rounds: each backend encodes ``texts`` once per round (cache off)."""
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in embedders}
    for _ in range(rounds):
        for name, emb in embedders.items():
            emb.clear_cache()
            w, c = time.perf_counter(), cpu_now()
            emb.embed_documents(texts)
            runs[name].append((time.perf_counter() - w, cpu_now() - c))
    out = {}
    for name, rs in runs.items():
        wall = statistics.median(r[0] for r in rs)
        cpu = statistics.median(r[1] for r in rs)
        out[name] = {
            "texts": len(texts),
            "rounds": [{"wall_s": round(w, 2), "cpu_s": round(c, 2)} for w, c in rs],
            "texts_per_s": round(len(texts) / wall, 1),
            "cpu_s_per_1k": round(1000 * cpu / len(texts), 1),
            "texts_per_cpu_s": round(len(texts) / cpu, 2),
        }
    return out


def tokens(tokenizer: Any, texts: list[str], max_len: int) -> int:
    """Word pieces the encoder sees (special tokens included, truncated as the model truncates)."""
    total = 0
    for i in range(0, len(texts), 256):
        enc = tokenizer(texts[i : i + 256], truncation=True, max_length=max_len)
        total += sum(len(ids) for ids in enc["input_ids"])
    return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--from", dest="start", default="2023/01/01")
    ap.add_argument("--to", dest="end", default="2023/02/28")
    ap.add_argument("--throughput-texts", type=int, default=800)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--variants", default="", help="comma-separated: title, long")
    ap.add_argument("--reuse", default=None, help="an fp32 index of the window built before (skip the build)")
    ap.add_argument("--keep", action="store_true", help="keep the bench indices")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    if not args.smoke:
        require(SCRAPED)
        require(QUIZ)
    mach = machine()
    es_url = os.environ.setdefault("NEWSDESK_ES_URL", "http://127.0.0.1:9200")
    tmp = Path(tempfile.mkdtemp(prefix="newsdesk-bench-enc-"))
    os.environ.setdefault("NEWSDESK_DATA_DIR", str(tmp / "data"))

    from elasticsearch import Elasticsearch

    from flows.ingestion import run_ingestion
    from search.embedding import Embedder, bundled_model_path
    from search.indexing import embedding_text

    client = Elasticsearch(es_url, request_timeout=120)
    prefix = f"bench-enc-{uuid.uuid4().hex[:6]}"
    fp32 = args.reuse or f"{prefix}-fp32"
    made: list[str] = [] if args.reuse else [fp32]
    sample = tmp / "window.jsonl"
    if args.smoke:
        n_articles = smoke_sample(4, sample)
        args.throughput_texts, args.rounds = 24, 1
    elif not args.reuse:
        n_articles = window_sample(args.start, args.end, sample)
    build: dict[str, Any] = {}
    try:
        if not args.reuse:
            with prefect_server():
                t, c = time.perf_counter(), cpu_now()
                report = run_ingestion([str(sample)], index=fp32, settings={"embedding_backend": "torch"})
                build = {
                    "wall_s": round(time.perf_counter() - t, 1),
                    "cpu_s_this_process": round(cpu_now() - c, 1),
                    "report": {k: report[k] for k in ("seen", "new", "duplicates", "chunks_written")},
                }
                print(f"built {fp32}: {build}", flush=True)
        chunks, articles = read_index(client, fp32)
        canon = {d: a for d, a in articles.items() if not a.get("canonical_doc_id")}
        n_articles = len(articles)
        texts = [embedding_text(c.get("title"), c["content"]) for c in chunks]
        print(f"{len(chunks)} chunks of {n_articles} articles", flush=True)

        model = str(bundled_model_path())
        backends = {
            "torch-fp32": Embedder(model, cache_size=0),
            "onnx-int8": Embedder(model, cache_size=0, backend="onnx-int8"),
        }
        sample_texts = texts[: args.throughput_texts]
        speed = throughput(backends, sample_texts, args.rounds)
        tok = backends["torch-fp32"].model.tokenizer
        max_len = int(backends["torch-fp32"].model.max_seq_length or 256)

        rows: dict[str, dict[str, Any]] = {}

        def add(
            name: str, alias: str, settings_kw: dict[str, Any], chunk_texts: list[str], note: str
        ) -> None:
            rows[name] = {
                "index": alias,
                "note": note,
                "chunks": len(chunk_texts),
                "tokens_per_article": round(tokens(tok, chunk_texts, max_len) / max(1, len(canon)), 1),
                "quality": evaluate(settings_kw, alias, questions, articles),
            }
            print(name, rows[name]["quality"], flush=True)

        if args.smoke:
            questions = [
                {"id": q["id"], "question": q["question"], "answers": [norm(a) for a in q["answer_text"]]}
                for q in smoke_questions(sample, 4)
            ]
        else:
            questions = window_questions(args.start, args.end)
        corpus_text = "\n".join(f"{a.get('title') or ''}\n{a.get('text') or ''}" for a in articles.values())
        answerable = [q for q in questions if contains_any(corpus_text, q["answers"])]
        n_all = len(questions)
        questions = answerable

        add("torch-fp32", fp32, {"embedding_backend": "torch"}, texts, "the default: as the flow built it")

        # int8: the same chunks, every text encoded by the int8 model (timed: the whole corpus).
        w, c = time.perf_counter(), cpu_now()
        vectors = backends["onnx-int8"].embed_documents(texts)
        full_int8 = {"wall_s": round(time.perf_counter() - w, 1), "cpu_s": round(cpu_now() - c, 1)}
        int8 = f"{prefix}-int8"
        made.append(int8)
        copy_index(
            client, fp32, int8, [{**ch, "embedding": v} for ch, v in zip(chunks, vectors, strict=True)], 384
        )
        add(
            "onnx-int8",
            int8,
            {"embedding_backend": "onnx-int8"},
            texts,
            "same chunks, int8 vectors and queries",
        )

        variants = [v.strip() for v in args.variants.split(",") if v.strip()]
        if "title" in variants:
            plain = [c["content"] for c in chunks]
            vecs = backends["torch-fp32"].embed_documents(plain)
            alias = f"{prefix}-notitle"
            made.append(alias)
            copy_index(
                client, fp32, alias, [{**ch, "embedding": v} for ch, v in zip(chunks, vecs, strict=True)], 384
            )
            add(
                "fp32, no title prefix",
                alias,
                {"embedding_backend": "torch"},
                plain,
                "same chunks, body only",
            )
        if "long" in variants:
            long_chunks = rechunk(chunks, articles, 1000, 1600)
            long_texts = [embedding_text(c.get("title"), c["content"]) for c in long_chunks]
            vecs = backends["torch-fp32"].embed_documents(long_texts)
            alias = f"{prefix}-long"
            made.append(alias)
            copy_index(
                client,
                fp32,
                alias,
                [{**ch, "embedding": v} for ch, v in zip(long_chunks, vecs, strict=True)],
                384,
            )
            add("fp32, chunks 1000/1600", alias, {"embedding_backend": "torch"}, long_texts, "re-chunked")
    finally:
        if not args.keep:
            for alias in made:
                client.indices.delete(index=f"{alias}*", ignore_unavailable=True, allow_no_indices=True)

    base, fast = rows["torch-fp32"]["quality"], rows["onnx-int8"]["quality"]
    speedup = round(speed["onnx-int8"]["texts_per_cpu_s"] / speed["torch-fp32"]["texts_per_cpu_s"], 2)
    loss = {
        m: {f"top{k}": round(100 * (base[m][f"top{k}"] - fast[m][f"top{k}"]), 2) for k in CUTOFFS}
        for m in MODES
    }
    holds = all(loss[m][f"top{k}"] <= POINTS_ALLOWED for m in MODES for k in (5, 10))
    decision = {
        "speedup_per_cpu_second": speedup,
        "speedup_needed": SPEEDUP_NEEDED,
        "points_lost": loss,
        "points_allowed_at_top5_top10": POINTS_ALLOWED,
        "int8_default": bool(speedup >= SPEEDUP_NEEDED and holds),
        "why": (
            "int8 is the default: fast enough and quality holds"
            if speedup >= SPEEDUP_NEEDED and holds
            else "int8 stays opt-in: "
            + ("; ".join(
                ([f"{speedup}x per CPU-second < {SPEEDUP_NEEDED}x"] if speedup < SPEEDUP_NEEDED else [])
                + ([f"loses more than {POINTS_ALLOWED} points at top 5/10: {loss}"] if not holds else [])
            ))
        ),
    }  # fmt: skip

    print_table(
        "Encoder throughput (same chunk texts, interleaved rounds, this process)",
        ["backend", "texts", "texts/s", "CPU s / 1k texts", "texts / CPU s"],
        [
            [n, s["texts"], s["texts_per_s"], s["cpu_s_per_1k"], s["texts_per_cpu_s"]]
            for n, s in speed.items()
        ],
    )
    table = []
    for name, r in rows.items():
        q = r["quality"]
        table.append(
            [name, r["chunks"], r["tokens_per_article"]] + [q[m][f"top{k}"] for m in MODES for k in CUTOFFS]
        )
    print_table(
        f"Encoder quality ({len(questions)} of {n_all} window quiz questions with the answer in the "
        f"{n_articles} articles; answer text in the top-k articles)",
        ["encoder / text", "chunks", "tokens/article", "sem top1", "sem top5", "sem top10",
         "hyb top1", "hyb top5", "hyb top10"],
        table,
    )  # fmt: skip
    print(f"\nDecision: {decision['why']} (int8: {speedup}x texts per CPU-second)")
    write_result(
        "encoder",
        {
            "machine": mach,
            "corpus": {
                "window": [args.start, args.end] if not args.smoke else "smoke sample",
                "articles": n_articles,
                "canonical_articles": len(canon),
                "chunks": len(chunks),
                "questions_in_window": n_all,
                "questions_answerable": len(questions),
            },
            "build_fp32_index": build,
            "versions": versions(["onnxruntime", "onnx", "tokenizers"]),
            "elasticsearch": {"url": es_url, "version": es_version(client)},
            "throughput": speed,
            "int8_whole_corpus": {**full_int8, "texts": len(texts)},
            "results": rows,
            "decision": decision,
        },
        args.smoke,
        args.out,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
