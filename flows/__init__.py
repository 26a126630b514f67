"""Prefect orchestration, schedules and the ``newsdesk`` CLI (the composition root)."""

import os as _os

import ingest as _ingest  # noqa: F401 - sets the offline/no-telemetry environment first

# Without PREFECT_API_URL every run starts a temporary local Prefect server; on a busy 2-core
# machine it can take longer than Prefect's default 20 s to come up.
_os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
