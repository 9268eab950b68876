"""The API's request and response bodies.

The answers' shapes are fixed. The requests' limits are settings (MOVIE_GENRE_MAX_*), so their
classes are made per app by request_bodies(settings, labels), and the routes read them through
dependencies that hand on the fixed shapes below. The OpenAPI schema states exactly the rules
that validation applies, so that a client that follows the schema is never refused.
"""

# No `from __future__ import annotations`: FastAPI resolves the dependencies' annotations, which
# name classes local to request_bodies.
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from genre_api.settings import Settings
from genre_model.constants import DEFAULT_TOP, MAX_TOP
from genre_model.movie_fields import MAX_WORD_CHARS, has_long_word, is_blank

# Fields a request object may carry beyond its own before it is refused whole: each unknown
# field is an error of its own, and thousands of them cost seconds to list.
MAX_UNKNOWN_FIELDS = 16


def readable(value: str) -> str:
    """value, unless it is blank or has a word over MAX_WORD_CHARS characters."""
    if is_blank(value):
        raise ValueError("must contain a non-whitespace character")
    if has_long_word(value):
        raise ValueError(f"must have no word over {MAX_WORD_CHARS} characters (a space apart)")
    return value


def whole_number(value: Any) -> Any:
    """JSON Schema's integers include 12.0; strict validation would refuse it (but no "12")."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def text_limits(max_chars: int, what: str) -> Any:
    """1..max_chars characters, at least one of them not whitespace, no word over MAX_WORD_CHARS
    (with readable). The JSON schema states the same rules (pattern \\S, and not a run of
    MAX_WORD_CHARS + 1 \\S), so that schema-valid input is accepted."""
    return Field(
        min_length=1,
        max_length=max_chars,
        description=what,
        json_schema_extra={
            "pattern": r"\S",
            "not": {"pattern": rf"\S{{{MAX_WORD_CHARS + 1}}}"},
        },
    )


class RequestBody(BaseModel):
    """Strict JSON types, no field beyond the declared ones."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def few_unknown_fields(cls, data: Any) -> Any:
        if isinstance(data, dict) and len(data) > len(cls.model_fields) + MAX_UNKNOWN_FIELDS:
            raise ValueError(
                f"{len(data)} fields: expected {', '.join(cls.model_fields)} and no others"
            )
        return data


class MovieText(RequestBody):
    """One movie, as the routes read it (its limits come with request_models)."""

    title: str
    description: str


class MovieBatchText(RequestBody):
    movies: Sequence[MovieText]


class ExplainText(MovieText):
    top: int | None = None


class CorrectionText(MovieText):
    """A user's correction of a movie's genres (its genres are the model's labels)."""

    genres: list[str]
    model_version: str | None = None
    scores: dict[str, float] | None = None


# A model version as `package` writes it (genre_model.manifest.VERSION_PATTERN), in a form the
# schema's regex dialect (ECMA-262) and pydantic's read alike: [0-9], since their \d differ.
MODEL_VERSION_PATTERN = r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{8}$"


def each_once(names: list[str]) -> list[str]:
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{', '.join(repeated)} more than once: name each genre once")
    return names


@dataclass(frozen=True)
class RequestBodies:
    """FastAPI dependencies that read each request body under one app's limits."""

    movie: Callable[..., Awaitable[MovieText]]
    batch: Callable[..., Awaitable[MovieBatchText]]
    explain: Callable[..., Awaitable[ExplainText]]
    correction: Callable[..., Awaitable[CorrectionText]]


def request_bodies(settings: Settings, labels: Sequence[str]) -> RequestBodies:
    """The request bodies with settings' limits and the model's labels, stated in the OpenAPI
    schema too."""
    known = list(labels)

    def is_label(name: str) -> str:
        if name not in known:
            raise ValueError(f"not one of the model's genres ({', '.join(known)})")
        return name

    genre = Annotated[str, AfterValidator(is_label), Field(json_schema_extra={"enum": known})]

    class Movie(MovieText):
        title: Annotated[
            str,
            text_limits(settings.max_title_chars, "The movie's title."),
            AfterValidator(readable),
        ]
        description: Annotated[
            str,
            text_limits(settings.max_description_chars, "The movie's plot description."),
            AfterValidator(readable),
        ]

    class MovieBatch(MovieBatchText):
        movies: list[Movie] = Field(min_length=1, max_length=settings.max_batch)

    class ExplainRequest(Movie, ExplainText):
        top: Annotated[int | None, BeforeValidator(whole_number)] = Field(
            None, ge=1, le=MAX_TOP, description=f"Words per genre (default {DEFAULT_TOP})."
        )

    class Correction(Movie, CorrectionText):
        genres: Annotated[
            list[genre],
            Field(
                max_length=len(known),
                description="The movie's right genres, all of them: [] means none of these.",
                json_schema_extra={"uniqueItems": True},
            ),
            AfterValidator(each_once),
        ]
        model_version: str | None = Field(
            None, pattern=MODEL_VERSION_PATTERN, description="The model whose answer was wrong."
        )
        scores: dict[genre, Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]] | None = (
            Field(None, max_length=len(known), description="The scores the user saw.")
        )

    async def movie(body: Movie) -> MovieText:
        return body

    async def batch(body: MovieBatch) -> MovieBatchText:
        return body

    async def explain(body: ExplainRequest) -> ExplainText:
        return body

    async def correction(body: Correction) -> CorrectionText:
        return body

    return RequestBodies(movie=movie, batch=batch, explain=explain, correction=correction)


class CorrectionSaved(BaseModel):
    id: str = Field(description="The correction's id: it is stored as date=<UTC day>/<id>.json.")
    received_at: str = Field(description="When it was received: UTC, ISO 8601.")
    model_version: str = Field(description="The model serving when it was received.")


class Message(BaseModel):
    detail: str


class FieldError(BaseModel):
    """One reason a request was refused (pydantic's error, as FastAPI reports it)."""

    type: str
    loc: list[str | int] = Field(description="Where: body, then the field's path.")
    msg: str
    input: Any = Field(
        None,
        description="The rejected value: whole when its JSON is short, else its first "
        "characters (a string) and input_truncated.",
    )
    input_truncated: bool = Field(False, description="Present and true when input was cut.")
    ctx: dict[str, Any] | None = None


class Refusal(BaseModel):
    """A request that breaks the input rules (FastAPI's 422, bounded in size)."""

    detail: list[FieldError]
    error_count: int | None = Field(
        None, description="How many errors there were, when only the first ones are listed."
    )


class MovieGenres(BaseModel):
    scores: dict[str, float]
    genres: list[str]
    genre: str


class BatchResult(BaseModel):
    model_version: str
    results: list[MovieGenres]


class Health(BaseModel):
    status: str
    model_version: str
    labels: list[str]


class WordWeight(BaseModel):
    word: str
    weight: float = Field(
        description="How much the genre's score falls when every occurrence of the word is "
        "removed from the title and the description (negative: it rises)."
    )


class Explained(BaseModel):
    scores: dict[str, float]
    genre: str
    genres: list[str]
    explanations: dict[str, list[WordWeight]]
    model_version: str


class ModelCard(BaseModel):
    version: str
    created_at: str
    recipe: str
    spacy_version: str
    labels: list[str]
    thresholds: dict[str, float]
    text_fields: str
    data_sha256: str
    split_sizes: dict[str, int]
    test_metrics: dict[str, Any]
    limits: dict[str, int] = Field(
        description="The most characters each text field of a movie may have, as sent."
    )
