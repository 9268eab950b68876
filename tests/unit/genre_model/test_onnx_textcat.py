"""The ONNX textcat component (the transformer recipe's serving side), on a small ONNX model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from genre_model.constants import MAX_TOP
from genre_model.explanations import explain
from genre_model.onnx_textcat import FACTORY
from tests.helpers.onnx_model import WORDS, build, mean_token_id_scores
from tests.helpers.recipe_models import classifier_of

LABELS = ["Action", "Comedy", "Drama"]
VOCABULARY = {word: i + 2 for i, word in enumerate(WORDS)}


def token_ids(text: str) -> list[int]:
    return [VOCABULARY.get(word, 1) for word in text.split()]


def record_runs(nlp: Language) -> list[tuple[int, int]]:
    """From now on, the (texts, tokens) shape of every onnxruntime run of nlp's component."""
    component: Any = nlp.get_pipe("textcat_multilabel")
    session = component._session
    shapes: list[tuple[int, int]] = []

    class Recording:
        def run(self, outputs: Any, feed: dict[str, np.ndarray]) -> Any:
            shapes.append(feed["input_ids"].shape)
            return session.run(outputs, feed)

    component._session = Recording()
    return shapes


@pytest.fixture(scope="module")
def pipeline_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    root = tmp_path_factory.mktemp("onnx-pipeline")
    weights = build(root / "textcat_multilabel", LABELS)
    nlp = spacy.blank("en")
    component = nlp.add_pipe(
        FACTORY, name="textcat_multilabel", config={"labels": LABELS, "max_tokens": 6}
    )
    component.from_disk(root / "textcat_multilabel")  # type: ignore[attr-defined]
    nlp.to_disk(root)
    return root, weights


def test_a_saved_pipeline_loads_with_spacy_load_and_scores_as_the_model_does(
    pipeline_dir: tuple[Path, np.ndarray],
) -> None:
    root, weights = pipeline_dir
    nlp = spacy.load(root)  # the factory is found through the package's entry point
    assert nlp.get_pipe("textcat_multilabel").labels == tuple(LABELS)  # type: ignore[attr-defined]
    text = "the detective and the murder"
    expected = mean_token_id_scores([token_ids(text)], weights)[0]
    assert list(nlp(text).cats) == LABELS
    assert list(nlp(text).cats.values()) == pytest.approx(expected.tolist(), abs=1e-6)


def test_each_text_runs_alone_unpadded_and_a_batch_scores_as_single_texts(
    pipeline_dir: tuple[Path, np.ndarray],
) -> None:
    nlp = spacy.load(pipeline_dir[0])
    shapes = record_runs(nlp)
    texts = ["love", "the wedding and a laugh", "murder", "a detective"]
    batched = [doc.cats for doc in nlp.pipe(texts, batch_size=len(texts))]
    # One run per text, as long as the text: an int8 model's activation scale is per run.
    assert shapes == [(1, 1), (1, 5), (1, 1), (1, 2)]
    for text, cats in zip(texts, batched, strict=True):
        assert cats == pytest.approx(nlp(text).cats, abs=1e-7)


def test_texts_are_truncated_to_max_tokens(pipeline_dir: tuple[Path, np.ndarray]) -> None:
    root, weights = pipeline_dir
    nlp = spacy.load(root)
    long = "murder " * 3 + "love " * 20
    expected = mean_token_id_scores([token_ids(long)[:6]], weights)[0]
    assert list(nlp(long).cats.values()) == pytest.approx(expected.tolist(), abs=1e-6)


@Language.component("fixed_cats_for_test")
def fixed_cats(doc: Doc) -> Doc:
    doc.cats = {label: 0.9 for label in LABELS}
    return doc


def test_a_bag_of_words_ahead_of_it_is_blended_in(pipeline_dir: tuple[Path, np.ndarray]) -> None:
    root, weights = pipeline_dir
    nlp = spacy.blank("en")
    nlp.add_pipe("fixed_cats_for_test")
    component = nlp.add_pipe(
        FACTORY,
        name="textcat_multilabel",
        config={"labels": LABELS, "max_tokens": 6, "bow_weight": 0.25},
    )
    component.from_disk(root / "textcat_multilabel")  # type: ignore[attr-defined]
    transformer = mean_token_id_scores([token_ids("a wedding")], weights)[0]
    expected = 0.75 * transformer + 0.25 * 0.9
    assert list(nlp("a wedding").cats.values()) == pytest.approx(expected.tolist(), abs=1e-6)


def test_a_pipeline_without_its_model_files_is_refused(tmp_path: Path) -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe(FACTORY, name="textcat_multilabel", config={"labels": LABELS})
    with pytest.raises(ValueError, match=r"no model\.onnx"):
        nlp.to_disk(tmp_path)


def test_explanations_leave_out_words_past_what_the_model_reads(
    pipeline_dir: tuple[Path, np.ndarray],
) -> None:
    classifier = classifier_of(spacy.load(pipeline_dir[0]), LABELS, "minilm")
    # The model reads 6 tokens of "love.\nmurder laugh ...": love . murder laugh detective wedding
    description = "murder laugh detective wedding explosion the a and"
    text = f"love.\n{description}"
    assert classifier.read_chars(text) == text.index(" explosion")
    found = explain(classifier, "love", description, top=MAX_TOP)
    explained = {weight.word for words in found.words.values() for weight in words}
    assert explained <= {"love", "murder", "laugh", "detective", "wedding"}
    assert len(explained) >= 4
