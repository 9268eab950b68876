"""The shapes of the evaluation figures: what `evaluate` writes, and what a manifest carries."""

from __future__ import annotations

from typing import TypedDict


class Scores(TypedDict):
    precision: float
    recall: float
    f1: float
    accuracy: float


class GenreScores(Scores):
    support: int


class ClassificationReport(TypedDict):
    per_genre: dict[str, GenreScores]
    micro: Scores
    macro: Scores
    exact_match_accuracy: float
    top_genre_accuracy: float
    movies: int


# Keys that are not identifiers ("at_0.5") need the functional form.
ThresholdReports = TypedDict(
    "ThresholdReports", {"at_0.5": ClassificationReport, "tuned": ClassificationReport}
)

Headline = TypedDict(
    "Headline",
    {"test_micro_f1_at_0.5": float, "test_micro_f1_tuned": float, "test_macro_f1_tuned": float},
)


class ManifestMetrics(Headline):
    """The figures a model artifact carries: the headline, then every report on dev and test."""

    dev: ThresholdReports
    test: ThresholdReports
