"""Multi-label metrics and per-genre threshold tuning, on arrays of shape (movies, genres)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import precision_recall_fscore_support

from genre_model.evaluation import ClassificationReport, GenreScores, Scores

DEFAULT_THRESHOLD = 0.5
# Candidate thresholds: fine enough that the tuned F1 is within noise of the best possible.
THRESHOLD_GRID = np.round(np.arange(0.02, 0.981, 0.01), 2)


def label_matrix(genre_lists: list[list[str]], labels: list[str]) -> np.ndarray:
    return np.array(
        [[label in genres for label in labels] for genres in genre_lists], dtype=bool
    ).reshape(len(genre_lists), len(labels))


def score_matrix(scores: list[dict[str, float]], labels: list[str]) -> np.ndarray:
    return np.array([[row[label] for label in labels] for row in scores], dtype=float).reshape(
        len(scores), len(labels)
    )


def tune_thresholds(truth: np.ndarray, scores: np.ndarray, labels: list[str]) -> dict[str, float]:
    """For each genre, the grid threshold with the best F1 (ties: the lowest threshold)."""
    thresholds = {}
    for column, label in enumerate(labels):
        positives = truth[:, column]
        predicted = scores[:, column][:, None] >= THRESHOLD_GRID[None, :]
        true_pos = (predicted & positives[:, None]).sum(axis=0)
        f1 = 2 * true_pos / np.maximum(predicted.sum(axis=0) + positives.sum(), 1)
        thresholds[label] = float(THRESHOLD_GRID[int(np.argmax(f1))])
    return thresholds


def apply_thresholds(
    scores: np.ndarray, labels: list[str], thresholds: dict[str, float]
) -> np.ndarray:
    return scores >= np.array([thresholds[label] for label in labels])[None, :]


def _prf(truth: np.ndarray, predicted: np.ndarray, average: str | None) -> tuple:
    return precision_recall_fscore_support(truth, predicted, average=average, zero_division=0)


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
    precision, recall, f1, support = _prf(truth, predicted, None)
    per_genre: dict[str, GenreScores] = {
        label: {
            "precision": float(precision[column]),
            "recall": float(recall[column]),
            "f1": float(f1[column]),
            "accuracy": float(per_genre_accuracy[column]),
            "support": int(support[column]),
        }
        for column, label in enumerate(labels)
    }

    def averaged(average: str) -> Scores:
        p, r, f, _ = _prf(truth, predicted, average)
        return {
            "precision": float(p),
            "recall": float(r),
            "f1": float(f),
            "accuracy": float(per_genre_accuracy.mean()),
        }

    top = scores.argmax(axis=1)
    return {
        "per_genre": per_genre,
        "micro": averaged("micro"),
        "macro": averaged("macro"),
        "exact_match_accuracy": float((truth == predicted).all(axis=1).mean()),
        "top_genre_accuracy": float(truth[np.arange(len(truth)), top].mean()),
        "movies": len(truth),
    }
