"""What a user waits for: wall time and peak memory of ``newsdesk`` commands, stack up vs in-process.

Each command is a fresh ``newsdesk`` process, as a user types it. Side by side in one run:

* **stack**: ``newsdesk up`` is running (Prefect server, API, worker with the model loaded):
  ``search`` and ``ask`` go to the API over HTTP, ``ingest`` submits a run to the worker and
  follows it;
* **in-process** (how every command ran before the stack): ``NEWSDESK_API_URL=`` (no API) and no
  Prefect server to find, so the command imports the search stack (and torch for semantic, hybrid
  and ask) and ``ingest`` starts a temporary Prefect server for its one flow run.

Measured per command: wall time (median and max of ``--reps`` runs) and peak RSS of the CLI process
itself (sampled every 20 ms with psutil; the temporary Prefect server of an in-process ingest is a
child and shown as "tree" peak). ``newsdesk up`` is timed from nothing running (cold: Elasticsearch
too) and with Elasticsearch already up. Indices: the seed article (embedded, through the stack) and,
with ``--big-index``, an index built beforehand (e.g. the 15k scraped articles) — the API is
restarted on that index (``down --keep-es``, ``up``).

    .venv/bin/python bench/bench_cli.py --reps 5 --big-index bench-scraped-kw
    .venv/bin/python bench/bench_cli.py --smoke     # seed index only, 1 rep

Uses its own ``NEWSDESK_DATA_DIR`` (``--data-dir``, default /tmp/newsdesk-bench-cli), the default
ports (4200, 8000, 9200) and stops what it started at the end. Writes ``bench/results/cli_latency.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, iter_jsonl, machine, print_table, versions, write_result

CLI = [sys.executable, "-m", "flows.cli"]
CORPUS = REPO.parent / "shared" / "data" / "scraped_news_2023_2024.jsonl.gz"
BBC = REPO.parent / "shared" / "data" / "bbc_news.jsonl"
GOALS = {  # issue 16: (seconds, MB) with the stack up
    "search keyword": (1.5, 150),
    "search hybrid": (2.0, None),
    "ask": (2.5, None),
    "ingest unchanged file": (4.0, None),
    "ingest one new article": (6.0, None),
    "up (cold)": (60.0, None),
}


def measure(args: list[str], env: dict[str, str], timeout: float = 600) -> dict[str, Any]:
    """Run one CLI command; its wall time, exit code and peak RSS (own and process tree)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*CLI, *args], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak_own = peak_tree = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_own, peak_tree
        try:
            ps = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            return
        while not done.is_set():
            try:
                own = ps.memory_info().rss
                tree = own + sum(c.memory_info().rss for c in ps.children(recursive=True))
            except psutil.Error:
                break
            peak_own, peak_tree = max(peak_own, own), max(peak_tree, tree)
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate(timeout=timeout)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if proc.returncode != 0:
        print(f"  ! {' '.join(args)} exited {proc.returncode}: {err.strip()[-400:]}", file=sys.stderr)
    return {
        "wall_s": wall,
        "rc": proc.returncode,
        "rss_mb": peak_own / 2**20,
        "tree_rss_mb": peak_tree / 2**20,
        "stderr_tail": err.strip()[-300:],
        "stdout_head": out[:300],
    }


def summary(samples: list[dict[str, Any]]) -> dict[str, Any]:
    walls = [s["wall_s"] for s in samples]
    return {
        "runs": len(samples),
        "failed": sum(1 for s in samples if s["rc"] != 0),
        "wall_median_s": statistics.median(walls),
        "wall_max_s": max(walls),
        "rss_max_mb": max(s["rss_mb"] for s in samples),
        "tree_rss_max_mb": max(s["tree_rss_mb"] for s in samples),
        "samples": samples,
    }


def article_file(dirpath: Path, n: int, skip: int) -> Path:
    """A one-article JSONL that is in neither index (a different BBC article for every call).

    Not from the scraped corpus: the big index holds it, so its articles would be folded as
    copies of what is indexed (no chunks embedded) and measure something else.
    """
    usable = (r for r in iter_jsonl(BBC) if len(str(r.get("text") or r.get("content") or "")) > 500)
    for i, rec in enumerate(usable):
        if i == skip + n:
            path = dirpath / f"new-{skip + n}.jsonl"
            rec = {**rec, "id": f"bench-cli-{skip + n}-{time.time_ns()}"}
            path.write_text(json.dumps(rec) + "\n")
            return path
    raise SystemExit("BBC set too short")


def run_commands(
    index: str,
    env_stack: dict[str, str],
    env_local: dict[str, str],
    reps: int,
    work: Path,
    questions: list[str],
    query: str,
    ingest_file: Path,
    new_offset: int,
) -> dict[str, Any]:
    """The query and ingest commands on one index, stack and in-process, interleaved per rep."""
    commands = {
        "search keyword": ["search", query, "--mode", "keyword", "--json"],
        "search hybrid": ["search", query, "--mode", "hybrid", "--json"],
        "ask": ["ask", questions[0], "--json"],
        "ingest unchanged file": ["ingest", str(ingest_file), "--json"],
    }
    results: dict[str, Any] = {}
    for name, args in commands.items():
        stack, local = [], []
        for r in range(reps):
            if name == "ask":
                args = ["ask", questions[r % len(questions)], "--json"]
            stack.append(measure(args, {**env_stack, "NEWSDESK_INDEX": index}))
            local.append(measure(args, {**env_local, "NEWSDESK_INDEX": index}))
        results[name] = {"stack": summary(stack), "in_process": summary(local)}
        print(
            f"  {index}: {name}: stack {results[name]['stack']['wall_median_s']:.2f}s, "
            f"in-process {results[name]['in_process']['wall_median_s']:.2f}s",
            flush=True,
        )
    stack, local = [], []
    for r in range(reps):
        stack.append(
            measure(
                ["ingest", str(article_file(work, 2 * r, new_offset)), "--json"],
                {**env_stack, "NEWSDESK_INDEX": index},
            )
        )
        local.append(
            measure(
                ["ingest", str(article_file(work, 2 * r + 1, new_offset)), "--json"],
                {**env_local, "NEWSDESK_INDEX": index},
            )
        )
    results["ingest one new article"] = {"stack": summary(stack), "in_process": summary(local)}
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--big-index", default=None, help="an existing index to measure too (e.g. 15k articles)")
    ap.add_argument("--data-dir", default="/tmp/newsdesk-bench-cli")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    reps = 1 if args.smoke else args.reps
    work = Path(args.data_dir) / "inputs"
    work.mkdir(parents=True, exist_ok=True)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "NEWSDESK_"))}
    base.update(NEWSDESK_DATA_DIR=args.data_dir, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    seed_index = "bench-cli-seed"
    env_stack = {**base, "NEWSDESK_INDEX": seed_index}
    # In-process: no API to ask, and no Prefect server to find (a port where nothing listens).
    env_local = {**base, "NEWSDESK_API_URL": "", "NEWSDESK_PREFECT_PORT": "9"}
    seed_file = work / "seed.txt"
    seed_file.write_text((REPO / "seeds" / "iraq-isis-qaim-2017-11-05.txt").read_text())

    report: dict[str, Any] = {"machine": machine(), "versions": versions(), "reps": reps, "up": {}}
    subprocess.run([*CLI, "down"], cwd=REPO, env=env_stack, capture_output=True, timeout=300)
    cold = measure(["up"], env_stack)
    warm_es = None
    report["up"]["cold"] = cold
    print(f"up (cold, nothing running): {cold['wall_s']:.1f}s", flush=True)
    if not args.smoke:
        subprocess.run([*CLI, "down", "--keep-es"], cwd=REPO, env=env_stack, capture_output=True, timeout=300)
        warm_es = measure(["up"], env_stack)
        report["up"]["elasticsearch_running"] = warm_es
        print(f"up (Elasticsearch already running): {warm_es['wall_s']:.1f}s", flush=True)
    again = measure(["up"], env_stack)
    report["up"]["already_up"] = again
    first = measure(["ingest", str(seed_file), "--json"], env_stack)  # the seed, embedded, via the worker
    assert first["rc"] == 0, first["stderr_tail"]

    indices = {seed_index: (["who holds Qaim?", "who proclaimed victory in Qaim?"], "Qaim border")}
    report["indices"] = {}
    report["indices"][seed_index] = run_commands(
        seed_index, env_stack, env_local, reps, work, *indices[seed_index], seed_file, 0
    )
    if args.big_index:
        subprocess.run([*CLI, "down", "--keep-es"], cwd=REPO, env=env_stack, capture_output=True, timeout=300)
        env_big = {**base, "NEWSDESK_INDEX": args.big_index}
        up_big = measure(["up"], env_big)
        assert up_big["rc"] == 0, up_big["stderr_tail"]
        quiz = [json.loads(line) for line in (CORPUS.parent / "news_quiz_questions_2023_2024.jsonl").open()][
            :reps
        ]
        questions = [q.get("question") or q.get("q") for q in quiz]
        report["indices"][args.big_index] = run_commands(
            args.big_index, env_big, env_local, reps, work, questions, "Gaza ceasefire talks", seed_file, 100
        )
    subprocess.run([*CLI, "down"], cwd=REPO, env=env_stack, capture_output=True, timeout=300)

    rows = []
    for index, res in report["indices"].items():
        for name, both in res.items():
            s, loc = both["stack"], both["in_process"]
            goal_s, goal_mb = GOALS[name]
            ok = (
                s["wall_median_s"] <= goal_s
                and (goal_mb is None or s["rss_max_mb"] <= goal_mb)
                and not s["failed"]
            )
            rows.append(
                [
                    index,
                    name,
                    s["wall_median_s"],
                    s["wall_max_s"],
                    s["rss_max_mb"],
                    loc["wall_median_s"],
                    loc["rss_max_mb"],
                    loc["tree_rss_max_mb"],
                    f"<= {goal_s}s" + (f", {goal_mb} MB" if goal_mb else ""),
                    "yes" if ok else "NO",
                ]
            )
    rows.append(
        [
            "-",
            "up (cold)",
            cold["wall_s"],
            cold["wall_s"],
            cold["rss_mb"],
            None,
            None,
            None,
            "<= 60s",
            "yes" if cold["wall_s"] <= 60 and cold["rc"] == 0 else "NO",
        ]
    )
    if warm_es:
        rows.append(
            [
                "-",
                "up (ES running)",
                warm_es["wall_s"],
                warm_es["wall_s"],
                warm_es["rss_mb"],
                None,
                None,
                None,
                "",
                "",
            ]
        )
    rows.append(
        ["-", "up (already up)", again["wall_s"], again["wall_s"], again["rss_mb"], None, None, None, "", ""]
    )
    print_table(
        "newsdesk CLI: stack up vs in-process (fresh process per command)",
        [
            "index",
            "command",
            "stack median s",
            "stack max s",
            "stack RSS MB",
            "in-process median s",
            "in-process RSS MB",
            "in-process tree MB",
            "goal (stack)",
            "met",
        ],
        rows,
    )
    report["table"] = rows
    write_result("cli_latency", report, args.smoke, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
