#!/usr/bin/env bash
# Run the issue-7 benchmarks, one command each (see bench/README.md for what each measures).
#   bench/run_all.sh           full runs (an hour or more on 2 cores; needs ../shared/data)
#   bench/run_all.sh --smoke   a few articles each, a few minutes in all (what CI runs)
# Elasticsearch: NEWSDESK_ES_URL (default http://127.0.0.1:9200, e.g. `newsdesk es start`).
# bench_query.py and eval_retrieval.py reuse the index `bench-scraped` (build it once, see README).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export NEWSDESK_ES_URL="${NEWSDESK_ES_URL:-http://127.0.0.1:9200}"

if [[ "${1:-}" == "--smoke" ]]; then
  for s in bench_ingest bench_incremental bench_query eval_retrieval bench_scale bench_distributed bench_encoder; do
    "$PY" "bench/$s.py" --smoke
  done
  exit 0
fi

# the parameters of the committed results (bench/README.md); raise --n on a free machine
"$PY" bench/bench_ingest.py --n 48 --rounds 2
"$PY" bench/bench_incremental.py --n 100 --cli
"$PY" bench/bench_query.py --index bench-scraped --queries 50
"$PY" bench/eval_retrieval.py --index bench-scraped --limit 200
"$PY" bench/bench_scale.py --sizes 1000,5000,15466,37044
"$PY" bench/bench_distributed.py --n 500
"$PY" bench/bench_encoder.py --variants title,long
