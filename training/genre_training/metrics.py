"""Multi-label metrics and per-genre threshold tuning, on arrays of shape (movies, genres).

Every precision, recall and F1 comes from one place, `Counts`, with scikit-learn's definitions
(zero_division=0): threshold tuning needs them vectorised over a grid of thresholds, which
scikit-learn's functions are not, and the reports then agree with the tuning by construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from genre_model.evaluation import ClassificationReport, GenreScores, Scores

DEFAULT_THRESHOLD = 0.5
# Candidate thresholds: fine enough that the tuned F1 is within noise of the best possible.
THRESHOLD_GRID = np.round(np.arange(0.02, 0.981, 0.01), 2)


@dataclass(frozen=True)
class Counts:
    """True positives, predicted positives and actual positives, counted down the movies (one
    per column), or summed over every column (`total`, for micro averages)."""

    true_positives: np.ndarray
    predicted: np.ndarray
    actual: np.ndarray

    @classmethod
    def of(cls, truth: np.ndarray, predicted: np.ndarray) -> Counts:
        """truth and predicted: booleans (movies, columns), or broadcastable to that."""
        return cls((truth & predicted).sum(axis=0), predicted.sum(axis=0), truth.sum(axis=0))

    def total(self) -> Counts:
        """Summed over the columns: the counts of micro averages."""
        return Counts(self.true_positives.sum(), self.predicted.sum(), self.actual.sum())

    def precision(self) -> np.ndarray:
        return self.true_positives / np.maximum(self.predicted, 1)

    def recall(self) -> np.ndarray:
        return self.true_positives / np.maximum(self.actual, 1)

    def f1(self) -> np.ndarray:
        """2 TP / (predicted + actual): the harmonic mean of precision and recall, 0 when both
        are 0."""
        return 2 * self.true_positives / np.maximum(self.predicted + self.actual, 1)


def micro_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    return float(Counts.of(truth, predicted).total().f1())


def label_matrix(genre_lists: list[list[str]], labels: list[str]) -> np.ndarray:
    return np.array(
        [[label in genres for label in labels] for genres in genre_lists], dtype=bool
    ).reshape(len(genre_lists), len(labels))


def tune_thresholds(truth: np.ndarray, scores: np.ndarray, labels: list[str]) -> dict[str, float]:
    """For each genre, the grid threshold with the best F1 (ties: the lowest threshold)."""
    thresholds = {}
    for column, label in enumerate(labels):
        # One column of counts per candidate threshold.
        predicted = scores[:, column][:, None] >= THRESHOLD_GRID[None, :]
        f1 = Counts.of(truth[:, column][:, None], predicted).f1()
        thresholds[label] = float(THRESHOLD_GRID[int(np.argmax(f1))])
    return thresholds


def apply_thresholds(
    scores: np.ndarray, labels: list[str], thresholds: dict[str, float]
) -> np.ndarray:
    return scores >= np.array([thresholds[label] for label in labels])[None, :]


def tuned_micro_f1(
    truth: Mapping[str, np.ndarray], scores: Mapping[str, np.ndarray], labels: list[str]
) -> dict[str, float]:
    """{"<split>_micro_f1_tuned": micro F1} for each split scored, at thresholds tuned on the
    "dev" split (as `evaluate` tunes them)."""
    thresholds = tune_thresholds(truth["dev"], scores["dev"], labels)
    return {
        f"{name}_micro_f1_tuned": micro_f1(
            truth[name], apply_thresholds(matrix, labels, thresholds)
        )
        for name, matrix in scores.items()
    }


def classification_report(
    truth: np.ndarray, predicted: np.ndarray, scores: np.ndarray, labels: list[str]
) -> ClassificationReport:
    """Precision, recall, F1 and accuracy: micro, macro and per genre.

    Accuracy per genre is the share of movies whose yes/no for that genre is right; micro and
    macro accuracy are then the same number (the share of right movie-genre decisions), so
    exact-match accuracy and top-genre accuracy (the top score is one of the true genres) are
    given beside them.
    """
    per_genre_accuracy = (truth == predicted).mean(axis=0)
    accuracy = float(per_genre_accuracy.mean())
    counts = Counts.of(truth, predicted)
    precision, recall, f1 = counts.precision(), counts.recall(), counts.f1()
    per_genre: dict[str, GenreScores] = {
        label: {
            "precision": float(precision[column]),
            "recall": float(recall[column]),
            "f1": float(f1[column]),
            "accuracy": float(per_genre_accuracy[column]),
            "support": int(counts.actual[column]),
        }
        for column, label in enumerate(labels)
    }
    total = counts.total()
    micro: Scores = {
        "precision": float(total.precision()),
        "recall": float(total.recall()),
        "f1": float(total.f1()),
        "accuracy": accuracy,
    }
    macro: Scores = {
        "precision": float(precision.mean()),
        "recall": float(recall.mean()),
        "f1": float(f1.mean()),
        "accuracy": accuracy,
    }
    top = scores.argmax(axis=1)
    return {
        "per_genre": per_genre,
        "micro": micro,
        "macro": macro,
        "exact_match_accuracy": float((truth == predicted).all(axis=1).mean()),
        "top_genre_accuracy": float(truth[np.arange(len(truth)), top].mean()),
        "movies": len(truth),
    }
