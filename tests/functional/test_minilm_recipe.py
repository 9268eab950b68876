"""The minilm recipe on a few hundred real movies: fine-tune (PyTorch, CPU), export to ONNX int8,
evaluate and package like any recipe, and serve without PyTorch through the same classifier."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from genre_api.service import build_handler
from genre_api.settings import Settings
from genre_model import GenreClassifier
from genre_model.explanations import explain
from tests.helpers.events import LambdaContext, load_event
from tests.helpers.minilm import train_small_minilm

pytest.importorskip("torch", reason="the minilm recipe's training needs PyTorch (TRANSFORMER=1)")


@pytest.fixture(scope="module")
def minilm(trained: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return train_small_minilm(trained, tmp_path_factory.mktemp("minilm"))


def test_the_report_has_every_epoch_and_pytorch_beside_the_quantized_model(
    minilm: dict,
) -> None:
    report = json.loads((minilm["root"] / "train" / "fine_tune.json").read_text())
    assert report == minilm["report"]
    assert [epoch["epoch"] for epoch in report["epochs"]] == [1]
    assert report["device"] == "cpu" and report["train_movies"] == 160
    for model in ("pytorch", "onnx_int8"):
        assert set(report[model]) == {"dev_micro_f1_tuned", "test_micro_f1_tuned"}
    assert set(report["blend"]["tried"]) == {"0.0", "0.5"}
    assert report["blend"]["weight"] in (0.0, 0.5)


def test_the_artifact_is_an_onnx_pipeline_with_no_pytorch_in_it(minilm: dict) -> None:
    component = minilm["artifact"] / "pipeline" / "textcat_multilabel"
    assert (component / "model.onnx").is_file() and (component / "tokenizer.json").is_file()
    config = (minilm["artifact"] / "pipeline" / "config.cfg").read_text()
    assert 'factory = "onnx_textcat_multilabel"' in config
    files = [path for path in minilm["artifact"].rglob("*") if path.is_file()]
    assert not [p for p in files if p.suffix in {".pt", ".safetensors"} or "pytorch" in p.name]
    metrics = json.loads((minilm["root"] / "eval" / "metrics.json").read_text())
    assert set(metrics["models"]) == {"spacy", "tfidf_logreg", "bow"}


def test_the_int8_weights_fit_7_bits_so_that_no_cpu_saturates_their_sums(minilm: dict) -> None:
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(minilm["model"] / "textcat_multilabel" / "model.onnx"))
    weights = [
        numpy_helper.to_array(tensor)
        for tensor in model.graph.initializer
        if tensor.data_type == onnx.TensorProto.INT8
    ]
    assert len(weights) >= 36  # 6 layers x (q, k, v, output, 2 feed-forward): all quantized
    # Two u8 x s8 products then sum to at most 2 x 255 x 64 = 32,640: no int16 saturation.
    assert all(int(abs(w.astype(int)).max()) <= 64 for w in weights)
    assert (minilm["root"] / "train" / "model.fp32.onnx").is_file()  # kept out of the pipeline


def test_it_serves_like_any_model_golden_set_explanations_and_the_api(minilm: dict) -> None:
    classifier = GenreClassifier.load(minilm["artifact"])
    assert classifier.manifest.recipe == "minilm"
    assert classifier.check_golden() == 32
    assert classifier.golden is not None and classifier.golden.tolerance == 0.02  # minilm.cfg
    found = explain(classifier, "Othello", "The evil Iago pretends to be a friend.", top=3)
    assert set(found.words) == set(classifier.labels)
    handler = build_handler(Settings(model_dir=minilm["artifact"]), classifier)
    response = handler(load_event("http_api_genre.json"), LambdaContext())
    assert response["statusCode"] == 200
    assert set(json.loads(response["body"])) == set(classifier.labels)
