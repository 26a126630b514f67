"""Schemathesis driver: generated requests from the API's own OpenAPI schema, over real HTTP.

``fuzz(base_url, examples)`` draws up to ``examples`` cases per operation (valid and invalid
inputs in equal measure, hypothesis-generated), sends each to the live API and runs
schemathesis' checks on the response: no 5xx, status code declared, content type declared,
body conforms to the declared model. It keeps going past failures and returns counts plus the
first failures, so one run reports everything it found.

The API key is configured on the server but never sent: write endpoints answer 401/422, so the fuzzer
cannot start ingestion jobs (which would fetch generated URLs).
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import GenerationMode

# Checked on every response. Left out: positive_data_acceptance (a schema-valid request may still
# be refused with a 400 by a cross-field rule such as since > until, which JSON Schema cannot state),
# negative_data_rejection (query strings have no types: it flags `doc_id=false` and pydantic's
# reading of `until=0` as a Unix time as "invalid data accepted"), and the stateful/auth-scenario
# checks that need links or credentials.
CHECK_NAMES = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "missing_required_header",
    "unsupported_method",
)


def _checks() -> list:
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    by_name = {f.__name__: f for f in CHECKS.get_all()}
    return [by_name[n] for n in CHECK_NAMES]


def _curl(case: schemathesis.Case) -> str:
    try:
        return case.as_curl_command()
    except Exception as exc:  # the repr above still says what was sent
        return f"<no curl command: {exc}>"


def fuzz(base_url: str, examples: int, seed: int = 1234, time_budget_s: float = 600) -> dict[str, Any]:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    schema.config.update(base_url=base_url)
    cases = 0
    statuses: Counter = Counter()
    per_operation: Counter = Counter()
    failures: list[dict[str, str]] = []
    deadline = time.monotonic() + time_budget_s
    checks = _checks()
    for result in schema.get_all_operations():
        op = result.ok()

        @hypothesis.settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=False,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        @hypothesis.seed(seed)
        @hypothesis.given(
            case=st.one_of(op.as_strategy(GenerationMode.POSITIVE), op.as_strategy(GenerationMode.NEGATIVE))
        )
        def run(case: schemathesis.Case) -> None:
            nonlocal cases
            op_label = case.operation.label
            if time.monotonic() > deadline:
                return
            cases += 1
            per_operation[op_label] += 1
            try:
                response = case.call_and_validate(checks=checks, timeout=60)
                statuses[response.status_code] += 1
            except BaseException as exc:  # a check failed: record it, keep generating
                if isinstance(exc, KeyboardInterrupt):
                    raise
                statuses["failed-check"] += 1
                if len(failures) < 25:
                    failures.append(
                        {
                            "operation": op_label,
                            "error": f"{type(exc).__name__}: {exc}"[:1500],
                            "case": repr(case)[:3000],
                            "curl": _curl(case)[:3000],
                        }
                    )

        run()
    server_errors = sum(n for s, n in statuses.items() if isinstance(s, int) and s >= 500)
    return {
        "cases": cases,
        "per_operation": dict(per_operation),
        "statuses": {str(k): v for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0]))},
        "server_errors": server_errors,
        "check_failures": statuses["failed-check"],
        "failures": failures,
    }
