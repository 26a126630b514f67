"""``GET /health``: Elasticsearch and index status (503 when Elasticsearch is down)."""

from __future__ import annotations

from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, NotFoundError
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from search.api_deps import SettingsDep
from search.api_models import HealthResponse
from search.settings import SearchSettings
from search.store import articles_alias, make_client

router = APIRouter(tags=["ops"])


@router.get("/health", response_model=HealthResponse, responses={503: {"model": HealthResponse}})
async def health(settings: SettingsDep) -> JSONResponse:
    body = await run_in_threadpool(_health, settings)
    return JSONResponse(status_code=200 if body["status"] != "down" else 503, content=body)


def _health(settings: SearchSettings) -> dict[str, Any]:
    client = make_client(settings).options(request_timeout=5, max_retries=0)
    es: dict[str, Any] = {"reachable": False}
    index: dict[str, Any] = {"alias": settings.index, "exists": False}
    try:
        h = client.cluster.health()
        es = {"reachable": True, "cluster_status": h.get("status"), "nodes": h.get("number_of_nodes")}
        # GET / lives in the rest-root module, which the minimal Maven build lacks: ask the nodes.
        nodes = client.nodes.info(node_id="_local", filter_path="nodes.*.version").get("nodes", {})
        es["version"] = next(iter(nodes.values()), {}).get("version")
    except (TransportError, ApiError):
        return {"status": "down", "elasticsearch": es, "index": index}
    try:
        index["chunks"] = client.count(index=settings.index)["count"]
        index["articles"] = client.count(index=articles_alias(settings.index))["count"]
        index["exists"] = True
    except NotFoundError:
        pass
    except (TransportError, ApiError):
        return {"status": "degraded", "elasticsearch": es, "index": index}
    ok = es.get("cluster_status") in ("green", "yellow") and index["exists"]
    return {"status": "ok" if ok else "degraded", "elasticsearch": es, "index": index}
