"""The FastAPI app: POST /genre, /genres and /explain score movies; POST /feedback stores a
user's correction; GET /model and /health say which model answers; GET / (the demo page) and
/docs (Swagger UI) are for people, and can be turned off (MOVIE_GENRE_PUBLIC_PAGES); GET
/openapi.json is the schema.

create_app assembles the routers (genre_api.routes), the refusals and the middleware.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from genre_api.body_limits import batch_body_bytes, correction_body_bytes, movie_body_bytes
from genre_api.feedback_store import client_key, feedback_store
from genre_api.json_bodies import JsonBodies
from genre_api.refusals import refuse_invalid, refuse_too_large
from genre_api.routes.demo import demo_router
from genre_api.routes.docs import docs_router
from genre_api.routes.explanations import explanations_router
from genre_api.routes.feedback import feedback_router
from genre_api.routes.model_card import model_card_router
from genre_api.routes.scoring import scoring_router
from genre_api.schemas import request_bodies
from genre_api.scorer import Scorer
from genre_api.security import SecurityHeaders
from genre_api.settings import Settings
from genre_model import GenreClassifier

if TYPE_CHECKING:
    from genre_api.observability import Observer

OPENAPI_URL = "/openapi.json"


def create_app(
    classifier: GenreClassifier, settings: Settings, observer: Observer | None = None
) -> FastAPI:
    """The app; observer: logs, metrics and traces (None: none at all, as in the benchmark's
    baseline)."""
    app = FastAPI(
        title="movie-genre",
        summary="Scores a movie's genres from its title and description.",
        version=classifier.version,
        openapi_url=OPENAPI_URL,
        docs_url=None,  # genre_api.routes.docs, with subresource integrity
        redoc_url=None,
        # Every route but /genres reads at most one movie.
        max_body_size=movie_body_bytes(settings),
        exception_handlers={RequestValidationError: refuse_invalid, 413: refuse_too_large},
    )
    scorer = Scorer(classifier, observer)
    bodies = request_bodies(settings, classifier.labels)
    app.include_router(scoring_router(scorer, bodies, batch_body_bytes(settings)))
    app.include_router(explanations_router(scorer, bodies))
    app.include_router(
        feedback_router(
            feedback_store(settings),
            bodies.correction,
            classifier.version,
            observer,
            correction_body_bytes(settings, classifier.labels),
            client_key(settings),
        )
    )
    app.include_router(model_card_router(classifier, settings))
    if settings.public_pages:
        app.include_router(demo_router())
        app.include_router(docs_router(app.title, OPENAPI_URL))

    # Innermost: its 415 is logged and gets the security headers like any other answer.
    app.add_middleware(JsonBodies)
    if observer is not None:
        from genre_api.observability import RequestTelemetry

        # It sees the scope the router fills in (the matched route).
        app.add_middleware(RequestTelemetry, observer=observer)
    app.add_middleware(SecurityHeaders)
    return app
