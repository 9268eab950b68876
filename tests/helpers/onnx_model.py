"""A small ONNX model and tokenizer with the transformer recipe's inputs and outputs, built
without PyTorch: the ONNX component's tests run on every Python the project supports."""

from __future__ import annotations

from pathlib import Path

import numpy as np

WORDS = ["murder", "love", "laugh", "explosion", "the", "a", "and", "detective", "wedding"]


def mean_token_id_scores(ids: list[list[int]], weights: np.ndarray) -> np.ndarray:
    """What the model computes: sigmoid(mean id of the real tokens * weight per label)."""
    means = np.array([[np.mean(row)] for row in ids], dtype=np.float32)
    return 1 / (1 + np.exp(-(means * weights[None, :])))


def build(directory: Path, labels: list[str]) -> np.ndarray:
    """model.onnx + tokenizer.json in directory; returns the per-label weights."""
    import onnx
    from onnx import TensorProto, helper
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    directory.mkdir(parents=True, exist_ok=True)
    weights = np.linspace(-0.3, 0.3, len(labels)).astype(np.float32)
    nodes = [
        helper.make_node("Cast", ["attention_mask"], ["mask"], to=TensorProto.FLOAT),
        helper.make_node("Cast", ["input_ids"], ["ids"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["ids", "mask"], ["real_ids"]),
        helper.make_node("ReduceSum", ["real_ids", "axis"], ["id_sum"], keepdims=1),
        helper.make_node("ReduceSum", ["mask", "axis"], ["count"], keepdims=1),
        helper.make_node("Div", ["id_sum", "count"], ["mean"]),
        helper.make_node("Mul", ["mean", "weights"], ["logits"]),
        helper.make_node("Sigmoid", ["logits"], ["scores"]),
    ]
    graph = helper.make_graph(
        nodes,
        "mean-token-id",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", len(labels)])],
        initializer=[
            helper.make_tensor("axis", TensorProto.INT64, [1], [1]),
            helper.make_tensor("weights", TensorProto.FLOAT, [1, len(labels)], weights.tolist()),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(directory / "model.onnx"))
    vocabulary = {"[PAD]": 0, "[UNK]": 1, **{word: i + 2 for i, word in enumerate(WORDS)}}
    tokenizer = Tokenizer(WordLevel(vocabulary, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    tokenizer.save(str(directory / "tokenizer.json"))
    return weights
