"""How the API refuses a request: small answers, whatever the body.

A refusal never grows with the body it refuses. A 422 lists at most MAX_ERRORS_LISTED errors,
and echoes each rejected value whole only when its JSON is short, else its first ECHO_CHARS
characters. A body over the route's size limit (genre_api.body_limits) is a 413 before it is
parsed. Echoing a whole body back (about 3 times its size, once JSON-escaped) let a 2 MB
request make an answer over Lambda's 6 MB limit: a 5xx.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY

from genre_api.schemas import Message, Refusal

ECHO_CHARS = 64
MAX_ERRORS_LISTED = 10

# Documented on every route that reads a body, so that clients and fuzzers expect them.
BODY_REFUSALS: dict[int | str, dict[str, Any]] = {
    # FastAPI answers 400 itself when it cannot parse a body at all: not UTF-8 (the Lambda handler
    # hands it such bodies as bytes), nested too deep for Python's parser, or an integer literal
    # too long to convert.
    400: {
        "model": Message,
        "description": "The body cannot be parsed: not UTF-8 text, JSON nested too deep, or an "
        "integer over 4300 digits",
    },
    # With a Content-Length over the limit, Starlette answers its own text before reading
    # anything; a body found larger as it is read gets the JSON.
    413: {
        "model": Message,
        "description": "The body is larger than any valid request",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    },
    422: {"model": Refusal, "description": "The body breaks the input rules"},
}


class EchoingJSONResponse(JSONResponse):
    """JSON in UTF-8, so that echoed text takes no more bytes than the request spent on it; a lone
    surrogate (valid in a JSON string, "\\ud800", but not encodable as UTF-8) is written as that
    escape, never a 500."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.encode("utf-8", "backslashreplace")


class _Raw(str):
    """JSON punctuation, emitted as it is."""


_END = object()  # a container's items are all out


def _members(mapping: Mapping[Any, Any], limit: int) -> Iterator[Any]:
    for index, (key, item) in enumerate(mapping.items()):
        yield _Raw(("," if index else "") + json.dumps(str(key)[:limit]) + ":")
        yield item
    yield _Raw("}")


def _elements(items: Sequence[Any]) -> Iterator[Any]:
    for index, item in enumerate(items):
        if index:
            yield _Raw(",")
        yield item
    yield _Raw("]")


def json_preview(value: Any, limit: int) -> str:
    """The first limit characters of value's compact JSON text (NaN as NaN), made piece by piece
    and without recursion: a value nested a thousand deep, or a million items long, costs no more
    than its start."""
    pieces: list[str] = []
    size = 0
    stack: list[Iterator[Any]] = [iter((value,))]
    while stack and size < limit:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
            continue
        if isinstance(item, _Raw):
            piece = str(item)
        elif isinstance(item, Mapping):
            piece = "{"
            stack.append(_members(item, limit))
        elif isinstance(item, list | tuple):
            piece = "["
            stack.append(_elements(item))
        elif isinstance(item, str):
            piece = json.dumps(item[:limit])
        elif item is None or isinstance(item, bool | int | float):
            piece = json.dumps(item)
        else:
            piece = json.dumps(str(item)[:limit])
        pieces.append(piece)
        size += len(piece)
    return "".join(pieces)[:limit]


def finite(value: Any) -> Any:
    """value with NaN and the infinities as the strings "nan", "inf", "-inf": Python's parser reads
    them from a body (NaN, Infinity, 1e400), and JSON has no way to echo them back. Only for
    values whose JSON is short (echoed): it recurses."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [finite(item) for item in value]
    return value


def echoed(value: Any) -> tuple[Any, bool]:
    """What a refusal says of a rejected value, and whether it was cut: the value itself when its
    JSON is at most ECHO_CHARS characters; else a string's first ECHO_CHARS characters, or the
    first ECHO_CHARS characters of any other value's JSON."""
    if isinstance(value, str):
        return (value, False) if len(value) <= ECHO_CHARS else (value[:ECHO_CHARS], True)
    preview = json_preview(value, ECHO_CHARS + 1)
    if len(preview) > ECHO_CHARS:
        return preview[:ECHO_CHARS], True
    return finite(value), False


def bounded(error: Mapping[str, Any]) -> dict[str, Any]:
    """One error of FastAPI's 422 with its rejected value echoed (see echoed) and every part of
    its location cut to ECHO_CHARS characters (an unknown field's name is the client's text)."""
    loc = [part[:ECHO_CHARS] if isinstance(part, str) else part for part in error["loc"]]
    shown: dict[str, Any] = {**error, "loc": loc}
    if "input" in error:
        shown["input"], truncated = echoed(error["input"])
        if truncated:
            shown["input_truncated"] = True
    return shown


async def refuse_invalid(request: Request, error: Exception) -> JSONResponse:
    """FastAPI's own 422 body ({"detail": [errors]}), bounded in size (see the module)."""
    errors = error.errors() if isinstance(error, RequestValidationError) else [str(error)]
    listed = [bounded(e) if isinstance(e, Mapping) else e for e in errors[:MAX_ERRORS_LISTED]]
    content: dict[str, Any] = {"detail": jsonable_encoder(listed)}
    if len(errors) > MAX_ERRORS_LISTED:
        content["error_count"] = len(errors)
    return EchoingJSONResponse(status_code=422, content=content)


async def refuse_too_large(request: Request, error: Exception) -> JSONResponse:
    """A 413 that says how large a body the route takes (FastAPI's says "Content Too Large")."""
    limit = request.scope.get(MAX_BODY_SIZE_SCOPE_KEY)
    default = getattr(error, "detail", "Content Too Large")
    detail = f"The body is over the {limit} bytes this route takes" if limit else default
    return JSONResponse(status_code=413, content={"detail": detail})
