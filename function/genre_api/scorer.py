"""The model as the routes use it: each call traced, and reported to the request's log line."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import TYPE_CHECKING

from fastapi import Request

from genre_model import GenreClassifier, Prediction
from genre_model.explanations import Explanation, explain

if TYPE_CHECKING:
    from genre_api.observability import Observer


class Scorer:
    """classifier behind observer (None: no logs, metrics or traces, as in the benchmark's
    baseline). The classifier frees what each call adds to its vocabulary (memory zones)."""

    def __init__(self, classifier: GenreClassifier, observer: Observer | None) -> None:
        self.classifier = classifier
        self.observer = observer

    @property
    def version(self) -> str:
        return self.classifier.version

    def predict(
        self, request: Request, route: str, movies: Sequence[tuple[str, str]]
    ) -> list[Prediction]:
        return self._observed(request, route, movies, lambda: self.classifier.predict(movies))

    def explain(
        self, request: Request, route: str, movie: tuple[str, str], top: int
    ) -> Explanation:
        found: list[Explanation] = []

        def run() -> list[Prediction]:
            found.append(explain(self.classifier, *movie, top))
            return [found[0].prediction]

        self._observed(request, route, [movie], run)
        return found[0]

    def _observed(
        self,
        request: Request,
        route: str,
        movies: Sequence[tuple[str, str]],
        run: Callable[[], list[Prediction]],
    ) -> list[Prediction]:
        """Run the model (traced), then tell the request's log line what it scored."""
        observer = self.observer
        with observer.scoring(route) if observer else nullcontext():
            predictions = run()
        if observer:
            observer.record_scoring(request, movies, predictions)
        return predictions
