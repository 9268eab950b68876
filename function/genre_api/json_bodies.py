"""Every request body is read as JSON, whatever Content-Type the client sent."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class JsonBodies:
    """ASGI middleware: the API takes nothing but JSON, and `curl -d` sends form encoding;
    without this, a well-formed JSON body would be refused as "not a valid dictionary"."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in {"POST", "PUT", "PATCH"}:
            headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-type"]
            scope = {**scope, "headers": [*headers, (b"content-type", b"application/json")]}
        await self.app(scope, receive, send)
