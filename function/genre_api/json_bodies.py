"""Request bodies are read as JSON, and POST /feedback takes nothing but JSON.

The scoring routes read any body as JSON, whatever Content-Type the client sent: `curl -d`
sends form encoding (the README's examples use it), and they store nothing, so a page that
makes a visitor's browser post to them gains nothing (it cannot read the answer without CORS).
POST /feedback stores what it receives: a <form enctype="text/plain"> on any web page could
make its visitors' browsers post corrections, so it refuses every body that is not
application/json (or an application/...+json type) with 415. A browser cannot send JSON across
sites without a CORS preflight, which the API never grants.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

# The routes whose body is stored, and what their 415 says.
JSON_ONLY_PATHS = frozenset({"/feedback"})
JSON_ONLY = "POST /feedback takes a JSON body only: send Content-Type: application/json"
_JSON = b"application/json"


def is_json(content_type: bytes) -> bool:
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == _JSON or (media.startswith(b"application/") and media.endswith(b"+json"))


class JsonBodies:
    """ASGI middleware: JSON_ONLY_PATHS answer 415 to any other content type; every other body
    is handed on as JSON. Without this, a well-formed JSON body sent by `curl -d` would be
    refused as "not a valid dictionary"."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in {"POST", "PUT", "PATCH"}:
            sent = [v for k, v in scope["headers"] if k.lower() == b"content-type"]
            if scope["path"] in JSON_ONLY_PATHS and not (len(sent) == 1 and is_json(sent[0])):
                await JSONResponse({"detail": JSON_ONLY}, status_code=415)(scope, receive, send)
                return
            # In place: the middleware around this one see the same scope (the matched route).
            headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-type"]
            scope["headers"] = [*headers, (b"content-type", b"application/json")]
        await self.app(scope, receive, send)
