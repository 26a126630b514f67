"""Load, clean, describe and chunk scraped news: pure Python, no services.

Importing any newsdesk package first pins the process to offline, telemetry-free behaviour:
nothing is fetched from a model hub and no usage data leaves the machine (Haystack and Prefect
both phone home by default).
"""

import os as _os

for _key, _value in {
    "HAYSTACK_TELEMETRY_ENABLED": "False",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
}.items():
    _os.environ.setdefault(_key, _value)
