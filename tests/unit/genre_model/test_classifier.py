from pathlib import Path

import pytest

from genre_model import GenreClassifier, Manifest, ModelError

MOVIES = [
    ("Othello", "The evil Iago pretends to be friend of Othello in order to manipulate him."),
    ("Airplane!", "A former pilot who fears flying must land a plane after the crew falls ill."),
    ("Die Hard", "A New York cop fights terrorists who took over a Los Angeles skyscraper."),
]


def test_scores_cover_every_label_and_decisions_follow_the_thresholds(artifact_copy: Path) -> None:
    classifier = GenreClassifier.load(artifact_copy)
    manifest = Manifest.read(artifact_copy)
    for prediction in classifier.predict(MOVIES):
        assert list(prediction.scores) == manifest.labels
        assert all(0.0 <= score <= 1.0 for score in prediction.scores.values())
        assert prediction.top_genre == max(prediction.scores, key=prediction.scores.get)
        assert prediction.genres == [
            label
            for label in manifest.labels
            if prediction.scores[label] >= manifest.thresholds[label]
        ]


def test_a_batch_scores_as_single_calls_do(artifact_copy: Path) -> None:
    classifier = GenreClassifier.load(artifact_copy)
    batch = classifier.predict(MOVIES)
    singles = [classifier.predict([movie])[0] for movie in MOVIES]
    for one, other in zip(batch, singles, strict=True):
        assert one.top_genre == other.top_genre
        assert one.scores == pytest.approx(other.scores, abs=1e-6)


def test_any_unicode_is_scored(artifact_copy: Path) -> None:
    prediction = GenreClassifier.load(artifact_copy).predict([("Amélie 🎬", "Ŝtraße — 東京 ∑")])[0]
    assert prediction.top_genre in prediction.scores


def test_a_changed_model_file_is_refused(artifact_copy: Path) -> None:
    weights = artifact_copy / "pipeline" / "textcat_multilabel" / "model"
    weights.write_bytes(weights.read_bytes()[:-10])
    with pytest.raises(ModelError, match="does not match its manifest"):
        GenreClassifier.load(artifact_copy)


def test_a_missing_artifact_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"no manifest\.json"):
        GenreClassifier.load(tmp_path / "nowhere")
