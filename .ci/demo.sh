#!/usr/bin/env bash
# The README's main-job command: set everything up, start the local Elasticsearch, ingest the seed
# article through the Prefect flow, then answer "who holds Qaim?" from it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/newsdesk es start
.venv/bin/newsdesk ingest seeds/
.venv/bin/newsdesk ask "who holds Qaim?"
