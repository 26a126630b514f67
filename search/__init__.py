"""Embedding, Elasticsearch, retrieval, answers and the HTTP API."""

import ingest as _ingest  # noqa: F401 - sets the offline/no-telemetry environment first
