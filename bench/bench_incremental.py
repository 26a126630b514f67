"""Incremental cost: a second ingestion run over an unchanged corpus vs the first run.

Runs ``flows.ingestion.ingest_flow`` twice on the same first-N articles of the scraped corpus into a
fresh index (same data dir, so learned boilerplate is kept like in a real deployment), and reports
wall time of each run, the per-stage seconds from the run report and the ratio second/first. Goal:
<= 5%. The first run embeds (``--no-embed`` to skip); the second finds every article unchanged by
content hash and pipeline version and writes nothing.

Both runs are in this process against one Prefect server started for the bench (its startup is
reported separately), after an untimed warm-up run on the first 4 articles (the embedding cache is
cleared after it); the embedding model is loaded before timing. Also times the same two runs as
``newsdesk ingest --json`` subprocesses (``--cli``), which adds interpreter start, imports and
model load to both.

    .venv/bin/python bench/bench_incremental.py                # N=200, with embeddings
    .venv/bin/python bench/bench_incremental.py --smoke        # 2 articles (CI)

Writes ``bench/results/incremental.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    REPO,
    SCRAPED,
    cpu_seconds_self,
    es_version,
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

COUNTS = ("seen", "new", "updated", "unchanged", "duplicates", "quarantined", "chunks_written")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=SCRAPED)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--no-embed", action="store_true")
    ap.add_argument("--cli", action="store_true", help="also time both runs as CLI subprocesses")
    ap.add_argument("--smoke", action="store_true", help="2 articles (CI)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.smoke:
        args.n = min(args.n, 2)
    else:
        require(args.data)
    mach = machine()
    es_url = os.environ.setdefault("NEWSDESK_ES_URL", "http://127.0.0.1:9200")
    embed = not args.no_embed

    from elasticsearch import Elasticsearch

    from flows.ingestion import ingest_flow
    from search.embedding import get_embedder
    from search.settings import SearchSettings

    client = Elasticsearch(es_url, request_timeout=60)
    tmp = Path(tempfile.mkdtemp(prefix="newsdesk-bench-incr-"))
    sample = tmp / "sample.jsonl"
    n = smoke_sample(args.n, sample) if args.smoke else write_sample([args.data], args.n, sample)
    prefix = f"bench-incr-{uuid.uuid4().hex[:8]}"
    if embed:
        get_embedder(SearchSettings()).clear_cache()

    runs: list[dict[str, Any]] = []
    cli_runs: list[dict[str, Any]] = []
    try:
        with prefect_server() as prefect_info:
            print(f"prefect server ready in {prefect_info['startup_s']} s", flush=True)
            warm = tmp / "warm.jsonl"
            smoke_sample(1, warm) if args.smoke else write_sample([args.data], 4, warm)
            os.environ["NEWSDESK_DATA_DIR"] = str(tmp / "data-warm")
            ingest_flow([str(warm)], embed=embed, index=f"{prefix}-warm")
            if embed:  # the warm-up articles are the sample's first ones: no cached vectors in run 1
                get_embedder(SearchSettings()).clear_cache()

            alias = f"{prefix}-flow"
            os.environ["NEWSDESK_DATA_DIR"] = str(tmp / "data")
            for i in range(2):
                c0, t0 = cpu_seconds_self(), time.perf_counter()
                report = ingest_flow([str(sample)], embed=embed, index=alias)
                wall = time.perf_counter() - t0
                runs.append(
                    {
                        "run": i + 1,
                        "wall_s": round(wall, 3),
                        "cpu_s": round(cpu_seconds_self() - c0, 3),
                        **{k: report[k] for k in COUNTS},
                        "stage_s": report["seconds"],
                    }
                )
                print(f"run {i + 1}: {wall:.1f} s", flush=True)

            if args.cli:
                alias_cli = f"{prefix}-cli"
                env = {
                    **os.environ,
                    "NEWSDESK_DATA_DIR": str(tmp / "data-cli"),
                    "NEWSDESK_INDEX": alias_cli,
                    # the harness sets the URL as a Prefect setting, not in os.environ: pass it on,
                    # or each CLI run starts its own temporary server (10-20 s)
                    "PREFECT_API_URL": prefect_info["api_url"],
                }
                cmd = [str(REPO / ".venv" / "bin" / "newsdesk"), "ingest", str(sample), "--json"]
                cmd += [] if embed else ["--no-embed"]
                for i in range(2):
                    t0 = time.perf_counter()
                    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, check=True)
                    wall = time.perf_counter() - t0
                    report = json.loads(proc.stdout[proc.stdout.index("{") :])
                    cli_runs.append(
                        {
                            "run": i + 1,
                            "wall_s": round(wall, 3),
                            **{k: report[k] for k in COUNTS},
                            "stage_s": report["seconds"],
                        }
                    )
                    print(f"cli run {i + 1}: {wall:.1f} s", flush=True)
    finally:
        client.indices.delete(index=f"{prefix}*", ignore_unavailable=True, allow_no_indices=True)

    r_flow = ratio(runs[1]["wall_s"], runs[0]["wall_s"])
    r_cli = ratio(cli_runs[1]["wall_s"], cli_runs[0]["wall_s"]) if cli_runs else None
    rows = [["flow", *(r["wall_s"] for r in runs), r_flow, runs[1]["unchanged"], runs[1]["chunks_written"]]]
    if cli_runs:
        rows.append(
            [
                "cli",
                *(r["wall_s"] for r in cli_runs),
                r_cli,
                cli_runs[1]["unchanged"],
                cli_runs[1]["chunks_written"],
            ]
        )
    print_table(
        f"Incremental: second run over {n} unchanged scraped articles "
        f"({'with' if embed else 'no'} embeddings)",
        ["how", "first s", "second s", "second/first", "2nd unchanged", "2nd chunks written"],
        rows,
    )
    print_table(
        "Second run stages (s)", ["stage", "seconds"], [[k, v] for k, v in runs[1]["stage_s"].items()]
    )
    goal = {"value": r_flow, "goal": "<= 0.05", "met": r_flow is not None and r_flow <= 0.05}
    print(f"\nsecond/first = {r_flow} (goal <= 0.05: {'met' if goal['met'] else 'not met'})")
    write_result(
        "incremental",
        {
            "machine": mach,
            "corpus": {"path": args.data.name, "articles": n, "first_n": True, "embed": embed},
            "versions": versions(),
            "elasticsearch": {"url": es_url, "version": es_version(client)},
            "settings": {"prefect_server": prefect_info},
            "runs": runs,
            "cli_runs": cli_runs,
            "ratio_second_over_first": r_flow,
            "ratio_second_over_first_cli": r_cli,
            "goal": goal,
        },
        args.smoke,
        args.out,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
