"""The Lambda handler called with API Gateway events made by `sam local generate-event`."""

import base64
import importlib
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from genre_model import GenreClassifier

EVENTS = Path(__file__).resolve().parents[3] / "events"


class Context:
    function_name = "GenreFunction"
    aws_request_id = "test-request"


@pytest.fixture
def handler_module(trained: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("MOVIE_GENRE_MODEL_DIR", str(trained["artifact"]))
    sys.modules.pop("genre_api.handler", None)
    return importlib.import_module("genre_api.handler")


def load_event(name: str) -> dict:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def body_of(event: dict) -> dict:
    raw = event["body"]
    return json.loads(base64.b64decode(raw) if event.get("isBase64Encoded") else raw)


@pytest.mark.parametrize("event_file", ["http_api_genre.json", "rest_api_genre.json"])
def test_genre_events_are_answered_with_the_models_scores(
    handler_module: ModuleType, trained: dict[str, Path], event_file: str
) -> None:
    event = load_event(event_file)
    response = handler_module.handler(event, Context())
    assert response["statusCode"] == 200
    movie = body_of(event)
    expected = GenreClassifier.load(trained["artifact"]).predict(
        [(movie["title"], movie["description"])]
    )[0]
    assert json.loads(response["body"]) == pytest.approx(expected.scores)


def test_health_event(handler_module: ModuleType) -> None:
    response = handler_module.handler(load_event("http_api_health.json"), Context())
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["status"] == "ok"


def test_a_bad_body_is_a_422_not_a_500(handler_module: ModuleType) -> None:
    event = load_event("http_api_genre.json")
    event["body"], event["isBase64Encoded"] = '{"title": ""}', False
    response = handler_module.handler(event, Context())
    assert response["statusCode"] == 422


def test_a_missing_model_fails_the_init_with_a_log_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("MOVIE_GENRE_MODEL_DIR", str(tmp_path / "none"))
    sys.modules.pop("genre_api.handler", None)
    with pytest.raises(SystemExit):
        importlib.import_module("genre_api.handler")
    assert "cannot load the model from" in caplog.text


def test_docs_behind_a_stage_prefix_link_to_the_staged_openapi(handler_module: ModuleType) -> None:
    event = load_event("rest_api_docs.json")
    assert event["requestContext"]["path"] == "/Prod/docs"
    response = handler_module.handler(event, Context())
    assert response["statusCode"] == 200
    assert "'/Prod/openapi.json'" in response["body"] or '"/Prod/openapi.json"' in response["body"]
    event["path"] = "/openapi.json"
    event["requestContext"]["path"] = "/Prod/openapi.json"
    openapi = handler_module.handler(event, Context())
    assert openapi["statusCode"] == 200
    assert set(json.loads(openapi["body"])["paths"]) == {"/genre", "/genres", "/health"}


def test_http_api_named_stage_routes_to_the_app(handler_module: ModuleType) -> None:
    event = load_event("http_api_health.json")
    event["requestContext"]["stage"] = "v1"
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/v1/health"
    response = handler_module.handler(event, Context())
    assert response["statusCode"] == 200
