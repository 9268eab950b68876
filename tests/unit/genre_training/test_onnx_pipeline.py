"""Assembling the transformer recipe's pipeline, with a small ONNX model (no PyTorch needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import spacy

from genre_model.manifest import Manifest
from genre_training.onnx_pipeline import BOW_COMPONENT, ComponentConfig, assemble_pipeline
from genre_training.pipelines import COMPONENT, score_pipeline
from tests.helpers.data import FIXTURE_MODEL
from tests.helpers.onnx_model import WORDS, build, mean_token_id_scores

LABELS = Manifest.read(FIXTURE_MODEL).labels  # the bag-of-words fixture model's
TEXTS = ["murder and love", "the detective laugh", "a wedding explosion and the murder"]
VOCABULARY = {word: i + 2 for i, word in enumerate(WORDS)}


@pytest.fixture(scope="module")
def component(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """The component's files where the pipeline is then saved: its to_disk writes none."""
    directory = tmp_path_factory.mktemp("model-best") / COMPONENT
    return directory, build(directory, LABELS)


def alone_scores(weights: np.ndarray) -> np.ndarray:
    ids = [[VOCABULARY[word] for word in text.split()] for text in TEXTS]
    return mean_token_id_scores(ids, weights)


def test_the_onnx_component_alone_scores_as_its_model(component: tuple[Path, np.ndarray]) -> None:
    directory, weights = component
    nlp = assemble_pipeline(directory, ComponentConfig(LABELS, 32, 0.0, 1))
    assert nlp.pipe_names == [COMPONENT]
    scores = score_pipeline(nlp, LABELS, TEXTS)
    assert np.allclose(scores, alone_scores(weights), atol=1e-6)


def test_blended_with_bag_of_words_and_saved_it_loads_and_scores_the_same(
    component: tuple[Path, np.ndarray],
) -> None:
    directory, weights = component
    config = ComponentConfig(LABELS, 32, 0.3, 1)
    nlp = assemble_pipeline(directory, config, FIXTURE_MODEL / "pipeline")
    assert nlp.pipe_names == [BOW_COMPONENT, COMPONENT]
    bow = score_pipeline(spacy.load(FIXTURE_MODEL / "pipeline"), LABELS, TEXTS)
    blended = score_pipeline(nlp, LABELS, TEXTS)
    assert np.allclose(blended, 0.7 * alone_scores(weights) + 0.3 * bow, atol=1e-6)
    nlp.to_disk(directory.parent)
    loaded = spacy.load(directory.parent)  # the factory comes from the package's entry point
    assert loaded.get_pipe(COMPONENT).bow_weight == 0.3  # type: ignore[attr-defined]
    assert np.array_equal(score_pipeline(loaded, LABELS, TEXTS), blended)
