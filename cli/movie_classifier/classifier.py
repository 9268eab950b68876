"""What both ways of classifying take and give: the in-process model (embedded) and a
deployment of the API (http_api)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


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


@dataclass(frozen=True)
class Explained:
    classified: Classified
    words: dict[str, list[tuple[str, float]]]  # genre -> (word, weight), strongest first


class Classifier(Protocol):
    def classify(self, movies: Sequence[Movie]) -> list[Classified]: ...

    def explain(self, movie: Movie, top: int) -> Explained: ...
