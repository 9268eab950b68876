"""The API over HTTP: `sam local start-api`, API Gateway, or `make serve`."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import MaxRetryError, ReadTimeoutError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from genre_model.constants import MODEL_VERSION_HEADER as VERSION_HEADER
from genre_model.corrections import FEEDBACK_NOT_CONFIGURED
from movie_classifier.classifier import Classified, Explained, Movie, classified_from
from movie_classifier.constants import (
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT_S,
    EXPLAIN_ROUTE,
    FEEDBACK_ROUTE,
    GENRES_ROUTE,
    QUOTED_BODY_CHARS,
    RETRY_BACKOFF_S,
)
from movie_classifier.errors import (
    Refused,
    RefusedInput,
    ServerFailed,
    Throttled,
    TimedOut,
    Unreachable,
)
from movie_classifier.iam import SigV4

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
SAM_LOCAL_PORT = 3000  # sam local start-api's default
SERVE_PORT = 8000  # make serve's (uvicorn's default)
# What the API refuses a request for because of what it carries: with a file, that row alone.
INPUT_STATUSES = frozenset({400, 413, 422})


class ThrottlingRetry(Retry):
    """Retry throttling only: a 429 or 503 from API Gateway or Lambda, never a final answer of
    the function itself, which names its model (X-Model-Version) - such as 503 "feedback is not
    configured", which no retry changes."""

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        if response is not None and _pool is not None and response.headers.get(VERSION_HEADER):
            # urllib3 then hands this answer back as it is (raise_on_status is off).
            raise MaxRetryError(_pool, url or "", None)
        return super().increment(method, url, response, error, _pool, _stacktrace)


class HttpClassifier:
    """POST /genres, /explain and /feedback on a deployment of the API."""

    def __init__(
        self,
        endpoint: str,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        retries: int = DEFAULT_RETRIES,
        backoff: float = RETRY_BACKOFF_S,
        signer: SigV4 | None = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.auth = signer
        # Throttling (429) and Lambda's "too many at once" (503) pass: retry with exponential
        # backoff, honouring Retry-After; other statuses are answered at once.
        retry = ThrottlingRetry(
            total=retries,
            connect=0,
            read=0,
            redirect=0,
            status_forcelist=(429, 503),
            allowed_methods=None,
            backoff_factor=backoff,
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))

    def classify(self, movies: Sequence[Movie]) -> list[Classified]:
        body = {"movies": [{"title": m.title, "description": m.description} for m in movies]}
        url, payload = self._post(GENRES_ROUTE, body)
        answers = payload.get("results") if isinstance(payload, dict) else None
        version = payload.get("model_version") if isinstance(payload, dict) else None
        results = [
            classified_from(r, version) if isinstance(r, dict) else None for r in answers or []
        ]
        if not isinstance(answers, list) or None in results:
            raise ServerFailed(f"{url} answered something that is not this API's")
        if len(results) != len(movies):
            raise ServerFailed(f"{url} answered {len(results)} results for {len(movies)} movies")
        return [result for result in results if result is not None]

    def explain(self, movie: Movie, top: int) -> Explained:
        body = {"title": movie.title, "description": movie.description, "top": top}
        url, payload = self._post(EXPLAIN_ROUTE, body)
        not_ours = ServerFailed(f"{url} answered something that is not this API's")
        if not isinstance(payload, dict):
            raise not_ours
        classified = classified_from(payload, payload.get("model_version"))
        try:
            words = {
                str(genre): [(str(w["word"]), float(w["weight"])) for w in listed]
                for genre, listed in payload["explanations"].items()
            }
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise not_ours from error
        if classified is None:
            raise not_ours
        return Explained(classified, words)

    def send_correction(self, correction: dict[str, Any]) -> str:
        """POST /feedback: a movie's right genres; the id the API stored it under."""
        url, payload = self._post(FEEDBACK_ROUTE, correction)
        if not isinstance(payload, dict) or not isinstance(payload.get("id"), str):
            raise ServerFailed(f"{url} answered something that is not this API's")
        return payload["id"]

    def _post(self, route: str, body: dict[str, Any]) -> tuple[str, Any]:
        """POST body to a route; its JSON answer, or the ClassifierError that says what failed."""
        url = f"{self.endpoint}/{route}"
        try:
            # Never follow a redirect: it would carry the body, and a signature's session
            # token, to wherever the Location header says.
            response = self.session.post(
                url, json=body, timeout=self.timeout, allow_redirects=False
            )
        except UnicodeDecodeError as error:
            # requests reads a redirect's Location as UTF-8 even when it will not follow it.
            raise ServerFailed(
                f"{url} redirected to a Location that is not UTF-8 "
                f"({error.object[:QUOTED_BODY_CHARS]!r}): not followed"
            ) from error
        except requests.exceptions.Timeout as error:
            raise TimedOut(f"no answer from {url} within {self.timeout:g} s") from error
        except requests.exceptions.ConnectionError as error:
            # With retries configured, urllib3 reports a read timeout as a "connection" error.
            if isinstance(
                getattr(error.args[0] if error.args else None, "reason", None), ReadTimeoutError
            ):
                raise TimedOut(f"no answer from {url} within {self.timeout:g} s") from error
            raise Unreachable(f"cannot reach {self.endpoint}: {_unreachable_hint(url)}") from error
        _check_status(response, url, signed=self.session.auth is not None)
        try:
            return url, response.json()
        except ValueError as error:
            raise ServerFailed(
                f"{url} answered something that is not this API's (HTTP {response.status_code}): "
                f"{_quoted_body(response)}"
            ) from error


def _unreachable_hint(url: str) -> str:
    """What to check when nothing answers at url: the local server that its address is the
    default of (sam local's 3000, make serve's 8000), or the network."""
    parts = urlsplit(url)
    if parts.hostname in LOOPBACK:
        if parts.port == SAM_LOCAL_PORT:
            return "is `sam local start-api` running?"
        if parts.port == SERVE_PORT:
            return "is `make serve` running?"
        return "is the API running on this port?"
    return "check the URL, the network and any proxy"


def _check_status(response: requests.Response, url: str, *, signed: bool) -> None:
    """The ClassifierError for an answer that is not a success, in one line."""
    status = response.status_code
    if 300 <= status < 400:
        location = response.headers.get("Location", "nowhere")
        raise ServerFailed(
            f"{url} redirected (HTTP {status}) to {location}: not followed, since the request "
            "(and any signature) would go on to that place; if it is the API, give it as "
            "--endpoint"
        )
    if status == 403 and _server_words(response) == "Forbidden":
        raise Refused(_forbidden(url, signed=signed))
    if status == 503 and _server_words(response) == FEEDBACK_NOT_CONFIGURED:
        raise ServerFailed(
            f"{url} answered HTTP 503: feedback is not configured on this deployment (it has "
            "no feedback bucket); corrections cannot be sent to it"
        )
    if status in (429, 503):
        raise Throttled(f"{url} is throttling requests (HTTP {status}), retries exhausted")
    if status in INPUT_STATUSES:
        words = _server_words(response)
        raise RefusedInput(f"{url} refused the request (HTTP {status}): {words}", words)
    if 400 <= status < 500:
        raise Refused(f"{url} refused the request (HTTP {status}): {_server_words(response)}")
    if status >= 500:
        raise ServerFailed(f"{url} failed (HTTP {status}): {_server_words(response)}")


def _forbidden(url: str, *, signed: bool) -> str:
    """API Gateway's bare 403 to an IAM-protected route, said so that a user can act."""
    if not signed:
        return (
            f"{url} refused the request (HTTP 403 Forbidden): the API requires IAM "
            "authorization; sign the requests with --iam (needs AWS credentials)"
        )
    return (
        f"{url} refused the signed request (HTTP 403 Forbidden): these AWS credentials "
        "may not call this API (they need execute-api:Invoke on it), or --region is not "
        "the API's"
    )


def _server_words(response: requests.Response) -> str:
    """The server's own words in one line: FastAPI's `detail`, API Gateway's `message`; for a
    body that is not JSON (a proxy's HTML page), what it is and how it starts."""
    try:
        payload = response.json()
    except ValueError:
        return _quoted_body(response)
    if isinstance(payload, dict):
        detail = payload.get("detail", payload.get("message", payload))
        if isinstance(detail, list):
            detail = "; ".join(
                f"{_field(item.get('loc'))}: {item.get('msg')}"
                for item in detail
                if isinstance(item, dict)
            ) or str(detail)
        return _one_line(str(detail))
    return _one_line(str(payload))


def _field(loc: object) -> str:
    """A refusal's field as a row's error names it: body.movies.3.title is the title."""
    path = [str(part) for part in loc[1:]] if isinstance(loc, list) else []
    if path[:1] == ["movies"] and path[1:2] and path[1].isdigit():
        path = path[2:]
    return ".".join(path)


def _quoted_body(response: requests.Response) -> str:
    """A body that is not the API's JSON: its first characters on one line, and its type."""
    content_type = response.headers.get("Content-Type") or "no content type"
    text = _one_line(response.text)
    if not text:
        return f"{response.reason or 'no reason given'} (an empty body, {content_type})"
    if len(text) <= QUOTED_BODY_CHARS:
        return f"{text} ({content_type})"
    return (
        f"{text[:QUOTED_BODY_CHARS]}... ({content_type}, the first {QUOTED_BODY_CHARS} of "
        f"{len(text)} characters)"
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())
