"""The Distributed Map's batch event (events/catalogue-batch.json and variants): one result per
item, in order, and a bad item never fails its batch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from genre_api.catalogue import (
    NOT_AN_ITEM,
    NOT_AN_OBJECT,
    BatchFailed,
    answer_batch,
    is_batch_event,
)
from genre_api.service import Handler, build_handler
from genre_api.settings import Settings
from genre_model import GenreClassifier
from tests.helpers.cloudformation import load_template
from tests.helpers.data import OTHELLO, REPO
from tests.helpers.events import LambdaContext, load_event
from tests.helpers.telemetry import Output, metric_values

SAMPLE = load_event("catalogue-batch.json")


@pytest.fixture(scope="module")
def settings(packaged: dict[str, Path]) -> Settings:
    return Settings(model_dir=packaged["artifact"])


def batch(*movies: object, input_format: str = "jsonl") -> dict[str, Any]:
    items = [{"index": index, "movie": movie} for index, movie in enumerate(movies)]
    return {"Items": items, "BatchInput": {"format": input_format}}


def results_of(event: dict[str, Any], classifier: GenreClassifier, settings: Settings) -> list:
    body = answer_batch(event, classifier, settings).body
    assert body["model_version"] == classifier.version
    return body["results"]


def test_the_sample_event_gets_one_result_per_item_in_order(
    classifier: GenreClassifier, settings: Settings
) -> None:
    results = results_of(SAMPLE, classifier, settings)
    assert [r["index"] for r in results] == [item["index"] for item in SAMPLE["Items"]]
    assert results[2] == {"index": 2, "error": "empty description"}
    assert results[4] == {"index": 4, "error": "title over 300 characters"}
    scored = [SAMPLE["Items"][i]["movie"] for i in (0, 1, 3)]
    expected = classifier.predict([(m["title"], m["description"]) for m in scored])
    for i, prediction in zip((0, 1, 3), expected, strict=True):
        assert results[i] == {
            "index": i,
            "genre": prediction.top_genre,
            "genres": prediction.genres,
            "scores": prediction.scores,
        }


def test_a_movies_dataset_row_is_scored_by_its_overview(
    classifier: GenreClassifier, settings: Settings
) -> None:
    row = {"id": "862", "title": OTHELLO["title"], "overview": OTHELLO["description"]}
    row |= {"genres": "[{'id': 18, 'name': 'Drama'}]", "budget": "0", "release_date": ""}
    (result,) = results_of(batch(row, input_format="csv"), classifier, settings)
    expected = classifier.predict([(OTHELLO["title"], OTHELLO["description"])])[0]
    assert result["scores"] == expected.scores


def test_description_wins_over_overview_as_in_the_cli(
    classifier: GenreClassifier, settings: Settings
) -> None:
    both = {**OTHELLO, "overview": "A cop fights terrorists in a tower."}
    (result,) = results_of(batch(both), classifier, settings)
    expected = classifier.predict([(OTHELLO["title"], OTHELLO["description"])])[0]
    assert result["scores"] == expected.scores


def test_text_is_stripped_as_the_cli_strips_it(
    classifier: GenreClassifier, settings: Settings
) -> None:
    padded = {"title": f"  {OTHELLO['title']}\n", "description": f"\t{OTHELLO['description']} "}
    plain, stripped = results_of(batch(OTHELLO, padded), classifier, settings)
    assert plain["scores"] == stripped["scores"]


@pytest.mark.parametrize(
    ("movie", "error"),
    [
        ([OTHELLO["title"], OTHELLO["description"]], NOT_AN_OBJECT),
        ("Othello", NOT_AN_OBJECT),
        (None, NOT_AN_OBJECT),
        ({"description": "x"}, "no title field"),
        ({"title": "x"}, "no description (or overview) field"),
        ({}, "no title field; no description (or overview) field"),
        ({"title": 1984, "description": "x"}, "title is not text"),
        ({"title": "x", "description": ["x"]}, "description is not text"),
        ({"title": "x", "description": None}, "empty description"),
        ({"title": " \t", "description": "x"}, "empty title"),
        ({"title": "", "overview": "\n"}, "empty title and description"),
        ({"title": "x", "description": "y" * 5001}, "description over 5000 characters"),
        ({"title": "(" * 101, "description": "x"}, "title has a word over 100 characters"),
        (
            {"title": "x", "overview": "a " + "y" * 101},
            "description has a word over 100 characters",
        ),
    ],
)
def test_a_bad_item_gets_its_own_error_and_the_others_are_scored(
    classifier: GenreClassifier, settings: Settings, movie: object, error: str
) -> None:
    first, bad, last = results_of(batch(OTHELLO, movie, OTHELLO), classifier, settings)
    assert bad == {"index": 1, "error": error}
    assert first["genre"] and last["genre"] and first["scores"] == last["scores"]


@pytest.mark.parametrize("item", [{"index": 7}, ["x"], "x", 3, {"index": 7, "title": "x"}])
def test_an_item_not_in_the_selectors_shape_is_an_error_with_its_index_if_any(
    classifier: GenreClassifier, settings: Settings, item: object
) -> None:
    event = {"Items": [item, {"index": 1, "movie": OTHELLO}], "BatchInput": {}}
    refused, scored = results_of(event, classifier, settings)
    index = 7 if isinstance(item, dict) else None
    assert refused == {"index": index, "error": NOT_AN_ITEM}
    assert scored["index"] == 1 and "genre" in scored


def test_a_csv_header_with_a_byte_order_mark_still_names_the_title(
    classifier: GenreClassifier, settings: Settings
) -> None:
    row = {"\ufefftitle": OTHELLO["title"], "description": OTHELLO["description"]}
    (result,) = results_of(batch(row, input_format="csv"), classifier, settings)
    assert "genre" in result


def test_items_past_the_batch_limit_get_an_error_each(
    classifier: GenreClassifier, packaged: dict[str, Path]
) -> None:
    settings = Settings(model_dir=packaged["artifact"], max_batch=2)
    results = results_of(batch(OTHELLO, OTHELLO, OTHELLO), classifier, settings)
    assert "genre" in results[0] and "genre" in results[1]
    assert results[2] == {"index": 2, "error": "over the batch limit of 2 items"}


def test_items_that_are_not_a_list_get_an_empty_answer_that_says_so(
    classifier: GenreClassifier, settings: Settings
) -> None:
    body = answer_batch({"Items": {"0": OTHELLO}}, classifier, settings).body
    assert body == {
        "model_version": classifier.version,
        "results": [],
        "error": "Items is not a list",
    }


def test_the_answer_repeats_no_text(classifier: GenreClassifier, settings: Settings) -> None:
    secret = {"title": "Zyxwvut Qwerty", "description": "Plonkish snargle " * 200}
    answer = answer_batch(batch(secret, {**secret, "title": 7}), classifier, settings)
    text = json.dumps(answer.body)
    assert "Zyxwvut" not in text and "snargle" not in text
    assert answer.refused == 1 and answer.format == "jsonl"
    assert answer.movies == [(secret["title"], secret["description"].strip())]


def test_a_full_batch_answer_fits_a_child_workflows_256_kib_output(
    classifier: GenreClassifier, packaged: dict[str, Path]
) -> None:
    """At template.yaml's largest MaxBatch: raised, this fails before a job's output does."""
    largest = load_template(REPO / "template.yaml")["Parameters"]["MaxBatch"]["MaxValue"]
    settings = Settings(model_dir=packaged["artifact"], max_batch=largest)
    items = [{"title": f"Movie {i}", "description": OTHELLO["description"]} for i in range(largest)]
    answer = answer_batch(
        {"Items": [{"index": 10**9 + i, "movie": m} for i, m in enumerate(items)]},
        classifier,
        settings,
    )
    assert len(answer.body["results"]) == largest
    assert len(json.dumps(answer.body).encode()) < 256 * 1024


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (SAMPLE, True),
        ({"Items": []}, True),
        (load_event("http_api_genre.json"), False),
        (load_event("rest_api_genre.json"), False),
        ({"Items": [], "requestContext": {}}, False),
        ({"Items": [], "httpMethod": "POST"}, False),
        ({}, False),
    ],
)
def test_a_batch_event_is_told_from_api_gateway_events(event: dict, expected: bool) -> None:
    assert is_batch_event(event) is expected


@pytest.fixture
def handler(settings: Settings, classifier: GenreClassifier) -> Handler:
    return build_handler(settings, classifier)


def test_the_handler_answers_the_sample_event_as_the_map_expects(
    handler: Handler, classifier: GenreClassifier, settings: Settings, output: Output
) -> None:
    answer = handler(SAMPLE, LambdaContext())
    # The Task's OutputPath ($.Payload) makes this the child workflow's output: the answer
    # itself, not an API Gateway response.
    assert answer == answer_batch(SAMPLE, classifier, settings).body
    assert len(answer["results"]) == len(SAMPLE["Items"])
    line = output.request_line()
    assert line["route"] == "catalogue" and line["status"] == 200
    assert (line["movies"], line["refused"], line["format"]) == (3, 2, "csv")
    text = json.dumps(output.log_lines())
    assert all(item["movie"]["title"] not in text for item in SAMPLE["Items"])
    assert "Iago" not in text
    blobs = output.metrics()
    route = {"route": "catalogue", "status_class": "2xx", "service": "movie-genre"}
    assert (route, 3.0) in metric_values(blobs, "MoviesScored")
    assert (route, 1.0) in metric_values(blobs, "Requests")
    mix = sum(value for _, value in metric_values(blobs, "GenrePredicted"))
    assert mix == 3


def test_a_batch_the_model_fails_on_fails_the_invocation_and_is_logged(
    handler: Handler, output: Output, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(movies: object) -> None:
        raise RuntimeError(f"the model broke on {movies!r}")

    monkeypatch.setattr(handler.classifier, "predict", broken)
    with pytest.raises(BatchFailed) as failed:
        handler(SAMPLE, LambdaContext())
    # What Step Functions keeps as the cause: the kind of error, never the rows' text.
    assert str(failed.value) == "the model failed on this batch (RuntimeError)"
    assert failed.value.__cause__ is None and failed.value.__suppress_context__
    line = output.request_line()
    assert (line["message"], line["route"], line["status"]) == ("request failed", "catalogue", 500)
    route = {"route": "catalogue", "status_class": "5xx", "service": "movie-genre"}
    assert (route, 1.0) in metric_values(output.metrics(), "Requests")
