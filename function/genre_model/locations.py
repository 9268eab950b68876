"""Where a model artifact is looked for, outside the function image."""

from __future__ import annotations

import os
from pathlib import Path

# The model kept in the repository: what a fresh clone serves and classifies with.
REPO_MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "default"
MODEL_DIR_ENV = "MOVIE_GENRE_MODEL_DIR"


def model_dir_from_env(default: Path = REPO_MODEL_DIR) -> Path:
    """MOVIE_GENRE_MODEL_DIR when set, else default."""
    return Path(os.environ.get(MODEL_DIR_ENV) or default)
