#!/usr/bin/env bash
# The README's main-job command: set everything up, start the local stack (Elasticsearch, Prefect
# server and UI, the API, the ingestion worker), ingest the seed article through the worker's
# Prefect deployment, then answer "who holds Qaim?" through the API. `newsdesk down` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/newsdesk up
.venv/bin/newsdesk ingest seeds/
.venv/bin/newsdesk ask "who holds Qaim?"
