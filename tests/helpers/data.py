"""Real data from ../shared, the repository's paths, and a training run of seconds."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd

from genre_training.corpus import DEFAULT_DATA, SHARED_DATA_DIR

REPO = Path(__file__).resolve().parents[2]
MAIN_DATA = DEFAULT_DATA
# A real piece of the original movies_metadata.csv, spreadsheet damage and all.
ORIGINAL_SAMPLE = SHARED_DATA_DIR / "movies_metadata_sample_3087.csv.gz"
OFFLINE_CONFIG = REPO / "training" / "configs" / "offline.cfg"
TINY_TRAINING = {"training.max_steps": 150, "training.eval_frequency": 50}

OTHELLO = {
    "title": "Othello",
    "description": "The evil Iago pretends to be friend of Othello in order to manipulate him to "
    "serve his own end in the film version of this Shakespeare classic.",
}


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    with gzip.open(path, "wt", encoding="utf-8", newline="") as stream:
        frame.to_csv(stream, index=False)
    return path


def reseal(artifact_dir: Path) -> None:
    """Make an artifact's manifest list its files as they are now (after a test changed one)."""
    from dataclasses import replace

    from genre_model.manifest import MANIFEST_NAME, Manifest, hash_tree

    files = hash_tree(artifact_dir)
    files.pop(MANIFEST_NAME)
    replace(Manifest.read(artifact_dir), files=files).write(artifact_dir)


def train_tiny(corpus: Path, config: Path, output: Path, **overrides: object) -> Path:
    """spacy train with a step budget of seconds, not minutes."""
    from genre_training.train import train_pipeline

    return train_pipeline(config, corpus, output, {**TINY_TRAINING, **overrides})
