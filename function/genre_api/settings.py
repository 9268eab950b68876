"""The API's one configuration object, read from the environment once, at start."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from genre_model.constants import (
    DEFAULT_NAMESPACE,
    DEFAULT_SERVICE,
    ENV_PREFIX,
    IMAGE_MODEL_DIR,
    METRICS_NAMESPACE_ENV,
    MODEL_DIR_ENV,
    SERVICE_NAME_ENV,
    TRACE_DISABLED_ENV,
)
from genre_model.corrections import DEFAULT_FEEDBACK_PREFIX
from genre_model.locations import default_model_dir
from genre_model.movie_fields import MAX_BATCH, MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS
from genre_model.s3_names import is_bucket_name

# A key prefix of S3's safe characters, in segments: no leading or trailing slash, no empty,
# "." or ".." segment.
_PREFIX_SEGMENT = re.compile(r"[A-Za-z0-9!_.*'()-]+", re.ASCII)
MAX_PREFIX_CHARS = 512
# HMAC-SHA256's key: 32 characters of a generated secret (openssl rand -hex 32 gives 64).
MIN_CLIENT_KEY_CHARS = 32
SECRETS = frozenset({"feedback_client_key"})


def default_serving_model_dir() -> Path:
    """The image's model; outside the image, the default model of the package."""
    return IMAGE_MODEL_DIR if IMAGE_MODEL_DIR.is_dir() else default_model_dir()


def not_aws_namespace(namespace: str) -> str:
    if namespace.startswith("AWS/"):
        raise ValueError("AWS/ namespaces are AWS's own")
    return namespace


def s3_bucket_name(name: str) -> str:
    if not is_bucket_name(name):
        raise ValueError("not an S3 bucket name (3-63 of a-z 0-9 . -, see S3's naming rules)")
    return name


def s3_key_prefix(prefix: str) -> str:
    segments = prefix.split("/")
    if len(prefix) > MAX_PREFIX_CHARS or not all(
        _PREFIX_SEGMENT.fullmatch(segment) and segment not in {".", ".."} for segment in segments
    ):
        raise ValueError(
            "not a key prefix like feedback or team/feedback (segments of A-Z a-z 0-9 !_.*'()- "
            "between single slashes, none of them . or .., no slash at either end)"
        )
    return prefix


def unset_if_empty(value: Any) -> Any:
    """An empty variable is an unset one: the template passes "" when there is no bucket."""
    return None if value == "" else value


class SettingsError(Exception):
    """One line that names the bad environment variable and what is wrong with it."""


class Settings(BaseSettings):
    """Each field is read from MOVIE_GENRE_<FIELD>, or from the variable its alias names (the
    model's folder, Powertools' own); a bad value is refused at start."""

    # validate_by_name: code (tests, benchmarks) passes fields by name, Settings(model_dir=...).
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, frozen=True, extra="forbid", validate_by_name=True
    )

    model_dir: Annotated[
        Path,
        Field(
            default_factory=default_serving_model_dir,
            validation_alias=MODEL_DIR_ENV,
            description="The model artifact to serve.",
        ),
    ]
    verify_model: bool = Field(
        True, description="Check every model file's sha256 at start (make pull already did)."
    )
    check_golden: bool = Field(
        True, description="Score the artifact's golden set at start; a difference fails the init."
    )
    max_batch: int = Field(
        MAX_BATCH, ge=1, le=10_000, description="Most movies in one POST /genres."
    )
    max_title_chars: int = Field(MAX_TITLE_CHARS, ge=1, le=10_000)
    max_description_chars: int = Field(MAX_DESCRIPTION_CHARS, ge=1, le=100_000)
    log_text: bool = Field(
        False, description="Log titles and descriptions (debugging only: they are user data)."
    )
    log_format: Literal["json", "text"] = Field(
        "json",
        description="json: each request's JSON log line and its EMF metrics, as in Lambda; text: "
        "one readable line per request and no metrics (`make serve`'s default).",
    )
    public_pages: bool = Field(
        True,
        description="Serve the demo page (GET /) and Swagger UI (GET /docs); false: both are "
        "404, as in production. The OpenAPI schema stays at /openapi.json either way.",
    )
    service_name: str = Field(
        DEFAULT_SERVICE,
        validation_alias=SERVICE_NAME_ENV,
        min_length=1,
        max_length=255,
        description="The service in every log line and metric dimension.",
    )
    metrics_namespace: Annotated[
        str,
        Field(
            DEFAULT_NAMESPACE,
            validation_alias=METRICS_NAMESPACE_ENV,
            pattern=r"^[A-Za-z0-9.\-_/#: ]{1,255}$",
            description="The CloudWatch namespace of the metrics.",
        ),
        AfterValidator(not_aws_namespace),
    ]
    feedback_bucket: Annotated[
        Annotated[str, AfterValidator(s3_bucket_name)] | None,
        BeforeValidator(unset_if_empty),
        Field(
            description="The S3 bucket POST /feedback stores corrections in; unset or empty: "
            'the route answers 503 "feedback is not configured".'
        ),
    ] = None
    feedback_prefix: Annotated[
        str,
        AfterValidator(s3_key_prefix),
        Field(description="The corrections' key prefix in the feedback bucket."),
    ] = DEFAULT_FEEDBACK_PREFIX
    feedback_dir: Annotated[
        Path | None,
        BeforeValidator(unset_if_empty),
        Field(
            description="A folder POST /feedback stores corrections in, as files at the keys the "
            "bucket would have (no AWS needed: `make serve` sets build/feedback); not with "
            "MOVIE_GENRE_FEEDBACK_BUCKET."
        ),
    ] = None
    feedback_client_key: Annotated[
        Annotated[SecretStr, Field(min_length=MIN_CLIENT_KEY_CHARS)] | None,
        BeforeValidator(unset_if_empty),
        Field(
            description="The secret that keys the hash of an unsigned client's source address "
            "in each stored correction; unset: a random key for this process (the same client "
            "is then one client only until the function restarts).",
        ),
    ] = None
    trace_disabled: bool = Field(
        False,
        validation_alias=TRACE_DISABLED_ENV,
        description="No X-Ray traces even in Lambda (outside Lambda there are none anyway).",
    )

    @model_validator(mode="after")
    def one_feedback_store(self) -> Settings:
        if self.feedback_bucket is not None and self.feedback_dir is not None:
            raise ValueError(
                "MOVIE_GENRE_FEEDBACK_BUCKET and MOVIE_GENRE_FEEDBACK_DIR are both set: "
                "corrections go to one store"
            )
        return self

    @classmethod
    def from_env(cls) -> Settings:
        """Read the environment; raise SettingsError naming the first bad variable."""
        try:
            return cls()
        except ValidationError as error:
            problem = error.errors()[0]
            if not problem["loc"]:  # a rule between variables (one_feedback_store)
                raise SettingsError(problem["msg"].removeprefix("Value error, ")) from error
            where = str(problem["loc"][0])
            # An alias is the variable's own name; a field is read from ENV_PREFIX + its name.
            name = where if where.isupper() else ENV_PREFIX + where.upper()
            # A secret is never echoed, not even in the error that refuses it.
            shown = "'***'" if where in SECRETS else repr(problem.get("input"))
            raise SettingsError(f"{name}={shown}: {problem['msg']}") from error
