"""The static recipe on the fixture rows: distil (a tiny teacher built here, as the minilm
recipe's tests build their base model), train, evaluate and package like any recipe, and serve
through the same classifier and API, with no PyTorch needed to serve."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from genre_api.service import build_handler
from genre_api.settings import Settings
from genre_model import GenreClassifier
from genre_model.explanations import explain
from tests.helpers.data import REPO
from tests.helpers.events import LambdaContext, load_event
from tests.helpers.minilm import build_tiny_base

pytest.importorskip("torch", reason="the static recipe's training needs PyTorch (TRANSFORMER=1)")
pytest.importorskip("model2vec", reason="the static recipe's distillation needs model2vec")

CONFIG = REPO / "training" / "configs" / "static.cfg"


@pytest.fixture(scope="module")
def static(trained: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """static -> evaluate -> package under a folder of its own, blended with the small offline
    model trained on the same rows."""
    from genre_training.evaluate import evaluate
    from genre_training.package import package
    from genre_training.static_recipe import train_static_recipe

    root = tmp_path_factory.mktemp("static")
    build_tiny_base(root / "teacher")
    report = train_static_recipe(
        CONFIG,
        trained["corpus"],
        root / "train",
        root / "teacher",
        {
            "paths.cache": str(root / "cache"),
            "paths.bow_model": str(trained["artifact"]),
            "distill.pca_dims": 8,
            "training.epochs": 2,
            "blend.weights": [0.0, 0.5],
        },
    )
    model = root / "train" / "model-best"
    evaluate(model, trained["corpus"], root / "eval", compare={"bow": trained["artifact"]})
    package(model, root / "eval", trained["corpus"], CONFIG, "static", root)
    return {"root": root, "artifact": root / "artifact", "report": report}


def test_the_artifact_is_a_static_pipeline_with_no_pytorch_in_it(static: dict) -> None:
    pipeline = static["artifact"] / "pipeline"
    assert 'factory = "static_textcat_multilabel"' in (pipeline / "config.cfg").read_text()
    component = pipeline / "textcat_multilabel"
    assert {p.name for p in component.iterdir()} == {"tokenizer.json", "weights.npz"}
    files = [path for path in static["artifact"].rglob("*") if path.is_file()]
    assert not [p for p in files if p.suffix in {".pt", ".safetensors", ".onnx"}]
    metrics = json.loads((static["root"] / "eval" / "metrics.json").read_text())
    assert set(metrics["models"]) == {"spacy", "tfidf_logreg", "bow"}


def test_it_serves_like_any_model_golden_set_explanations_and_the_api(static: dict) -> None:
    classifier = GenreClassifier.load(static["artifact"])
    assert classifier.manifest.recipe == "static"
    assert classifier.check_golden() == 32
    assert classifier.golden is not None and classifier.golden.tolerance == 1e-4  # static.cfg
    found = explain(classifier, "Othello", "The evil Iago pretends to be a friend.", top=3)
    assert set(found.words) == set(classifier.labels)
    handler = build_handler(Settings(model_dir=static["artifact"]), classifier)
    response = handler(load_event("http_api_genre.json"), LambdaContext())
    assert response["statusCode"] == 200
    assert set(json.loads(response["body"])) == set(classifier.labels)
