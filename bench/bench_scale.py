"""Scale: seconds per article and peak RSS of the ingestion process at growing corpus sizes.

For each size, the first N articles (the scraped corpus, then Reuters-21578 appended when N is
larger than the scraped corpus) are ingested by ``newsdesk ingest FILE --json`` in a subprocess
into a fresh index; its wall time and its peak RSS (``ru_maxrss`` from ``os.wait4`` of that very
child) are recorded, and the run report's per-stage seconds. Goal: seconds per article flat within
1.2x across sizes, memory flat (streamed, not loaded whole).

Without ``--embed`` the runs skip embeddings (``--no-embed``): on a 2-core machine shared with other
work, 15k articles with embeddings take hours (~80k chunks at 10-30 chunks/s), and the embedding
cost per chunk does not depend on corpus size (bench_ingest measures it). Fixed costs (interpreter
start, imports, flow start) are in every run; ``s/article (flow)`` uses the flow's own total.

    .venv/bin/python bench/bench_scale.py                            # 1000, 5000, 15466 (no embed)
    .venv/bin/python bench/bench_scale.py --sizes 1000,5000,15466,37044   # + Reuters: 35k+
    .venv/bin/python bench/bench_scale.py --smoke                    # 3 and 6 articles (CI)

One Prefect server is started for the bench (startup reported separately) and passed to the
children with ``PREFECT_API_URL``. Indices ``bench-scale-*`` are deleted afterwards. Writes
``bench/results/scale.json``.
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
    REUTERS,
    SCRAPED,
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


def run_child(cmd: list[str], env: dict[str, str]) -> tuple[int, float, int, str, str]:
    """Run ``cmd``; returns (exit status, wall s, peak RSS in MB of that child, stdout, stderr)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return proc.returncode, wall, round(usage.ru_maxrss / 1024, 1), out.read(), err.read()


def summarise(rows: list[dict[str, Any]], scraped_articles: int) -> dict[str, Any]:
    """Flatness of the cost across sizes.

    Per article only within one corpus: past the scraped corpus the sample adds Reuters briefs,
    a few hundred words each, so seconds per article fall for reasons unrelated to scale. Seconds
    per chunk written compare across both (each article still costs its cleaning and lookup).
    """
    same = [r for r in rows if r["articles"] <= scraped_articles] or rows
    per = [r["s_per_article_flow"] or r["s_per_article"] for r in same]
    per_chunk = [(r["flow_s"] or r["wall_s"]) / r["chunks_written"] for r in rows if r["chunks_written"]]
    rss = [r["peak_rss_mb"] for r in rows]
    return {
        "s_per_article_max_over_min_scraped_only": ratio(max(per), min(per)),
        "ms_per_chunk": [round(1000 * x, 3) for x in per_chunk],
        "s_per_chunk_max_over_min": ratio(max(per_chunk), min(per_chunk)) if per_chunk else None,
        "peak_rss_max_over_min": ratio(max(rss), min(rss)),
        "peak_rss_largest_over_second_largest": ratio(rss[-1], rss[-2]) if len(rss) > 1 else None,
        "goal_per_article": "<= 1.2",
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,5000,15466")
    ap.add_argument("--embed", action="store_true", help="with embeddings (hours at 15k on 2 cores)")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    sizes = [3, 6] if args.smoke else [int(s) for s in args.sizes.split(",")]
    if not args.smoke:
        require(SCRAPED)
    mach = machine()
    es_url = os.environ.setdefault("NEWSDESK_ES_URL", "http://127.0.0.1:9200")
    from elasticsearch import Elasticsearch

    client = Elasticsearch(es_url, request_timeout=60)
    tmp = Path(tempfile.mkdtemp(prefix="newsdesk-bench-scale-"))
    prefix = f"bench-scale-{uuid.uuid4().hex[:8]}"
    rows: list[dict[str, Any]] = []
    try:
        with prefect_server() as prefect_info:
            print(f"prefect server ready in {prefect_info['startup_s']} s", flush=True)
            for size in sizes:
                sample = tmp / f"sample-{size}.jsonl"
                if args.smoke:
                    n = smoke_sample(size, sample)
                else:
                    corpora = [SCRAPED] + ([REUTERS] if REUTERS.exists() else [])
                    n = write_sample(corpora, size, sample)
                alias = f"{prefix}-{size}"
                env = {
                    **os.environ,
                    "PREFECT_API_URL": prefect_info["api_url"],
                    "NEWSDESK_DATA_DIR": str(tmp / f"data-{size}"),
                    "NEWSDESK_ES_URL": es_url,
                    "HF_HUB_OFFLINE": "1",
                    "TRANSFORMERS_OFFLINE": "1",
                }
                cmd = [
                    str(REPO / ".venv" / "bin" / "newsdesk"),
                    "ingest",
                    str(sample),
                    "--index",
                    alias,
                    "--json",
                ]
                if not args.embed:
                    cmd.append("--no-embed")
                print(f"size {n}: ingesting ...", flush=True)
                code, wall, rss_mb, out, err = run_child(cmd, env)
                if code != 0:
                    raise RuntimeError(f"ingest of {n} articles failed ({code}): {err[-2000:]}")
                report = json.loads(out[out.index("{") :])
                flow_s = report["seconds"].get("total")
                rows.append(
                    {
                        "articles": n,
                        "seen": report["seen"],
                        "chunks_written": report["chunks_written"],
                        "duplicates": report["duplicates"],
                        "quarantined": report["quarantined"],
                        "wall_s": round(wall, 2),
                        "s_per_article": round(wall / n, 5),
                        "flow_s": flow_s,
                        "s_per_article_flow": round(flow_s / n, 5) if flow_s else None,
                        "peak_rss_mb": rss_mb,
                        "stage_s": report["seconds"],
                        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
                    }
                )
                print(f"size {n}: {wall:.1f} s, peak RSS {rss_mb} MB", flush=True)
                client.indices.delete(index=f"{alias}*", ignore_unavailable=True, allow_no_indices=True)
    finally:
        client.indices.delete(index=f"{prefix}*", ignore_unavailable=True, allow_no_indices=True)

    summary = summarise(rows, scraped_articles=15_466)
    print_table(
        f"Scale: ingestion {'with' if args.embed else 'without'} embeddings, one subprocess per size",
        ["articles", "chunks", "wall s", "s/article", "flow s", "s/article (flow)", "peak RSS MB"],
        [
            [r["articles"], r["chunks_written"], r["wall_s"], r["s_per_article"], r["flow_s"],
             r["s_per_article_flow"], r["peak_rss_mb"]]
            for r in rows
        ],
    )  # fmt: skip
    print_table("Flatness", ["measure", "value"], [[k, v] for k, v in summary.items()])
    write_result(
        "scale",
        {
            "machine": mach,
            "corpus": {
                "paths": [SCRAPED.name, REUTERS.name],
                "order": "scraped first, then Reuters",
                "embed": args.embed,
            },
            "versions": versions(),
            "elasticsearch": {"url": es_url, "version": es_version(client)},
            "settings": {"prefect_server": prefect_info},
            "sizes": rows,
            "summary": summary,
        },
        args.smoke,
        args.out,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
