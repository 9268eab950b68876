"""The data and the corpus `prepare` makes of it: where they are, and reading them back.

Light to import (no pandas, scikit-learn or spaCy), so that every step and the command line can
name them without loading what only `prepare` needs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# The data the repository carries (data/movies/README.md), and the sha256 it was copied with:
# `prepare` says when the file found there differs.
DEFAULT_DATA = (
    Path(__file__).resolve().parents[2] / "data" / "movies" / "movies_reconstructed.csv.gz"
)
DEFAULT_DATA_SHA256 = "1521571ab8b18b9380e69decd68f6a9dd454f11dca5cfdb851a01343e3873a3c"
DEFAULT_MIN_GENRE_COUNT = 5000
PREPARE_REPORT = "prepare.json"
SPLITS = ("train", "dev", "test")


def default_data_warning(data: Path, sha256: str) -> str | None:
    """What to tell the user when the repository's data file is not the one committed."""
    if data.resolve() != DEFAULT_DATA.resolve() or sha256 == DEFAULT_DATA_SHA256:
        return None
    return (
        f"warning: {data} has sha256 {sha256}, not the {DEFAULT_DATA_SHA256} it was committed "
        "with: the splits and metrics will differ from the published ones"
    )


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as stream:
        return [json.loads(line) for line in stream]
