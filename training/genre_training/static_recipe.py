"""Step 2 of the static recipe: distil a static embedding model from a sentence encoder (the
pretrained MiniLM, or the minilm recipe's fine-tuned encoder given as the teacher), train its
vectors and a head on the genres, choose how much bag-of-words to blend in, and write it as a
spaCy pipeline (genre_model.static_textcat) that evaluate, package and serving load as they load
a spaCy textcat.

Inputs: a `prepare` corpus and a config (configs/static.cfg). Outputs in OUT: model-best/ (the
pipeline), model-alone/ (the static component without the blend, which `make evaluate` reports
beside it) and static.json (the teacher, per-epoch validation figures, the stored model's figures
beside the float32 one's, the blend chosen on validation).

Each job has its module: static_distill (model2vec), static_training (PyTorch), blend,
onnx_pipeline. Serving needs numpy and tokenizers only.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import spacy
from confection import Config

from genre_model.static_textcat import PieceTokenizer, StaticWeights
from genre_training.blend import choose_blend
from genre_training.errors import StepError
from genre_training.metrics import tuned_micro_f1
from genre_training.onnx_pipeline import StaticComponentConfig, assemble_pipeline
from genre_training.pipelines import COMPONENT, SCORED_SPLITS, pipeline_dir, score_splits
from genre_training.splits import read_splits
from genre_training.transformer import PIPELINE_NAME, base_model_dir

REPORT_FILE = "static.json"
ALONE_NAME = "model-alone"  # the static model without the blend, beside the pipeline


def train_static_recipe(
    config_path: Path,
    corpus_dir: Path,
    out_dir: Path,
    teacher: Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """teacher: an encoder directory (transformers' format) to distil from instead of the
    config's [paths] teacher; overrides: config values by dotted path (the tests')."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything is local: never ask a model hub
    try:
        from genre_training.static_distill import (
            DistillSettings,
            corpus_vocabulary,
            distill_static,
        )
        from genre_training.static_training import HeadSettings, predict, train_static
    except ImportError as error:
        raise StepError(
            "the static recipe needs PyTorch and model2vec: pip install -e '.[static-training]'"
        ) from error

    config = Config().from_disk(config_path, overrides=overrides or {})
    prepared, splits = read_splits(corpus_dir)
    labels: list[str] = prepared["labels"]
    teacher_dir = teacher or base_model_dir(config["paths"]["teacher"])
    make_doc = spacy.blank("en").make_doc  # the served pipeline's tokenizer
    docs = {name: [make_doc(text) for text in split.texts] for name, split in splits.items()}
    started = time.monotonic()
    settings = DistillSettings.from_config(config["distill"])
    vocabulary = []
    if settings.corpus_min_count:
        words = (token.text for doc in docs["train"] for token in doc if token.is_alpha)
        vocabulary = corpus_vocabulary(teacher_dir, words, settings.corpus_min_count)
    distilled = distill_static(teacher_dir, settings, Path(config["paths"]["cache"]), vocabulary)
    distill_minutes = (time.monotonic() - started) / 60
    tokenize = PieceTokenizer(distilled.tokenizer)
    pieces = {name: [ids for ids, _tokens in tokenize(split)] for name, split in docs.items()}
    truth = {name: split.truth for name, split in splits.items()}
    trained = train_static(
        distilled.vectors, pieces, truth, labels, HeadSettings.from_config(config["training"])
    )
    float_scores = {name: predict(trained.model, pieces[name]) for name in SCORED_SPLITS}

    pipeline = out_dir / PIPELINE_NAME
    for written in (pipeline, out_dir / ALONE_NAME):
        if written.exists():
            shutil.rmtree(written)
    component_dir = pipeline / COMPONENT
    component_dir.mkdir(parents=True)
    dtype = str(config["export"]["vector_dtype"])
    distilled.tokenizer.save(str(component_dir / "tokenizer.json"))
    StaticWeights.stored_as(trained.vectors(), trained.model.dense_layers(), dtype).save(
        component_dir / "weights.npz"
    )
    alone = StaticComponentConfig(labels=labels, bow_weight=0.0)
    alone_nlp = assemble_pipeline(component_dir, alone)
    stored_scores = score_splits(alone_nlp, labels, splits)
    alone_nlp.to_disk(out_dir / ALONE_NAME)
    bow = Path(config["paths"]["bow_model"]) if config["paths"]["bow_model"] else None
    blend = choose_blend(bow, stored_scores, splits, prepared, list(config["blend"]["weights"]))
    if bow is not None and blend["weight"] > 0:
        blended = StaticComponentConfig(labels=labels, bow_weight=blend["weight"])
        nlp = assemble_pipeline(component_dir, blended, pipeline_dir(bow))
    else:
        nlp = assemble_pipeline(component_dir, alone)
    nlp.to_disk(pipeline)

    scored_truth = {name: truth[name] for name in SCORED_SPLITS}
    report = {
        "teacher": str(teacher_dir),
        "distilled": str(distilled.directory),
        "distill_cached": distilled.cached,
        "distill_minutes": distill_minutes,
        "corpus_words": len(vocabulary),
        "pieces": int(distilled.vectors.shape[0]),
        "dims": int(distilled.vectors.shape[1]),
        "train_movies": trained.train_movies,
        "epochs": trained.history,
        "best_epoch": trained.best_epoch,
        "train_minutes": (time.monotonic() - started) / 60,
        "float32": tuned_micro_f1(scored_truth, float_scores, labels),
        "vector_dtype": dtype,
        "stored": tuned_micro_f1(scored_truth, stored_scores, labels),
        "blend": blend,
    }
    (out_dir / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report
