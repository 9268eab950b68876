"""A small model of the minilm recipe: fine-tuned on 160 real rows for one epoch, exported to
ONNX int8 and packaged like any recipe. Its inference costs what the full model's does (the same
architecture, tokenizer and export); only its accuracy is a toy's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers.data import REPO

CONFIG = REPO / "training" / "configs" / "minilm.cfg"


def train_small_minilm(trained: dict[str, Path], root: Path) -> dict[str, Any]:
    """fine-tune -> evaluate -> package under root; trained: a small bag-of-words model and its
    corpus (tests.helpers.data.train_and_package), which the blend is tried with."""
    from genre_training.evaluate import evaluate
    from genre_training.package import package
    from genre_training.transformer import fine_tune

    report = fine_tune(
        CONFIG,
        trained["corpus"],
        root / "train",
        {
            "training.epochs": 1,
            "training.max_train": 160,
            # The small offline model trained on the same labels: the blend path runs too.
            "paths.bow_model": str(trained["artifact"]),
            "blend.weights": [0.0, 0.5],
        },
    )
    model = root / "train" / "model-best"
    evaluate(model, trained["corpus"], root / "eval", compare={"bow": trained["artifact"]})
    package(model, root / "eval", trained["corpus"], CONFIG, "minilm", root)
    return {"root": root, "model": model, "artifact": root / "artifact", "report": report}
