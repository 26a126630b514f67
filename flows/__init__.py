"""Prefect orchestration, schedules and the ``newsdesk`` CLI (the composition root)."""

import ingest as _ingest  # noqa: F401 - sets the offline/no-telemetry environment first
