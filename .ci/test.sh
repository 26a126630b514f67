#!/usr/bin/env bash
# The README's test command: set everything up, then lint and run the whole test suite against a
# real Elasticsearch (the suite starts its own on a free port unless NEWSDESK_ES_URL is set).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh
echo "[test] ruff" >&2
.venv/bin/ruff check .
echo "[test] pytest" >&2
set +e
# Slow tests (multi-node cluster, long fault injection) run with NEWSDESK_TEST_SLOW=1 or `-m slow`.
if [ "${NEWSDESK_TEST_SLOW:-0}" = 1 ]; then
  .venv/bin/python -m pytest -q "$@"
else
  .venv/bin/python -m pytest -q -m "not slow" "$@"
fi
rc=$?
set -e
if [ "$rc" = 5 ]; then echo "[test] pytest collected no tests" >&2; exit 1; fi
exit "$rc"
