"""The repository's data and test fixtures, and a training run of seconds."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd

from genre_training.corpus import DEFAULT_DATA

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
# The data file the repository carries (data/movies/), for the split sizes and real catalogues.
MAIN_DATA = DEFAULT_DATA
# The first 600 rows of a real copy of the original movies_metadata.csv, spreadsheet damage and
# all (tests/fixtures/README.md): the original format, and fast to train on.
FIXTURE_ROWS = FIXTURES / "movies_metadata_sample_600.csv.gz"
# A tiny model trained on those rows (tests/fixtures/build_model.py): what unit tests load.
FIXTURE_MODEL = FIXTURES / "model"
OFFLINE_CONFIG = REPO / "training" / "configs" / "offline.cfg"
TINY_TRAINING = {"training.max_steps": 150, "training.eval_frequency": 50}
# Few rows: genres with 60 of them are labels (eight in the fixture rows).
FIXTURE_MIN_GENRE_COUNT = 60

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

    from genre_model.manifest import MANIFEST_NAME, Manifest, file_sizes, hash_tree

    files = hash_tree(artifact_dir)
    files.pop(MANIFEST_NAME)
    sizes = file_sizes(artifact_dir, files)
    replace(Manifest.read(artifact_dir), files=files, sizes=sizes).write(artifact_dir)


def train_tiny(corpus: Path, config: Path, output: Path, **overrides: object) -> Path:
    """spacy train with a step budget of seconds, not minutes."""
    from genre_training.train import train_pipeline

    return train_pipeline(config, corpus, output, {**TINY_TRAINING, **overrides})


def train_and_package(rows: Path, root: Path, config: Path = OFFLINE_CONFIG) -> dict[str, Path]:
    """prepare -> train (150 steps) -> evaluate -> package, on real rows, all under root."""
    from genre_training.evaluate import evaluate
    from genre_training.package import package
    from genre_training.prepare import prepare

    prepare(
        rows,
        root / "corpus",
        text_fields="title+description",
        description_column="overview",
        min_genre_count=FIXTURE_MIN_GENRE_COUNT,
    )
    model = train_tiny(root / "corpus", config, root / "train")
    evaluate(model, root / "corpus", root / "eval")
    package(model, root / "eval", root / "corpus", config, "offline", root)
    return {
        "root": root,
        "corpus": root / "corpus",
        "model": model,
        "eval": root / "eval",
        "artifact": root / "artifact",
        "archive": root / "model.tar.gz",
    }
