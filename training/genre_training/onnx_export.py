"""The fine-tuned model as the ONNX component's files: model.onnx (int8 when configured) and
tokenizer.json, which genre_model.onnx_textcat serves without PyTorch.

The float32 export is written beside the pipeline, not in it, so that it can be quantized again.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genre_model.onnx_textcat import MODEL_FILE, TOKENIZER_FILE
from genre_training.errors import StepError

INPUTS = ("input_ids", "attention_mask")
# How far the float32 export may score from PyTorch: operator order only, never a wrong graph.
EXPORT_TOLERANCE = 1e-4
# The traced sample and the check's batch differ in size and length, and the check's is padded:
# the tracer's warnings about constant branches are checked, not trusted.
TRACE_TEXTS = ["A title.\nA description."]
CHECK_TEXTS = ["Othello.\nThe evil Iago pretends to be a friend of Othello.", "Up.\nA house flies."]


@dataclass(frozen=True)
class ExportSettings:
    """The recipe's [export] section."""

    opset: int
    quantize: bool  # dynamic int8 quantization of the weights
    per_channel: bool  # one scale per output channel
    reduce_range: bool  # 7-bit weights

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> ExportSettings:
        return cls(
            opset=int(section["opset"]),
            quantize=bool(section["quantize"]),
            per_channel=bool(section["per_channel"]),
            reduce_range=bool(section["reduce_range"]),
        )


def export_component(
    model: torch.nn.Module,
    tokenizer: Any,
    float_model: Path,
    component_dir: Path,
    settings: ExportSettings,
) -> None:
    """model (input_ids, attention_mask -> scores) to float_model, checked against PyTorch; then
    component_dir/model.onnx (quantized when configured) and component_dir/tokenizer.json."""
    for directory in (float_model.parent, component_dir):
        directory.mkdir(parents=True, exist_ok=True)
    export_float(model, tokenizer, float_model, settings.opset)
    check_export(model, tokenizer, float_model)
    if settings.quantize:
        quantize(float_model, component_dir / MODEL_FILE, settings)
    else:
        shutil.copyfile(float_model, component_dir / MODEL_FILE)
    (component_dir / TOKENIZER_FILE).write_text(
        tokenizer.backend_tokenizer.to_str(), encoding="utf-8"
    )


def export_float(model: torch.nn.Module, tokenizer: Any, path: Path, opset: int) -> None:
    """ONNX with a dynamic batch size and text length."""
    sample = tokenizer(TRACE_TEXTS, return_tensors="pt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's: check_export checks what they warn of
        torch.onnx.export(
            model,
            tuple(sample[name] for name in INPUTS),
            str(path),
            input_names=list(INPUTS),
            output_names=["scores"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "scores": {0: "batch"},
            },
            opset_version=opset,
            dynamo=False,
        )


def check_export(model: torch.nn.Module, tokenizer: Any, path: Path) -> None:
    """StepError unless the ONNX model at path scores a padded batch of texts of other lengths
    than the traced one as model does."""
    import onnxruntime

    check = tokenizer(CHECK_TEXTS, padding=True, return_tensors="pt")
    with torch.no_grad():
        expected = model(*(check[name] for name in INPUTS)).numpy()
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (scores,) = session.run(None, {name: check[name].numpy() for name in INPUTS})
    difference = float(np.abs(scores - expected).max())
    if difference > EXPORT_TOLERANCE:
        raise StepError(f"the ONNX export scores {difference:.2g} away from PyTorch")


def quantize(float_model: Path, target: Path, settings: ExportSettings) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Without reduce_range, x86 CPUs lacking VNNI (AVX2 only, as on AMD Lambda hosts) can
    # saturate int16 sums in u8 x s8 products; 7-bit weights never do, and per-channel
    # scales win back the accuracy (closer to float32 than the defaults). The float steps
    # in between still differ a little across CPUs: see [serving] golden_tolerance.
    quantize_dynamic(
        str(float_model),
        str(target),
        weight_type=QuantType.QInt8,
        per_channel=settings.per_channel,
        reduce_range=settings.reduce_range,
    )
