"""Routes: POST /genre (the original project's shape), POST /genres (batch), GET /health."""

# No `from __future__ import annotations` here: the request models are classes local to
# create_app (their limits come from Settings), and FastAPI must resolve their annotations.
import json
from contextlib import nullcontext
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from genre_api.settings import Settings
from genre_model import GenreClassifier, Prediction

if TYPE_CHECKING:
    from genre_api.observability import Observer

VERSION_HEADER = "X-Model-Version"


class JsonBodies:
    """Read every request body as JSON, whatever Content-Type the client sent.

    The API takes nothing else, and `curl -d` sends form encoding: without this, a well-formed
    JSON body would be refused as "not a valid dictionary".
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in {"POST", "PUT", "PATCH"}:
            headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-type"]
            scope = {**scope, "headers": [*headers, (b"content-type", b"application/json")]}
        await self.app(scope, receive, send)


# The schema's pattern is an ECMA-262 regex (JSON Schema's dialect); its \s is this set, which
# differs from Python's str.isspace (for example "\x1d"). Validation uses the same set.
ECMA_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def not_blank(value: str) -> str:
    if not value.strip(ECMA_WHITESPACE):
        raise ValueError("must contain a non-whitespace character")
    return value


def text_limits(max_chars: int, what: str) -> Any:
    """1..max_chars characters, at least one of them not whitespace (with not_blank).

    The JSON schema states the same rule (pattern \\S), so that schema-valid input is accepted.
    """
    return Field(
        min_length=1, max_length=max_chars, description=what, json_schema_extra={"pattern": r"\S"}
    )


class AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII characters escaped: a 422 that echoes a lone surrogate (valid in a
    JSON string, "\\ud800", but not encodable as UTF-8) must not turn into a 500."""

    def render(self, content: Any) -> bytes:
        return json.dumps(
            content, ensure_ascii=True, allow_nan=False, separators=(",", ":")
        ).encode()


async def refuse_invalid(request: Request, error: Exception) -> JSONResponse:
    """FastAPI's own 422 body ({"detail": [errors]}), rendered so that any input can be echoed."""
    errors = error.errors() if isinstance(error, RequestValidationError) else [str(error)]
    return AsciiJSONResponse(status_code=422, content={"detail": jsonable_encoder(errors)})


class Message(BaseModel):
    detail: str


# FastAPI answers 400 itself when a body is not UTF-8 (the Lambda handler hands it such bodies
# as bytes). Documented, so that clients and fuzzers expect it.
BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Message, "description": "The body is not UTF-8 text"},
}


def create_app(
    classifier: GenreClassifier, settings: Settings, observer: "Observer | None" = None
) -> FastAPI:
    """The app; observer: logs, metrics and traces (None: none at all, as in the benchmark's
    baseline)."""

    class Movie(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        title: Annotated[
            str,
            text_limits(settings.max_title_chars, "The movie's title."),
            AfterValidator(not_blank),
        ]
        description: Annotated[
            str,
            text_limits(settings.max_description_chars, "The movie's plot description."),
            AfterValidator(not_blank),
        ]

    class MovieBatch(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        movies: list[Movie] = Field(min_length=1, max_length=settings.max_batch)

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

    app = FastAPI(
        title="movie-genre",
        summary="Scores a movie's genres from its title and description.",
        version=classifier.version,
        exception_handlers={RequestValidationError: refuse_invalid},
    )

    if observer is not None:
        from genre_api.observability import RequestTelemetry

        # Innermost: it sees the scope the router fills in (the matched route).
        app.add_middleware(RequestTelemetry, observer=observer)
    app.add_middleware(JsonBodies)

    def score(request: Request, route: str, movies: list[tuple[str, str]]) -> list[Prediction]:
        with observer.scoring(route) if observer else nullcontext():
            predictions = classifier.predict(movies)
        if observer:
            observer.record_scoring(request, movies, predictions)
        return predictions

    # `async def` routes score on the event loop: a Lambda container serves one request at a
    # time, and handing the work to FastAPI's thread pool cost more than the model's own time.
    @app.post("/genre", summary="Score one movie: genre -> score", responses=BODY_ERRORS)
    async def genre(movie: Movie, request: Request, response: Response) -> dict[str, float]:
        response.headers[VERSION_HEADER] = classifier.version
        return score(request, "/genre", [(movie.title, movie.description)])[0].scores

    @app.post(
        "/genres", summary="Score a batch of movies with spaCy's batching", responses=BODY_ERRORS
    )
    async def genres(batch: MovieBatch, request: Request, response: Response) -> BatchResult:
        response.headers[VERSION_HEADER] = classifier.version
        predictions = score(request, "/genres", [(m.title, m.description) for m in batch.movies])
        return BatchResult(
            model_version=classifier.version,
            results=[
                MovieGenres(scores=p.scores, genres=p.genres, genre=p.top_genre)
                for p in predictions
            ],
        )

    @app.get("/health", summary="Model loaded, its version and labels")
    async def health() -> Health:
        return Health(status="ok", model_version=classifier.version, labels=classifier.labels)

    return app
