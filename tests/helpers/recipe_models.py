"""What the minilm and static recipes' tests share: a classifier around a pipeline built in the
test, and a saved pipeline's figures as `evaluate` computes them."""

from __future__ import annotations

from pathlib import Path

import spacy
from spacy.language import Language

from genre_model import GenreClassifier
from genre_model.manifest import Manifest


def classifier_of(nlp: Language, labels: list[str], recipe: str) -> GenreClassifier:
    """nlp with a manifest of its labels (thresholds 0.5) and recipe, as an artifact holds."""
    manifest = Manifest(
        version="20261127-000000-0000abcd",
        created_at="2026-11-27T00:00:00Z",
        spacy_version=spacy.__version__,
        recipe=recipe,
        config="",
        labels=labels,
        thresholds=dict.fromkeys(labels, 0.5),
        text_fields="title+description",
        data_sha256="",
        split_sizes={},
        metrics={},  # type: ignore[typeddict-item]
    )
    return GenreClassifier(nlp, manifest)


def figures_of(pipeline: Path, corpus: Path) -> dict[str, float]:
    """The saved pipeline's tuned micro F1 on dev and test, scored as `evaluate` scores it."""
    from genre_training.metrics import tuned_micro_f1
    from genre_training.pipelines import score_splits
    from genre_training.splits import read_splits

    prepared, splits = read_splits(corpus)
    labels = prepared["labels"]
    truth = {name: splits[name].truth for name in ("dev", "test")}
    return tuned_micro_f1(truth, score_splits(spacy.load(pipeline), labels, splits), labels)
