"""Step 1: data -> train/dev/test splits, as JSONL (for evaluation) and DocBin (for spacy train)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
import spacy
from spacy.tokens import DocBin

from genre_model import compose_text
from genre_model.manifest import sha256_file
from genre_model.text import TextFields
from genre_training.corpus import PREPARE_REPORT, SPLITS
from genre_training.data import read_movies, split_movies
from genre_training.feedback import (
    CORRECTED_MOVIES,
    FeedbackReport,
    apply_corrections,
    read_corrections,
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
) -> dict:
    """feedback: s3://bucket/prefix or a folder of users' corrections, applied to the splits
    (genre_training.feedback); its report goes in prepare.json, the corrected movies beside."""
    frame, labels, load_report = read_movies(
        data, description_column=description_column, min_genre_count=min_genre_count
    )
    splits = split_movies(frame)
    feedback_report: FeedbackReport | None = None
    corrected: list[dict[str, Any]] = []
    if feedback is not None:
        read = read_corrections(feedback)
        splits, feedback_report, corrected = apply_corrections(splits, labels, read)
    out_dir.mkdir(parents=True, exist_ok=True)
    # Without feedback, no corrected movies: none of an earlier run's may be evaluated again.
    (out_dir / CORRECTED_MOVIES).unlink(missing_ok=True)
    if corrected:
        write_corrected(out_dir, corrected)
    nlp = spacy.blank("en")
    for name in SPLITS:
        part: pd.DataFrame = getattr(splits, name)
        write_jsonl(part, out_dir / f"{name}.jsonl")
        write_docbin(nlp, part, labels, text_fields, out_dir / f"{name}.spacy")
    report = {
        "data": str(data),
        "data_sha256": sha256_file(data),
        "labels": labels,
        "text_fields": text_fields,
        "split_sizes": splits.sizes(),
        "load": asdict(load_report),
        "feedback": feedback_report.to_json() if feedback_report else None,
    }
    (out_dir / PREPARE_REPORT).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def write_jsonl(part: pd.DataFrame, path: Path) -> None:
    with path.open("w", encoding="utf-8") as stream:
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
    docs.to_disk(path)
