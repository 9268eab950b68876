"""Leave-one-word-out explanations: faithful to the model, whatever its architecture."""

import pytest

from genre_model import GenreClassifier, compose_text
from genre_model.constants import MAX_TOP
from genre_model.explanations import explain, variants_without

TITLE = "Othello"
DESCRIPTION = (
    "The evil Iago pretends to be friend of Othello in order to manipulate him to serve his own "
    "end in the film version of this Shakespeare classic."
)


def test_a_weight_is_what_removing_the_word_does_to_the_score(classifier: GenreClassifier) -> None:
    found = explain(classifier, TITLE, DESCRIPTION, top=MAX_TOP)
    base = classifier.predict([(TITLE, DESCRIPTION)])[0].scores
    assert found.prediction.scores == pytest.approx(base, abs=1e-6)
    checked = 0
    for genre, words in found.words.items():
        for word in words[:3]:
            # Removed by plain text replacement, then scored as /genre scores it.
            title = " ".join(w for w in TITLE.split() if w.strip(".,") != word.word)
            description = " ".join(
                w for w in DESCRIPTION.split() if w.strip(".,") != word.word
            ).replace(" .", ".")
            after = classifier.predict([(title, description)])[0].scores
            assert base[genre] - after[genre] == pytest.approx(word.weight, abs=1e-6)
            checked += 1
    assert checked >= 5


def test_words_are_ranked_by_absolute_weight_and_both_signs_appear(
    classifier: GenreClassifier,
) -> None:
    found = explain(classifier, TITLE, DESCRIPTION, top=5)
    assert set(found.words) == set(classifier.labels)
    signs = set()
    for words in found.words.values():
        assert 0 < len(words) <= 5
        weights = [abs(w.weight) for w in words]
        assert weights == sorted(weights, reverse=True)
        signs |= {w.weight > 0 for w in words}
    assert signs == {True, False}


def test_punctuation_is_never_a_word(classifier: GenreClassifier) -> None:
    found = explain(classifier, "Stop!", "Run, run... now: (quick) -- go!", top=MAX_TOP)
    words = {w.word for words in found.words.values() for w in words}
    assert words and not words & {",", ".", "...", ":", "(", ")", "--", "!"}


def test_a_single_word_text_is_explained(classifier: GenreClassifier) -> None:
    found = explain(classifier, "X", "Murder", top=3)
    words = {w.word for words in found.words.values() for w in words}
    assert words <= {"X", "Murder"} and words


def test_a_variant_lacks_every_occurrence_of_its_word_and_keeps_the_spacing(
    classifier: GenreClassifier,
) -> None:
    doc = classifier.tokenize(compose_text("The cat", "the hat, the end", "title+description"))
    without_the, without_hat = variants_without(doc, ["the", "hat"])
    assert without_the.text == "The cat.\nhat, end"
    assert without_hat.text == "The cat.\nthe , the end"
    assert [t.text for t in without_hat] == ["The", "cat", ".", "\n", "the", ",", "the", "end"]


def test_top_is_bounded(classifier: GenreClassifier) -> None:
    with pytest.raises(ValueError, match="between 1 and 20"):
        explain(classifier, TITLE, DESCRIPTION, top=21)
