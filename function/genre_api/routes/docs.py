"""GET /docs: Swagger UI over the OpenAPI schema.

Its script and stylesheet come from jsDelivr at a pinned version, and the browser checks each
against its sha384 (subresource integrity): a changed file on the CDN is refused, not run. The
hashes are those of swagger-ui-dist's files as published on npm, which jsDelivr serves unchanged
(docs/api.md says how to move to another version). FastAPI's own /docs loads the latest 5.x with
no integrity; ReDoc (/redoc) is off.
"""

import html
import json

from fastapi import APIRouter, Request
from fastapi.openapi.docs import swagger_ui_default_parameters
from fastapi.responses import HTMLResponse

from genre_api.security import CSP, PAGE_HEADERS, policy, sha256_source

SWAGGER_UI = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.35.0"
SWAGGER_JS = f"{SWAGGER_UI}/swagger-ui-bundle.js"
SWAGGER_JS_SHA384 = "sha384-gjRm0bEPMeTmMh5jT2cHccIwCUZSTd8YC+j0d0sXw0MdGEfScduGpSyF3ZSSLkX9"
SWAGGER_CSS = f"{SWAGGER_UI}/swagger-ui.css"
SWAGGER_CSS_SHA384 = "sha384-WlYgdmXYOOBWL5apwjDEZwN+U3HmXSSu5R6V5aGxEcf7z+KuRNwBhoxKVN1i3D5I"

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{css}" integrity="{css_sha384}" crossorigin="anonymous">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{js}" integrity="{js_sha384}" crossorigin="anonymous"></script>
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
    async def docs(request: Request) -> HTMLResponse:
        # Behind an API Gateway stage the schema is at /<stage>/openapi.json.
        root_path = request.scope.get("root_path", "").rstrip("/")
        start = swagger_start(root_path + openapi_url)
        page = PAGE.format(
            title=html.escape(f"{title} - Swagger UI"),
            css=SWAGGER_CSS,
            css_sha384=SWAGGER_CSS_SHA384,
            js=SWAGGER_JS,
            js_sha384=SWAGGER_JS_SHA384,
            start=start,
        )
        # Swagger UI sets inline styles itself (swagger-ui#10655): styles run no script.
        directives = {
            "script-src": f"{SWAGGER_JS} {sha256_source(start)}",
            "style-src": f"{SWAGGER_CSS} 'unsafe-inline'",
            "img-src": "'self' data:",
            "connect-src": "'self'",
        }
        return HTMLResponse(page, headers={CSP: policy(directives), **PAGE_HEADERS})

    return router
