"""Assembling the transformer recipe's pipeline, with a small ONNX model, alone, blended with
bag-of-words, and in the three-way blend with a small static model (no PyTorch needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import spacy

from genre_model.manifest import Manifest
from genre_training.errors import StepError
from genre_training.onnx_pipeline import (
    BOW_COMPONENT,
    STATIC_COMPONENT,
    ComponentConfig,
    StaticComponentConfig,
    assemble_pipeline,
    static_stage,
)
from genre_training.pipelines import COMPONENT, score_pipeline
from tests.helpers.data import FIXTURE_MODEL
from tests.helpers.onnx_model import WORDS, build, mean_token_id_scores
from tests.helpers.static_model import build as build_static

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


def test_the_three_way_blend_chains_bag_of_words_static_and_onnx_and_saves(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "pipeline" / COMPONENT  # where the pipeline is saved: see component
    weights = build(directory, LABELS)
    static_files = tmp_path / "static"
    build_static(static_files, len(LABELS))
    s, b = 0.2, 0.3  # minilm 0.5
    nlp = assemble_pipeline(
        directory,
        ComponentConfig(LABELS, 32, s + b, 1),
        FIXTURE_MODEL / "pipeline",
        (static_files, StaticComponentConfig(LABELS, b / (s + b))),
    )
    assert nlp.pipe_names == [BOW_COMPONENT, STATIC_COMPONENT, COMPONENT]
    bow = score_pipeline(spacy.load(FIXTURE_MODEL / "pipeline"), LABELS, TEXTS)
    static_alone = assemble_pipeline(static_files, StaticComponentConfig(LABELS, 0.0))
    static = score_pipeline(static_alone, LABELS, TEXTS)
    three_way = score_pipeline(nlp, LABELS, TEXTS)
    assert np.allclose(three_way, 0.5 * alone_scores(weights) + s * static + b * bow, atol=1e-6)
    nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    assert np.array_equal(score_pipeline(loaded, LABELS, TEXTS), three_way)


def test_a_static_stage_comes_only_from_a_static_model(tmp_path: Path) -> None:
    build_static(tmp_path / "files", len(LABELS))
    static = StaticComponentConfig(LABELS[::-1], 0.5)  # the head's order, as the model has it
    assemble_pipeline(tmp_path / "files", static, FIXTURE_MODEL / "pipeline").to_disk(
        tmp_path / "m"
    )
    component_dir, config = static_stage(tmp_path / "m", bow_weight=0.25)
    assert component_dir == tmp_path / "m" / COMPONENT
    assert config == StaticComponentConfig(LABELS[::-1], 0.25)
    with pytest.raises(StepError, match="is not a static model"):
        static_stage(FIXTURE_MODEL, bow_weight=0.0)
