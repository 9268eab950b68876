"""Fixtures of the training package's unit tests: a corpus prepared from the fixture rows, and a
tiny transformer to fine-tune in seconds (random weights, built here: nothing is downloaded)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.data import FIXTURE_MIN_GENRE_COUNT, FIXTURE_ROWS

# The tiny base model's word-piece vocabulary: its special tokens and the words the tests use.
TINY_VOCABULARY = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".",
    "the", "a", "murder", "detective", "explosion", "love", "wedding", "laugh", "party",
]  # fmt: skip


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
    torch = pytest.importorskip("torch", reason="fine-tuning needs PyTorch (TRANSFORMER=1)")
    transformers = pytest.importorskip("transformers", reason="fine-tuning needs transformers")

    base = tmp_path_factory.mktemp("tiny-base")
    tokenizer = transformers.BertTokenizer(
        vocab={word: i for i, word in enumerate(TINY_VOCABULARY)}
    )
    tokenizer.save_pretrained(base)
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=len(TINY_VOCABULARY),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
    )
    transformers.BertModel(config).save_pretrained(base)
    return base
