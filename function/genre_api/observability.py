"""Logs, metrics and traces with Powertools for AWS Lambda.

- One JSON log line per request (`request`): route, status, latency, movies, model version, top
  genre, text lengths (never the text, unless MOVIE_GENRE_LOG_TEXT is on), and in Lambda the
  request ids and cold_start.
- CloudWatch embedded-metric-format metrics in the MovieGenre namespace: Requests, BadRequests and
  MoviesScored (one blob per request: by route and status class, and service-wide),
  GenrePredicted (by genre: the genre mix), FeedbackReceived (by genre: each genre a stored
  correction names), and Powertools' ColdStart. A correction's log line has its id, genres and
  text lengths, never its text.
- A catalogue job's batch (Step Functions' Distributed Map invokes the function with it) gets
  the same log line and metrics, with route `catalogue`, the rows it refused and the input's
  format.
- X-Ray traces: a `score` subsegment around the model, annotated with route and model version,
  and nothing of the text: no response (which holds /explain's words and a 422's echo), no
  exception message (which may quote the input), no metadata.

Under `make serve` (MOVIE_GENRE_LOG_FORMAT=text) each request is one readable line on stderr
instead, and no metrics are written; MOVIE_GENRE_LOG_FORMAT=json shows what Lambda logs.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from genre_api.settings import Settings
from genre_model import Prediction
from genre_model.corrections import Correction

RECORD = "movie_genre_record"  # where a route leaves what the log line says of its request
FEEDBACK_RECORD = "movie_genre_feedback"  # the same, for a correction (POST /feedback)
# The genre dimension of FeedbackReceived for a correction that names none of the genres.
NO_GENRE = "(none of these)"
UNMATCHED_ROUTE = "unmatched"  # any path the API does not have: one metric dimension, not many

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]
READABLE_LOGGER = "genre_api.requests"


def service_logger(settings: Settings) -> Logger:
    """The service's Powertools logger: every Logger of one service name shares one handler.
    Level from POWERTOOLS_LOG_LEVEL or LOG_LEVEL (Powertools' own rule), INFO by default."""
    return Logger(service=settings.service_name)


def readable_logger() -> logging.Logger:
    """The logger of the readable lines: one line per request on stderr, with its time."""
    logger = logging.getLogger(READABLE_LOGGER)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def readable_line(line: dict[str, Any]) -> str:
    """A request's log line as one line of text: method, route, status, latency, then the rest."""
    fields = dict(line)
    head = [str(fields.pop(key) or "-") for key in ("method", "route", "status")]
    latency = fields.pop("latency_ms")
    rest = " ".join(f"{key}={value}" for key, value in fields.items())
    return f"{' '.join(head)} {latency} ms {rest}".rstrip()


def tracing_enabled(settings: Settings) -> bool:
    """Powertools' own rule: trace in Lambda, not under SAM local, unless disabled.

    Tested before a Tracer is made, because making one imports the X-Ray SDK, even to disable
    it: where no trace is sent, tracing costs nothing.
    """
    in_lambda = "LAMBDA_TASK_ROOT" in os.environ and "AWS_SAM_LOCAL" not in os.environ
    return in_lambda and not settings.trace_disabled


def mark_failed(subsegment: Any, error: Exception) -> None:
    """A trace's subsegment marked failed, with the error's kind: never its message or stack,
    which may quote the input."""
    subsegment.add_fault_flag()
    subsegment.put_annotation("error", type(error).__name__)


@dataclass
class RequestRecord:
    """What a scoring route learned about its request, for the log line and the metrics."""

    movies: int = 0
    title_chars: int = 0
    description_chars: int = 0
    top_genres: Counter[str] = field(default_factory=Counter)
    texts: list[dict[str, str]] | None = None


@dataclass
class FeedbackRecord:
    """What POST /feedback says of a correction in its log line: never its text."""

    correction_id: str
    genres: list[str]
    title_chars: int
    description_chars: int


class Observer:
    """The function's logger, metrics and tracer, and what the app and handler do with them."""

    def __init__(self, settings: Settings, model_version: str) -> None:
        self.model_version = model_version
        self.log_text = settings.log_text
        self.service = settings.service_name
        self.logger = service_logger(settings)
        self.readable = readable_logger() if settings.log_format == "text" else None
        self.metrics = Metrics(namespace=settings.metrics_namespace, service=self.service)
        # The genre mix's metric set, kept from one request to the next: a single_metric per
        # blob cost twice as much.
        self.scored = EphemeralMetrics(namespace=settings.metrics_namespace, service=self.service)
        self.tracer: Any = None
        if tracing_enabled(settings):
            from aws_lambda_powertools import Tracer

            self.tracer = Tracer(service=self.service, disabled=False)

    def record_scoring(
        self, request: Request, movies: Sequence[tuple[str, str]], predictions: list[Prediction]
    ) -> None:
        """Called by a route once it has scored: counts and lengths, never the text itself."""
        request.scope[RECORD] = self.scoring_record(movies, predictions)

    def scoring_record(
        self, movies: Sequence[tuple[str, str]], predictions: list[Prediction]
    ) -> RequestRecord:
        record = RequestRecord(
            movies=len(movies),
            title_chars=sum(len(title) for title, _ in movies),
            description_chars=sum(len(description) for _, description in movies),
            top_genres=Counter(prediction.top_genre for prediction in predictions),
        )
        if self.log_text:
            record.texts = [{"title": t, "description": d} for t, d in movies]
        return record

    def record_feedback(self, request: Request, correction: Correction) -> None:
        """Called by POST /feedback: the correction's id, genres and text lengths."""
        request.scope[FEEDBACK_RECORD] = FeedbackRecord(
            correction_id=correction.id,
            genres=list(correction.genres),
            title_chars=len(correction.title),
            description_chars=len(correction.description),
        )

    def scoring(self, route: str) -> Any:
        """A `score` subsegment around the model when tracing; nothing otherwise."""
        if self.tracer is None:
            return nullcontext()
        return self._subsegment(route)

    @contextmanager
    def _subsegment(self, route: str) -> Iterator[None]:
        failure: Exception | None = None
        with self.tracer.provider.in_subsegment("score") as subsegment:
            subsegment.put_annotation("route", route)
            subsegment.put_annotation("model_version", self.model_version)
            try:
                yield
            except Exception as error:
                # Raised outside the subsegment: the X-Ray SDK would record its message and
                # stack. The trace keeps that it failed, and the kind of error.
                failure = error
                mark_failed(subsegment, error)
        if failure is not None:
            raise failure

    def request_done(
        self, scope: Scope, status: int, seconds: float, error: BaseException | None
    ) -> None:
        """The request's log line and metrics."""
        route_object = scope.get("route")
        route = getattr(route_object, "path", None) or UNMATCHED_ROUTE
        feedback: FeedbackRecord | None = scope.get(FEEDBACK_RECORD)
        extra = asdict(feedback) if feedback is not None else {}
        self._done(route, scope.get("method"), status, seconds, scope.get(RECORD), extra, error)
        if self.readable is not None:
            return  # no metrics: the readable line says it all
        if feedback is not None and 200 <= status < 300:
            self._count_feedback(feedback)
        if "aws.event" not in scope:
            # Under uvicorn nothing else flushes; in Lambda, log_metrics does it per invocation.
            self.metrics.flush_metrics()

    def batch_done(
        self,
        route: str,
        movies: Sequence[tuple[str, str]],
        predictions: list[Prediction],
        extra: dict[str, Any],
        seconds: float,
        error: BaseException | None,
    ) -> None:
        """A batch's log line and metrics (a catalogue job's: no HTTP request, one invocation,
        which log_metrics flushes): 200, or 500 when it raised."""
        record = self.scoring_record(movies, predictions)
        self._done(route, None, 200 if error is None else 500, seconds, record, extra, error)

    def _done(
        self,
        route: str,
        method: str | None,
        status: int,
        seconds: float,
        record: RequestRecord | None,
        extra: dict[str, Any],
        error: BaseException | None,
    ) -> None:
        line: dict[str, Any] = {
            "route": route,
            "method": method,
            "status": status,
            "latency_ms": round(seconds * 1000, 3),
            "model_version": self.model_version,
        }
        if record is not None:
            line |= {
                "movies": record.movies,
                "title_chars": record.title_chars,
                "description_chars": record.description_chars,
            }
            if record.movies == 1:
                line["top_genre"] = next(iter(record.top_genres))
            if record.texts is not None:
                line["texts"] = record.texts
        line |= extra
        if self.readable is not None:
            self.readable.log(
                logging.ERROR if error else logging.INFO, readable_line(line), exc_info=error
            )
            return
        if error is not None:
            self.logger.exception("request failed", extra=line)
        else:
            self.logger.info("request", extra=line)
        if self.tracer is not None:
            self.tracer.put_annotation("route", route)
            self.tracer.put_annotation("model_version", self.model_version)
        self._count(route, status, record)

    def _count(self, route: str, status: int, record: RequestRecord | None) -> None:
        # One blob for the request (flushed once it is answered), by route and status class, with a
        # service-wide roll-up for the dashboard's totals. The genre mix needs a blob per genre.
        self.metrics.add_dimension(name="route", value=route)
        self.metrics.add_dimension(name="status_class", value=f"{status // 100}xx")
        self.metrics.add_dimensions(service=self.service)
        self.metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
        if 400 <= status < 500:
            self.metrics.add_metric(name="BadRequests", unit=MetricUnit.Count, value=1)
        if record is None:
            return
        self.metrics.add_metric(name="MoviesScored", unit=MetricUnit.Count, value=record.movies)
        for genre, count in sorted(record.top_genres.items()):
            self.scored.add_dimension(name="genre", value=genre)
            self.scored.add_metric(name="GenrePredicted", unit=MetricUnit.Count, value=count)
            self.scored.flush_metrics()

    def _count_feedback(self, feedback: FeedbackRecord) -> None:
        """FeedbackReceived by genre: each genre a stored correction names, or NO_GENRE."""
        for genre in feedback.genres or [NO_GENRE]:
            self.scored.add_dimension(name="genre", value=genre)
            self.scored.add_metric(name="FeedbackReceived", unit=MetricUnit.Count, value=1)
            self.scored.flush_metrics()

    def wrap_lambda(self, handler: LambdaHandler) -> LambdaHandler:
        """Lambda context in every log line (request ids, cold_start), the API Gateway request
        id as correlation id, metrics flushed after every invocation (4xx included) with
        Powertools' ColdStart metric, and the invocation traced."""
        wrapped = self.metrics.log_metrics(capture_cold_start_metric=True)(handler)
        wrapped = self.logger.inject_lambda_context(
            correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
        )(wrapped)
        if self.tracer is not None:
            wrapped = self._traced(wrapped)
        observed: LambdaHandler = wrapped
        return observed

    def _traced(self, handler: LambdaHandler) -> LambdaHandler:
        """handler in Powertools' `## invoke` subsegment, which records neither the response nor
        the error (set here, not left to POWERTOOLS_TRACER_CAPTURE_*: both may hold text). An
        exception (a catalogue batch the model failed on) marks the subsegment failed, with its
        kind, and is raised outside it: the X-Ray SDK records the message and stack of one raised
        through a subsegment."""
        raised: list[Exception] = []

        @functools.wraps(handler)
        def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
            try:
                return handler(event, context)
            except Exception as error:
                raised.append(error)
                mark_failed(self.tracer.provider.current_subsegment(), error)
                return {}

        traced = self.tracer.capture_lambda_handler(
            invoke, capture_response=False, capture_error=False
        )

        def answer(event: dict[str, Any], context: Any) -> dict[str, Any]:
            response: dict[str, Any] = traced(event, context)
            if raised:
                raise raised.pop()
            return response

        return answer


class RequestTelemetry:
    """ASGI middleware: times each request and hands it to the Observer once answered."""

    def __init__(self, app: ASGIApp, observer: Observer) -> None:
        self.app = app
        self.observer = observer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        except Exception as error:
            self.observer.request_done(scope, 500, time.perf_counter() - started, error)
            raise
        self.observer.request_done(scope, status, time.perf_counter() - started, None)
