"""Routes: POST /genre (the original project's shape), POST /genres (batch), GET /health."""

# No `from __future__ import annotations` here: the request models are classes local to
# create_app (their limits come from Settings), and FastAPI must resolve their annotations.
import json
import math
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import FastAPI, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from genre_api.settings import Settings
from genre_model import GenreClassifier, Prediction
from genre_model.card import model_card
from genre_model.explanations import DEFAULT_TOP, MAX_TOP, explain

if TYPE_CHECKING:
    from genre_api.observability import Observer

VERSION_HEADER = "X-Model-Version"
DEMO_PAGE = Path(__file__).with_name("demo.html")


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


def whole_number(value: Any) -> Any:
    """JSON Schema's integers include 12.0; strict validation would refuse it (but no "12")."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
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


def finite(value: Any) -> Any:
    """value with NaN and the infinities as the strings "nan", "inf", "-inf": Python's parser reads
    them from a body (NaN, Infinity, 1e400), and JSON has no way to echo them back."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [finite(item) for item in value]
    return value


async def refuse_invalid(request: Request, error: Exception) -> JSONResponse:
    """FastAPI's own 422 body ({"detail": [errors]}), rendered so that any input can be echoed."""
    errors = error.errors() if isinstance(error, RequestValidationError) else [str(error)]
    return AsciiJSONResponse(status_code=422, content={"detail": finite(jsonable_encoder(errors))})


class Message(BaseModel):
    detail: str


# FastAPI answers 400 itself when it cannot parse a body at all: not UTF-8 (the Lambda handler
# hands it such bodies as bytes), nested too deep for Python's parser, or an integer literal too
# long to convert. Documented, so that clients and fuzzers expect it.
BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "model": Message,
        "description": "The body cannot be parsed: not UTF-8 text, JSON nested too deep, or an "
        "integer over 4300 digits",
    },
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

    class ExplainRequest(Movie):
        top: Annotated[int | None, BeforeValidator(whole_number)] = Field(
            None, ge=1, le=MAX_TOP, description=f"Words per genre (default {DEFAULT_TOP})."
        )

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

    card = ModelCard(**model_card(classifier.manifest))
    demo_page = DEMO_PAGE.read_text(encoding="utf-8")

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

    def observed(
        request: Request,
        route: str,
        movies: list[tuple[str, str]],
        run: Callable[[], list[Prediction]],
    ) -> list[Prediction]:
        """Run the model (traced), then tell the request's log line what it scored."""
        with observer.scoring(route) if observer else nullcontext():
            predictions = run()
        if observer:
            observer.record_scoring(request, movies, predictions)
        return predictions

    def score(request: Request, route: str, movies: list[tuple[str, str]]) -> list[Prediction]:
        return observed(request, route, movies, lambda: classifier.predict(movies))

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

    @app.post(
        "/explain",
        summary="Score one movie and say which words drove each genre's score",
        responses=BODY_ERRORS,
    )
    async def explain_genres(
        body: ExplainRequest,
        request: Request,
        response: Response,
        top: Annotated[
            int | None, Query(ge=1, le=MAX_TOP, description="Words per genre, if not in the body.")
        ] = None,
    ) -> Explained:
        response.headers[VERSION_HEADER] = classifier.version
        explanations = []

        def run() -> list[Prediction]:
            found = explain(
                classifier, body.title, body.description, body.top or top or DEFAULT_TOP
            )
            explanations.append(found)
            return [found.prediction]

        (prediction,) = observed(request, "/explain", [(body.title, body.description)], run)
        return Explained(
            scores=prediction.scores,
            genre=prediction.top_genre,
            genres=prediction.genres,
            explanations={
                genre: [WordWeight(word=w.word, weight=w.weight) for w in words]
                for genre, words in explanations[0].words.items()
            },
            model_version=classifier.version,
        )

    @app.get("/health", summary="Model loaded, its version and labels")
    async def health() -> Health:
        return Health(status="ok", model_version=classifier.version, labels=classifier.labels)

    @app.get("/model", summary="The model card: what the model is and how well it does")
    async def model() -> ModelCard:
        return card

    @app.get("/", summary="A page to try the model in a browser", response_class=HTMLResponse)
    async def demo() -> HTMLResponse:
        return HTMLResponse(demo_page)

    return app
