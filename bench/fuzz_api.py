"""API fuzzing at scale: schemathesis, 1,000+ generated requests against the live API.

Serves the API (uvicorn, 127.0.0.1, free port) over an existing index and runs ``tests.api_fuzz``
with ``--examples`` cases per operation (six operations; /health takes no input, so it is one case).
Writes ``bench/results/fuzz_api.json``.

    .venv/bin/python -m bench.fuzz_api --index bbc --examples 200
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from search.settings import SearchSettings
from tests.api_fuzz import CHECK_NAMES, fuzz
from tests.live_server import live_api

RESULTS = Path(__file__).resolve().parent / "results" / "fuzz_api.json"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", default=None, help="alias to search (default NEWSDESK_INDEX)")
    ap.add_argument("--examples", type=int, default=200, help="cases per operation")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    overrides = {"index": args.index} if args.index else {}
    settings = SearchSettings(api_key="k-" + uuid.uuid4().hex, warm_up=True, **overrides)
    t = time.perf_counter()
    with live_api(settings) as base:
        result = fuzz(base, examples=args.examples, seed=args.seed, time_budget_s=1800)
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "tool": "schemathesis 4.32.5 (hypothesis), positive and negative generation",
        "index": settings.index,
        "checks": list(CHECK_NAMES),
        "examples_per_operation": args.examples,
        "seconds": round(time.perf_counter() - t, 1),
        **result,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "failures"}, indent=2))
    if result["server_errors"] or result["check_failures"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
