"""The API's one configuration object, read from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from genre_model.locations import REPO_MODEL_DIR, model_dir_from_env

# Where the function image puts the model; outside the image, the repository's default model.
IMAGE_MODEL_DIR = Path("/opt/model")


@dataclass(frozen=True)
class Settings:
    model_dir: Path
    max_batch: int = 256
    max_title_chars: int = 300
    max_description_chars: int = 5000
    verify_model: bool = True

    @classmethod
    def from_env(cls) -> Settings:
        default_dir = IMAGE_MODEL_DIR if IMAGE_MODEL_DIR.is_dir() else REPO_MODEL_DIR
        return cls(
            model_dir=model_dir_from_env(default_dir),
            max_batch=int(os.environ.get("MOVIE_GENRE_MAX_BATCH", cls.max_batch)),
            verify_model=os.environ.get("MOVIE_GENRE_VERIFY_MODEL", "1") != "0",
        )
