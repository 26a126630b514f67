"""The web page, its assets, and the API docs served offline (from the fastapi-offline package:
FastAPI's default pages load their scripts from a CDN and stay blank offline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from search.api_deps import APIError

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
_DOCS_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def docs_page(request: Request) -> Any:
    from fastapi.openapi.docs import get_swagger_ui_html

    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url or "/openapi.json",
        title="newsdesk API",
        swagger_js_url="/static/docs/swagger-ui-bundle.js",
        swagger_css_url="/static/docs/swagger-ui.css",
        swagger_favicon_url="/static/docs/favicon.png",
    )


@router.get("/redoc")
async def redoc_page(request: Request) -> Any:
    from fastapi.openapi.docs import get_redoc_html

    return get_redoc_html(
        openapi_url=request.app.openapi_url or "/openapi.json",
        title="newsdesk API",
        redoc_js_url="/static/docs/redoc.standalone.js",
        redoc_favicon_url="/static/docs/favicon.png",
        with_google_fonts=False,
    )


@router.get("/static/docs/{name}")
async def docs_asset(name: str) -> FileResponse:
    if name not in _DOCS_ASSETS:
        raise APIError(404, "not_found", "No such file.")
    import fastapi_offline

    static = Path(fastapi_offline.__file__).resolve().parent / "static"
    return FileResponse(static / name, media_type=_DOCS_ASSETS[name])


@router.get("/")
async def index_page() -> FileResponse:
    return FileResponse(WEB_DIR / "index.html", media_type="text/html; charset=utf-8")


@router.get("/static/{name}")
async def static(name: str) -> FileResponse:
    allowed = {"app.js": "text/javascript", "style.css": "text/css"}
    if name not in allowed:
        raise APIError(404, "not_found", "No such file.")
    return FileResponse(WEB_DIR / name, media_type=allowed[name])
