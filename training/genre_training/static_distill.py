"""Distilling a static embedding model from a sentence encoder with model2vec: every piece of the
encoder's vocabulary is run through it once, the outputs are reduced by PCA and weighted by the
pieces' frequency (SIF). Minutes on a CPU; the result is cached under build/ by teacher and
settings, so that the recipe's other steps can be rerun without distilling again.

Needs the [static] extra (model2vec; PyTorch and transformers through [transformer]).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Mapping
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

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> DistillSettings:
        pca = section["pca_dims"]
        sif = section["sif_coefficient"]
        return cls(int(pca) if pca else None, float(sif) if sif else None)


@dataclass(frozen=True)
class Distilled:
    tokenizer: Any  # a tokenizers.Tokenizer of the pieces
    vectors: np.ndarray  # (pieces, dims) float32
    directory: Path  # the cached model2vec model
    cached: bool  # True: read from the cache, not distilled now


def teacher_key(teacher: Path, settings: DistillSettings) -> str:
    """Names the cache entry: the teacher's own files (a fine-tuned encoder saved again under the
    same path is another teacher) and the settings."""
    digest = hashlib.sha256(json.dumps(asdict(settings), sort_keys=True).encode())
    for path in sorted(teacher.iterdir()):
        if path.is_file() and path.suffix in {".json", ".safetensors", ".bin", ".txt"}:
            digest.update(path.name.encode())
            with path.open("rb") as stream:
                for block in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:16]


def distill_static(teacher: Path, settings: DistillSettings, cache: Path) -> Distilled:
    """The static model of teacher (a transformers encoder directory), from cache when there."""
    if not (teacher / "config.json").is_file():
        raise StepError(f"teacher {teacher} is not a transformers model directory (no config.json)")
    directory = cache / teacher_key(teacher, settings)
    cached = all((directory / name).is_file() for name in MODEL_FILES)
    if not cached:
        write_distilled(teacher, settings, directory)
    return Distilled(*read_distilled(directory), directory=directory, cached=cached)


def write_distilled(teacher: Path, settings: DistillSettings, directory: Path) -> None:
    """Distil into a temporary directory beside directory, then move it there whole."""
    try:
        from model2vec.distill import distill
    except ImportError as error:
        raise StepError(
            "the static recipe needs model2vec: pip install -e '.[static-training]'"
        ) from error
    directory.parent.mkdir(parents=True, exist_ok=True)
    model = distill(
        str(teacher),
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
