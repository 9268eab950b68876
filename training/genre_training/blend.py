"""Choosing what to blend into a recipe's own scores, on the validation split (thresholds tuned,
as `evaluate` would measure it): how much bag-of-words, and, for the minilm recipe given a
packaged static model, whether minilm + static + bag-of-words beats minilm + bag-of-words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from genre_model.manifest import MANIFEST_NAME, Manifest
from genre_training.metrics import tuned_micro_f1
from genre_training.onnx_pipeline import assemble_pipeline, static_stage
from genre_training.pipelines import (
    COMPONENT,
    SCORED_SPLITS,
    load_trained,
    pipeline_dir,
    score_splits,
)
from genre_training.splits import Split

SplitScores = Mapping[str, np.ndarray]  # (movies, labels) scores by split


def blended(base: SplitScores, added: Sequence[tuple[float, SplitScores]]) -> dict[str, np.ndarray]:
    """(1 - the added weights) * base + each weight * its scores, split by split: what the
    served components compute, each blending the doc.cats of those that ran before it."""
    kept = 1 - sum(weight for weight, _scores in added)
    return {
        name: kept * base[name] + sum(weight * scores[name] for weight, scores in added)
        for name in SCORED_SPLITS
    }


def not_blendable(
    model: Path, model_labels: Sequence[str], prepared: Mapping[str, Any]
) -> str | None:
    """Why a model must not be blended with a recipe trained on the corpus prepared says: it
    predicts other labels, or its manifest names other data or text fields (its training rows
    may be this corpus's validation or test movies, whose figures would then flatter the blend).
    None: it may be (a bare pipeline has no manifest to tell)."""
    if set(model_labels) != set(prepared["labels"]):
        return f"{model} has labels {list(model_labels)}"
    if not (model / MANIFEST_NAME).is_file():
        return None
    manifest = Manifest.read(model)
    if manifest.data_sha256 != prepared["data_sha256"]:
        return f"{model} was trained on other data (sha256 {manifest.data_sha256[:12]}...)"
    if manifest.text_fields != prepared["text_fields"]:
        return f"{model} reads {manifest.text_fields}, the corpus {prepared['text_fields']}"
    return None


def choose_blend(
    bow: Path | None,
    transformer_scores: SplitScores,
    splits: Mapping[str, Split],
    prepared: Mapping[str, Any],
    weights: list[float],
    static: Path | None = None,
    static_weights: Sequence[float] = (),
) -> dict[str, Any]:
    """{"weight": the best of weights, "bow_model": bow, "tried": figures by weight}, and with a
    static model, "static": the three-way blend tried beside it (choose_three_way's). prepared:
    the corpus's prepare.json (its labels, data and text fields).

    The weight is 0 (the transformer alone) when there is no bow model (None, or not a
    directory), when it predicts other labels or was trained on other data ("skipped" then says
    why). Blended scores are (1 - weight) * transformer + weight * bag-of-words, as the served
    component computes them.
    """
    if bow is None or not pipeline_dir(bow).is_dir():
        return {"weight": 0.0, "tried": {}} | static_skipped(static, "no bag-of-words model")
    labels: list[str] = list(prepared["labels"])
    bow_nlp = load_trained(pipeline_dir(bow))
    bow_labels = bow_nlp.get_pipe(COMPONENT).labels  # type: ignore[attr-defined]
    if skipped := not_blendable(bow, bow_labels, prepared):
        return {"weight": 0.0, "tried": {}, "skipped": skipped} | static_skipped(static, skipped)
    bow_scores = score_splits(bow_nlp, labels, splits)
    truth = {name: splits[name].truth for name in SCORED_SPLITS}
    tried = {
        str(weight): tuned_micro_f1(
            truth, blended(transformer_scores, [(weight, bow_scores)]), labels
        )
        for weight in weights
    }
    best = max(weights, key=lambda weight: tried[str(weight)]["dev_micro_f1_tuned"])
    chosen: dict[str, Any] = {"weight": best, "bow_model": str(bow), "tried": tried}
    if static is None:
        return chosen
    component_dir, alone = static_stage(static, bow_weight=0.0)
    if why := not_blendable(static, alone.labels, prepared):
        return chosen | static_skipped(static, why)
    three_way = choose_three_way(
        truth,
        labels,
        {"transformer": transformer_scores, "bow": bow_scores},
        score_splits(assemble_pipeline(component_dir, alone), labels, splits),
        [(s, b) for s in static_weights for b in weights if s > 0 and s + b < 1],
        tried[str(best)]["dev_micro_f1_tuned"],
    )
    return chosen | {"static": {"model": str(static), **three_way}}


def choose_three_way(
    truth: SplitScores,
    labels: list[str],
    two_way: Mapping[str, SplitScores],
    static_scores: SplitScores,
    grid: Sequence[tuple[float, float]],
    two_way_dev: float,
) -> dict[str, Any]:
    """Every (static weight, bag-of-words weight) of grid blended with the transformer's
    scores (two_way["transformer"], two_way["bow"]); the best on validation is kept only if its
    dev micro F1 beats two_way_dev, the best transformer + bag-of-words blend's."""
    if not grid:
        return {"kept": False, "skipped": "no static weights to try", "tried": {}}
    tried = {
        three_way_name(s, b): tuned_micro_f1(
            truth,
            blended(two_way["transformer"], [(s, static_scores), (b, two_way["bow"])]),
            labels,
        )
        for s, b in grid
    }
    best_s, best_b = max(grid, key=lambda sb: tried[three_way_name(*sb)]["dev_micro_f1_tuned"])
    best_dev = tried[three_way_name(best_s, best_b)]["dev_micro_f1_tuned"]
    return {
        "kept": best_dev > two_way_dev,
        "static_weight": best_s,
        "bow_weight": best_b,
        "dev_micro_f1_tuned": best_dev,
        "two_way_dev_micro_f1_tuned": two_way_dev,
        "tried": tried,
    }


def three_way_name(static_weight: float, bow_weight: float) -> str:
    return f"static {static_weight} bow {bow_weight}"


def static_skipped(static: Path | None, why: str) -> dict[str, Any]:
    """The "static" entry of a blend that could not try the static model: none if none given."""
    return (
        {} if static is None else {"static": {"model": str(static), "kept": False, "skipped": why}}
    )
