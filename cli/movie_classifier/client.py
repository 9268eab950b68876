"""Where movies get classified: the model in-process, or an HTTP deployment of the API."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from genre_model.aws_errors import error_message
from genre_model.locations import model_dir_from_env

EMBEDDED = "embedded"


class ClassifierError(Exception):
    """A failure the user can act on, with the exit code that tells it apart."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ModelMissing(ClassifierError):
    exit_code = 3


class Unreachable(ClassifierError):
    exit_code = 4


class TimedOut(ClassifierError):
    exit_code = 5


class Refused(ClassifierError):
    """The server said the request was wrong (4xx)."""

    exit_code = 6


class ServerFailed(ClassifierError):
    exit_code = 7


class Throttled(ClassifierError):
    exit_code = 8


class AwsProblem(ClassifierError):
    """--stack or --iam cannot work: no boto3, no credentials, no region, no such stack."""

    exit_code = 9


@dataclass(frozen=True)
class Movie:
    title: str
    description: str


@dataclass(frozen=True)
class Classified:
    genre: str
    scores: dict[str, float]
    genres: list[str] = field(default_factory=list)
    model_version: str = ""


@dataclass(frozen=True)
class Explained:
    classified: Classified
    words: dict[str, list[tuple[str, float]]]  # genre -> (word, weight), strongest first


class Classifier(Protocol):
    def classify(self, movies: Sequence[Movie]) -> list[Classified]: ...

    def explain(self, movie: Movie, top: int) -> Explained: ...


class EmbeddedClassifier:
    """The model in this process (needs the [model] extra: spaCy)."""

    def __init__(self, model_dir: Path | None = None) -> None:
        try:
            import spacy  # noqa: F401  the model needs it: say so before trying to load one

            from genre_model import GenreClassifier, ModelError
        except ImportError as error:
            raise ModelMissing(
                "the in-process model needs spaCy: pip install 'movie-genre[model]'"
            ) from error
        directory = model_dir or model_dir_from_env()
        try:
            self._model = GenreClassifier.load(directory)
        except ModelError as error:
            raise ModelMissing(f"cannot load the model: {error}") from error

    def classify(self, movies: Sequence[Movie]) -> list[Classified]:
        predictions = self._model.predict([(m.title, m.description) for m in movies])
        return [
            Classified(p.top_genre, p.scores, p.genres, self._model.version) for p in predictions
        ]

    def explain(self, movie: Movie, top: int) -> Explained:
        from genre_model.explanations import explain

        found = explain(self._model, movie.title, movie.description, top)
        p = found.prediction
        return Explained(
            Classified(p.top_genre, p.scores, p.genres, self._model.version),
            {genre: [(w.word, w.weight) for w in words] for genre, words in found.words.items()},
        )


# https://<api-id>.execute-api.<region>.amazonaws.com[.cn]/...: an API Gateway URL.
EXECUTE_API_HOST = re.compile(
    r"^https://[^/.]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?(/|$)"
)


def execute_api_region(url: str) -> str | None:
    """The region in an API Gateway URL, or None when url is not one."""
    match = EXECUTE_API_HOST.match(url)
    return match.group(1) if match else None


class SigV4(requests.auth.AuthBase):
    """Signs each request for API Gateway's IAM authorization, with botocore's own signer."""

    def __init__(self, credentials: Any, region: str) -> None:
        self.credentials = credentials
        self.region = region

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        signed = AWSRequest(
            method=request.method,
            url=request.url,
            data=request.body,
            headers={"content-type": request.headers.get("content-type", "application/json")},
        )
        # Frozen per request: refreshable credentials (SSO, assumed roles) stay current.
        frozen = self.credentials.get_frozen_credentials()
        SigV4Auth(frozen, "execute-api", self.region).add_auth(signed)
        request.headers.update(dict(signed.headers))
        return request


def aws_signer(
    endpoint: str, *, region: str | None, profile: str | None, required: bool
) -> SigV4 | None:
    """A signer for endpoint, or None when signing is not wanted or not possible.

    required (--iam): missing boto3, credentials or region is an error. Otherwise signing is
    best effort: without credentials the request goes unsigned (an AuthMode=NONE API).
    """
    try:
        import boto3
        from botocore.exceptions import BotoCoreError
    except ImportError as error:
        if required:
            raise AwsProblem("--iam needs boto3: pip install 'movie-genre[aws]'") from error
        return None
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        credentials = session.get_credentials()
    except BotoCoreError as error:
        if required:
            raise AwsProblem(f"--iam: {error}") from error
        return None
    if credentials is None:
        if required:
            raise AwsProblem(
                "--iam: no AWS credentials found (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY)"
            )
        return None
    signing_region = region or execute_api_region(endpoint) or session.region_name
    if not signing_region:
        if required:
            raise AwsProblem("--iam: no AWS region (give --region, or set AWS_REGION)")
        return None
    return SigV4(credentials, signing_region)


class HttpClassifier:
    """POST /genres on a deployment: sam local start-api, API Gateway, or `make serve`."""

    def __init__(
        self,
        endpoint: str,
        *,
        timeout: float = 30.0,
        retries: int = 4,
        signer: SigV4 | None = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.auth = signer
        # Throttling (429) and Lambda's "too many at once" (503) pass: retry with exponential
        # backoff, honouring Retry-After; other statuses are answered at once.
        retry = Retry(
            total=retries,
            connect=0,
            read=0,
            status_forcelist=(429, 503),
            allowed_methods=None,
            backoff_factor=0.5,
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))

    def classify(self, movies: Sequence[Movie]) -> list[Classified]:
        body = {"movies": [{"title": m.title, "description": m.description} for m in movies]}
        url, payload = self._post("genres", body)
        try:
            return [
                Classified(r["genre"], r["scores"], r["genres"], payload["model_version"])
                for r in payload["results"]
            ]
        except (KeyError, TypeError) as error:
            raise ServerFailed(f"{url} answered something that is not this API's") from error

    def explain(self, movie: Movie, top: int) -> Explained:
        body = {"title": movie.title, "description": movie.description, "top": top}
        url, payload = self._post("explain", body)
        try:
            return Explained(
                Classified(
                    payload["genre"], payload["scores"], payload["genres"], payload["model_version"]
                ),
                {
                    genre: [(w["word"], float(w["weight"])) for w in words]
                    for genre, words in payload["explanations"].items()
                },
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ServerFailed(f"{url} answered something that is not this API's") from error

    def _post(self, route: str, body: dict[str, Any]) -> tuple[str, Any]:
        """POST body to a route; its JSON answer, or the ClassifierError that says what failed."""
        url = f"{self.endpoint}/{route}"
        try:
            response = self.session.post(url, json=body, timeout=self.timeout)
        except requests.exceptions.Timeout as error:
            raise TimedOut(f"no answer from {url} within {self.timeout:g} s") from error
        except requests.exceptions.ConnectionError as error:
            # With retries configured, urllib3 reports a read timeout as a "connection" error.
            if isinstance(
                getattr(error.args[0] if error.args else None, "reason", None), ReadTimeoutError
            ):
                raise TimedOut(f"no answer from {url} within {self.timeout:g} s") from error
            raise Unreachable(
                f"cannot reach {self.endpoint}: is `sam local start-api` (or the API) running?"
            ) from error
        status = response.status_code
        if status == 403 and _message(response) == "Forbidden":
            raise Refused(self._forbidden(url))
        if status in (429, 503):
            raise Throttled(f"{url} is throttling requests (HTTP {status}), retries exhausted")
        if 400 <= status < 500:
            raise Refused(f"{url} refused the request (HTTP {status}): {_message(response)}")
        if status >= 500:
            raise ServerFailed(f"{url} failed (HTTP {status}): {_message(response)}")
        try:
            return url, response.json()
        except ValueError as error:
            raise ServerFailed(f"{url} answered something that is not this API's") from error

    def _forbidden(self, url: str) -> str:
        """API Gateway's bare 403 to an IAM-protected route, said so that a user can act."""
        if self.session.auth is None:
            return (
                f"{url} refused the request (HTTP 403 Forbidden): the API requires IAM "
                "authorization; sign the requests with --iam (needs AWS credentials)"
            )
        return (
            f"{url} refused the signed request (HTTP 403 Forbidden): these AWS credentials "
            "may not call this API (they need execute-api:Invoke on it), or --region is not "
            "the API's"
        )


def _message(response: requests.Response) -> str:
    """The server's own words: FastAPI's `detail`, API Gateway's `message`, or the text."""
    try:
        payload = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason
    if isinstance(payload, dict):
        detail = payload.get("detail", payload.get("message", payload))
        if isinstance(detail, list):
            return "; ".join(
                f"{'.'.join(str(p) for p in item.get('loc', [])[1:])}: {item.get('msg')}"
                for item in detail
                if isinstance(item, dict)
            ) or str(detail)
        return str(detail)
    return str(payload)


def stack_endpoint(stack: str, region: str | None = None, profile: str | None = None) -> str:
    """The GenreApiUrl output of a CloudFormation stack made by `sam deploy`."""
    try:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError as error:
        raise AwsProblem("--stack needs boto3: pip install 'movie-genre[aws]'") from error
    try:
        session = boto3.Session(region_name=region, profile_name=profile)
        stacks = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        raise AwsProblem(f"stack {stack!r}: {error_message(error)}") from error
    except BotoCoreError as error:
        raise AwsProblem(f"stack {stack!r}: {error}") from error
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    if "GenreApiUrl" not in outputs:
        raise AwsProblem(f"stack {stack!r} has no GenreApiUrl output (is it movie-genre's?)")
    return outputs["GenreApiUrl"]
