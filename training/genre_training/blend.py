"""Choosing how much of a bag-of-words model to blend into the transformer's scores: the weight
with the best validation micro F1 (thresholds tuned), as `evaluate` would measure it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from genre_training.metrics import tuned_micro_f1
from genre_training.pipelines import (
    COMPONENT,
    SCORED_SPLITS,
    load_trained,
    pipeline_dir,
    score_splits,
)
from genre_training.splits import Split


def choose_blend(
    bow: Path | None,
    transformer_scores: Mapping[str, np.ndarray],
    splits: Mapping[str, Split],
    labels: list[str],
    weights: list[float],
) -> dict[str, Any]:
    """{"weight": the best of weights, "bow_model": bow, "tried": figures by weight}.

    The weight is 0 (the transformer alone) when there is no bow model (None, or not a
    directory) or when it predicts other labels ("skipped" then says why). Blended scores are
    (1 - weight) * transformer + weight * bag-of-words, as the served component computes them.
    """
    if bow is None or not pipeline_dir(bow).is_dir():
        return {"weight": 0.0, "tried": {}}
    bow_nlp = load_trained(pipeline_dir(bow))
    bow_labels = list(bow_nlp.get_pipe(COMPONENT).labels)  # type: ignore[attr-defined]
    if set(bow_labels) != set(labels):
        return {"weight": 0.0, "tried": {}, "skipped": f"{bow} has labels {bow_labels}"}
    bow_scores = score_splits(bow_nlp, labels, splits)
    truth = {name: splits[name].truth for name in SCORED_SPLITS}
    tried = {
        str(weight): tuned_micro_f1(
            truth,
            {
                name: (1 - weight) * transformer_scores[name] + weight * bow_scores[name]
                for name in SCORED_SPLITS
            },
            labels,
        )
        for weight in weights
    }
    best = max(weights, key=lambda weight: tried[str(weight)]["dev_micro_f1_tuned"])
    return {"weight": best, "bow_model": str(bow), "tried": tried}
