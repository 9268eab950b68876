"""POST /explain: a movie's scores, and the words that drove each genre's score."""

# No `from __future__ import annotations`: FastAPI resolves the route's annotations, which name
# the app's own body dependency.
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from genre_api.refusals import BODY_REFUSALS
from genre_api.schemas import Explained, ExplainText, RequestBodies, WordWeight
from genre_api.scorer import Scorer
from genre_model.constants import DEFAULT_TOP, MAX_TOP, MODEL_VERSION_HEADER


def explanations_router(scorer: Scorer, bodies: RequestBodies) -> APIRouter:
    router = APIRouter()

    @router.post(
        "/explain",
        summary="Score one movie and say which words drove each genre's score",
        responses=BODY_REFUSALS,
    )
    async def explain_genres(
        body: Annotated[ExplainText, Depends(bodies.explain)],
        request: Request,
        response: Response,
        top: Annotated[
            int | None, Query(ge=1, le=MAX_TOP, description="Words per genre, if not in the body.")
        ] = None,
    ) -> Explained:
        response.headers[MODEL_VERSION_HEADER] = scorer.version
        movie = (body.title, body.description)
        found = scorer.explain(request, "/explain", movie, body.top or top or DEFAULT_TOP)
        prediction = found.prediction
        return Explained(
            scores=prediction.scores,
            genre=prediction.top_genre,
            genres=prediction.genres,
            explanations={
                genre: [WordWeight(word=w.word, weight=w.weight) for w in words]
                for genre, words in found.words.items()
            },
            model_version=scorer.version,
        )

    return router
