"""Fixtures of the training package's unit tests: a corpus prepared from the fixture rows, and a
tiny transformer to fine-tune in seconds (random weights, built here: nothing is downloaded)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.data import FIXTURE_MIN_GENRE_COUNT, FIXTURE_ROWS
from tests.helpers.minilm import build_tiny_base


@pytest.fixture(scope="session")
def fixture_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`prepare` of the 600 fixture rows: eight genres, the committed tiny model's labels."""
    from genre_training.prepare import prepare

    corpus = tmp_path_factory.mktemp("corpus")
    prepare(
        FIXTURE_ROWS,
        corpus,
        text_fields="title+description",
        description_column="overview",
        min_genre_count=FIXTURE_MIN_GENRE_COUNT,
    )
    return corpus


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A BERT of one 16-wide layer and its tokenizer, saved as a base model directory is."""
    pytest.importorskip("torch", reason="fine-tuning needs PyTorch (TRANSFORMER=1)")
    pytest.importorskip("transformers", reason="fine-tuning needs transformers")
    base = tmp_path_factory.mktemp("tiny-base")
    build_tiny_base(base)
    return base
