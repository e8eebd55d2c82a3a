"""The API explorer (/docs, Swagger UI) and reference (/redoc, ReDoc) served with their scripts
and styles from the installed package ``fastapi-offline`` (MIT; Swagger UI is Apache-2.0,
ReDoc MIT), never from a CDN: many municipal networks have no way out to the internet."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs/assets"
ASSETS_DIR = Path(str(files("fastapi_offline") / "static"))
# Swagger UI would otherwise ask validator.swagger.io to check the contract and show a badge.
SWAGGER_UI_PARAMETERS = {"validatorUrl": None}
# The pages may load from the app only: ReDoc's sidebar would fetch Redocly's logo from its CDN
# (the image hides itself when refused). Inline script and style: the pages' own set-up code.
POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; frame-ancestors 'none'"
)


def _self_only(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = POLICY
    return page


def install_docs_pages(app: FastAPI) -> None:
    """Serve /docs, /docs/oauth2-redirect and /redoc from the package's own assets; the app
    must be made with ``docs_url=None, redoc_url=None``."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    redirect_url = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _self_only(
            get_swagger_ui_html(
                openapi_url=root + openapi_url,
                title=f"{app.title} — Swagger UI",
                oauth2_redirect_url=root + redirect_url,
                swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
                swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
                swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
            )
        )

    @app.get(redirect_url, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _self_only(
            get_redoc_html(
                openapi_url=root + openapi_url,
                title=f"{app.title} — ReDoc",
                redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
                redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
                with_google_fonts=False,
            )
        )
