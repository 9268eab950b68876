"""A spaCy component that scores genres with a fine-tuned transformer exported to ONNX.

It runs the model with onnxruntime and tokenizes with the `tokenizers` library (no PyTorch), and
sets doc.cats like spaCy's own textcat_multilabel, so that GenreClassifier, the API, the CLI, the
explanations and the evaluation work unchanged on it.

Each text runs alone, never padded into a batch: the int8 model quantizes its activations with
one scale per run, computed over every text of the run, so a text scored in a batch would score
differently with other batch-mates, and /genre, /genres, /explain and the golden check would
disagree. Alone is also faster on one thread, with no padding (docs/results.md has the figures).

With `bow_weight` above 0 the pipeline also holds a bag-of-words textcat that ran first; its
doc.cats are blended in: cats = (1 - w) * transformer + w * bag-of-words. In the three-way blend
a static component (genre_model.static_textcat) runs between them and has blended the
bag-of-words into doc.cats already: w is then the static model's and the bag-of-words' share.

The factory is registered when this module is imported (genre_model.classifier does so before it
loads a pipeline) and as a spaCy entry point of the package.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

FACTORY = "onnx_textcat_multilabel"
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"


class OnnxTextCat:
    """labels: the model's outputs, in order; max_tokens: texts are truncated to it."""

    def __init__(
        self,
        nlp: Language,
        name: str,
        labels: list[str],
        max_tokens: int,
        bow_weight: float,
        threads: int,
    ) -> None:
        self.name = name
        self._labels = list(labels)
        self.max_tokens = max_tokens
        self.bow_weight = bow_weight
        self.threads = threads
        self._session: Any = None
        self._tokenizer: Any = None

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self._labels)

    def __call__(self, doc: Doc) -> Doc:
        import numpy as np

        if self._session is None:
            raise ValueError(f"{self.name}: no model loaded (from_disk)")
        encoding = self._tokenizer.encode(doc.text)
        feed = {
            "input_ids": np.array([encoding.ids], dtype=np.int64),
            "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
        }
        (scores,) = self._session.run(None, feed)
        cats = {label: float(score) for label, score in zip(self._labels, scores[0], strict=True)}
        if self.bow_weight > 0:
            w = self.bow_weight
            cats = {label: (1 - w) * cats[label] + w * doc.cats[label] for label in cats}
        doc.cats = cats
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 64) -> Iterator[Doc]:
        """One text at a time (see the module's docstring); batch_size is spaCy's, unused."""
        return map(self, docs)

    def read_chars(self, text: str) -> int:
        """How many leading characters of text the model reads: the rest is past max_tokens."""
        if self._tokenizer is None:
            raise ValueError(f"{self.name}: no model loaded (from_disk)")
        offsets = self._tokenizer.encode(text).offsets
        return max((end for _start, end in offsets), default=0)

    def to_disk(self, path: Path | str, *, exclude: Iterable[str] = ()) -> None:
        """Writes nothing: the exporter (genre_training.onnx_export) put the files there."""
        path = Path(path)
        for name in (MODEL_FILE, TOKENIZER_FILE):
            if not (path / name).is_file():
                raise ValueError(f"{path} has no {name}: export the model there first")

    def from_disk(self, path: Path | str, *, exclude: Iterable[str] = ()) -> OnnxTextCat:
        import onnxruntime
        from tokenizers import Tokenizer

        path = Path(path)
        options = onnxruntime.SessionOptions()
        # Lambda gives a 1024 MB function less than one vCPU: more threads only contend.
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(path / MODEL_FILE), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(path / TOKENIZER_FILE))
        self._tokenizer.enable_truncation(max_length=self.max_tokens)
        return self


@Language.factory(
    FACTORY,
    default_config={"labels": [], "max_tokens": 192, "bow_weight": 0.0, "threads": 1},
)
def make_onnx_textcat(
    nlp: Language, name: str, labels: list[str], max_tokens: int, bow_weight: float, threads: int
) -> OnnxTextCat:
    return OnnxTextCat(nlp, name, labels, max_tokens, bow_weight, threads)
