"""A small static model with the static recipe's files (a word-piece tokenizer, piece vectors
and a dense head), built without PyTorch or model2vec: the static component's tests run on
every Python the project supports."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# Word pieces: "murders" is "murder" + "##s", "lovely" is "love" + "##ly"; anything else is
# [UNK], which scores nothing.
PIECES = [
    "[PAD]", "[UNK]", "murder", "love", "laugh", "explosion", "the", "a", "and", "detective",
    "wedding", "##s", "##ly", "'", "t", "don", ".",
]  # fmt: skip
DIMS = 6


def tokenizer() -> object:
    from tokenizers import Tokenizer
    from tokenizers.models import WordPiece
    from tokenizers.normalizers import BertNormalizer
    from tokenizers.pre_tokenizers import BertPreTokenizer

    built = Tokenizer(WordPiece({piece: i for i, piece in enumerate(PIECES)}, unk_token="[UNK]"))
    built.normalizer = BertNormalizer(lowercase=True)
    built.pre_tokenizer = BertPreTokenizer()
    return built


def weights(labels: int, hidden: int = 4, dtype: str = "float32") -> object:
    """Random vectors and a head with one hidden layer, stored as dtype."""
    from genre_model.static_textcat import StaticWeights

    generator = np.random.default_rng(7)
    vectors = generator.normal(size=(len(PIECES), DIMS)).astype(np.float32)
    layers = [
        (generator.normal(size=(DIMS, hidden)), generator.normal(size=hidden)),
        (generator.normal(size=(hidden, labels)), generator.normal(size=labels)),
    ]
    return StaticWeights.stored_as(vectors, layers, dtype)


def build(directory: Path, labels: int, dtype: str = "float32") -> object:
    """tokenizer.json + weights.npz in directory; returns the StaticWeights."""
    from genre_model.static_textcat import TOKENIZER_FILE, WEIGHTS_FILE

    directory.mkdir(parents=True, exist_ok=True)
    tokenizer().save(str(directory / TOKENIZER_FILE))  # type: ignore[attr-defined]
    stored = weights(labels, dtype=dtype)
    stored.save(directory / WEIGHTS_FILE)  # type: ignore[attr-defined]
    return stored


def expected_scores(stored: object, piece_ids: list[int]) -> np.ndarray:
    """What the model computes, by hand: sigmoid(head(mean of the known pieces' vectors))."""
    vectors = stored.rows(np.arange(len(stored.vectors)))  # type: ignore[attr-defined]
    known = [i for i in piece_ids if i != PIECES.index("[UNK]")]
    hidden = vectors[known].mean(axis=0) if known else np.zeros(DIMS, dtype=np.float32)
    (w1, b1), (w2, b2) = stored.layers  # type: ignore[attr-defined]
    return 1 / (1 + np.exp(-(np.maximum(hidden @ w1 + b1, 0) @ w2 + b2)))
