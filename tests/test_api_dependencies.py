"""The API's routers take their settings and searcher as FastAPI dependencies, so a test (or an
embedding application) can swap one without rebuilding the app (issue 17)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from flows.app import create_app
from search.api_deps import get_api_settings
from search.settings import SearchSettings
from tests.live_server import live_app

pytestmark = pytest.mark.elasticsearch


def test_overriding_the_settings_dependency_changes_what_the_routes_see(es_url: str):
    built = SearchSettings(es_url=es_url, index=f"built-{uuid.uuid4().hex[:8]}", warm_up=False)
    other = SearchSettings(es_url=es_url, index=f"other-{uuid.uuid4().hex[:8]}", warm_up=False)
    app = create_app(built)
    with live_app(app) as base:
        assert httpx.get(f"{base}/health", timeout=30).json()["index"]["alias"] == built.index
        app.dependency_overrides[get_api_settings] = lambda: other
        assert httpx.get(f"{base}/health", timeout=30).json()["index"]["alias"] == other.index
        app.dependency_overrides.clear()
        assert httpx.get(f"{base}/health", timeout=30).json()["index"]["alias"] == built.index
