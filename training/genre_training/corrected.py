"""The movies users corrected (`prepare --feedback`), scored by the model that served them and by
the new one, against the corrected genres.

The served model predicts as it did for users: its own text fields and thresholds. The new model
predicts at the thresholds tuned on dev. Corrections are applied to training movies only (dev
and test never change), so the new model was trained on every corrected movie: the figures
check that it learned them, they do not measure its quality.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from spacy.language import Language

from genre_model import GenreClassifier, ModelError
from genre_model.text import compose_text
from genre_training.corpus import SPLITS, read_jsonl
from genre_training.errors import StepError
from genre_training.feedback import CORRECTED_MOVIES
from genre_training.metrics import apply_thresholds, label_matrix, micro_f1
from genre_training.pipelines import score_pipeline
from genre_training.results import CorrectedReport, ModelFigures

# What the new model's relation to each split's corrected movies is: corrections are applied
# to train alone (genre_training.feedback).
SEEN = {"train": "trained on them"}
SHOWN_MOVIES = 20  # movies listed one by one in the report


def score_corrected(
    corpus_dir: Path,
    nlp: Language,
    prepared: dict[str, Any],
    thresholds: dict[str, float],
    served_dir: Path,
) -> CorrectedReport | None:
    """The corrected movies of corpus_dir, by the served model and the new one (nlp at
    thresholds); None when `prepare` applied no corrections."""
    path = corpus_dir / CORRECTED_MOVIES
    if not path.is_file():
        return None
    rows = read_jsonl(path)
    labels: list[str] = prepared["labels"]
    try:
        served = GenreClassifier.load(served_dir)
    except ModelError as error:
        raise StepError(f"--served {served_dir}: {error}") from error
    served_genres = [
        p.genres for p in served.predict([(r["title"], r["description"]) for r in rows])
    ]
    texts = [compose_text(r["title"], r["description"], prepared["text_fields"]) for r in rows]
    new = apply_thresholds(score_pipeline(nlp, labels, texts), labels, thresholds)
    truth = label_matrix([r["genres"] for r in rows], labels)
    served_matrix = label_matrix(served_genres, labels)
    splits = np.array([r["split"] for r in rows])
    ids = {r["correction"]["id"]: r["correction"] for r in rows}
    return {
        "served_dir": str(served_dir),
        "served_version": served.version,
        "corrections_against_it": sum(
            served.version in (c["served_by"], c["model_version"]) for c in ids.values()
        ),
        "corrections": len(ids),
        "by_split": [
            {
                "split": split,
                "movies": int((splits == split).sum()),
                "new_model": SEEN[split],
                "served": _figures(truth[splits == split], served_matrix[splits == split]),
                "new": _figures(truth[splits == split], new[splits == split]),
            }
            for split in SPLITS
            if (splits == split).any()
        ],
        "movies": [
            {
                "split": row["split"],
                "title": row["title"],
                "genres_before": row["genres_before"],
                "genres": row["genres"],
                "served": [label for label in labels if label in served_genres[index]],
                "new": [label for label, on in zip(labels, new[index], strict=True) if on],
            }
            for index, row in enumerate(rows[:SHOWN_MOVIES])
        ],
    }


def _figures(truth: np.ndarray, predicted: np.ndarray) -> ModelFigures:
    return {
        "exact_match": float((truth == predicted).all(axis=1).mean()),
        "micro_f1": micro_f1(truth, predicted),
    }


def corrected_section(report: CorrectedReport) -> list[str]:
    """report.md's section: the figures per split, then the first movies one by one."""

    def genres(names: list[str] | None) -> str:
        return "(new movie)" if names is None else ", ".join(names) or "none"

    def cell(text: str) -> str:  # users' text in a table cell: one line, no column breaks
        return " ".join(text.split()).replace("|", "\\|")

    return [
        "",
        "## The movies users corrected",
        "",
        f"{report['corrections']} corrections, scored against the corrected genres by the model "
        f"that served them, `{report['served_version']}` ({report['served_dir']}; "
        f"{report['corrections_against_it']} of the corrections were made against it), and by "
        "this model (tuned thresholds). The served model was trained on the data's labels before "
        "correction.",
        "",
        "| split | movies | this model | exact match: served -> this | micro F1: served -> this |",
        "|---|---|---|---|---|",
        *(
            f"| {s['split']} | {s['movies']} | {s['new_model']} "
            f"| {s['served']['exact_match']:.3f} -> {s['new']['exact_match']:.3f} "
            f"| {s['served']['micro_f1']:.3f} -> {s['new']['micro_f1']:.3f} |"
            for s in report["by_split"]
        ),
        "",
        "| movie | split | genres before | corrected | served model | this model |",
        "|---|---|---|---|---|---|",
        *(
            f"| {cell(m['title'])} | {m['split']} | {genres(m['genres_before'])} "
            f"| {genres(m['genres'])} | {genres(m['served'])} | {genres(m['new'])} |"
            for m in report["movies"]
        ),
    ]


def corrected_line(report: CorrectedReport) -> str:
    """One line for the terminal."""
    figures = "; ".join(
        f"{s['split']} {s['movies']} ({s['new_model']}): exact match "
        f"{s['served']['exact_match']:.3f} -> {s['new']['exact_match']:.3f}"
        for s in report["by_split"]
    )
    return (
        f"corrected movies, served model {report['served_version']} -> this one: {figures} "
        f"({report['corrections_against_it']} of {report['corrections']} corrections were made "
        "against the served model)"
    )
