"""API Gateway events from events/ (made by `sam local generate-event`) and a Lambda context."""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass
from typing import Any

from tests.helpers.data import REPO

EVENTS = REPO / "events"


@dataclass
class LambdaContext:
    """What Lambda passes as context, with the fields Powertools reads."""

    function_name: str = "GenreFunction"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:GenreFunction"
    memory_limit_in_mb: int = 1024
    aws_request_id: str = "lambda-request-1"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def body_of(event: dict[str, Any]) -> Any:
    raw = event["body"]
    return json.loads(base64.b64decode(raw) if event.get("isBase64Encoded") else raw)


def with_body(event: dict[str, Any], body: str, path: str | None = None) -> dict[str, Any]:
    """A copy of an HTTP API v2 event with a plain-text body (and another path)."""
    event = copy.deepcopy(event)
    event["body"], event["isBase64Encoded"] = body, False
    if path is not None:
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
    return event
