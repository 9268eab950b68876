"""The model in this process (needs the [model] extra: spaCy)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from genre_model.locations import MODEL_DIR_ENV, model_dir_from_env
from movie_classifier.classifier import Classified, Explained, Movie
from movie_classifier.errors import ModelMissing


class EmbeddedClassifier:
    def __init__(self, model_dir: Path | None = None) -> None:
        try:
            import spacy  # noqa: F401  the model needs it: say so before trying to load one

            from genre_model import GenreClassifier, ModelError
        except ImportError as error:
            raise ModelMissing(
                "the in-process model needs spaCy: pip install 'movie-genre[model]'"
            ) from error
        directory = model_dir or model_dir_from_env()
        if not directory.exists():
            source = "--model-dir" if model_dir else MODEL_DIR_ENV
            raise ModelMissing(f"cannot load the model: {source} {directory} does not exist")
        try:
            self._model = GenreClassifier.load(directory)
        except ModelError as error:
            raise ModelMissing(f"cannot load the model: {error}") from error

    def classify(self, movies: Sequence[Movie]) -> list[Classified]:
        predictions = self._model.predict([(m.title, m.description) for m in movies])
        return [
            Classified(p.top_genre, p.scores, p.genres, self._model.version) for p in predictions
        ]

    def explain(self, movie: Movie, top: int) -> Explained:
        from genre_model.explanations import explain

        found = explain(self._model, movie.title, movie.description, top)
        p = found.prediction
        return Explained(
            Classified(p.top_genre, p.scores, p.genres, self._model.version),
            {genre: [(w.word, w.weight) for w in words] for genre, words in found.words.items()},
        )
