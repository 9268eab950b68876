"""The Lambda handler called with API Gateway events made by `sam local generate-event`."""

from __future__ import annotations

import base64
import importlib
import json
import sys
from pathlib import Path

import pytest

from genre_api.service import Handler, build_handler
from genre_api.settings import Settings
from genre_model import GenreClassifier
from tests.helpers.events import LambdaContext, body_of, load_event, with_body


@pytest.fixture(scope="module")
def handler(packaged: dict[str, Path], classifier: GenreClassifier) -> Handler:
    return build_handler(Settings(model_dir=packaged["artifact"]), classifier)


@pytest.mark.parametrize("event_file", ["http_api_genre.json", "rest_api_genre.json"])
def test_genre_events_are_answered_with_the_models_scores(
    handler: Handler, classifier: GenreClassifier, event_file: str
) -> None:
    event = load_event(event_file)
    response = handler(event, LambdaContext())
    assert response["statusCode"] == 200
    movie = body_of(event)
    expected = classifier.predict([(movie["title"], movie["description"])])[0]
    scores = json.loads(response["body"])
    assert list(scores) == classifier.labels
    assert scores == pytest.approx(expected.scores)
    headers = {k.lower(): v for k, v in response["headers"].items()}
    assert headers["x-model-version"] == classifier.version


def test_health_event(handler: Handler, classifier: GenreClassifier) -> None:
    response = handler(load_event("http_api_health.json"), LambdaContext())
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {
        "status": "ok",
        "model_version": classifier.version,
        "labels": classifier.labels,
    }


def test_a_bad_body_is_a_422_that_names_the_field(handler: Handler) -> None:
    event = with_body(load_event("http_api_genre.json"), '{"title": ""}')
    response = handler(event, LambdaContext())
    assert response["statusCode"] == 422
    fields = {tuple(error["loc"]) for error in json.loads(response["body"])["detail"]}
    assert fields == {("body", "title"), ("body", "description")}


@pytest.mark.parametrize(
    ("body", "base64_encoded"),
    [
        ('{"title": "Othello", "description": "\udcff\udcfe"}', False),  # lone surrogates
        (base64.b64encode(b'{"title": "\xff\xfe", "description": "x"}').decode(), True),
    ],
)
def test_a_body_that_is_not_utf8_is_a_documented_400_not_a_crash(
    handler: Handler, body: str, base64_encoded: bool
) -> None:
    event = with_body(load_event("http_api_genre.json"), body)
    event["isBase64Encoded"] = base64_encoded
    response = handler(event, LambdaContext())
    assert response["statusCode"] == 400
    assert "error parsing the body" in json.loads(response["body"])["detail"]
    openapi = json.loads(handler(load_openapi_event(), LambdaContext())["body"])
    assert "400" in openapi["paths"]["/genre"]["post"]["responses"]


def load_openapi_event() -> dict:
    event = load_event("http_api_health.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/openapi.json"
    return event


def test_docs_behind_a_stage_prefix_link_to_the_staged_openapi(handler: Handler) -> None:
    event = load_event("rest_api_docs.json")
    assert event["requestContext"]["path"] == "/Prod/docs"
    response = handler(event, LambdaContext())
    assert response["statusCode"] == 200
    assert "'/Prod/openapi.json'" in response["body"] or '"/Prod/openapi.json"' in response["body"]
    event["path"] = "/openapi.json"
    event["requestContext"]["path"] = "/Prod/openapi.json"
    openapi = handler(event, LambdaContext())
    assert openapi["statusCode"] == 200
    assert set(json.loads(openapi["body"])["paths"]) == {
        "/",
        "/genre",
        "/genres",
        "/explain",
        "/feedback",
        "/health",
        "/model",
    }


def test_http_api_named_stage_routes_to_the_app(
    handler: Handler, classifier: GenreClassifier
) -> None:
    event = load_event("http_api_health.json")
    event["requestContext"]["stage"] = "v1"
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/v1/health"
    response = handler(event, LambdaContext())
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["model_version"] == classifier.version


class TestTheModuleLevelEntryPoint:
    """genre_api.handler: what Lambda imports. Its init fails with one line, never half-starts."""

    def import_handler(self) -> object:
        sys.modules.pop("genre_api.handler", None)
        return importlib.import_module("genre_api.handler")

    def test_it_serves_the_model_named_in_the_environment(
        self,
        packaged: dict[str, Path],
        classifier: GenreClassifier,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setenv("MOVIE_GENRE_MODEL_DIR", str(packaged["artifact"]))
        module = self.import_handler()
        response = module.handler(load_event("http_api_health.json"), LambdaContext())  # type: ignore[attr-defined]
        assert json.loads(response["body"])["model_version"] == classifier.version

    def test_a_missing_model_fails_the_init_with_a_log_line(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        monkeypatch.setenv("MOVIE_GENRE_MODEL_DIR", str(tmp_path / "none"))
        with pytest.raises(SystemExit) as stopped:
            self.import_handler()
        assert stopped.value.code == 1
        assert f"cannot load the model from {tmp_path / 'none'}" in caplog.text

    @pytest.mark.parametrize(
        ("name", "value", "complaint"),
        [
            (
                "MOVIE_GENRE_MAX_BATCH",
                "abc",
                "MOVIE_GENRE_MAX_BATCH='abc': Input should be a valid",
            ),
            ("MOVIE_GENRE_MAX_BATCH", "0", "MOVIE_GENRE_MAX_BATCH='0': Input should be greater"),
            ("MOVIE_GENRE_VERIFY_MODEL", "maybe", "MOVIE_GENRE_VERIFY_MODEL='maybe'"),
        ],
    )
    def test_a_bad_setting_fails_the_init_with_one_line_naming_it(
        self,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
        name: str,
        value: str,
        complaint: str,
    ) -> None:
        monkeypatch.setenv(name, value)
        with pytest.raises(SystemExit) as stopped:
            self.import_handler()
        assert stopped.value.code == 1
        assert complaint in caplog.text
