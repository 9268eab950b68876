"""The API's one configuration object, read from MOVIE_GENRE_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from genre_model.locations import MODEL_DIR_ENV, default_model_dir

ENV_PREFIX = "MOVIE_GENRE_"
# Where the function image puts the model; outside the image, the default model of the package.
IMAGE_MODEL_DIR = Path("/opt/model")


def default_serving_model_dir() -> Path:
    return IMAGE_MODEL_DIR if IMAGE_MODEL_DIR.is_dir() else default_model_dir()


class SettingsError(Exception):
    """One line that names the bad environment variable and what is wrong with it."""


class Settings(BaseSettings):
    """Each field is read from MOVIE_GENRE_<FIELD>; a bad value is refused at start."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    model_dir: Annotated[
        Path,
        Field(
            default_factory=default_serving_model_dir,
            validation_alias=AliasChoices("model_dir", MODEL_DIR_ENV),
            description="The model artifact to serve.",
        ),
    ]
    verify_model: bool = Field(
        True, description="Check every model file's sha256 at start (make pull already did)."
    )
    check_golden: bool = Field(
        True, description="Score the artifact's golden set at start; a difference fails the init."
    )
    max_batch: int = Field(256, ge=1, le=10_000, description="Most movies in one POST /genres.")
    max_title_chars: int = Field(300, ge=1, le=10_000)
    max_description_chars: int = Field(5000, ge=1, le=100_000)
    log_text: bool = Field(
        False, description="Log titles and descriptions (debugging only: they are user data)."
    )

    @classmethod
    def from_env(cls) -> Settings:
        """Read the environment; raise SettingsError naming the first bad variable."""
        try:
            return cls()
        except ValidationError as error:
            problem = error.errors()[0]
            field = str(problem["loc"][0]) if problem["loc"] else ""
            name = MODEL_DIR_ENV if field in {"model_dir", MODEL_DIR_ENV} else ENV_PREFIX + field
            raise SettingsError(
                f"{name.upper()}={problem.get('input')!r}: {problem['msg']}"
            ) from error
