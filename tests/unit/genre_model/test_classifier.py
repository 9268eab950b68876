import json
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


def test_any_unicode_is_scored_like_any_other_text(artifact_copy: Path) -> None:
    classifier = GenreClassifier.load(artifact_copy)
    odd, plain = classifier.predict([("Amélie 🎬", "Ŝtraße — 東京 ∑ \x00"), ("Amelie", "A street")])
    for prediction in (odd, plain):
        assert list(prediction.scores) == classifier.labels
        assert all(0.0 < score < 1.0 for score in prediction.scores.values())
    # Unknown characters are features too: the text changes the scores.
    assert odd.scores != pytest.approx(plain.scores)


def test_the_fast_loader_answers_exactly_as_spacy_load_does(artifact_copy: Path) -> None:
    """load_pipeline skips work spacy.load repeats; tokens and scores must stay the same."""
    import spacy

    texts = [
        "Othello.\nThe evil Iago pretends to be a friend; e-mail: iago@venice.it, 10km/h!",
        "Don't stop.\nU.S.A. vs. the world's 2nd-best (1999) — ¿qué? https://x.org/a?b=c",
    ]
    reference = spacy.load(artifact_copy / "pipeline")
    fast = GenreClassifier.load(artifact_copy)._nlp
    for ours, theirs in zip(fast.pipe(texts), reference.pipe(texts), strict=True):
        assert [t.text for t in ours] == [t.text for t in theirs]
        assert ours.cats == pytest.approx(theirs.cats, abs=1e-7)


def test_the_golden_set_scores_as_at_packaging_and_a_change_is_caught(
    artifact_copy: Path,
) -> None:
    assert GenreClassifier.load(artifact_copy).check_golden() == 32
    golden_path = artifact_copy / "golden.json"
    golden = json.loads(golden_path.read_text())
    scores = golden["movies"][3]["scores"]
    label = next(iter(scores))
    scores[label] += 2e-4  # twice the tolerance
    golden_path.write_text(json.dumps(golden))
    with pytest.raises(
        ModelError, match=r"golden check failed: .* differ from training by 0\.0002"
    ):
        GenreClassifier.load(artifact_copy, verify=False).check_golden()


def test_the_golden_sets_own_tolerance_applies(artifact_copy: Path) -> None:
    golden_path = artifact_copy / "golden.json"
    golden = json.loads(golden_path.read_text())
    scores = golden["movies"][3]["scores"]
    scores[next(iter(scores))] += 2e-4
    golden["tolerance"] = 1e-3
    golden_path.write_text(json.dumps(golden))
    assert GenreClassifier.load(artifact_copy, verify=False).check_golden() == 32


def test_an_artifact_without_a_golden_set_loads_and_says_so(artifact_copy: Path) -> None:
    (artifact_copy / "golden.json").unlink()
    classifier = GenreClassifier.load(artifact_copy, verify=False)
    assert classifier.golden is None
    assert classifier.check_golden() is None


def test_a_changed_model_file_is_refused(artifact_copy: Path) -> None:
    weights = artifact_copy / "pipeline" / "textcat_multilabel" / "model"
    weights.write_bytes(weights.read_bytes()[:-10])
    with pytest.raises(ModelError, match="does not match its manifest"):
        GenreClassifier.load(artifact_copy)


def test_a_missing_artifact_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"no manifest\.json"):
        GenreClassifier.load(tmp_path / "nowhere")
