"""A `prepare` corpus read back for scoring: each split's model input texts and its truth."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from genre_model.text import compose_text
from genre_training.corpus import PREPARE_REPORT, SPLITS, read_jsonl
from genre_training.errors import require_file
from genre_training.metrics import label_matrix

MADE_BY = "movie-genre-train prepare"


@dataclass(frozen=True)
class Split:
    texts: list[str]  # composed as the model reads them (prepare.json's text_fields)
    truth: np.ndarray  # (movies, labels) booleans
    years: list[str]  # release years, "" where unknown


def read_prepared(corpus_dir: Path) -> dict[str, Any]:
    """prepare.json: the labels, text fields, data hash, split sizes and load report."""
    path = require_file(corpus_dir / PREPARE_REPORT, MADE_BY)
    return json.loads(path.read_text(encoding="utf-8"))


def read_split(corpus_dir: Path, name: str, prepared: dict[str, Any]) -> Split:
    rows = read_jsonl(require_file(corpus_dir / f"{name}.jsonl", MADE_BY))
    fields = prepared["text_fields"]
    return Split(
        texts=[compose_text(row["title"], row["description"], fields) for row in rows],
        truth=label_matrix([row["genres"] for row in rows], prepared["labels"]),
        years=[row.get("year", "") for row in rows],
    )


def read_splits(corpus_dir: Path) -> tuple[dict[str, Any], dict[str, Split]]:
    """prepare.json and every split (train, dev, test)."""
    prepared = read_prepared(corpus_dir)
    return prepared, {name: read_split(corpus_dir, name, prepared) for name in SPLITS}
