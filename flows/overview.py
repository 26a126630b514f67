"""What the archive overview (``newsdesk stats``, ``GET /stats``) adds beyond Elasticsearch's counts.

``search.stats`` counts what the index holds; the quarantine lives in files this layer keeps
(``flows.quarantine``) and the run history on the Prefect server, so the composition roots (the
CLI and ``flows/app.py``) hand ``overview_extras`` to it.
"""

from __future__ import annotations

from typing import Any

import httpx

from flows.quarantine import Quarantine
from flows.settings import Settings
from search.prefect_runs import PrefectRuns, PrefectUnavailable, configured_prefect_url

#: Report counts shown per run.
RUN_COUNTS = (
    "seen",
    "new",
    "updated",
    "unchanged",
    "duplicates",
    "quarantined",
    "suppressed",
    "chunks_written",
)


def overview_extras(settings: Settings, runs: int = 5) -> dict[str, Any]:
    """Inputs in the quarantine now, and the last ``runs`` ingestion runs (when a Prefect server answers)."""
    quarantine = Quarantine(settings.ingest.data_dir / "quarantine")
    return {"quarantined": len(quarantine.entries()), "runs": recent_runs(settings.search.prefect_port, runs)}


def recent_runs(prefect_port: int, limit: int = 5) -> dict[str, Any]:
    """``{"server", "available", "recent"}``: the newest runs of the ingestion flow with their counts,
    from ``PREFECT_API_URL`` or the stack's server; ``available`` is False when none answers."""
    url, _ = configured_prefect_url(prefect_port)
    with PrefectRuns(url, timeout_s=3.0) as client:
        if not client.healthy(timeout_s=1.0):
            return {"server": url, "available": False, "recent": []}
        try:
            recent = client.recent(limit)
        except (httpx.HTTPError, PrefectUnavailable):
            return {"server": url, "available": False, "recent": []}
    return {
        "server": url,
        "available": True,
        "recent": [
            {
                "flow_run_id": r["flow_run_id"],
                "name": r.get("name"),
                "state": r.get("state_name") or r.get("state"),
                "start_time": r.get("start_time"),
                "end_time": r.get("end_time"),
                "counts": {
                    k: int(v)
                    for k, v in (r.get("report") or {}).items()
                    if k in RUN_COUNTS and isinstance(v, int | float)
                },
            }
            for r in recent
        ],
    }
