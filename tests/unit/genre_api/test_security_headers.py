"""Security headers on every answer; the pages' policies; MOVIE_GENRE_PUBLIC_PAGES."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from genre_api.app import create_app
from genre_api.routes.demo import DEMO_PAGE
from genre_api.routes.docs import SWAGGER_CSS, SWAGGER_CSS_SHA384, SWAGGER_JS, SWAGGER_JS_SHA384
from genre_api.security import API_POLICY, sha256_source
from genre_api.service import build_handler
from genre_api.settings import Settings
from genre_model import GenreClassifier
from tests.helpers.data import OTHELLO
from tests.helpers.events import LambdaContext, load_event


@pytest.fixture(scope="module")
def client(classifier: GenreClassifier, packaged: dict[str, Path]) -> TestClient:
    return TestClient(create_app(classifier, Settings(model_dir=packaged["artifact"])))


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


def browser_hash(text: str) -> str:
    """What a browser computes for an inline element's text (no CR in these pages)."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/genre", OTHELLO, 200),
        ("POST", "/genre", {"title": ""}, 422),
        ("POST", "/explain", OTHELLO, 200),
        ("GET", "/health", None, 200),
        ("GET", "/openapi.json", None, 200),
        ("GET", "/nowhere", None, 404),
        ("GET", "/", None, 200),
        ("GET", "/docs", None, 200),
    ],
)
def test_every_answer_says_nosniff_and_may_not_be_framed(
    client: TestClient, method: str, path: str, body: object, status: int
) -> None:
    response = client.request(method, path, json=body)
    assert response.status_code == status
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'none'"]
    if not response.headers["content-type"].startswith("text/html"):
        assert response.headers["Content-Security-Policy"] == API_POLICY


def test_the_lambda_handler_sends_them_too(
    packaged: dict[str, Path], classifier: GenreClassifier
) -> None:
    handler = build_handler(Settings(model_dir=packaged["artifact"]), classifier)
    headers = handler(load_event("http_api_genre.json"), LambdaContext())["headers"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"] == API_POLICY


def test_the_demo_page_runs_exactly_its_own_inline_script_and_style(client: TestClient) -> None:
    response = client.get("/")
    page = DEMO_PAGE.read_text(encoding="utf-8")
    assert response.text == page
    (script,) = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    (style,) = re.findall(r"<style>(.*?)</style>", page, flags=re.S)
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == [browser_hash(script)]
    assert policy["style-src"] == [browser_hash(style)]
    assert policy["connect-src"] == ["'self'"]  # its calls to the API, relative URLs
    assert policy["base-uri"] == policy["form-action"] == ["'none'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_a_hash_is_over_the_text_a_browser_sees() -> None:
    assert sha256_source("a\r\nb\rc") == browser_hash("a\nb\nc")


def test_swagger_ui_loads_pinned_files_checked_by_their_sha384(client: TestClient) -> None:
    response = client.get("/docs")
    page = response.text
    assert (
        f'<script src="{SWAGGER_JS}" integrity="{SWAGGER_JS_SHA384}" crossorigin="anonymous">'
        in page
    )
    assert f'href="{SWAGGER_CSS}" integrity="{SWAGGER_CSS_SHA384}" crossorigin="anonymous"' in page
    assert "@5.35.0/" in SWAGGER_JS and "@5.35.0/" in SWAGGER_CSS
    # Every external resource of the page is one of those two.
    assert set(re.findall(r'(?:src|href)="(https?://[^"]+)"', page)) == {SWAGGER_JS, SWAGGER_CSS}
    (start,) = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    assert '"url": "/openapi.json"' in start
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == [SWAGGER_JS, browser_hash(start)]
    assert policy["style-src"] == [SWAGGER_CSS, "'unsafe-inline'"]
    assert policy["connect-src"] == ["'self'"]


def test_redoc_is_off(client: TestClient) -> None:
    assert client.get("/redoc").status_code == 404


def test_public_pages_off_leaves_the_api_and_its_schema(
    classifier: GenreClassifier, packaged: dict[str, Path]
) -> None:
    settings = Settings(model_dir=packaged["artifact"], public_pages=False)
    client = TestClient(create_app(classifier, settings))
    assert client.get("/").status_code == 404
    assert client.get("/docs").status_code == 404
    assert client.get("/openapi.json").status_code == 200
    assert client.post("/genre", json=OTHELLO).status_code == 200
    assert "/" not in client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize(("value", "expected"), [("false", False), ("0", False), ("true", True)])
def test_public_pages_is_a_setting(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv("MOVIE_GENRE_PUBLIC_PAGES", value)
    assert Settings.from_env().public_pages is expected
