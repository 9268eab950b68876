"""Routes: POST /genre (the original project's shape), POST /genres (batch), GET /health."""

# No `from __future__ import annotations` here: the request models are classes local to
# create_app (their limits come from Settings), and FastAPI must resolve their annotations.
from typing import Annotated

from fastapi import FastAPI, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.types import ASGIApp, Receive, Scope, Send

from genre_api.settings import Settings
from genre_model import GenreClassifier

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


def create_app(classifier: GenreClassifier, settings: Settings) -> FastAPI:
    Title = Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=settings.max_title_chars),
    ]
    Description = Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1, max_length=settings.max_description_chars
        ),
    ]

    class Movie(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        title: Title
        description: Description

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
    )

    app.add_middleware(JsonBodies)

    # Plain `def` routes: FastAPI runs them in its thread pool, so scoring never blocks the loop.
    @app.post("/genre", summary="Score one movie: genre -> score")
    def genre(movie: Movie, response: Response) -> dict[str, float]:
        response.headers[VERSION_HEADER] = classifier.version
        return classifier.predict([(movie.title, movie.description)])[0].scores

    @app.post("/genres", summary="Score a batch of movies with spaCy's batching")
    def genres(batch: MovieBatch, response: Response) -> BatchResult:
        response.headers[VERSION_HEADER] = classifier.version
        predictions = classifier.predict([(m.title, m.description) for m in batch.movies])
        return BatchResult(
            model_version=classifier.version,
            results=[
                MovieGenres(scores=p.scores, genres=p.genres, genre=p.top_genre)
                for p in predictions
            ],
        )

    @app.get("/health", summary="Model loaded, its version and labels")
    def health() -> Health:
        return Health(status="ok", model_version=classifier.version, labels=classifier.labels)

    return app
