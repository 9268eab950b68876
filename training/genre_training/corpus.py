"""The data and the corpus `prepare` makes of it: where they are, and reading them back.

Light to import (no pandas, scikit-learn or spaCy), so that every step and the command line can
name them without loading what only `prepare` needs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# The data lives beside the repository (../shared), never inside it.
SHARED_DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "movies"
DEFAULT_DATA = SHARED_DATA_DIR / "movies_reconstructed.csv.gz"
DEFAULT_MIN_GENRE_COUNT = 5000
PREPARE_REPORT = "prepare.json"
SPLITS = ("train", "dev", "test")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as stream:
        return [json.loads(line) for line in stream]
