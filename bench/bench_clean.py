"""Cleaning throughput on the scraped corpus: documents per second on one core.

Measures, in one process pinned to one CPU core:
* ``load``: reading + decoding + JSON parsing of the ``.jsonl.gz`` (``ingest.loaders``);
* ``learn``: the per-source boilerplate learning pass (``SourceProfiles.observe``);
* ``clean (rules)`` and ``clean (rules+learned)``: ``clean_record`` per document (extraction is not
  involved: the corpus is text), with per-document latency percentiles;
* ``clean HTML pages``: extraction + cleaning of the HTML fixture pages (the corpus has no HTML).

Prints a table and writes ``bench/results/cleaning_throughput.json`` with the machine, corpus and
package versions.

    .venv/bin/python bench/bench_clean.py            # whole corpus (15,466 docs, a few minutes)
    .venv/bin/python bench/bench_clean.py --limit 2000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ingest.cleaning import clean_record  # noqa: E402
from ingest.learned import SourceProfiles  # noqa: E402
from ingest.loaders import iter_records  # noqa: E402
from ingest.models import IngestError, RawRecord  # noqa: E402

CORPUS = REPO.parent / "shared" / "data" / "scraped_news_2023_2024.jsonl.gz"
RESULTS = REPO / "bench" / "results" / "cleaning_throughput.json"
HTML_PAGES = REPO / "tests" / "fixtures" / "html_extraction"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def clean_all(records: list[RawRecord], profiles: SourceProfiles | None) -> dict:
    latencies = []
    errors = removed = 0
    t0 = time.perf_counter()
    for rec in records:
        t = time.perf_counter()
        try:
            article = clean_record(rec, profiles)
            removed += len(article.removed)
        except IngestError:
            errors += 1
        latencies.append(time.perf_counter() - t)
    secs = time.perf_counter() - t0
    latencies.sort()
    return {
        "documents": len(records),
        "seconds": round(secs, 2),
        "docs_per_s": round(len(records) / secs, 1),
        "p50_ms": round(1000 * statistics.median(latencies), 2),
        "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 2),
        "max_ms": round(1000 * latencies[-1], 1),
        "errors": errors,
        "removals": removed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--limit", type=int, default=0, help="only the first N documents (0 = all)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if not args.corpus.exists():
        sys.exit(f"corpus not found: {args.corpus}")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    t0 = time.perf_counter()
    records = []
    for item in iter_records([args.corpus]):
        if isinstance(item, RawRecord):
            records.append(item)
            if args.limit and len(records) >= args.limit:
                break
    load_s = time.perf_counter() - t0
    total_chars = sum(len(r.text or "") for r in records)

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        profiles = SourceProfiles.load(Path(tmp))
        profiles.observe_many(records)
        learn_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        profiles.save()
        save_s = time.perf_counter() - t1
        rules = clean_all(records, None)
        learned = clean_all(records, profiles)

    html_pages = [p.read_text(encoding="utf-8") for p in sorted(HTML_PAGES.glob("*.html"))]
    html_runs = max(1, 200 // max(1, len(html_pages)))
    t0 = time.perf_counter()
    for _ in range(html_runs):
        for i, page in enumerate(html_pages):
            clean_record(RawRecord(origin=f"page{i}.html", html=page))
    html_s = time.perf_counter() - t0
    html_n = html_runs * len(html_pages)

    rows = [
        ("load (read+decode+parse)", len(records), load_s),
        ("learn (observe)", len(records), learn_s),
        ("clean (rules)", len(records), rules["seconds"]),
        ("clean (rules+learned)", len(records), learned["seconds"]),
        ("clean HTML pages (fixtures)", html_n, html_s),
    ]
    print(f"{'stage':28} {'docs':>7} {'seconds':>8} {'docs/s':>8}")
    for name, n, secs in rows:
        print(f"{name:28} {n:7d} {secs:8.2f} {n / secs:8.1f}")
    print(f"clean (rules+learned) latency p50 {learned['p50_ms']} ms, p95 {learned['p95_ms']} ms")
    payload = {
        "corpus": args.corpus.name,
        "documents": len(records),
        "mean_chars_per_doc": round(total_chars / max(1, len(records))),
        "machine": {
            "cpu": cpu_model(),
            "cores_used": 1,
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "versions": {
            pkg: version(pkg)
            for pkg in ("trafilatura", "beautifulsoup4", "lxml", "charset-normalizer", "py3langid")
        },
        "load": {"seconds": round(load_s, 2), "docs_per_s": round(len(records) / load_s, 1)},
        "learn": {
            "seconds": round(learn_s, 2),
            "docs_per_s": round(len(records) / learn_s, 1),
            "save_s": round(save_s, 2),
        },
        "clean_rules": rules,
        "clean_rules_learned": learned,
        "clean_html_fixture_pages": {
            "pages": html_n,
            "distinct_pages": len(html_pages),
            "seconds": round(html_s, 2),
            "docs_per_s": round(html_n / html_s, 1),
            "note": "trafilatura extraction + rules on tests/fixtures/html*/ pages, repeated",
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
