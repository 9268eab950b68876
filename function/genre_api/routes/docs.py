"""GET /docs: Swagger UI over the OpenAPI schema, with no CDN: it works offline.

Its script and stylesheet are swagger-ui-dist 5.32.6's files as the fastapi-offline package
ships them (byte for byte the npm package's; pinned, with its hashes, in the image's lock), served
by the function at /docs/swagger-ui-bundle.js and /docs/swagger-ui.css. Each is checked against
its sha384 before it is served, and the page asks the browser to check it again (subresource
integrity): a changed file is refused, not run. They are read only when /docs is first asked
for (docs/api.md: what the package adds to the image).
FastAPI's own /docs loads the latest 5.x from a CDN with no integrity; ReDoc (/redoc) is off.
"""

import base64
import functools
import hashlib
import html
import json
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.openapi.docs import swagger_ui_default_parameters
from fastapi.responses import HTMLResponse, PlainTextResponse

from genre_api.security import CSP, PAGE_HEADERS, policy, sha256_source

SWAGGER_PACKAGE = "fastapi-offline"
SWAGGER_UI_VERSION = "5.32.6"  # swagger-ui-dist's, whose files the package carries
SWAGGER_JS = "swagger-ui-bundle.js"
SWAGGER_CSS = "swagger-ui.css"
# The npm package's files' sha384 (docs/api.md: how to check them, and to move to another).
ASSETS = {
    SWAGGER_JS: (
        "text/javascript; charset=utf-8",
        "sha384-EYdOaiRwn44zNjrw+Tfs06qYz9BGQVo2f4/pLY5i7VorbjnZNhdplAbTBk8FXHUJ",
    ),
    SWAGGER_CSS: (
        "text/css; charset=utf-8",
        "sha384-9Q2fpS+xeS4ffJy6CagnwoUl+4ldAYhOs9pgZuEKxypVModhmZFzeMlvVsAjf7uT",
    ),
}
# The files never change under one URL: a browser may keep them a day.
ASSET_CACHE = "public, max-age=86400, immutable"


class AssetsUnavailable(Exception):
    """Swagger UI's files are missing, or not the pinned ones: /docs is not served."""


def subresource_integrity(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


@functools.cache
def swagger_assets() -> dict[str, bytes]:
    """Swagger UI's files from the package, each checked against its pinned sha384."""
    try:
        package = distribution(SWAGGER_PACKAGE)
    except PackageNotFoundError as error:
        raise AssetsUnavailable(f"{SWAGGER_PACKAGE} is not installed") from error
    found = {}
    for name, (_, integrity) in ASSETS.items():
        path = Path(str(package.locate_file(f"fastapi_offline/static/{name}")))
        try:
            data = path.read_bytes()
        except OSError as error:
            raise AssetsUnavailable(f"{name} is missing from {SWAGGER_PACKAGE}") from error
        if subresource_integrity(data) != integrity:
            raise AssetsUnavailable(f"{name} is not swagger-ui-dist {SWAGGER_UI_VERSION}'s")
        found[name] = data
    return found


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{css}" integrity="{css_sha384}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{js}" integrity="{js_sha384}"></script>
<script>{start}</script>
</body>
</html>
"""


def script_json(value: object) -> str:
    """JSON that cannot end the <script> element it is written in."""
    text = json.dumps(value)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def swagger_start(openapi_url: str) -> str:
    """The inline script that starts Swagger UI, as FastAPI's own /docs does."""
    parameters = {**swagger_ui_default_parameters, "url": openapi_url}
    return (
        f"SwaggerUIBundle(Object.assign({script_json(parameters)}, {{presets: "
        "[SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]}));"
    )


def docs_router(title: str, openapi_url: str) -> APIRouter:
    router = APIRouter()

    @router.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> Response:
        try:
            swagger_assets()
        except AssetsUnavailable as error:
            return PlainTextResponse(f"Swagger UI is not available: {error}", status_code=503)
        # Behind an API Gateway stage the schema is at /<stage>/openapi.json.
        root_path = request.scope.get("root_path", "").rstrip("/")
        start = swagger_start(root_path + openapi_url)
        page = PAGE.format(
            title=html.escape(f"{title} - Swagger UI"),
            css=f"{root_path}/docs/{SWAGGER_CSS}",
            css_sha384=ASSETS[SWAGGER_CSS][1],
            js=f"{root_path}/docs/{SWAGGER_JS}",
            js_sha384=ASSETS[SWAGGER_JS][1],
            start=start,
        )
        # Swagger UI sets inline styles itself (swagger-ui#10655): styles run no script.
        directives = {
            "script-src": f"'self' {sha256_source(start)}",
            "style-src": "'self' 'unsafe-inline'",
            "img-src": "'self' data:",
            "connect-src": "'self'",
        }
        return HTMLResponse(page, headers={CSP: policy(directives), **PAGE_HEADERS})

    @router.get("/docs/{name}", include_in_schema=False)
    async def asset(name: str) -> Response:
        if name not in ASSETS:
            return PlainTextResponse("Not Found", status_code=404)
        try:
            data = swagger_assets()[name]
        except AssetsUnavailable as error:
            return PlainTextResponse(f"Swagger UI is not available: {error}", status_code=503)
        media_type = ASSETS[name][0]
        return Response(data, media_type=media_type, headers={"Cache-Control": ASSET_CACHE})

    return router
