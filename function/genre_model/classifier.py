"""GenreClassifier: a spaCy textcat_multilabel pipeline with the thresholds tuned for it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

# GOLDEN_TOLERANCE re-exported: package.py reads the default tolerance from here.
from genre_model.golden import GOLDEN_TOLERANCE as GOLDEN_TOLERANCE
from genre_model.golden import golden_tolerance, score_difference
from genre_model.manifest import GOLDEN_NAME, PIPELINE_DIR, Manifest, ManifestError
from genre_model.memory import scored_zone
from genre_model.text import compose_text

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc


class ModelError(Exception):
    """The model artifact cannot be loaded: missing, corrupt or of an unknown kind."""


@dataclass(frozen=True)
class Prediction:
    scores: dict[str, float]
    genres: list[str]
    top_genre: str


@dataclass(frozen=True)
class GoldenMovie:
    """A test-split movie and the scores the trained model gave it when it was packaged."""

    title: str
    description: str
    scores: dict[str, float]


@dataclass(frozen=True)
class GoldenSet:
    movies: list[GoldenMovie]
    tolerance: float


def read_golden(artifact_dir: Path) -> GoldenSet | None:
    """The artifact's golden set, or None for an artifact made before golden sets existed."""
    path = artifact_dir / GOLDEN_NAME
    if not path.is_file():
        return None
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        tolerance = golden_tolerance(data)
        return GoldenSet([GoldenMovie(**movie) for movie in data["movies"]], tolerance)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ModelError(f"{path} is not a golden set: {error}") from error


def score_texts(
    nlp: Language, labels: list[str], texts: Iterable[str | Doc], batch_size: int = 256
) -> list[dict[str, float]]:
    """Per-label scores of composed texts through nlp.pipe (spaCy's batching)."""
    return [
        {label: float(doc.cats[label]) for label in labels}
        for doc in nlp.pipe(texts, batch_size=batch_size)
    ]


def load_pipeline(pipeline_dir: Path, labels: list[str]) -> Language:
    """A trained spaCy pipeline, checked to predict exactly labels.

    Loads much faster than spacy.load's default, with the same answers: the tokenizer is built
    empty and filled from the artifact's own tokenizer file (by default spaCy first builds the
    language's default tokenizer, then overwrites it from that file), and the vocab's string
    table is skipped (scoring reads hashes; a doc's own strings are added as it is tokenized).
    """
    import spacy  # deferred: the CLI imports this module without spaCy installed

    # Registered before loading: the minilm and static recipes' components and the serialized
    # tokenizer.
    from genre_model import onnx_textcat, static_textcat, tokenizer  # noqa: F401

    if not (pipeline_dir / "meta.json").is_file():
        raise ModelError(f"{pipeline_dir} is not a spaCy pipeline (no meta.json)")
    try:
        nlp = spacy.load(
            pipeline_dir,
            exclude=["strings"],
            config={"nlp": {"tokenizer": {"@tokenizers": tokenizer.SERIALIZED_TOKENIZER}}},
        )
    except (OSError, KeyError, ValueError, ImportError) as error:
        raise ModelError(f"cannot load the spaCy pipeline in {pipeline_dir}: {error}") from error
    if "textcat_multilabel" not in nlp.pipe_names:
        raise ModelError(f"{pipeline_dir} has no textcat_multilabel component")
    model_labels = set(getattr(nlp.get_pipe("textcat_multilabel"), "labels", ()))
    if model_labels != set(labels):
        raise ModelError(
            f"pipeline labels {sorted(model_labels)} differ from the manifest's {labels}"
        )
    return nlp


class GenreClassifier:
    def __init__(self, nlp: Language, manifest: Manifest, golden: GoldenSet | None = None) -> None:
        self._nlp = nlp
        self.manifest = manifest
        self.golden = golden

    @classmethod
    def load(cls, artifact_dir: Path | str, *, verify: bool = True) -> GenreClassifier:
        """Load an artifact (manifest.json + pipeline/); verify checks every file's sha256."""
        artifact_dir = Path(artifact_dir)
        try:
            manifest = Manifest.read(artifact_dir)
            if verify:
                manifest.verify_files(artifact_dir)
        except ManifestError as error:
            raise ModelError(str(error)) from error
        nlp = load_pipeline(artifact_dir / PIPELINE_DIR, manifest.labels)
        return cls(nlp, manifest, read_golden(artifact_dir))

    @property
    def labels(self) -> list[str]:
        return list(self.manifest.labels)

    @property
    def version(self) -> str:
        return self.manifest.version

    def score_texts(
        self, texts: Iterable[str | Doc], batch_size: int = 256
    ) -> list[dict[str, float]]:
        """Raw per-label scores of already composed texts (or their Docs), batched by spaCy."""
        return score_texts(self._nlp, self.manifest.labels, texts, batch_size)

    def predict(self, movies: Sequence[tuple[str, str]], batch_size: int = 256) -> list[Prediction]:
        """Predictions for (title, description) pairs, in a memory zone of their own."""
        fields = self.manifest.text_fields
        texts = (compose_text(title, description, fields) for title, description in movies)
        with self.memory_zone():
            return [self.decide(scores) for scores in self.score_texts(texts, batch_size)]

    def memory_zone(self) -> AbstractContextManager[None]:
        """A block after which the pipeline holds nothing of the texts it met (its Docs must not
        be used after): see genre_model.memory. Re-entrant."""
        return scored_zone(self._nlp)

    def read_chars(self, text: str) -> int:
        """How many leading characters of a composed text the model reads (a transformer
        truncates long texts; a bag-of-words model reads them whole)."""
        readers = [
            pipe.read_chars for _name, pipe in self._nlp.pipeline if hasattr(pipe, "read_chars")
        ]
        return min((read(text) for read in readers), default=len(text))

    def components(self) -> list[tuple[str, Any]]:
        """The pipeline's components (name, component), in the order they run."""
        return list(self._nlp.pipeline)

    def tokenize(self, text: str) -> Doc:
        """The model's own tokens for text (no component runs); inside memory_zone() when
        serving, or its new words stay in the vocabulary."""
        return self._nlp.make_doc(text)

    def check_golden(self) -> int | None:
        """Score the golden set and raise ModelError if any score moved by more than its
        tolerance. Returns how many movies were checked, or None when there is no golden set."""
        if self.golden is None:
            return None
        movies, tolerance = self.golden.movies, self.golden.tolerance
        predictions = self.predict([(movie.title, movie.description) for movie in movies])
        for movie, prediction in zip(movies, predictions, strict=True):
            try:
                worst = score_difference(movie.scores, prediction.scores)
            except ValueError as error:
                raise ModelError(f"golden check failed: {error}") from error
            if worst > tolerance:
                raise ModelError(
                    f"golden check failed: {movie.title!r} scores differ from training by "
                    f"{worst:.2g} (tolerance {tolerance:g}); this model does not answer here "
                    "as it did when it was trained (library versions, or the wrong model)"
                )
        return len(movies)

    def decide(self, scores: dict[str, float]) -> Prediction:
        """Genres over their tuned thresholds, and the top-scoring genre."""
        thresholds = self.manifest.thresholds
        genres = [label for label, score in scores.items() if score >= thresholds[label]]
        return Prediction(
            scores=scores, genres=genres, top_genre=max(scores, key=scores.__getitem__)
        )
