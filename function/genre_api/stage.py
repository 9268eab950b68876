"""Behind a named API Gateway stage, public URLs start with /<stage>.

Mangum hands the app the path without that prefix (REST APIs) or with it (HTTP APIs) and an empty
root_path either way; this middleware sets root_path to /<stage> and the path to match, so
routing works and /docs points at /<stage>/openapi.json.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send


def stage_prefix(event: dict[str, Any]) -> str:
    """'/<stage>' when the request's public path starts with it, else ''."""
    context = event.get("requestContext") or {}
    stage = context.get("stage")
    if not stage or stage == "$default":
        return ""
    public_path = (context.get("http") or {}).get("path") or context.get("path") or ""
    prefix = f"/{stage}"
    return prefix if public_path == prefix or public_path.startswith(prefix + "/") else ""


class StagePrefix:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            prefix = stage_prefix(scope.get("aws.event") or {})
            if prefix:
                path = scope["path"]
                if not (path == prefix or path.startswith(prefix + "/")):
                    path = prefix + path
                scope = {**scope, "root_path": prefix, "path": path}
        await self.app(scope, receive, send)
