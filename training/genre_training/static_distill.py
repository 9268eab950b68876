"""Distilling a static embedding model from a sentence encoder with model2vec: every piece of the
encoder's vocabulary, and optionally the training split's frequent words, is run through it once,
the outputs are reduced by PCA and weighted by frequency rank (SIF). Minutes on a CPU; the result
is cached under build/ by teacher, settings and words, so that the recipe's other steps can be
rerun without distilling again.

Needs the [static] extra (model2vec; PyTorch and transformers through [transformer]).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from genre_training.errors import StepError

MODEL_FILES = ("config.json", "model.safetensors", "tokenizer.json")


@dataclass(frozen=True)
class DistillSettings:
    """The recipe's [distill] section."""

    pca_dims: int | None  # None: the encoder's own width
    sif_coefficient: float | None  # None: no frequency weighting
    # Training words seen at least this often join the pieces as whole words; None: pieces only.
    corpus_min_count: int | None

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> DistillSettings:
        pca = section["pca_dims"]
        sif = section["sif_coefficient"]
        words = section.get("corpus_min_count")
        return cls(
            int(pca) if pca else None, float(sif) if sif else None, int(words) if words else None
        )


def corpus_vocabulary(teacher: Path, words: Iterable[str], min_count: int) -> list[str]:
    """The words seen at least min_count times, as the teacher's tokenizer normalizes them (an
    uncased teacher counts "Love" and "love" as one), most frequent first: model2vec's SIF
    weighting reads a piece's rank as its frequency."""
    from transformers import AutoTokenizer

    normalizer = AutoTokenizer.from_pretrained(str(teacher)).backend_tokenizer.normalizer
    normalize = normalizer.normalize_str if normalizer else str
    counts = Counter(normalize(word) for word in words)
    return [word for word, count in counts.most_common() if count >= min_count]


@dataclass(frozen=True)
class Distilled:
    tokenizer: Any  # a tokenizers.Tokenizer of the pieces
    vectors: np.ndarray  # (pieces, dims) float32
    directory: Path  # the cached model2vec model
    cached: bool  # True: read from the cache, not distilled now


def teacher_key(teacher: Path, settings: DistillSettings, vocabulary: Sequence[str]) -> str:
    """Names the cache entry: the teacher's own files (a fine-tuned encoder saved again under the
    same path is another teacher), the settings and the added words."""
    digest = hashlib.sha256(json.dumps([asdict(settings), list(vocabulary)]).encode())
    for path in sorted(teacher.iterdir()):
        if path.is_file() and path.suffix in {".json", ".safetensors", ".bin", ".txt"}:
            digest.update(path.name.encode())
            with path.open("rb") as stream:
                for block in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:16]


def distill_static(
    teacher: Path, settings: DistillSettings, cache: Path, vocabulary: Sequence[str] = ()
) -> Distilled:
    """The static model of teacher (a transformers encoder directory) with vocabulary's words
    beside its pieces, from cache when there."""
    if not (teacher / "config.json").is_file():
        raise StepError(f"teacher {teacher} is not a transformers model directory (no config.json)")
    directory = cache / teacher_key(teacher, settings, vocabulary)
    cached = all((directory / name).is_file() for name in MODEL_FILES)
    if not cached:
        write_distilled(teacher, settings, vocabulary, directory)
    return Distilled(*read_distilled(directory), directory=directory, cached=cached)


def write_distilled(
    teacher: Path, settings: DistillSettings, vocabulary: Sequence[str], directory: Path
) -> None:
    """Distil into a temporary directory beside directory, then move it there whole."""
    try:
        from model2vec.distill import distill
    except ImportError as error:
        raise StepError(
            "the static recipe needs model2vec: pip install -e '.[static-training]'"
        ) from error
    directory.parent.mkdir(parents=True, exist_ok=True)
    # model2vec logs a warning for every added word the teacher already has as a piece.
    logging.getLogger("model2vec").setLevel(logging.ERROR)
    model = distill(
        str(teacher),
        vocabulary=list(vocabulary) or None,
        pca_dims=settings.pca_dims,  # type: ignore[arg-type]
        sif_coefficient=settings.sif_coefficient,
        quantize_to="float32",
    )
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        model.save_pretrained(str(staging))
        if directory.exists():
            shutil.rmtree(directory)
        staging.rename(directory)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def read_distilled(directory: Path) -> tuple[Any, np.ndarray]:
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
    vectors = load_file(str(directory / "model.safetensors"))["embeddings"]
    return tokenizer, np.asarray(vectors, dtype=np.float32)
