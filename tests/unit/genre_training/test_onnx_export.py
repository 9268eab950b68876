"""The export of a fine-tuned model as the ONNX component's files, on a tiny BERT."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from confection import Config

pytest.importorskip("torch", reason="the export needs PyTorch (TRANSFORMER=1)")
pytest.importorskip("transformers", reason="the export needs transformers (TRANSFORMER=1)")

import onnx
import onnxruntime
import torch
from onnx import numpy_helper
from tokenizers import Tokenizer
from transformers import AutoModel, AutoTokenizer

from genre_training.errors import StepError
from genre_training.fine_tuning import GenreModel
from genre_training.onnx_export import (
    INPUTS,
    ExportSettings,
    check_export,
    export_component,
    export_float,
)
from tests.helpers.data import REPO

TEXTS = ["The murder.\nA detective and a party.", "Love.\nA wedding.", "Laugh."]
FLOAT = ExportSettings(opset=17, quantize=False, per_channel=False, reduce_range=False)
INT8 = ExportSettings(opset=17, quantize=True, per_channel=True, reduce_range=True)


def tiny_model(base: Path, seed: int) -> GenreModel:
    torch.manual_seed(seed)
    return GenreModel(AutoModel.from_pretrained(str(base)), 3).eval()


def onnx_scores(path: Path, tokenizer: Any, texts: list[str]) -> np.ndarray:
    """What the served component computes: each text alone."""
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rows = []
    for text in texts:
        encoded = tokenizer([text], return_tensors="np")
        rows.append(session.run(None, {name: encoded[name] for name in INPUTS})[0])
    return np.concatenate(rows)


def torch_scores(model: GenreModel, tokenizer: Any, texts: list[str]) -> np.ndarray:
    with torch.no_grad():
        rows = [
            model(*(tokenizer([text], return_tensors="pt")[n] for n in INPUTS)) for text in texts
        ]
    return torch.cat(rows).numpy()


def test_settings_come_from_the_recipes_export_section() -> None:
    section = Config().from_disk(REPO / "training" / "configs" / "minilm.cfg")["export"]
    assert ExportSettings.from_config(section) == INT8


def test_the_float_export_scores_as_pytorch_and_ships_the_tokenizer(
    tiny_base: Path, tmp_path: Path
) -> None:
    model, tokenizer = tiny_model(tiny_base, 0), AutoTokenizer.from_pretrained(str(tiny_base))
    component = tmp_path / "pipeline" / "textcat_multilabel"
    export_component(model, tokenizer, tmp_path / "model.fp32.onnx", component, FLOAT)
    assert (component / "model.onnx").read_bytes() == (tmp_path / "model.fp32.onnx").read_bytes()
    expected = torch_scores(model, tokenizer, TEXTS)
    assert np.abs(onnx_scores(component / "model.onnx", tokenizer, TEXTS) - expected).max() < 1e-5
    served = Tokenizer.from_file(str(component / "tokenizer.json"))
    for text in TEXTS:
        assert served.encode(text).ids == tokenizer(text)["input_ids"]


def test_the_int8_export_has_7_bit_weights_and_scores_near_the_float_one(
    tiny_base: Path, tmp_path: Path
) -> None:
    model, tokenizer = tiny_model(tiny_base, 0), AutoTokenizer.from_pretrained(str(tiny_base))
    component = tmp_path / "component"
    export_component(model, tokenizer, tmp_path / "model.fp32.onnx", component, INT8)
    graph = onnx.load(str(component / "model.onnx")).graph
    weights = [
        numpy_helper.to_array(tensor)
        for tensor in graph.initializer
        if tensor.data_type == onnx.TensorProto.INT8
    ]
    assert weights and all(int(np.abs(w.astype(int)).max()) <= 64 for w in weights)
    quantized = onnx_scores(component / "model.onnx", tokenizer, TEXTS)
    full = onnx_scores(tmp_path / "model.fp32.onnx", tokenizer, TEXTS)
    assert np.abs(quantized - full).max() < 0.05


def test_an_export_that_does_not_score_as_the_model_is_refused(
    tiny_base: Path, tmp_path: Path
) -> None:
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_base))
    export_float(tiny_model(tiny_base, 0), tokenizer, tmp_path / "model.onnx", opset=17)
    check_export(tiny_model(tiny_base, 0), tokenizer, tmp_path / "model.onnx")  # same weights
    with pytest.raises(StepError, match=r"the ONNX export scores .* away from PyTorch"):
        check_export(tiny_model(tiny_base, 1), tokenizer, tmp_path / "model.onnx")
