"""Prefect orchestration, schedules and the ``newsdesk`` CLI (the composition root).

Importing ``ingest`` first sets the offline, no-telemetry environment (``ingest/environment.py``).
"""

import ingest as _ingest  # noqa: F401
