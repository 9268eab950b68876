"""GenreClassifier: a spaCy textcat_multilabel pipeline with the thresholds tuned for it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from genre_model.manifest import PIPELINE_DIR, Manifest, ManifestError
from genre_model.text import compose_text

if TYPE_CHECKING:
    from spacy.language import Language

# Components that produce doc.cats; anything else a pipeline carries is not loaded.
SCORING_COMPONENTS = frozenset({"tok2vec", "textcat_multilabel"})


class ModelError(Exception):
    """The model artifact cannot be loaded: missing, corrupt or of an unknown kind."""


@dataclass(frozen=True)
class Prediction:
    scores: dict[str, float]
    genres: list[str]
    top_genre: str


def score_texts(
    nlp: Language, labels: list[str], texts: Iterable[str], batch_size: int = 256
) -> list[dict[str, float]]:
    """Per-label scores of composed texts through nlp.pipe (spaCy's batching)."""
    return [
        {label: float(doc.cats[label]) for label in labels}
        for doc in nlp.pipe(texts, batch_size=batch_size)
    ]


class GenreClassifier:
    def __init__(self, nlp: Language, manifest: Manifest) -> None:
        self._nlp = nlp
        self.manifest = manifest

    @classmethod
    def load(cls, artifact_dir: Path | str, *, verify: bool = True) -> GenreClassifier:
        """Load an artifact (manifest.json + pipeline/); verify checks every file's sha256."""
        import spacy  # deferred: the CLI imports this module without spaCy installed

        artifact_dir = Path(artifact_dir)
        try:
            manifest = Manifest.read(artifact_dir)
            if verify:
                manifest.verify_files(artifact_dir)
        except ManifestError as error:
            raise ModelError(str(error)) from error
        pipeline_dir = artifact_dir / PIPELINE_DIR
        try:
            meta = json.loads((pipeline_dir / "meta.json").read_text(encoding="utf-8"))
            unneeded = [name for name in meta["pipeline"] if name not in SCORING_COMPONENTS]
            nlp = spacy.load(pipeline_dir, exclude=unneeded)
        except (OSError, KeyError, ValueError) as error:
            raise ModelError(
                f"cannot load the spaCy pipeline in {pipeline_dir}: {error}"
            ) from error
        if "textcat_multilabel" not in nlp.pipe_names:
            raise ModelError(f"{pipeline_dir} has no textcat_multilabel component")
        model_labels = set(getattr(nlp.get_pipe("textcat_multilabel"), "labels", ()))
        if model_labels != set(manifest.labels):
            raise ModelError(
                f"pipeline labels {sorted(model_labels)} differ from the manifest's "
                f"{manifest.labels}"
            )
        return cls(nlp, manifest)

    @property
    def labels(self) -> list[str]:
        return list(self.manifest.labels)

    @property
    def version(self) -> str:
        return self.manifest.version

    def score_texts(self, texts: Iterable[str], batch_size: int = 256) -> list[dict[str, float]]:
        """Raw per-label scores of already composed texts, batched by spaCy."""
        return score_texts(self._nlp, self.manifest.labels, texts, batch_size)

    def predict(self, movies: Sequence[tuple[str, str]], batch_size: int = 256) -> list[Prediction]:
        """Predictions for (title, description) pairs."""
        fields = self.manifest.text_fields
        texts = (compose_text(title, description, fields) for title, description in movies)
        return [self.decide(scores) for scores in self.score_texts(texts, batch_size)]

    def decide(self, scores: dict[str, float]) -> Prediction:
        """Genres over their tuned thresholds, and the top-scoring genre."""
        thresholds = self.manifest.thresholds
        genres = [label for label, score in scores.items() if score >= thresholds[label]]
        return Prediction(
            scores=scores, genres=genres, top_genre=max(scores, key=scores.__getitem__)
        )
