from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_recall_fscore_support

from genre_model import GenreClassifier
from genre_training.metrics import (
    THRESHOLD_GRID,
    apply_thresholds,
    classification_report,
    label_matrix,
    micro_f1,
    tune_thresholds,
    tuned_micro_f1,
)
from genre_training.pipelines import load_trained, pipeline_dir, score_splits
from genre_training.splits import read_splits
from tests.helpers.data import FIXTURE_MODEL

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


@pytest.mark.parametrize("seed", range(6))
def test_every_figure_is_scikit_learns_to_the_last_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    movies, genres = int(rng.integers(5, 80)), int(rng.integers(2, 7))
    truth = rng.random((movies, genres)) < rng.uniform(0.1, 0.6)
    predicted = rng.random((movies, genres)) < rng.uniform(0.1, 0.6)
    truth[:, 0] = False  # a genre no movie has (zero_division)
    predicted[:, -1] = False  # a genre never predicted
    labels = [f"genre {i}" for i in range(genres)]
    report = classification_report(truth, predicted, rng.random((movies, genres)), labels)
    for average in ("micro", "macro"):
        p, r, f, _ = precision_recall_fscore_support(
            truth, predicted, average=average, zero_division=0
        )
        figures = report[average]  # type: ignore[literal-required]
        assert (figures["precision"], figures["recall"], figures["f1"]) == (p, r, f)
    p, r, f, support = precision_recall_fscore_support(
        truth, predicted, average=None, zero_division=0
    )
    for column, label in enumerate(labels):
        genre = report["per_genre"][label]
        assert (genre["precision"], genre["recall"], genre["f1"], genre["support"]) == (
            p[column],
            r[column],
            f[column],
            support[column],
        )
    assert micro_f1(truth, predicted) == report["micro"]["f1"]


def test_each_tuned_threshold_is_the_lowest_with_the_best_f1_on_the_grid() -> None:
    rng = np.random.default_rng(0)
    truth = rng.random((300, 3)) < 0.3
    scores = np.clip(truth * 0.3 + rng.random((300, 3)) * 0.7, 0, 1)
    thresholds = tune_thresholds(truth, scores, [*LABELS, "Romance"])
    for column, threshold in enumerate(thresholds.values()):
        f1 = [
            f1_score(truth[:, column], scores[:, column] >= cut, zero_division=0)
            for cut in THRESHOLD_GRID
        ]
        assert threshold == THRESHOLD_GRID[int(np.argmax(f1))]


def test_tuned_micro_f1_applies_the_dev_thresholds_to_every_split() -> None:
    dev_truth = np.array([[True, False], [False, True], [True, True], [False, False]])
    dev_scores = np.where(dev_truth, 0.4, 0.1)  # best cut: just above 0.1 (the lowest tried)
    test_truth = np.array([[True, False], [False, True]])
    test_scores = np.array([[0.08, 0.05], [0.05, 0.5]])  # the Comedy movie falls under it
    figures = tuned_micro_f1(
        {"dev": dev_truth, "test": test_truth},
        {"dev": dev_scores, "test": test_scores},
        LABELS,
    )
    assert tune_thresholds(dev_truth, dev_scores, LABELS) == {"Comedy": 0.11, "Drama": 0.11}
    # test: one of two genres found, no false one: 2 x 1 / (1 + 2)
    assert figures == {"dev_micro_f1_tuned": 1.0, "test_micro_f1_tuned": pytest.approx(2 / 3)}


def test_a_score_exactly_on_its_threshold_is_predicted_as_tuning_counted_it() -> None:
    """Tuning counts a score equal to a candidate threshold as predicted (>=); applying the
    threshold must too, or the tuned F1 reported is not the one the thresholds give."""
    assert apply_thresholds(
        np.array([[0.3, 0.29]]), LABELS, {"Comedy": 0.3, "Drama": 0.3}
    ).tolist() == [[True, False]]
    # Scores on the grid itself: every tuned threshold is one of them.
    rng = np.random.default_rng(1)
    truth = rng.random((200, 2)) < 0.4
    scores = np.where(
        truth, rng.choice(THRESHOLD_GRID, (200, 2)), rng.choice(THRESHOLD_GRID, (200, 2)) / 2
    )
    thresholds = tune_thresholds(truth, scores, LABELS)
    best = [
        max(f1_score(truth[:, c], scores[:, c] >= cut, zero_division=0) for cut in THRESHOLD_GRID)
        for c in range(2)
    ]
    applied = apply_thresholds(scores, LABELS, thresholds)
    assert [f1_score(truth[:, c], applied[:, c], zero_division=0) for c in range(2)] == best


def test_evaluate_tunes_the_thresholds_on_dev_and_never_on_test(
    fixture_corpus: Path, tmp_path: Path
) -> None:
    """The committed tiny model evaluated on the fixture corpus: its thresholds are the ones
    dev's scores give, and (so that the check can tell them apart) not the ones test's give."""
    from genre_training.evaluate import evaluate

    pipeline = pipeline_dir(FIXTURE_MODEL)
    results = evaluate(pipeline, fixture_corpus, tmp_path / "out")
    prepared, splits = read_splits(fixture_corpus)
    labels = prepared["labels"]
    scores = score_splits(load_trained(pipeline), labels, splits)
    on_dev = tune_thresholds(splits["dev"].truth, scores["dev"], labels)
    on_test = tune_thresholds(splits["test"].truth, scores["test"], labels)
    assert on_dev != on_test
    assert results["models"]["spacy"]["tuned_thresholds"] == on_dev


def test_the_served_model_decides_as_evaluation_applied_the_thresholds(
    classifier: GenreClassifier,
) -> None:
    """A score on its threshold, and one just under it: the genres the served model names are
    the ones evaluation counted (apply_thresholds), so that its figures describe what it serves."""
    labels, thresholds = classifier.labels, classifier.manifest.thresholds
    on = {label: thresholds[label] for label in labels}
    under = {label: float(np.nextafter(thresholds[label], 0.0)) for label in labels}
    mixed = {label: (on if i % 2 else under)[label] for i, label in enumerate(labels)}
    for scores in (on, under, mixed):
        applied = apply_thresholds(
            np.array([[scores[label] for label in labels]]), labels, thresholds
        )
        expected = [label for label, over in zip(labels, applied[0], strict=True) if over]
        assert classifier.decide(scores).genres == expected
    assert classifier.decide(on).genres == labels
