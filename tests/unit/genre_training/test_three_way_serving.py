"""The minilm recipe's three-way blend packaged and served: bag-of-words, then a static model,
then an ONNX model (small fixture models, no PyTorch), evaluated and packaged like any recipe's
pipeline, then loaded by the serving side with its manifest, golden check and explanations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from genre_model import GenreClassifier
from genre_model.explanations import explain
from genre_model.manifest import Manifest
from genre_training.onnx_pipeline import (
    BOW_COMPONENT,
    STATIC_COMPONENT,
    ComponentConfig,
    StaticComponentConfig,
    assemble_pipeline,
)
from genre_training.pipelines import COMPONENT
from tests.helpers.data import FIXTURE_MODEL, REPO
from tests.helpers.onnx_model import build as build_onnx
from tests.helpers.static_model import build as build_static

LABELS = Manifest.read(FIXTURE_MODEL).labels  # the fixture corpus's and the bow model's


@pytest.fixture(scope="module")
def packaged(fixture_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """minilm 0.5 + static 0.2 + bag-of-words 0.3, evaluated and packaged under minilm.cfg."""
    from genre_training.evaluate import evaluate
    from genre_training.package import package

    root = tmp_path_factory.mktemp("three-way")
    model = root / "model-best"
    build_onnx(model / COMPONENT, LABELS)
    build_static(root / "static", len(LABELS))
    s, b = 0.2, 0.3
    nlp = assemble_pipeline(
        model / COMPONENT,
        ComponentConfig(LABELS, 32, s + b, 1),
        FIXTURE_MODEL / "pipeline",
        (root / "static", StaticComponentConfig(LABELS, b / (s + b))),
    )
    nlp.to_disk(model)
    evaluate(model, fixture_corpus, root / "eval")
    config = REPO / "training" / "configs" / "minilm.cfg"
    manifest, _archive = package(model, root / "eval", fixture_corpus, config, "minilm", root)
    return {"artifact": root / "artifact", "manifest": manifest}


def test_the_packaged_three_way_pipeline_loads_scores_and_passes_its_golden_check(
    packaged: dict[str, Any],
) -> None:
    classifier = GenreClassifier.load(packaged["artifact"])
    assert classifier.manifest == packaged["manifest"]
    assert [name for name, _ in classifier.components()] == [
        BOW_COMPONENT,
        STATIC_COMPONENT,
        COMPONENT,
    ]
    assert classifier.check_golden() == 32
    assert classifier.golden is not None and classifier.golden.tolerance == 0.02  # minilm.cfg
    (prediction,) = classifier.predict([("Othello", "The detective and the murder.")])
    assert set(prediction.scores) == set(LABELS)
    assert all(0 <= score <= 1 for score in prediction.scores.values())


def test_its_explanations_are_each_words_removal_through_all_three_components(
    packaged: dict[str, Any],
) -> None:
    classifier = GenreClassifier.load(packaged["artifact"])
    found = explain(classifier, "Wedding", "The detective and the murder.", top=20)
    base, without = classifier.predict(
        [("Wedding", "The detective and the murder."), ("Wedding", "The detective and the .")]
    )
    assert found.prediction == base
    weights = {
        label: [w.weight for w in words if w.word == "murder"]
        for label, words in found.words.items()
    }
    assert set(weights) == set(LABELS) and all(weights.values())  # it moves every genre
    for label, (weight,) in weights.items():
        assert weight == pytest.approx(base.scores[label] - without.scores[label], abs=1e-6)
