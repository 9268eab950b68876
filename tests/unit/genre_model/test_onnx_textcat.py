"""The ONNX textcat component (the transformer recipe's serving side), on a small ONNX model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from genre_model.onnx_textcat import FACTORY
from tests.helpers.onnx_model import WORDS, build, mean_token_id_scores

LABELS = ["Action", "Comedy", "Drama"]
VOCABULARY = {word: i + 2 for i, word in enumerate(WORDS)}


def token_ids(text: str) -> list[int]:
    return [VOCABULARY.get(word, 1) for word in text.split()]


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


def test_a_batch_scores_as_single_texts_and_pads_only_to_its_longest(
    pipeline_dir: tuple[Path, np.ndarray],
) -> None:
    nlp = spacy.load(pipeline_dir[0])
    component = nlp.get_pipe("textcat_multilabel")
    widths: list[int] = []
    session: Any = component._session  # type: ignore[attr-defined]

    class Recording:
        def run(self, outputs: Any, feed: dict[str, np.ndarray]) -> Any:
            widths.append(feed["input_ids"].shape[1])
            return session.run(outputs, feed)

    component._session = Recording()  # type: ignore[attr-defined]
    texts = ["love", "the wedding and a laugh", "murder", "a detective"]
    batched = [doc.cats for doc in nlp.pipe(texts, batch_size=2)]
    singles = [nlp(text).cats for text in texts]
    for one, other in zip(batched, singles, strict=True):
        assert one == pytest.approx(other, abs=1e-6)
    assert widths[:2] == [5, 2]  # each batch's own longest text, not max_tokens


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
