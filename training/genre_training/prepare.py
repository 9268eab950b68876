"""Step 1: data -> train/dev/test splits, as JSONL (for evaluation) and DocBin (for spacy train)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import spacy
from spacy.tokens import DocBin

from genre_model import compose_text
from genre_model.atomic_files import atomic_bytes, atomic_text
from genre_model.manifest import sha256_file
from genre_model.text import TextFields
from genre_training.corpus import PREPARE_REPORT, SPLITS
from genre_training.data import read_movies, split_movies
from genre_training.feedback import (
    CORRECTED_MOVIES,
    DEFAULT_MAX_PER_CLIENT,
    EVALUATION_CORRECTIONS,
    Applied,
    FeedbackReport,
    apply_corrections,
    read_feedback,
    write_corrected,
)


def prepare(
    data: Path,
    out_dir: Path,
    *,
    text_fields: TextFields,
    description_column: str,
    min_genre_count: int,
    feedback: str | None = None,
    feedback_reviewed: Path | None = None,
    max_per_client: int = DEFAULT_MAX_PER_CLIENT,
) -> dict:
    """feedback: s3://bucket/prefix or a folder of users' corrections; feedback_reviewed: a
    reviewer's Prodigy answers. Applied to the training split only (genre_training.feedback);
    the report goes in prepare.json, the corrected movies beside. Every file is written whole
    or not at all."""
    frame, labels, load_report = read_movies(
        data, description_column=description_column, min_genre_count=min_genre_count
    )
    splits = split_movies(frame)
    applied: Applied | None = None
    report: FeedbackReport | None = None
    if feedback is not None or feedback_reviewed is not None:
        report, corrections, reviewed = read_feedback(
            feedback, feedback_reviewed, labels, max_per_client
        )
        applied = apply_corrections(splits, corrections, report, reviewed=reviewed)
        splits = applied.splits
    out_dir.mkdir(parents=True, exist_ok=True)
    # Without feedback, no corrected movies: none of an earlier run's may be evaluated again.
    for name in (CORRECTED_MOVIES, EVALUATION_CORRECTIONS):
        (out_dir / name).unlink(missing_ok=True)
    if applied is not None:
        write_corrected(out_dir, applied, labels)
    nlp = spacy.blank("en")
    for name in SPLITS:
        part: pd.DataFrame = getattr(splits, name)
        write_jsonl(part, out_dir / f"{name}.jsonl")
        write_docbin(nlp, part, labels, text_fields, out_dir / f"{name}.spacy")
    prepared = {
        "data": str(data),
        "data_sha256": sha256_file(data),
        "labels": labels,
        "text_fields": text_fields,
        "split_sizes": splits.sizes(),
        "load": asdict(load_report),
        "feedback": report.to_json() if report else None,
    }
    with atomic_text(out_dir / PREPARE_REPORT) as stream:
        stream.write(json.dumps(prepared, indent=2, ensure_ascii=False) + "\n")
    return prepared


def write_jsonl(part: pd.DataFrame, path: Path) -> None:
    with atomic_text(path) as stream:
        for row in part.itertuples(index=False):
            record = {
                "id": row.id,
                "year": row.year,
                "title": row.title,
                "description": row.description,
                "genres": row.genres,
            }
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_docbin(
    nlp: spacy.language.Language,
    part: pd.DataFrame,
    labels: list[str],
    text_fields: TextFields,
    path: Path,
) -> None:
    texts = [
        compose_text(title, description, text_fields)
        for title, description in zip(part["title"], part["description"], strict=True)
    ]
    docs = DocBin()
    for doc, genres in zip(nlp.pipe(texts), part["genres"], strict=True):
        doc.cats = {label: float(label in genres) for label in labels}
        docs.add(doc)
    atomic_bytes(path, docs.to_bytes())
