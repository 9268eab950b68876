import numpy as np
import pytest

from genre_training.metrics import (
    apply_thresholds,
    classification_report,
    label_matrix,
    tune_thresholds,
)

LABELS = ["Comedy", "Drama"]


def test_label_matrix_marks_each_movies_genres() -> None:
    matrix = label_matrix([["Drama"], ["Comedy", "Drama"], []], LABELS)
    assert matrix.tolist() == [[False, True], [True, True], [False, False]]


def test_tuned_threshold_separates_a_separable_genre() -> None:
    truth = np.array([[True, True], [True, False], [False, True], [False, False]])
    # Comedy positives score 0.3 and 0.35, negatives 0.1 and 0.2: the best cut is above 0.2.
    scores = np.array([[0.3, 0.9], [0.35, 0.2], [0.1, 0.8], [0.2, 0.1]])
    thresholds = tune_thresholds(truth, scores, LABELS)
    assert 0.2 < thresholds["Comedy"] <= 0.3
    assert 0.2 < thresholds["Drama"] <= 0.8
    assert (apply_thresholds(scores, LABELS, thresholds) == truth).all()


def test_report_micro_macro_and_per_genre() -> None:
    truth = np.array([[True, False], [True, True], [False, True], [False, False]])
    predicted = np.array([[True, False], [False, True], [True, True], [False, False]])
    scores = np.array([[0.9, 0.1], [0.4, 0.6], [0.7, 0.8], [0.1, 0.2]])
    report = classification_report(truth, predicted, scores, LABELS)
    assert report["per_genre"]["Comedy"] == pytest.approx(
        {"precision": 0.5, "recall": 0.5, "f1": 0.5, "accuracy": 0.5, "support": 2}
    )
    assert report["per_genre"]["Drama"] == pytest.approx(
        {"precision": 1.0, "recall": 1.0, "f1": 1.0, "accuracy": 1.0, "support": 2}
    )
    # micro: tp 3, fp 1, fn 1
    assert report["micro"] == pytest.approx(
        {"precision": 0.75, "recall": 0.75, "f1": 0.75, "accuracy": 0.75}
    )
    assert report["macro"]["f1"] == pytest.approx(0.75)
    assert report["exact_match_accuracy"] == pytest.approx(0.5)
    # top genres: Comedy (right), Drama (right), Drama (right), Drama (wrong: no genre)
    assert report["top_genre_accuracy"] == pytest.approx(0.75)
