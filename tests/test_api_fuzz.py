"""Schemathesis against the live API's OpenAPI schema: ~200 generated requests, no 5xx, no schema
violations. The 1,000+ case run is ``bench/fuzz_api.py`` (results in ``bench/results/fuzz_api.json``)."""

from __future__ import annotations

import uuid

import pytest
from elasticsearch import Elasticsearch

from search.settings import SearchSettings
from tests.live_server import live_api

pytest.importorskip("schemathesis")

from tests.api_fuzz import fuzz
from tests.test_api import index_demo_corpus


def test_generated_requests_get_no_5xx_and_every_response_matches_the_schema(
    es_url: str, es_client: Elasticsearch
):
    alias = f"t-{uuid.uuid4().hex[:12]}"
    settings = SearchSettings(es_url=es_url, index=alias, api_key="k-" + uuid.uuid4().hex, warm_up=False)
    index_demo_corpus(es_client, settings)
    try:
        with live_api(settings) as base:
            result = fuzz(base, examples=40, time_budget_s=240)
    finally:
        es_client.indices.delete(index=f"{alias}*", ignore_unavailable=True, allow_no_indices=True)
    assert result["cases"] >= 180, result
    assert result["server_errors"] == 0, result["failures"]
    assert result["check_failures"] == 0, result["failures"]
