"""The static textcat component (the static recipe's serving side), on a small static model
built in the test: no PyTorch, no model2vec."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from genre_model.constants import MAX_TOP
from genre_model.explanations import explain, variants_without
from genre_model.static_textcat import FACTORY, WEIGHTS_FILE, StaticWeights
from tests.helpers.recipe_models import classifier_of
from tests.helpers.static_model import PIECES, build, expected_scores

LABELS = ["Action", "Comedy", "Drama"]
COMPONENT = "textcat_multilabel"


def ids(*pieces: str) -> list[int]:
    return [PIECES.index(piece) for piece in pieces]


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, StaticWeights]:
    """A saved pipeline of the component alone, and its weights."""
    root = tmp_path_factory.mktemp("static-pipeline")
    stored = build(root / "files", len(LABELS))
    nlp = spacy.blank("en")
    component = nlp.add_pipe(FACTORY, name=COMPONENT, config={"labels": LABELS})
    component.from_disk(root / "files")  # type: ignore[attr-defined]
    nlp.to_disk(root / "pipeline")
    return root / "pipeline", stored  # type: ignore[return-value]


def test_a_saved_pipeline_loads_with_spacy_load_and_scores_as_the_model_does(
    saved: tuple[Path, StaticWeights],
) -> None:
    pipeline, stored = saved
    nlp = spacy.load(pipeline)  # the factory is found through the package's entry point
    assert nlp.get_pipe(COMPONENT).labels == tuple(LABELS)  # type: ignore[attr-defined]
    # "Murders" is two pieces (murder, ##s); "spies" is unknown and counts for nothing.
    expected = expected_scores(stored, ids("the", "detective", "murder", "##s", "[UNK]"))
    cats = nlp("The detective murders spies").cats
    assert list(cats) == LABELS
    assert list(cats.values()) == pytest.approx(expected.tolist(), abs=1e-6)
    nothing = expected_scores(stored, [])  # no known piece: the head on a zero vector
    assert list(nlp("spies").cats.values()) == pytest.approx(nothing.tolist(), abs=1e-6)


def test_it_serves_without_tokenizers_hub_client(saved: tuple[Path, StaticWeights]) -> None:
    """The image's locks leave huggingface-hub out (layers/runtime/lock-excludes.txt)."""
    pipeline, _stored = saved
    blocked = "import sys; sys.modules['huggingface_hub'] = None; "  # any import of it fails
    score = f"import spacy; print(spacy.load({str(pipeline)!r})('The detective murders').cats)"
    result = subprocess.run(
        [sys.executable, "-c", blocked + score], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and "'Action'" in result.stdout, result.stderr


def test_a_batch_scores_as_single_texts(saved: tuple[Path, StaticWeights]) -> None:
    nlp = spacy.load(saved[0])
    texts = ["love", "the wedding and a laugh", "", "a detective's murder"] * 3
    batched = [doc.cats for doc in nlp.pipe(texts, batch_size=5)]
    for text, cats in zip(texts, batched, strict=True):
        assert cats == pytest.approx(nlp(text).cats, abs=1e-6)


def test_each_token_is_its_own_pieces_so_removing_a_word_removes_exactly_its_pieces(
    saved: tuple[Path, StaticWeights],
) -> None:
    nlp = spacy.load(saved[0])
    component = nlp.get_pipe(COMPONENT)
    doc = nlp.make_doc("don't murders.")  # spaCy: do n't murders . ; pieces per token
    ((piece_ids, tokens),) = component.piece_ids([doc])  # type: ignore[attr-defined]
    # "do" is unknown; "n't" is two pieces of its own, not the "don" + "'" + "t" of "don't"
    assert piece_ids.tolist() == ids("'", "t", "murder", "##s", ".")
    assert [doc[i].text for i in tokens] == ["n't", "n't", "murders", "murders", "."]


def test_int8_vectors_are_smaller_and_within_half_a_step_of_float32(tmp_path: Path) -> None:
    exact = build(tmp_path / "float32", len(LABELS))
    small = build(tmp_path / "int8", len(LABELS), dtype="int8")
    assert small.vectors.dtype == np.int8 and small.scales is not None  # type: ignore[attr-defined]
    # A byte a dimension and a float32 scale a vector, against four bytes a dimension.
    assert small.vectors.nbytes + small.scales.nbytes < 0.5 * exact.vectors.nbytes  # type: ignore[attr-defined]
    assert StaticWeights.load(tmp_path / "int8" / WEIGHTS_FILE).vectors.dtype == np.int8
    every = np.arange(len(exact.vectors))  # type: ignore[attr-defined]
    difference = np.abs(small.rows(every) - exact.rows(every))  # type: ignore[attr-defined]
    # Rounding to the nearest of 127 steps a side: at most half a step of each vector's largest.
    assert (difference <= 0.5 * small.scales[:, None] + 1e-7).all()  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="vector dtype 'int4'"):
        StaticWeights.stored_as(np.zeros((2, 2)), [(np.zeros((2, 1)), np.zeros(1))], "int4")


@Language.component("fixed_bow_cats_for_static_test")
def fixed_cats(doc: Doc) -> Doc:
    # Depends on the text, as a bag-of-words does: the blend must take each variant's own.
    doc.cats = {label: 0.9 if "murder" in doc.text else 0.1 for label in LABELS}
    return doc


def pipeline(files: Path, bow_weight: float) -> Language:
    nlp = spacy.blank("en")
    if bow_weight:
        nlp.add_pipe("fixed_bow_cats_for_static_test")
    component = nlp.add_pipe(
        FACTORY, name=COMPONENT, config={"labels": LABELS, "bow_weight": bow_weight}
    )
    component.from_disk(files)  # type: ignore[attr-defined]
    return nlp


def test_a_bag_of_words_ahead_of_it_is_blended_in(tmp_path: Path) -> None:
    stored = build(tmp_path, len(LABELS))
    static = expected_scores(stored, ids("a", "wedding"))
    cats = pipeline(tmp_path, 0.25)("a wedding").cats
    assert list(cats.values()) == pytest.approx((0.75 * static + 0.25 * 0.1).tolist(), abs=1e-6)


@pytest.mark.parametrize("bow_weight", [0.0, 0.4])
def test_the_closed_form_leave_one_word_out_equals_scoring_each_text_without_the_word(
    tmp_path: Path, bow_weight: float
) -> None:
    build(tmp_path, len(LABELS))
    nlp = pipeline(tmp_path, bow_weight)
    doc = nlp.make_doc("The detective's murders. Love, love and a wedding; don't laugh murders")
    words = ["murders", "love", "Love", "detective", "The", "do", "n't", "spies"]
    variants = list(variants_without(doc, words))
    for _name, component in nlp.pipeline[:-1]:
        doc, variants = component(doc), [component(variant) for variant in variants]
    closed = nlp.get_pipe(COMPONENT).cats_without(doc, words, variants)  # type: ignore[attr-defined]
    # As explanations scored them before: each variant Doc (its tokens kept) through the pipeline.
    fresh = nlp.make_doc(doc.text)
    scored = [d.cats for d in nlp.pipe([fresh, *variants_without(fresh, words)])]
    assert len(closed) == 1 + len(words)
    for fast, slow in zip(closed, scored, strict=True):
        assert fast == pytest.approx(slow, abs=1e-6)
    assert closed[-1] == pytest.approx(closed[0], abs=1e-7)  # "spies" is in no token


def test_a_text_left_with_no_piece_scores_as_an_empty_text(tmp_path: Path) -> None:
    build(tmp_path, len(LABELS))
    nlp = pipeline(tmp_path, 0.0)
    base, without = nlp.get_pipe(COMPONENT).cats_without(nlp.make_doc("love"), ["love"], [])  # type: ignore[attr-defined]
    assert without == pytest.approx(nlp("").cats, abs=1e-7)
    assert base == pytest.approx(nlp("love").cats, abs=1e-7)


@pytest.mark.parametrize("bow_weight", [0.0, 0.4])
def test_explanations_are_the_score_drops_of_the_texts_without_each_word(
    tmp_path: Path, bow_weight: float
) -> None:
    build(tmp_path, len(LABELS))
    nlp = pipeline(tmp_path, bow_weight)
    classifier = classifier_of(nlp, LABELS, "static")
    found = explain(classifier, "Murders", "The detective's lovely wedding murders love.", MAX_TOP)
    doc = nlp.make_doc("Murders.\nThe detective's lovely wedding murders love.")
    base = nlp(doc.text).cats
    checked = 0
    for label, weights in found.words.items():
        for weight in weights:
            (without,) = nlp.pipe(variants_without(doc, [weight.word]))
            expected = base[label] - without.cats[label]
            assert weight.weight == pytest.approx(expected, abs=1e-5)
            checked += 1
    assert checked >= 5
    assert {w.word for words in found.words.values() for w in words} <= {
        "Murders", "The", "detective", "'s", "lovely", "wedding", "murders", "love",
    }  # fmt: skip
