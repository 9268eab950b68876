"""A small model of the minilm recipe: fine-tuned on 160 real rows for one epoch, exported to
ONNX int8 and packaged like any recipe. Its inference costs what the full model's does (the same
architecture, tokenizer and export); only its accuracy is a toy's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers.data import REPO

CONFIG = REPO / "training" / "configs" / "minilm.cfg"
# The tiny base model's word-piece vocabulary: its special tokens and the words the tests use.
TINY_VOCABULARY = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".",
    "the", "a", "murder", "detective", "explosion", "love", "wedding", "laugh", "party",
]  # fmt: skip


def build_tiny_base(directory: Path) -> None:
    """A BERT of one 16-wide layer (random weights) and its tokenizer, saved in directory as a
    base model (or a teacher to distil) is: trains or distils in seconds, nothing downloaded."""
    import torch
    import transformers

    tokenizer = transformers.BertTokenizer(
        vocab={word: i for i, word in enumerate(TINY_VOCABULARY)}
    )
    tokenizer.save_pretrained(directory)
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=len(TINY_VOCABULARY),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
    )
    transformers.BertModel(config).save_pretrained(directory)


def train_small_minilm(trained: dict[str, Path], root: Path) -> dict[str, Any]:
    """fine-tune -> evaluate -> package under root; trained: a small bag-of-words model and its
    corpus (tests.helpers.data.train_and_package), which the blend is tried with."""
    from genre_training.evaluate import evaluate
    from genre_training.package import package
    from genre_training.transformer import fine_tune

    report = fine_tune(
        CONFIG,
        trained["corpus"],
        root / "train",
        {
            "training.epochs": 1,
            "training.max_train": 160,
            # The small offline model trained on the same labels: the blend path runs too.
            "paths.bow_model": str(trained["artifact"]),
            "blend.weights": [0.0, 0.5],
        },
    )
    model = root / "train" / "model-best"
    evaluate(model, trained["corpus"], root / "eval", compare={"bow": trained["artifact"]})
    package(model, root / "eval", trained["corpus"], CONFIG, "minilm", root)
    return {"root": root, "model": model, "artifact": root / "artifact", "report": report}
