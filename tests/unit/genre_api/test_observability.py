"""Logs, metrics and traces: the handler called with the API Gateway events in events/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_lambda_powertools.logging import logger as powertools_logger
from aws_lambda_powertools.metrics.provider import cold_start

from genre_api.service import Handler, build_handler
from genre_api.settings import Settings
from genre_model import GenreClassifier
from tests.helpers.events import LambdaContext, body_of, load_event, with_body
from tests.helpers.telemetry import Output, metric_values


@pytest.fixture
def handler(packaged: dict[str, Path], classifier: GenreClassifier) -> Handler:
    return build_handler(Settings(model_dir=packaged["artifact"]), classifier)


@pytest.fixture
def cold(monkeypatch: pytest.MonkeyPatch) -> None:
    """The next invocation is this process's first, as after a Lambda cold start."""
    cold_start.reset_cold_start_flag()
    monkeypatch.setattr(powertools_logger, "is_cold_start", True)


def test_one_json_line_per_request_with_the_lambda_and_api_gateway_ids(
    handler: Handler, classifier: GenreClassifier, output: Output, cold: None
) -> None:
    event = load_event("http_api_genre.json")
    movie = body_of(event)
    context = LambdaContext(aws_request_id="lambda-42")
    response = handler(event, context)
    assert response["statusCode"] == 200
    line = output.request_line()
    expected_top = max(json.loads(response["body"]).items(), key=lambda item: item[1])[0]
    assert line["level"] == "INFO" and line["service"] == "movie-genre"
    assert line["correlation_id"] == event["requestContext"]["requestId"]
    assert line["function_request_id"] == "lambda-42"
    assert line["cold_start"] is True
    assert (line["route"], line["method"], line["status"]) == ("/genre", "POST", 200)
    assert 0 < line["latency_ms"] < 10_000
    assert line["movies"] == 1
    assert line["model_version"] == classifier.version
    assert line["top_genre"] == expected_top
    assert line["title_chars"] == len(movie["title"])
    assert line["description_chars"] == len(movie["description"])
    handler(event, context)
    assert output.log_lines()[-1]["cold_start"] is False


def test_the_text_is_never_logged_by_default(handler: Handler, output: Output) -> None:
    event = load_event("http_api_genre.json")
    handler(event, LambdaContext())
    handler(with_body(event, '{"title": "Secret Title", "description": ""}'), LambdaContext())
    written = output.text()
    assert body_of(event)["description"] not in written
    assert "Secret Title" not in written and "Othello" not in written


def test_log_text_turns_text_logging_on(
    packaged: dict[str, Path], classifier: GenreClassifier, output: Output
) -> None:
    handler = build_handler(Settings(model_dir=packaged["artifact"], log_text=True), classifier)
    event = load_event("http_api_genre.json")
    handler(event, LambdaContext())
    assert output.request_line()["texts"] == [body_of(event)]


def test_metrics_per_request_the_genre_mix_and_cold_start(
    handler: Handler, output: Output, cold: None
) -> None:
    movies = [
        {"title": "Othello", "description": "The evil Iago pretends to be a friend."},
        {"title": "Airplane!", "description": "A pilot lands a plane. Chaos."},
        {"title": "Die Hard", "description": "A cop fights terrorists in a tower."},
    ]
    event = with_body(load_event("http_api_genre.json"), json.dumps({"movies": movies}), "/genres")
    response = handler(event, LambdaContext())
    results = json.loads(response["body"])["results"]
    blobs = output.metrics()
    request = {"route": "/genres", "status_class": "2xx", "service": "movie-genre"}
    service_wide = {"service": "movie-genre"}
    assert metric_values(blobs, "Requests") == [(request, 1.0), (service_wide, 1.0)]
    assert metric_values(blobs, "MoviesScored") == [(request, 3.0), (service_wide, 3.0)]
    mix = {dims["genre"]: value for dims, value in metric_values(blobs, "GenrePredicted")}
    expected: dict[str, float] = {}
    for result in results:
        expected[result["genre"]] = expected.get(result["genre"], 0) + 1
    assert mix == expected
    assert [value for _, value in metric_values(blobs, "ColdStart")] == [1.0]
    assert metric_values(blobs, "BadRequests") == []


def test_a_refused_request_is_logged_counted_and_flushed(handler: Handler, output: Output) -> None:
    event = with_body(load_event("http_api_genre.json"), '{"title": "x"}')
    assert handler(event, LambdaContext())["statusCode"] == 422
    line = output.request_line()
    assert (line["status"], line["route"]) == (422, "/genre")
    assert "movies" not in line  # nothing was scored
    blobs = output.metrics()
    dimensions = {"route": "/genre", "status_class": "4xx", "service": "movie-genre"}
    service_wide = {"service": "movie-genre"}
    assert metric_values(blobs, "BadRequests") == [(dimensions, 1.0), (service_wide, 1.0)]
    assert metric_values(blobs, "Requests") == [(dimensions, 1.0), (service_wide, 1.0)]
    assert metric_values(blobs, "MoviesScored") == []


def test_an_unknown_path_is_one_metric_dimension_not_one_per_path(
    handler: Handler, output: Output
) -> None:
    event = with_body(load_event("http_api_genre.json"), "{}", "/wp-admin/x.php")
    assert handler(event, LambdaContext())["statusCode"] == 404
    assert output.request_line()["route"] == "unmatched"


def test_a_server_error_logs_the_exception_with_its_stack(
    handler: Handler, output: Output, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the model fell over")

    monkeypatch.setattr(handler.classifier, "predict", broken)
    response = handler(load_event("http_api_genre.json"), LambdaContext())
    assert response["statusCode"] == 500
    line = output.request_line()
    assert line["level"] == "ERROR" and line["status"] == 500
    assert "RuntimeError: the model fell over" in line["exception"]
    assert "Traceback" in line["exception"]
    blobs = output.metrics()
    assert metric_values(blobs, "Requests")[0][0]["status_class"] == "5xx"


def test_an_unreadable_event_is_a_logged_500(handler: Handler, output: Output) -> None:
    response = handler({"not": "an API Gateway event"}, LambdaContext())
    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {"detail": "Internal Server Error"}
    line = output.request_line()
    assert line["level"] == "ERROR" and "Traceback" in line["exception"]


def test_observability_off_writes_nothing(
    packaged: dict[str, Path], classifier: GenreClassifier, output: Output
) -> None:
    """The benchmark's baseline: the same handler with no logs, metrics or traces."""
    handler = build_handler(Settings(model_dir=packaged["artifact"]), classifier, observe=False)
    assert handler(load_event("http_api_genre.json"), LambdaContext())["statusCode"] == 200
    assert output.text() == ""
