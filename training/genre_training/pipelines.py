"""Trained spaCy pipelines: finding one in a packaged artifact, loading it, scoring texts."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import spacy
from spacy.language import Language

from genre_model.classifier import score_texts
from genre_model.manifest import PIPELINE_DIR
from genre_training.errors import StepError, require_file
from genre_training.splits import Split

COMPONENT = "textcat_multilabel"  # the genre scorer's name in every recipe's pipeline
# What a model is scored on: thresholds are tuned on dev, figures reported on dev and test.
SCORED_SPLITS = ("dev", "test")


def pipeline_dir(directory: Path) -> Path:
    """A packaged artifact's pipeline/, or the directory itself (a spaCy pipeline)."""
    packaged = directory / PIPELINE_DIR
    return packaged if (packaged / "meta.json").is_file() else directory


def load_trained(model_dir: Path) -> Language:
    require_file(model_dir / "meta.json", "spacy train")
    try:
        return spacy.load(model_dir)
    except (OSError, ValueError, KeyError) as error:
        raise StepError(f"cannot load the trained pipeline in {model_dir}: {error}") from error


def score_pipeline(nlp: Language, labels: list[str], texts: list[str]) -> np.ndarray:
    """(texts, labels) scores: doc.cats in the order of labels."""
    rows = score_texts(nlp, labels, texts)
    return np.array([[row[label] for label in labels] for row in rows], dtype=float).reshape(
        len(rows), len(labels)
    )


def score_splits(
    nlp: Language, labels: list[str], splits: Mapping[str, Split]
) -> dict[str, np.ndarray]:
    """The pipeline's scores of each of SCORED_SPLITS."""
    return {name: score_pipeline(nlp, labels, splits[name].texts) for name in SCORED_SPLITS}
