"""Catalogue batches: the event a Step Functions Distributed Map sends the function, answered
with one result per item, in order.

The Map (statemachine/catalogue.asl.json) reads a CSV (with a header row) or JSON Lines file from
S3, wraps each row as {"index": <its 0-based position in the file>, "movie": <the row>} (its
ItemSelector), and sends them in batches (its ItemBatcher):

    {"Items": [{"index": 0, "movie": {"title": "...", "description": "..."}}, ...],
     "BatchInput": {"format": "csv"}}

The answer has the model version once and one result per item, in the items' order:

    {"model_version": "...",
     "results": [{"index": 0, "genre": "Drama", "genres": ["Drama"], "scores": {...}},
                 {"index": 1, "error": "empty description"}, ...]}

An item that cannot be scored (not an object, no title, blank, over the API's length limits or
its word limit, over the batch limit) gets an error of its own and the others are scored: a bad
row never fails its batch. Neither an answer nor an error message repeats any of the text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from genre_api.settings import Settings
from genre_model import GenreClassifier, Prediction
from genre_model.movie_fields import TITLE_FIELD, description_field, named_fields, text_problem

ROUTE = "catalogue"  # the route dimension of a batch's metrics, and its log line's route
ITEMS = "Items"
BATCH_INPUT = "BatchInput"
# What one item is (statemachine/catalogue.asl.json's ItemSelector).
INDEX = "index"
MOVIE = "movie"
NOT_AN_ITEM = f"not a catalogue item ({{{INDEX!r}, {MOVIE!r}}}: see the Map's ItemSelector)"
NOT_AN_OBJECT = "not a JSON object with a title and a description"


class BatchFailed(RuntimeError):
    """A batch the model failed on, named by the error's kind alone: Step Functions keeps the
    function's error message as the failure's cause, and a model's message may quote the input."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(f"the model failed on this batch ({type(error).__name__})")


def is_batch_event(event: Mapping[str, Any]) -> bool:
    """A Distributed Map's batch, not an API Gateway event (which always has requestContext
    (HTTP API, REST API) or httpMethod (REST API))."""
    return ITEMS in event and "requestContext" not in event and "httpMethod" not in event


@dataclass(frozen=True)
class Item:
    """One item of a batch: its index in the file, and its movie or why it cannot be scored."""

    index: int | None
    movie: tuple[str, str] | None = None
    error: str | None = None


@dataclass(frozen=True)
class BatchAnswer:
    """What the function returns, and what its log line and metrics say of it."""

    body: dict[str, Any]
    movies: list[tuple[str, str]] = field(default_factory=list)  # the scored ones
    predictions: list[Prediction] = field(default_factory=list)
    refused: int = 0
    format: str | None = None


def answer_batch(
    event: Mapping[str, Any], classifier: GenreClassifier, settings: Settings
) -> BatchAnswer:
    """Score a batch's valid items in one call to the model; every item gets a result."""
    batch_format = _batch_format(event.get(BATCH_INPUT))
    body: dict[str, Any] = {"model_version": classifier.version, "results": []}
    items = event.get(ITEMS)
    if not isinstance(items, list):
        return BatchAnswer(body | {"error": "Items is not a list"}, format=batch_format)
    read = [
        read_item(item, settings)
        if position < settings.max_batch
        else Item(_index_of(item), error=f"over the batch limit of {settings.max_batch} items")
        for position, item in enumerate(items)
    ]
    movies = [item.movie for item in read if item.movie is not None]
    predictions = classifier.predict(movies) if movies else []
    scored = iter(predictions)
    body["results"] = [
        _result(item.index, next(scored)) if item.movie is not None else _refusal(item)
        for item in read
    ]
    return BatchAnswer(body, movies, predictions, len(read) - len(movies), batch_format)


def read_item(item: object, settings: Settings) -> Item:
    """An item's index and movie (title and description, stripped as the CLI's --file strips
    them), or the reason it cannot be scored."""
    if not isinstance(item, Mapping) or MOVIE not in item:
        return Item(_index_of(item), error=NOT_AN_ITEM)
    index, value = _index_of(item), item[MOVIE]
    if not isinstance(value, Mapping):
        return Item(index, error=NOT_AN_OBJECT)
    fields = named_fields(value)
    description_name = description_field(fields)
    title, title_problem = _text(fields, TITLE_FIELD, TITLE_FIELD, settings.max_title_chars)
    description, description_problem = _text(
        fields, description_name, "description", settings.max_description_chars
    )
    if title_problem == "empty title" and description_problem == "empty description":
        return Item(index, error="empty title and description")  # the CLI's own words
    problems = [problem for problem in (title_problem, description_problem) if problem]
    if problems:
        return Item(index, error="; ".join(problems))
    return Item(index, movie=(title, description))


def _text(
    fields: Mapping[str, object], name: str | None, what: str, max_chars: int
) -> tuple[str, str | None]:
    """A field's text, stripped, and what is wrong with it (None: nothing)."""
    if name is None or name not in fields:
        expected = "description (or overview)" if what == "description" else what
        return "", f"no {expected} field"
    value = fields[name]
    if value is None:
        value = ""
    if not isinstance(value, str):
        return "", f"{what} is not text"
    text = value.strip()
    problem = text_problem(text, what, max_chars)  # the API's rules, in the CLI's words
    return ("", problem) if problem else (text, None)


def _index_of(item: object) -> int | None:
    """The item's index in the file, when it carries one (a bool is not one)."""
    if isinstance(item, Mapping):
        index = item.get(INDEX)
        if isinstance(index, int) and not isinstance(index, bool):
            return index
    return None


def _batch_format(batch_input: object) -> str | None:
    """The input's format as the Map's BatchInput names it (csv, jsonl), for the log line."""
    if isinstance(batch_input, Mapping) and isinstance(batch_input.get("format"), str):
        return str(batch_input["format"])[:16]
    return None


def _result(index: int | None, prediction: Prediction) -> dict[str, Any]:
    return {
        INDEX: index,
        "genre": prediction.top_genre,
        "genres": prediction.genres,
        "scores": prediction.scores,
    }


def _refusal(item: Item) -> dict[str, Any]:
    return {INDEX: item.index, "error": item.error}
