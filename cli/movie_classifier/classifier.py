"""What both ways of classifying take and give: the in-process model (embedded) and a
deployment of the API (http_api)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Movie:
    title: str
    description: str


@dataclass(frozen=True)
class Classified:
    genre: str
    scores: dict[str, float]
    genres: list[str] = field(default_factory=list)
    model_version: str = ""


def classified_from(result: Mapping[str, Any], version: object) -> Classified | None:
    """An API's scored result, when it is one (a genre, its genres, a number per genre, and a
    model version); None for anything else, which the caller reports."""
    genre, genres, scores = result.get("genre"), result.get("genres"), result.get("scores")
    if not (
        isinstance(version, str)
        and isinstance(genre, str)
        and isinstance(genres, list)
        and all(isinstance(name, str) for name in genres)
        and isinstance(scores, Mapping)
        and all(
            isinstance(score, int | float) and not isinstance(score, bool)
            for score in scores.values()
        )
    ):
        return None
    return Classified(genre, {str(k): float(v) for k, v in scores.items()}, genres, version)


@dataclass(frozen=True)
class Explained:
    classified: Classified
    words: dict[str, list[tuple[str, float]]]  # genre -> (word, weight), strongest first


class Classifier(Protocol):
    def classify(self, movies: Sequence[Movie]) -> list[Classified]: ...

    def explain(self, movie: Movie, top: int) -> Explained: ...
