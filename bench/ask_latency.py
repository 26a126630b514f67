"""Ask latency as a user gets it: ``POST /ask`` over HTTP to ``newsdesk serve --workers N``.

``bench/eval_answers.py`` times ``answer_question`` on threads of one Python process, where the
interpreter lock lets one question compute at a time however many cores there are. A deployment
serves from ``newsdesk serve`` with one or more worker processes; this benchmark starts it over an
existing index for each worker count given (a fresh server each time, so no process starts with
cached query vectors), and sends the window's *test* quiz questions as of their quiz date:

* concurrency 1: the first ``--c1-questions`` test questions, one at a time;
* concurrency 8 (``--concurrency``): the next ``--cn-questions``, eight in flight (distinct from
  the concurrency-1 ones, so the server's query-vector cache never answers).

It prints p50/p95 latency and questions per second per worker count and concurrency, and writes
``bench/results/ask_latency.json``. Same index and questions for every row, in one run.

    .venv/bin/python bench/ask_latency.py --index bench-w24 --from 2024/03/01 --to 2024/04/30 --workers 1,2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import QUIZ, machine, percentile, print_table, require, write_result
from bench_query import start_api
from eval_answers import load_questions


def start_server(index: str, workers: int) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "NEWSDESK_INDEX": index}
    return start_api(env, workers)


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


async def ask_all(base: str, questions: list[dict[str, Any]], concurrency: int) -> dict[str, Any]:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    errors = 0

    async def one(client: httpx.AsyncClient, q: dict[str, Any]) -> None:
        nonlocal errors
        async with gate:
            t = time.perf_counter()
            try:
                r = await client.post(
                    f"{base}/ask", json={"question": q["question"], "as_of": q["as_of"].isoformat()}
                )
                ok = r.status_code == 200
            except httpx.HTTPError:
                ok = False
            latencies.append(1000 * (time.perf_counter() - t))
            errors += not ok

    t0 = time.perf_counter()
    async with httpx.AsyncClient(timeout=120) as client:
        await asyncio.gather(*(one(client, q) for q in questions))
    wall = time.perf_counter() - t0
    return {
        "questions": len(questions),
        "errors": errors,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "questions_per_s": round(len(questions) / wall, 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--from", dest="start", default="2024/03/01")
    ap.add_argument("--to", dest="end", default="2024/04/30")
    ap.add_argument("--workers", default="1,2", help="worker counts to compare, e.g. 1,2")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--c1-questions", type=int, default=30)
    ap.add_argument("--cn-questions", type=int, default=80)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    require(QUIZ)
    questions = load_questions(args.start, args.end)
    test = [q for q in questions if q["split"] == "test"]
    warm = [q for q in questions if q["split"] == "dev"][:6]
    c1 = test[: args.c1_questions]
    cn = test[args.c1_questions : args.c1_questions + args.cn_questions]
    if not c1 or not cn:
        sys.exit("not enough test questions in the window")

    rows: dict[str, Any] = {}
    for workers in [int(w) for w in args.workers.split(",")]:
        server, base = start_server(args.index, workers)
        try:
            asyncio.run(ask_all(base, warm, max(1, workers)))  # models loaded in every worker
            key = f"workers={workers}"
            rows[key] = {
                "c1": asyncio.run(ask_all(base, c1, 1)),
                f"c{args.concurrency}": asyncio.run(ask_all(base, cn, args.concurrency)),
            }
            print(key, rows[key], flush=True)
        finally:
            stop_server(server)
    table = [
        [key, conc, r["questions"], r["p50_ms"], r["p95_ms"], r["questions_per_s"], r["errors"]]
        for key, by_conc in rows.items()
        for conc, r in by_conc.items()
    ]
    print_table(
        f"POST /ask on {args.index} ({len(c1)} + {len(cn)} test questions, as of their quiz date)",
        ["server", "concurrency", "n", "p50 ms", "p95 ms", "questions/s", "errors"],
        table,
    )
    write_result(
        "ask_latency",
        {
            "machine": machine(),
            "index": args.index,
            "window": [args.start, args.end],
            "questions": {"c1": len(c1), f"c{args.concurrency}": len(cn)},
            "results": rows,
        },
        smoke=False,
        out=args.out,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
