"""Step 4: a trained pipeline + its evaluation -> artifact directory and one .tar.gz archive.

The artifact holds pipeline/, golden.json (test-split movies with the scores this pipeline gave
them, for the serving side's init check), MODEL_CARD.md, and manifest.json, which hashes every
other file.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import spacy
from confection import Config

from genre_model.classifier import GOLDEN_TOLERANCE, score_texts
from genre_model.manifest import (
    ARCHIVE_NAME,
    GOLDEN_NAME,
    PIPELINE_DIR,
    Manifest,
    file_sizes,
    hash_tree,
)
from genre_model.text import TextFields, compose_text
from genre_training.archive import write_archive
from genre_training.corpus import read_jsonl
from genre_training.errors import StepError, require_file
from genre_training.model_card import CARD_FILE
from genre_training.results import SPACY_MODEL, headline, read_results

GOLDEN_MOVIES = 32


def package(
    model_dir: Path, eval_dir: Path, corpus_dir: Path, config: Path, recipe: str, out_dir: Path
) -> tuple[Manifest, Path]:
    """Write out_dir/artifact (pipeline/ + golden.json + manifest.json) and out_dir/model.tar.gz."""
    results = read_results(eval_dir)
    test_split = require_file(corpus_dir / "test.jsonl", "movie-genre-train prepare")
    require_file(model_dir / "meta.json", "spacy train")
    artifact_dir = out_dir / "artifact"
    if artifact_dir.exists():
        shutil.rmtree(artifact_dir)
    shutil.copytree(model_dir, artifact_dir / PIPELINE_DIR)
    shutil.copy(require_file(eval_dir / CARD_FILE, "movie-genre-train evaluate"), artifact_dir)
    tolerance = golden_tolerance(config)
    write_golden(artifact_dir, results["labels"], results["text_fields"], test_split, tolerance)
    files = hash_tree(artifact_dir)
    content_id = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:8]
    created = datetime.now(UTC)
    spacy_model = results["models"][SPACY_MODEL]
    manifest = Manifest(
        version=f"{created:%Y%m%d-%H%M%S}-{content_id}",
        created_at=created.isoformat(timespec="seconds"),
        spacy_version=spacy.__version__,
        recipe=recipe,
        config=config.read_text(encoding="utf-8"),
        labels=results["labels"],
        thresholds=spacy_model["tuned_thresholds"],
        text_fields=results["text_fields"],
        data_sha256=results["data_sha256"],
        split_sizes=results["split_sizes"],
        metrics={**headline(results), "dev": spacy_model["dev"], "test": spacy_model["test"]},
        files=files,
        sizes=file_sizes(artifact_dir, files),
    )
    manifest.write(artifact_dir)
    archive = out_dir / ARCHIVE_NAME
    write_archive(artifact_dir, archive)
    return manifest, archive


def golden_tolerance(config: Path) -> float:
    """The recipe's [serving] golden_tolerance, else GOLDEN_TOLERANCE (float models)."""
    serving = Config().from_disk(config, interpolate=False).get("serving", {})
    return float(serving.get("golden_tolerance", GOLDEN_TOLERANCE))


def write_golden(
    artifact_dir: Path,
    labels: list[str],
    text_fields: TextFields,
    test_split: Path,
    tolerance: float,
) -> None:
    """The first GOLDEN_MOVIES test movies, scored by the trained pipeline as plain spacy.load
    loads it: the reference that the serving side's own, faster, loading must reproduce, within
    tolerance."""
    movies = read_jsonl(test_split)[:GOLDEN_MOVIES]
    if not movies:
        raise StepError(f"{test_split} has no movies for the golden set")
    nlp = spacy.load(artifact_dir / PIPELINE_DIR)
    texts = [compose_text(m["title"], m["description"], text_fields) for m in movies]
    golden = {
        "tolerance": tolerance,
        "movies": [
            {"title": m["title"], "description": m["description"], "scores": scores}
            for m, scores in zip(movies, score_texts(nlp, labels, texts), strict=True)
        ],
    }
    (artifact_dir / GOLDEN_NAME).write_text(
        json.dumps(golden, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
