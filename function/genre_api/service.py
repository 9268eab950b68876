"""build_handler: settings -> model -> app -> Lambda handler, the one wiring that the Lambda
entry point, `make serve`, the benchmarks and the tests all run."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from mangum import Mangum

from genre_api.app import NOT_UTF8, create_app
from genre_api.settings import Settings
from genre_api.stage import StagePrefix
from genre_model import GenreClassifier

logger = logging.getLogger("genre_api")

LambdaEvent = dict[str, Any]
LambdaResponse = dict[str, Any]


def json_response(status: int, payload: object) -> LambdaResponse:
    """An API Gateway proxy response (the same shape suits REST v1 and HTTP API v2)."""
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(payload),
        "isBase64Encoded": False,
    }


def undecodable_body(event: LambdaEvent) -> bool:
    """A text body that cannot be UTF-8 encoded (lone surrogates): Mangum would crash on it."""
    body = event.get("body")
    if not isinstance(body, str) or event.get("isBase64Encoded"):
        return False
    try:
        body.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


@dataclass(frozen=True)
class Handler:
    """The Lambda entry point: Mangum over the app, guarded so that no event crashes it."""

    classifier: GenreClassifier
    app: FastAPI
    mangum: Mangum

    def __call__(self, event: LambdaEvent, context: Any) -> LambdaResponse:
        if undecodable_body(event):
            return json_response(400, {"detail": NOT_UTF8})
        try:
            response: LambdaResponse = self.mangum(event, context)
        except Exception:
            # An event Mangum cannot read: a 500 that says so beats a crashed invocation (502).
            logger.exception("unhandled error for this event")
            return json_response(500, {"detail": "Internal Server Error"})
        return response


def load_classifier(settings: Settings) -> GenreClassifier:
    """Load, verify and golden-check the model; raises ModelError."""
    classifier = GenreClassifier.load(settings.model_dir, verify=settings.verify_model)
    if settings.check_golden and classifier.check_golden() is None:
        logger.warning(
            "model %s has no golden set: it loads, but cannot be checked against training",
            classifier.version,
        )
    return classifier


def build_handler(settings: Settings, classifier: GenreClassifier | None = None) -> Handler:
    """The handler for settings; classifier: one already loaded (tests share one)."""
    classifier = classifier or load_classifier(settings)
    app = create_app(classifier, settings)
    # The model is already loaded; the app has no startup work for a lifespan to run.
    return Handler(classifier, app, Mangum(StagePrefix(app), lifespan="off"))
