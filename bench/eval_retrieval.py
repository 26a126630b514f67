"""Retrieval quality on the scraped corpus with the news-quiz questions (issue 6).

The quiz has no gold article ids, so a question counts as answered by a ranking when one of its
``answer_text`` strings occurs (case- and space-insensitive) in the text of one of the top 1 / 5 / 10
articles returned by ``Searcher.search`` (keyword, semantic, hybrid; one hit per article). For
``ask``, when it occurs in the answer or in the first evidence sentence.

Ceiling: a question whose answer text occurs in no article of the index cannot be found by any
mode; the share that does occur somewhere (a ``match_phrase`` on the chunk text, then the same
substring check on the returned chunks) bounds every row and is reported as ``ceiling``. Short
answers ("Yes", a number) occur by chance, so the numbers are an upper bound on true answering.

    .venv/bin/python bench/eval_retrieval.py --index bench-scraped --limit 300
    .venv/bin/python bench/eval_retrieval.py --index bench-scraped-kw --keyword-only --limit 300
    .venv/bin/python bench/eval_retrieval.py --smoke     # 3-article index, 4 questions (CI)

Writes ``bench/results/retrieval_eval.json``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    QUIZ,
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

SEARCH_MODES = ("keyword", "semantic", "hybrid")
CUTOFFS = (1, 5, 10)


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip().casefold()


def contains_any(text: str, answers: list[str]) -> bool:
    t = norm(text)
    return any(a and a in t for a in answers)


def load_questions(limit: int | None) -> list[dict[str, Any]]:
    out = []
    for rec in iter_jsonl(QUIZ):
        answers = rec.get("answer_text") or []
        if isinstance(answers, str):
            answers = [answers]
        answers = [norm(a) for a in answers if norm(a)]
        if rec.get("question") and answers:
            out.append({"id": rec.get("question_id"), "question": rec["question"], "answers": answers})
        if limit and len(out) >= limit:
            break
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", default="bench-scraped")
    ap.add_argument("--limit", type=int, default=300, help="first N quiz questions (0: all 2,917)")
    ap.add_argument(
        "--keyword-only",
        action="store_true",
        help="keyword search and keyword-mode ask only (for an index built with --no-embed)",
    )
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    modes = ("keyword",) if args.keyword_only else SEARCH_MODES
    ask_mode = "keyword" if args.keyword_only else "hybrid"
    if not args.smoke:
        require(QUIZ)
    mach = machine()
    es_url = os.environ.setdefault("NEWSDESK_ES_URL", "http://127.0.0.1:9200")

    from elasticsearch import Elasticsearch

    from search.ask import answer_question
    from search.retrieval import Searcher
    from search.settings import SearchSettings
    from search.store import articles_alias

    client = Elasticsearch(es_url, request_timeout=60)
    built = None
    if args.smoke:
        args.limit = min(args.limit or 4, 4)
        built = args.index = f"bench-eval-smoke-{uuid.uuid4().hex[:8]}"
        tmp = Path(tempfile.mkdtemp(prefix="newsdesk-bench-eval-"))
        smoke_sample(3, tmp / "sample.jsonl")
        os.environ["NEWSDESK_DATA_DIR"] = str(tmp / "data")
        from flows.ingestion import ingest_flow

        with prefect_server():
            ingest_flow([str(tmp / "sample.jsonl")], embed=True, index=built)

    try:
        art_alias = articles_alias(args.index)
        n_articles = client.count(index=art_alias)["count"]
        if not n_articles:
            sys.exit(f"index {args.index!r} is empty or missing")
        settings = SearchSettings(es_url=es_url, index=args.index)
        searcher = Searcher(settings)
        if args.smoke:
            questions = [
                {
                    "id": q["id"],
                    "question": q["question"],
                    "answers": [norm(a) for a in q["answer_text"] if norm(a)],
                }
                for q in smoke_questions(tmp / "sample.jsonl", args.limit)
            ]
        else:
            questions = load_questions(args.limit or None)
        # untimed warm-up: model load, pipelines built, connections open
        for mode in modes:
            searcher.search("warm up", mode=mode, top_k=10)
        answer_question("who won the warm up?", searcher, mode=ask_mode)
        text_cache: dict[str, str] = {}

        def texts(doc_ids: list[str]) -> dict[str, str]:
            missing = [d for d in doc_ids if d not in text_cache]
            if missing:
                resp = client.mget(index=art_alias, ids=missing, source_includes=["text", "title"])
                for d in resp["docs"]:
                    src = d.get("_source") or {}
                    text_cache[d["_id"]] = f"{src.get('title') or ''}\n{src.get('text') or ''}"
            return {d: text_cache.get(d, "") for d in doc_ids}

        counts: dict[str, dict[int, int]] = {m: dict.fromkeys(CUTOFFS, 0) for m in modes}
        ask_hits = ask_answered = ceiling = 0
        seconds: dict[str, float] = dict.fromkeys((*modes, "ask"), 0.0)
        per_question = []
        for i, q in enumerate(questions):
            row: dict[str, Any] = {"id": q["id"]}
            # ceiling: does the answer occur in any article of the index?
            found = False
            for a in q["answers"]:
                resp = client.search(
                    index=args.index,
                    query={"match_phrase": {"content": a}},
                    size=20,
                    source_includes=["content"],
                )
                if any(contains_any(h["_source"].get("content") or "", [a]) for h in resp["hits"]["hits"]):
                    found = True
                    break
            ceiling += found
            row["in_index"] = found
            for mode in modes:
                t = time.perf_counter()
                hits = searcher.search(q["question"], mode=mode, top_k=max(CUTOFFS))
                seconds[mode] += time.perf_counter() - t
                ids = [h.doc_id for h in hits]
                by_id = texts(ids)
                first = next((r for r, d in enumerate(ids, 1) if contains_any(by_id[d], q["answers"])), None)
                row[mode] = first
                for k in CUTOFFS:
                    counts[mode][k] += bool(first and first <= k)
            t = time.perf_counter()
            ans = answer_question(q["question"], searcher, mode=ask_mode)
            seconds["ask"] += time.perf_counter() - t
            ask_answered += ans.answered
            evidence = ans.evidence[0].sentence if ans.evidence else ""
            ok = contains_any(f"{ans.answer}\n{evidence}", q["answers"])
            ask_hits += ok
            row["ask"] = ok
            per_question.append(row)
            if (i + 1) % 25 == 0:
                print(f"{i + 1}/{len(questions)} questions", flush=True)
    finally:
        if built:
            client.indices.delete(index=f"{built}*", ignore_unavailable=True, allow_no_indices=True)

    n = len(questions)

    def share(x: int) -> float:
        return round(x / n, 3) if n else 0.0

    table = {m: {f"top{k}": share(counts[m][k]) for k in CUTOFFS} for m in modes}
    rows = [
        [m, *(table[m][f"top{k}"] for k in CUTOFFS), round(1000 * seconds[m] / max(n, 1), 1)] for m in modes
    ]
    rows.append(
        [
            "ask (answer or 1st evidence)",
            share(ask_hits),
            None,
            None,
            round(1000 * seconds["ask"] / max(n, 1), 1),
        ]
    )
    rows.append(
        ["ceiling (answer text in any article)", share(ceiling), share(ceiling), share(ceiling), None]
    )
    print_table(
        f"Retrieval: share of {n} quiz questions whose answer text is in the top-k articles, "
        f"index {args.index} ({n_articles} articles)",
        ["mode", "top1", "top5", "top10", "ms/query"],
        rows,
    )
    write_result(
        "retrieval_eval_keyword" if args.keyword_only else "retrieval_eval",
        {
            "machine": mach,
            "modes": list(modes),
            "ask_mode": ask_mode,
            "corpus": {
                "index": args.index,
                "articles": n_articles,
                "questions": n,
                "question_file": QUIZ.name,
            },
            "versions": versions(),
            "elasticsearch": {"url": es_url, "version": es_version(client)},
            "results": {
                "search": table,
                "ask": {"answer_or_first_evidence": share(ask_hits), "answered": share(ask_answered)},
                "ceiling_answer_in_index": share(ceiling),
                "ms_per_query": {k: round(1000 * v / max(n, 1), 1) for k, v in seconds.items()},
            },
            "per_question": per_question,
        },
        args.smoke,
        args.out,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
