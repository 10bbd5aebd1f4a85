"""The API's Swagger UI at `/docs`, served from this service: the files come from the
`swagger-ui-bundle` package (pinned in requirements.lock) under `/static/swagger/`, and the page
starts it with a static script of ours (`static/swagger-init.js`), not an inline one, so the strict
Content Security Policy holds and the page works offline. ReDoc is not served: no package ships
it."""

from __future__ import annotations

from html import escape
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

SWAGGER = "/static/swagger"


def swagger_files() -> Path:
    """The directory of Swagger UI's files inside the installed `swagger-ui-bundle`."""
    vendor = Path(str(files("swagger_ui_bundle"))) / "vendor"
    (found,) = sorted(vendor.glob("swagger-ui-*"))
    return found


def swagger_page(title: str, openapi_url: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)} - Swagger UI</title>
<link rel="stylesheet" href="{SWAGGER}/swagger-ui.css">
<link rel="icon" type="image/png" href="{SWAGGER}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>
<script src="{SWAGGER}/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script>
</body>
</html>
"""


def add_api_docs(app: FastAPI) -> None:
    """`/docs` and its files; call before `/static` is mounted (the longer prefix first)."""
    page = swagger_page(app.title, app.openapi_url or "/openapi.json")

    async def docs() -> HTMLResponse:
        return HTMLResponse(page)

    app.add_api_route("/docs", docs, methods=["GET"], include_in_schema=False)
    app.mount(SWAGGER, StaticFiles(directory=swagger_files()), name="swagger")
