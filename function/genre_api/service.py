"""build_handler: settings -> model -> app -> Lambda handler, the one wiring that the Lambda
entry point, `make serve`, the benchmarks and the tests all run."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from mangum import Mangum

from genre_api import catalogue
from genre_api.app import create_app
from genre_api.settings import Settings
from genre_api.stage import StagePrefix
from genre_model import GenreClassifier

LambdaEvent = dict[str, Any]
LambdaResponse = dict[str, Any]
Invoke = Callable[[LambdaEvent, Any], LambdaResponse]


def json_response(status: int, payload: object) -> LambdaResponse:
    """An API Gateway proxy response (the same shape suits REST v1 and HTTP API v2)."""
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(payload),
        "isBase64Encoded": False,
    }


def with_encodable_body(event: LambdaEvent) -> LambdaEvent:
    """The event, with a text body that UTF-8 cannot encode (lone surrogates: what API Gateway
    or sam local make of bytes that are not UTF-8) handed on as those bytes. Mangum would crash
    encoding it; the app answers such a body with its documented 400."""
    body = event.get("body")
    if not isinstance(body, str) or event.get("isBase64Encoded"):
        return event
    try:
        body.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = body.encode("utf-8", "surrogateescape")  # the bytes the client sent
        except UnicodeEncodeError:
            raw = body.encode("utf-8", "surrogatepass")  # any str encodes so; not UTF-8 either
        return {**event, "body": base64.b64encode(raw).decode("ascii"), "isBase64Encoded": True}
    return event


@dataclass(frozen=True)
class Handler:
    """The Lambda entry point: a catalogue job's batch (genre_api.catalogue), or an API
    Gateway event for Mangum over the app, guarded so that no such event crashes it."""

    classifier: GenreClassifier
    app: FastAPI
    invoke: Invoke  # with logs, metrics and traces around it, when observed

    def __call__(self, event: LambdaEvent, context: Any) -> LambdaResponse:
        return self.invoke(event, context)


def load_classifier(settings: Settings, logger: Any) -> GenreClassifier:
    """Load, verify and golden-check the model; raises ModelError."""
    classifier = GenreClassifier.load(settings.model_dir, verify=settings.verify_model)
    if settings.check_golden and classifier.check_golden() is None:
        logger.warning(
            f"model {classifier.version} has no golden set: it loads, but cannot be checked "
            "against its training"
        )
    return classifier


def build_handler(
    settings: Settings, classifier: GenreClassifier | None = None, *, observe: bool = True
) -> Handler:
    """The handler for settings. classifier: one already loaded (tests share one); observe:
    logs, metrics and traces (False only to measure what they cost)."""
    observer = None
    logger: Any = logging.getLogger("genre_api")
    if observe:
        from genre_api.observability import service_logger

        logger = service_logger(settings)
    classifier = classifier or load_classifier(settings, logger)
    if observe:
        from genre_api.observability import Observer

        observer = Observer(settings, classifier.version)
    app = create_app(classifier, settings, observer)
    # The model is already loaded; the app has no startup work for a lifespan to run.
    mangum = Mangum(StagePrefix(app), lifespan="off")

    def answer_batch(event: LambdaEvent) -> LambdaResponse:
        """A catalogue job's batch (genre_api.catalogue); an error raises, so that Step
        Functions sees the batch fail (and retries it or lists its rows)."""
        started = time.perf_counter()
        try:
            with observer.scoring(catalogue.ROUTE) if observer else nullcontext():
                answer = catalogue.answer_batch(event, classifier, settings)
        except Exception as error:
            if observer is not None:
                seconds = time.perf_counter() - started
                observer.batch_done(catalogue.ROUTE, [], [], {}, seconds, error)
            raise catalogue.BatchFailed(error) from None
        if observer is not None:
            seen = {"refused": answer.refused, "format": answer.format}
            seconds = time.perf_counter() - started
            observer.batch_done(
                catalogue.ROUTE, answer.movies, answer.predictions, seen, seconds, None
            )
        return answer.body

    def invoke(event: LambdaEvent, context: Any) -> LambdaResponse:
        if catalogue.is_batch_event(event):
            return answer_batch(event)
        try:
            response: LambdaResponse = mangum(with_encodable_body(event), context)
        except Exception as error:
            # An event Mangum cannot read: a 500 that says so beats a crashed invocation (502).
            if observer is not None:
                observer.request_done({"aws.event": event}, 500, 0.0, error)
            else:
                logger.exception("unhandled error for this event")
            return json_response(500, {"detail": "Internal Server Error"})
        return response

    return Handler(classifier, app, observer.wrap_lambda(invoke) if observer else invoke)
