"""Security headers on every answer; the pages' policies; MOVIE_GENRE_PUBLIC_PAGES."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from genre_api.app import create_app
from genre_api.routes import docs
from genre_api.routes.demo import DEMO_PAGE
from genre_api.routes.docs import ASSETS, SWAGGER_CSS, SWAGGER_JS, subresource_integrity
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
    """No CDN: the page's script and stylesheet are served by the API itself, from the
    fastapi-offline package, checked by their sha384 here and again by the browser."""
    response = client.get("/docs")
    page = response.text
    js, css = f"/docs/{SWAGGER_JS}", f"/docs/{SWAGGER_CSS}"
    assert f'<script src="{js}" integrity="{ASSETS[SWAGGER_JS][1]}">' in page
    assert f'href="{css}" integrity="{ASSETS[SWAGGER_CSS][1]}"' in page
    # Every resource of the page is one of those two, on this API.
    assert set(re.findall(r'(?:src|href)="([^"]+)"', page)) == {js, css, "data:,"}
    (start,) = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    assert '"url": "/openapi.json"' in start
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'", browser_hash(start)]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["connect-src"] == ["'self'"]
    for name, (media_type, integrity) in ASSETS.items():
        served = client.get(f"/docs/{name}")
        assert served.status_code == 200 and served.headers["content-type"] == media_type
        assert subresource_integrity(served.content) == integrity
        assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/docs/redoc.standalone.js").status_code == 404


def test_swagger_ui_files_that_are_not_the_pinned_ones_are_not_served(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    changed = {SWAGGER_JS: ASSETS[SWAGGER_JS], SWAGGER_CSS: ("text/css", "sha384-AAAA")}
    monkeypatch.setattr(docs, "ASSETS", changed)
    docs.swagger_assets.cache_clear()
    try:
        assert client.get(f"/docs/{SWAGGER_CSS}").status_code == 503
        response = client.get("/docs")
        assert response.status_code == 503
        assert f"{SWAGGER_CSS} is not swagger-ui-dist 5.32.6's" in response.text
    finally:
        docs.swagger_assets.cache_clear()


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
