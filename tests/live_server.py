"""Run the real API with uvicorn in a background thread on a free port (real HTTP for tests)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from flows.app import create_app
from flows.ports import free_port
from search.api import server_options
from search.settings import SearchSettings


@contextmanager
def live_api(settings: SearchSettings) -> Iterator[str]:
    """The app ``newsdesk serve`` runs, built with these settings, on a free port; yields its URL."""
    with live_app(create_app(settings)) as base:
        yield base


@contextmanager
def live_app(app: Any) -> Iterator[str]:
    """Serve an app already built (e.g. with dependency overrides) on a free port."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **server_options())
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(base + "/docs", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)
