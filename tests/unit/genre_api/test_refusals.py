"""Hostile bodies: every answer is a small 4xx, never a 5xx, never larger than the request."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from genre_api.app import create_app
from genre_api.body_limits import MAX_BODY_BYTES, batch_body_bytes, movie_body_bytes
from genre_api.refusals import ECHO_CHARS, MAX_ERRORS_LISTED, json_preview
from genre_api.schemas import MAX_WORD_CHARS
from genre_api.service import Handler, build_handler
from genre_api.settings import Settings
from genre_model import GenreClassifier
from genre_model.constants import LAMBDA_PAYLOAD_BYTES
from tests.helpers.events import LambdaContext, load_event, with_body

# The largest answer to any refused body: MAX_ERRORS_LISTED errors of a few hundred bytes.
SMALL = 4096
ROUTES = ("/genre", "/genres", "/explain")


@pytest.fixture(scope="module")
def settings(packaged: dict[str, Path]) -> Settings:
    return Settings(model_dir=packaged["artifact"])


@pytest.fixture(scope="module")
def client(classifier: GenreClassifier, settings: Settings) -> TestClient:
    return TestClient(create_app(classifier, settings))


@pytest.fixture(scope="module")
def handler(classifier: GenreClassifier, settings: Settings) -> Handler:
    return build_handler(settings, classifier)


Post = Callable[[str, str], tuple[int, bytes]]


def through_client(client: TestClient) -> Post:
    def post(path: str, body: str) -> tuple[int, bytes]:
        response = client.post(path, content=body.encode())
        return response.status_code, response.content

    return post


def through_lambda(handler: Handler) -> Post:
    def post(path: str, body: str) -> tuple[int, bytes]:
        event = with_body(load_event("http_api_genre.json"), body, path)
        response = handler(event, LambdaContext())
        return response["statusCode"], response["body"].encode()

    return post


@pytest.fixture(params=["testclient", "lambda"])
def post(request: pytest.FixtureRequest, client: TestClient, handler: Handler) -> Post:
    return through_client(client) if request.param == "testclient" else through_lambda(handler)


HOSTILE = {
    "an 800 KB title": lambda: json.dumps({"title": "x" * 800_000, "description": "y"}),
    "a 2.1 MB title": lambda: json.dumps({"title": "x" * 2_100_000, "description": "y"}),
    "800 KB of movies": lambda: json.dumps(
        {"movies": [{"title": "x", "description": "y" * 3000}] * 260}
    ),
    "a 2.1 MB array": lambda: json.dumps({"movies": [1] * 700_000}),
    "150,000 fields": lambda: json.dumps(
        {"movies": [{"title": "x", "description": "y", **{f"k{i}": 0 for i in range(150_000)}}]}
    ),
    "JSON nested 900 deep": lambda: '{"title": ' + "[" * 900 + "]" * 900 + ', "description": "x"}',
    "a 5,000-character field name": lambda: json.dumps(
        {"title": "x", "description": "y", "k" * 5000: 1}
    ),
    "4 MB": lambda: json.dumps({"movies": [{"title": "x", "description": "y" * 4000}] * 1000}),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_body_gets_a_small_4xx_on_every_route(
    post: Post, settings: Settings, name: str
) -> None:
    """A body over the route's limit is a 413, whatever it holds: it is never parsed."""
    body = HOSTILE[name]()
    for path in ROUTES:
        status, answer = post(path, body)
        assert 400 <= status < 500, (name, path, status, answer[:200])
        if len(body.encode()) > limit_of(path, settings):
            assert status == 413, (name, path, status, answer[:200])
        assert len(answer) <= min(SMALL, len(body)), (name, path, len(answer))


def test_echoed_text_takes_no_more_bytes_than_the_request_spent_on_it(post: Post) -> None:
    """Characters outside the BMP: 4 bytes in UTF-8, 12 as JSON escapes. The echo is UTF-8, and
    a field's name and a value are each cut at ECHO_CHARS characters."""
    wide = "\U0001d400" * 100
    body = json.dumps({"movies": [{wide: wide}] * 20}, ensure_ascii=False)
    status, answer = post("/genres", body)
    assert status == 422
    assert len(answer) < len(body.encode())
    (shown, *_) = [e for e in json.loads(answer)["detail"] if e["type"] == "extra_forbidden"]
    assert shown["loc"][-1] == shown["input"] == wide[:ECHO_CHARS]


@pytest.mark.parametrize("path", ["/genre", "/explain"])
@pytest.mark.parametrize("size", [800_000, 2_100_000])
def test_a_body_over_any_valid_movie_is_a_413(post: Post, path: str, size: int) -> None:
    status, answer = post(path, json.dumps({"title": "x" * size, "description": "y"}))
    assert status == 413
    assert len(answer) < 100


def limit_of(path: str, settings: Settings) -> int:
    return batch_body_bytes(settings) if path == "/genres" else movie_body_bytes(settings)


def well_formed_body_of(path: str, size: int) -> str:
    """A body of exactly `size` bytes shaped as the route's request, so that only its size can
    refuse it before it is parsed (parsed, it would be a 422 or a 200)."""
    movie = {"title": "x", "description": ""}
    shell = json.dumps({"movies": [movie]} if path == "/genres" else movie)
    return shell.replace('"description": ""', '"description": "' + "y" * (size - len(shell)) + '"')


@pytest.mark.parametrize("path", ROUTES)
def test_every_route_refuses_the_first_byte_over_its_own_limit(
    post: Post, settings: Settings, path: str
) -> None:
    """The route's own limit, through the route: one byte over it is a 413 (a route whose limit
    is raised, even past Lambda's payload, is caught here), and a body at it is read and parsed.
    Announced by Content-Length, Starlette refuses it unread with its own text; in Lambda, the
    bytes counted as they are read, the answer names the limit."""
    limit = limit_of(path, settings)
    status, answer = post(path, well_formed_body_of(path, limit + 1))
    assert status == 413, (path, status, answer[:200])
    named = {"detail": f"The body is over the {limit} bytes this route takes"}
    assert answer == b"Content Too Large" or json.loads(answer) == named, answer[:200]
    status, answer = post(path, well_formed_body_of(path, limit))
    assert status == 422, (path, status, answer[:200])  # parsed: the description is too long


def test_a_body_announced_too_large_is_refused_before_it_is_read(
    classifier: GenreClassifier, settings: Settings
) -> None:
    """Content-Length over the limit: 413 at once, the body never received."""
    import asyncio

    app = create_app(classifier, settings)
    sent: list[dict[str, Any]] = []
    received: list[str] = []

    async def receive() -> dict[str, Any]:
        received.append("body")
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    length = str(movie_body_bytes(settings) + 1).encode()
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "path": "/genre",
        "raw_path": b"/genre",
        "root_path": "",
        "scheme": "http",
        "query_string": b"",
        "headers": [(b"content-length", length), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    loop = asyncio.new_event_loop()  # not asyncio.run: it would unset the thread's loop
    try:
        loop.run_until_complete(app(scope, receive, send))
    finally:
        loop.close()
    assert sent[0]["status"] == 413
    assert received == []


def test_a_body_found_too_large_as_it_is_read_says_the_limit(
    handler: Handler, settings: Settings
) -> None:
    """In Lambda the event's own Content-Length need not match its body: the bytes count."""
    event = with_body(load_event("http_api_genre.json"), "x" * 70_000, "/genre")
    response = handler(event, LambdaContext())
    assert response["statusCode"] == 413
    assert json.loads(response["body"]) == {
        "detail": f"The body is over the {movie_body_bytes(settings)} bytes this route takes"
    }


def test_the_limits_come_from_the_requests_own_and_lambdas(settings: Settings) -> None:
    # Every character of a maximal title and description escaped as a surrogate pair, and more.
    assert movie_body_bytes(settings) >= 12 * (300 + 5000)
    # A full batch would be larger than half of Lambda's payload: that half is the cap.
    assert batch_body_bytes(settings) == MAX_BODY_BYTES == LAMBDA_PAYLOAD_BYTES // 2
    small = Settings(model_dir=settings.model_dir, max_batch=2)
    assert batch_body_bytes(small) < MAX_BODY_BYTES


@pytest.mark.parametrize("route", ["/genre", "/genres"])
def test_the_largest_valid_body_is_accepted(
    classifier: GenreClassifier, settings: Settings, route: str
) -> None:
    """At the length limits, the longest words allowed, every letter outside the BMP and escaped
    (12 bytes each)."""
    limits = Settings(model_dir=settings.model_dir, max_batch=2)
    client = TestClient(create_app(classifier, limits))
    word = "\U0001d400" * MAX_WORD_CHARS  # MATHEMATICAL BOLD CAPITAL A

    def text(chars: int) -> str:
        return " ".join([word] * chars)[:chars]

    movie = {"title": text(300), "description": text(5000)}
    payload = {"movies": [movie] * 2} if route == "/genres" else movie
    body = json.dumps(payload, indent=8)  # ensure_ascii: "\ud835\udc00" per letter
    assert len(body) > 0.95 * movie_body_bytes(limits)
    assert client.post(route, content=body.encode()).status_code == 200


def test_a_long_value_is_echoed_as_its_first_characters(client: TestClient) -> None:
    title = "A" * 1000
    (error,) = client.post("/genre", json={"title": title, "description": "x"}).json()["detail"]
    assert error["input"] == title[:ECHO_CHARS]
    assert error["input_truncated"] is True


def test_a_short_value_is_echoed_whole(client: TestClient) -> None:
    (error,) = client.post("/genre", json={"title": ["Othello"], "description": "x"}).json()[
        "detail"
    ]
    assert error["input"] == ["Othello"]
    assert "input_truncated" not in error


def test_a_long_structure_is_echoed_as_the_start_of_its_json(client: TestClient) -> None:
    body = {"movies": [{"title": "x", "description": "y"}] * 300}
    (error,) = client.post("/genres", json=body).json()["detail"]
    assert error["input"] == json.dumps(body["movies"], separators=(",", ":"))[:ECHO_CHARS]
    assert error["input_truncated"] is True


def test_at_most_a_few_errors_are_listed_and_their_count_given(client: TestClient) -> None:
    response = client.post("/genres", json={"movies": [{}] * 200})
    body = response.json()
    assert response.status_code == 422
    assert len(body["detail"]) == MAX_ERRORS_LISTED
    assert body["error_count"] == 400
    assert body["detail"][0]["loc"] == ["body", "movies", 0, "title"]


def test_an_unknown_fields_name_is_cut(client: TestClient) -> None:
    (error,) = client.post("/genre", json={"title": "x", "description": "y", "k" * 5000: 1}).json()[
        "detail"
    ]
    assert error["loc"] == ["body", "k" * ECHO_CHARS]


def test_thousands_of_unknown_fields_are_one_error(client: TestClient) -> None:
    fields = {f"k{i}": 0 for i in range(5000)}
    (error,) = client.post("/genre", json={"title": "x", "description": "y", **fields}).json()[
        "detail"
    ]
    assert error["loc"] == ["body"]
    assert error["msg"] == "Value error, 5002 fields: expected title, description and no others"
    # A few unknown fields are each named, as before.
    detail = client.post("/genre", json={"title": "x", "description": "y", "year": 1}).json()
    assert [e["loc"] for e in detail["detail"]] == [["body", "year"]]


def test_the_refusals_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for route in ROUTES:
        responses = paths[route]["post"]["responses"]
        assert {"400", "413", "422"} <= set(responses)
        assert set(responses["413"]["content"]) == {"application/json", "text/plain"}


@pytest.mark.parametrize(
    ("value", "preview"),
    [
        ([[[[1]]]], "[[[[1]]]]"),
        ({"a": [1, "b", None, True, 1.5]}, '{"a":[1,"b",null,true,1.5]}'),
        ([float("nan")], "[NaN]"),
        ("x" * 100, '"' + "x" * 9),
    ],
)
def test_json_preview_is_compact_json_cut_at_the_limit(value: Any, preview: str) -> None:
    assert json_preview(value, 10) == preview[:10]


def test_json_preview_reads_no_further_than_it_shows() -> None:
    deep: list[Any] = []
    for _ in range(10_000):  # ten times deeper than Python recurses
        deep = [deep]
    assert json_preview(deep, 5) == "[[[[["
    assert json_preview(list(range(10**6)), 8) == "[0,1,2,3"
