"""POST /genre and POST /genres: a movie's score per genre."""

# No `from __future__ import annotations`: FastAPI resolves the routes' annotations, which name
# the app's own body dependencies.
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from genre_api.refusals import BODY_REFUSALS
from genre_api.schemas import BatchResult, MovieBatchText, MovieGenres, MovieText, RequestBodies
from genre_api.scorer import Scorer
from genre_model.constants import MODEL_VERSION_HEADER


def scoring_router(scorer: Scorer, bodies: RequestBodies, max_batch_bytes: int) -> APIRouter:
    """max_batch_bytes: the largest /genres body read (a /genre body: the app's limit)."""
    router = APIRouter()

    # `async def` routes score on the event loop: a Lambda container serves one request at a
    # time, and handing the work to FastAPI's thread pool cost more than the model's own time.
    @router.post("/genre", summary="Score one movie: genre -> score", responses=BODY_REFUSALS)
    async def genre(
        movie: Annotated[MovieText, Depends(bodies.movie)], request: Request, response: Response
    ) -> dict[str, float]:
        response.headers[MODEL_VERSION_HEADER] = scorer.version
        return scorer.predict(request, "/genre", [(movie.title, movie.description)])[0].scores

    @router.post(
        "/genres",
        summary="Score a batch of movies with spaCy's batching",
        responses=BODY_REFUSALS,
        max_body_size=max_batch_bytes,
    )
    async def genres(
        batch: Annotated[MovieBatchText, Depends(bodies.batch)],
        request: Request,
        response: Response,
    ) -> BatchResult:
        response.headers[MODEL_VERSION_HEADER] = scorer.version
        movies = [(m.title, m.description) for m in batch.movies]
        predictions = scorer.predict(request, "/genres", movies)
        return BatchResult(
            model_version=scorer.version,
            results=[
                MovieGenres(scores=p.scores, genres=p.genres, genre=p.top_genre)
                for p in predictions
            ],
        )

    return router
