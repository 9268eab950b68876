"""Where a model artifact is looked for, outside the function image."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from genre_model.constants import DEFAULT_MODEL_PACKAGE
from genre_model.constants import MODEL_DIR_ENV as MODEL_DIR_ENV  # the CLI reads it here


def default_model_dir() -> Path:
    """The default model shipped with the package (models/ in the repository, package data in a
    wheel): what a fresh clone or a plain `pip install` classifies with."""
    return Path(str(files(DEFAULT_MODEL_PACKAGE).joinpath("default")))


def model_dir_from_env(default: Path | None = None) -> Path:
    """MOVIE_GENRE_MODEL_DIR when set, else default (the shipped default model)."""
    return Path(os.environ.get(MODEL_DIR_ENV) or default or default_model_dir())
