"""Where a model artifact is looked for, outside the function image."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

MODEL_DIR_ENV = "MOVIE_GENRE_MODEL_DIR"
# The package that carries the default model (models/ in the repository, package data in a
# wheel): what a fresh clone or a plain `pip install` classifies with.
DEFAULT_MODEL_PACKAGE = "movie_genre_models"


def default_model_dir() -> Path:
    """The default model shipped with the package, wherever the package is installed."""
    return Path(str(files(DEFAULT_MODEL_PACKAGE).joinpath("default")))


def model_dir_from_env(default: Path | None = None) -> Path:
    """MOVIE_GENRE_MODEL_DIR when set, else default (the shipped default model)."""
    return Path(os.environ.get(MODEL_DIR_ENV) or default or default_model_dir())
