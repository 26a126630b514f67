"""Bounded load on loopback: mixed search/ask traffic against a real `newsdesk serve` process.

Starts ``python -m flows.cli serve`` on 127.0.0.1 (a free port) over an existing index, waits for
it to answer, then runs ``--concurrency`` asyncio clients (httpx) for ``--seconds`` (and at most
``--max-requests``), each picking a request at random: keyword/semantic/hybrid searches and
``/ask`` questions in the ratio given by ``--ask-share``, every text distinct (no cache hits).
Reports throughput, errors (any non-200 or
transport error), latency percentiles per kind, and the server's RSS sampled every second (memory
is stable when the last third's peak is close to the first third's). Writes
``bench/results/load_test.json``.

    .venv/bin/python -m bench.load_test --index bbc --seconds 60 --concurrency 16
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil

from flows.ports import free_port

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "load_test.json"
QUERIES = [
    "election results", "bank interest rates", "football transfer", "mobile phone market", "film awards",
    "oil prices", "tony blair", "economy growth", "music album sales", "tennis open", "broadband internet",
    "unemployment figures", "rugby six nations", "video games", "tax cuts", "stock market shares",
    "chelsea manager", "housing market", "airline profits", "new film release",
]  # fmt: skip
QUESTIONS = [
    "who won the election?", "what happened to oil prices?", "who is the chelsea manager?",
    "what did the bank do with interest rates?", "who won the best film award?",
    "how fast is the economy growing?",
]  # fmt: skip


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


async def client_loop(base: str, stop_at: float, budget: list[int], ask_share: float, rng, out: dict) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        while time.monotonic() < stop_at and budget[0] > 0:
            budget[0] -= 1
            n = budget[0]  # every text is distinct: the embedder's cache never answers a repeat
            if rng.random() < ask_share:
                question = f"{rng.choice(QUESTIONS)[:-1]} in {2000 + n % 10} ({n})?"
                kind, req = "ask", client.post("/ask", json={"question": question})
            else:
                mode = rng.choice(["keyword", "semantic", "hybrid"])
                kind = f"search-{mode}"
                q = f"{rng.choice(QUERIES)} {rng.choice(QUERIES).split()[-1]} {n}"
                req = client.get("/search", params={"q": q, "mode": mode, "top_k": 10})
            t = time.perf_counter()
            try:
                r = await req
                ok = r.status_code == 200
                err = None if ok else f"HTTP {r.status_code}: {r.text[:200]}"
            except httpx.HTTPError as exc:
                ok, err = False, f"{type(exc).__name__}: {exc}"
            out.setdefault(kind, []).append(time.perf_counter() - t)
            if not ok:
                out.setdefault("errors", []).append(err)


async def sample_rss(pid: int, stop_at: float, samples: list) -> None:
    proc = psutil.Process(pid)
    t0 = time.monotonic()
    while time.monotonic() < stop_at:
        try:
            rss = sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
            samples.append((round(time.monotonic() - t0, 1), rss))
        except psutil.Error:
            pass
        await asyncio.sleep(1)


async def run_load(base: str, pid: int, args) -> dict:
    rng = random.Random(args.seed)
    stop_at = time.monotonic() + args.seconds
    budget = [args.max_requests]
    lat: dict = {}
    samples: list = []
    t = time.perf_counter()
    await asyncio.gather(
        sample_rss(pid, stop_at, samples),
        *[
            client_loop(base, stop_at, budget, args.ask_share, random.Random(rng.random()), lat)
            for _ in range(args.concurrency)
        ],
    )
    wall = time.perf_counter() - t
    errors = lat.pop("errors", [])
    every = [x for v in lat.values() for x in v]
    third = max(1, len(samples) // 3)
    mib = [s[1] / 2**20 for s in samples]
    return {
        "seconds": round(wall, 1),
        "concurrency": args.concurrency,
        "requests": len(every),
        "errors": len(errors),
        "error_examples": errors[:5],
        "throughput_rps": round(len(every) / wall, 1),
        "latency_ms": {
            kind: {
                "n": len(v),
                "p50": round(pct(v, 50) * 1000, 1),
                "p95": round(pct(v, 95) * 1000, 1),
                "p99": round(pct(v, 99) * 1000, 1),
                "mean": round(statistics.fmean(v) * 1000, 1),
            }
            for kind, v in sorted({**lat, "all": every}.items())
        },
        "server_rss_mib": {
            "start": round(mib[0], 1) if mib else None,
            "peak_first_third": round(max(mib[:third]), 1) if mib else None,
            "peak_last_third": round(max(mib[-third:]), 1) if mib else None,
            "end": round(mib[-1], 1) if mib else None,
            "samples": [(s[0], round(s[1] / 2**20, 1)) for s in samples[:: max(1, len(samples) // 30)]],
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", default=None, help="alias to query (default NEWSDESK_INDEX)")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--max-requests", type=int, default=100_000)
    ap.add_argument("--ask-share", type=float, default=0.2)
    ap.add_argument("--warmup-requests", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()

    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    if args.index:
        env["NEWSDESK_INDEX"] = args.index
    server = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise SystemExit("server did not become healthy in 120 s")
        for i in range(args.warmup_requests):  # model loaded, caches warm: measure the steady state
            httpx.get(f"{base}/search", params={"q": QUERIES[i % len(QUERIES)], "mode": "hybrid"}, timeout=60)
        result = asyncio.run(run_load(base, server.pid, args))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "target": "newsdesk serve (1 uvicorn worker) on 127.0.0.1",
        "index": args.index or os.environ.get("NEWSDESK_INDEX", "news"),
        "mix": f"{1 - args.ask_share:.0%} search (keyword/semantic/hybrid evenly), {args.ask_share:.0%} ask",
        "cpu_cores": os.cpu_count(),
        **result,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "server_rss_mib"}, indent=2))
    print("server RSS MiB:", {k: v for k, v in result["server_rss_mib"].items() if k != "samples"})
    if result["errors"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
