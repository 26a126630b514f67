"""The process environment newsdesk runs in: offline, telemetry-free, and quiet at the terminal.

One place for every environment default, set with ``setdefault`` so a user's own value wins
(``HF_HUB_OFFLINE=0`` still allows downloads). ``ingest`` applies ``OFFLINE`` when first imported,
before any library that reads these at import time (transformers, huggingface_hub, Haystack,
Prefect); the CLI adds ``CLI``.
"""

from __future__ import annotations

import os

#: Nothing fetched from a model hub, no usage data leaving the machine (Haystack and Prefect both
#: phone home by default), and time for a temporary Prefect server on a busy 2-core machine.
OFFLINE: dict[str, str] = {
    "HAYSTACK_TELEMETRY_ENABLED": "False",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
}

#: The CLI prints its own progress and reports: libraries stay quiet.
CLI: dict[str, str] = {
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TOKENIZERS_PARALLELISM": "false",
}


def apply_defaults(defaults: dict[str, str] = OFFLINE) -> None:
    """Set each variable the environment does not already set."""
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
