"""Load, clean, describe and chunk scraped news: pure Python, no services.

Importing any newsdesk package first pins the process to offline, telemetry-free behaviour
(``ingest/environment.py``): nothing is fetched from a model hub and no usage data leaves the machine.
"""

from ingest.environment import apply_defaults as _apply_defaults

_apply_defaults()
