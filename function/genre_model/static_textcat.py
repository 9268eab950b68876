"""A spaCy component that scores genres with a static embedding model: one vector per sub-word
piece of a transformer's vocabulary (distilled from MiniLM with model2vec, then trained with the
head), averaged over the text's pieces, then a small dense head and a sigmoid per genre.

Scoring needs numpy (spaCy's own dependency) and the `tokenizers` library: no PyTorch, no
onnxruntime. It sets doc.cats like spaCy's textcat_multilabel, so that GenreClassifier, the API,
the CLI, the explanations and the evaluation work unchanged on it.

The pieces of a Doc are the pieces of each of its spaCy tokens, each token tokenized on its own
(`is_pretokenized`): removing a token removes exactly its pieces. That makes leave-one-word-out
exact in closed form (`scores_without`): the mean without a word is (sum of the text's piece
vectors - sum of that word's) / (pieces - that word's pieces), the words' sums taken in one pass
over the text's pieces, then one batched pass of every mean through the head; no variant text is
tokenized or looked up again. It equals scoring the text without the word, up to float
rounding.

With `bow_weight` above 0 the pipeline also holds a bag-of-words textcat that ran first; its
doc.cats are blended in: cats = (1 - w) * static + w * bag-of-words.

The factory is registered when this module is imported (genre_model.classifier does so before it
loads a pipeline) and as a spaCy entry point of the package.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc

FACTORY = "static_textcat_multilabel"
TOKENIZER_FILE = "tokenizer.json"
WEIGHTS_FILE = "weights.npz"
# How the piece vectors are stored: int8 holds one float32 scale per vector (a quarter of the
# float32 size); scoring always runs in float32.
VECTOR_DTYPES = ("float32", "float16", "int8")
INT8_MAX = 127


@dataclass(frozen=True)
class StaticWeights:
    """The piece vectors as stored, and the head: dense layers (weight (in, out), bias (out,)),
    ReLU between them, a sigmoid after the last."""

    vectors: np.ndarray  # (pieces, dims): float32, float16 or int8
    scales: np.ndarray | None  # int8 only: (pieces,) float32, vector = int8 row * scale
    layers: tuple[tuple[np.ndarray, np.ndarray], ...]

    @classmethod
    def stored_as(
        cls,
        vectors: np.ndarray,
        layers: Sequence[tuple[np.ndarray, np.ndarray]],
        dtype: str,
    ) -> StaticWeights:
        """float32 vectors stored as dtype (int8: symmetric, one scale per vector)."""
        if dtype not in VECTOR_DTYPES:
            raise ValueError(f"vector dtype {dtype!r} is not one of {VECTOR_DTYPES}")
        vectors = np.asarray(vectors, dtype=np.float32)
        head = tuple(
            (np.asarray(w, dtype=np.float32), np.asarray(b, dtype=np.float32)) for w, b in layers
        )
        if dtype != "int8":
            return cls(vectors.astype(dtype), None, head)
        scales = np.abs(vectors).max(axis=1) / INT8_MAX
        scales[scales == 0] = 1.0  # an all-zero vector stays zero
        quantized = np.rint(vectors / scales[:, None]).astype(np.int8)
        return cls(quantized, scales.astype(np.float32), head)

    @property
    def dims(self) -> int:
        return int(self.vectors.shape[1])

    def rows(self, ids: np.ndarray) -> np.ndarray:
        """The vectors of pieces ids in float32. Only the rows a text needs are converted: the
        table stays as stored, so loading converts nothing and holds no float32 copy."""
        rows: np.ndarray = self.vectors[ids].astype(np.float32)
        return rows if self.scales is None else rows * self.scales[ids, None]

    def save(self, path: Path) -> None:
        arrays = {"vectors": self.vectors}
        if self.scales is not None:
            arrays["scales"] = self.scales
        for i, (weight, bias) in enumerate(self.layers):
            arrays[f"layer{i}_weight"], arrays[f"layer{i}_bias"] = weight, bias
        np.savez(path, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> StaticWeights:
        with np.load(path, allow_pickle=False) as stored:
            layers: list[tuple[np.ndarray, np.ndarray]] = []
            while f"layer{len(layers)}_weight" in stored:
                i = len(layers)
                layers.append((stored[f"layer{i}_weight"], stored[f"layer{i}_bias"]))
            if not layers:
                raise ValueError(f"{path} has no head layers")
            scales = stored.get("scales")
            return cls(stored["vectors"], scales, tuple(layers))


def head_scores(layers: Sequence[tuple[np.ndarray, np.ndarray]], means: np.ndarray) -> np.ndarray:
    """(texts, dims) mean vectors -> (texts, labels) probabilities."""
    hidden: np.ndarray = means
    for i, (weight, bias) in enumerate(layers):
        hidden = hidden @ weight + bias
        if i < len(layers) - 1:
            hidden = np.maximum(hidden, 0)
    scores: np.ndarray = 1 / (1 + np.exp(-hidden))
    return scores


class PieceTokenizer:
    """A Doc's pieces: each spaCy token tokenized on its own by a `tokenizers.Tokenizer`."""

    def __init__(self, tokenizer: Any) -> None:
        tokenizer.no_truncation()  # every piece counts: the API bounds the text's length
        tokenizer.no_padding()
        self.tokenizer = tokenizer
        unknown = getattr(tokenizer.model, "unk_token", None)
        found = tokenizer.token_to_id(unknown) if unknown else None
        self._unknown = -1 if found is None else found

    def __call__(self, docs: Sequence[Doc]) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each doc, its pieces' ids and the index of the token each belongs to (unknown
        pieces left out: they carry nothing the model learnt)."""
        encodings = self.tokenizer.encode_batch(
            [[token.text for token in doc] for doc in docs],
            is_pretokenized=True,
            add_special_tokens=False,
        )
        pieces = []
        for encoding in encodings:
            ids = np.array(encoding.ids, dtype=np.int64)
            tokens = np.array(encoding.word_ids, dtype=np.int64).reshape(ids.shape)
            known = ids != self._unknown
            pieces.append((ids[known], tokens[known]))
        return pieces


class StaticTextCat:
    """labels: the head's outputs, in order."""

    def __init__(self, nlp: Language, name: str, labels: list[str], bow_weight: float) -> None:
        self.name = name
        self._labels = list(labels)
        self.bow_weight = bow_weight
        self._pieces: PieceTokenizer | None = None
        self._weights: StaticWeights | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self._labels)

    def set_model(self, tokenizer: Any, weights: StaticWeights) -> None:
        """A `tokenizers.Tokenizer` of the pieces and the weights (what from_disk reads)."""
        outputs = weights.layers[-1][1].shape[0]
        if outputs != len(self._labels):
            raise ValueError(f"the head scores {outputs} labels, not {len(self._labels)}")
        self._pieces = PieceTokenizer(tokenizer)
        self._weights = weights

    def piece_ids(self, docs: Sequence[Doc]) -> list[tuple[np.ndarray, np.ndarray]]:
        if self._pieces is None:
            raise ValueError(f"{self.name}: no model loaded (from_disk)")
        return self._pieces(docs)

    def mean_vectors(self, docs: Sequence[Doc]) -> np.ndarray:
        """(docs, dims): the mean vector of each doc's pieces (zeros for a doc with none)."""
        pieces = self.piece_ids(docs)  # refuses when no model is loaded
        assert self._weights is not None  # set with the pieces
        means = np.zeros((len(docs), self._weights.dims), dtype=np.float32)
        for row, (ids, _tokens) in enumerate(pieces):
            if len(ids):
                means[row] = self._weights.rows(ids).mean(axis=0)
        return means

    def _cats(self, static: np.ndarray, docs: Sequence[Doc]) -> list[dict[str, float]]:
        """Each doc's cats: the static scores, blended with the bag-of-words' doc.cats."""
        w = self.bow_weight
        return [
            {
                label: float(score) if w <= 0 else (1 - w) * float(score) + w * doc.cats[label]
                for label, score in zip(self._labels, row, strict=True)
            }
            for row, doc in zip(static, docs, strict=True)
        ]

    def _score(self, docs: list[Doc]) -> list[Doc]:
        assert self._weights is not None
        static = head_scores(self._weights.layers, self.mean_vectors(docs))
        for doc, cats in zip(docs, self._cats(static, docs), strict=True):
            doc.cats = cats
        return docs

    def __call__(self, doc: Doc) -> Doc:
        return self._score([doc])[0]

    def pipe(self, docs: Iterable[Doc], batch_size: int = 256) -> Iterator[Doc]:
        batch: list[Doc] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= batch_size:
                yield from self._score(batch)
                batch = []
        if batch:
            yield from self._score(batch)

    def scores_without(self, doc: Doc, words: Sequence[str]) -> np.ndarray:
        """(1 + words, labels) static scores (before any blend): doc's, then doc's without every
        token equal to each word, in closed form (see the module's docstring)."""
        assert self._weights is not None
        ((ids, tokens),) = self.piece_ids([doc])
        rows = self._weights.rows(ids)
        total = rows.sum(axis=0)
        column = {word: k for k, word in enumerate(words)}
        texts = [token.text for token in doc]
        # owners[j]: the word whose removal removes piece j (-1: none of the words)
        owners = np.array([column.get(texts[token], -1) for token in tokens.tolist()], dtype=int)
        owned = owners >= 0
        # Summed with np.add.at, not a (words x pieces) matrix product: no BLAS threads, whose
        # start-up costs more than the sums on a busy or one-vCPU machine.
        removed = np.zeros((len(words), rows.shape[1]), dtype=np.float32)
        np.add.at(removed, owners[owned], rows[owned])
        left = len(ids) - np.bincount(owners[owned], minlength=len(words))
        sums = np.vstack([total[None, :], total[None, :] - removed])
        counts = np.concatenate([[len(ids)], left])[:, None]
        means = np.where(counts > 0, sums / np.maximum(counts, 1), 0).astype(np.float32)
        return head_scores(self._weights.layers, means)

    def cats_without(
        self, doc: Doc, words: Sequence[str], variants: Sequence[Doc]
    ) -> list[dict[str, float]]:
        """The cats of doc and of doc without each word: variants are those docs as the earlier
        components (the bag-of-words) scored them; unused when nothing is blended in."""
        if self.bow_weight > 0 and len(variants) != len(words):
            raise ValueError(f"{len(words)} words but {len(variants)} variants")
        docs = [doc, *variants] if self.bow_weight > 0 else [doc] * (1 + len(words))
        return self._cats(self.scores_without(doc, words), docs)

    def to_disk(self, path: Path | str, *, exclude: Iterable[str] = ()) -> None:
        if self._weights is None:
            raise ValueError(f"{self.name}: no model to save (set_model or from_disk first)")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        assert self._pieces is not None
        self._pieces.tokenizer.save(str(path / TOKENIZER_FILE))
        self._weights.save(path / WEIGHTS_FILE)

    def from_disk(self, path: Path | str, *, exclude: Iterable[str] = ()) -> StaticTextCat:
        from tokenizers import Tokenizer

        path = Path(path)
        for name in (TOKENIZER_FILE, WEIGHTS_FILE):
            if not (path / name).is_file():
                raise ValueError(f"{path} has no {name}")
        self.set_model(
            Tokenizer.from_file(str(path / TOKENIZER_FILE)),
            StaticWeights.load(path / WEIGHTS_FILE),
        )
        return self


@Language.factory(FACTORY, default_config={"labels": [], "bow_weight": 0.0})
def make_static_textcat(
    nlp: Language, name: str, labels: list[str], bow_weight: float
) -> StaticTextCat:
    return StaticTextCat(nlp, name, labels, bow_weight)
