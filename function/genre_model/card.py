"""The model card: what a model is, what it was trained on, and how well it does on held-out
movies. GET /model serves it from the manifest; `evaluate` writes it as MODEL_CARD.md."""

from __future__ import annotations

from typing import Any

from genre_model.evaluation import ThresholdReports
from genre_model.manifest import Manifest


def held_out_metrics(test: ThresholdReports) -> dict[str, Any]:
    """Micro and macro F1, and precision/recall/F1 per genre, at 0.5 and at tuned thresholds."""
    return {
        setting: {
            "micro_f1": report["micro"]["f1"],
            "macro_f1": report["macro"]["f1"],
            "per_genre": {
                genre: {key: scores[key] for key in ("precision", "recall", "f1")}
                for genre, scores in report["per_genre"].items()
            },
            "movies": report["movies"],
        }
        for setting, report in (("at_0.5", test["at_0.5"]), ("tuned", test["tuned"]))
    }


def model_card(manifest: Manifest) -> dict[str, Any]:
    """The card as JSON: nothing that is not in the manifest."""
    return {
        "version": manifest.version,
        "created_at": manifest.created_at,
        "recipe": manifest.recipe,
        "spacy_version": manifest.spacy_version,
        "labels": manifest.labels,
        "thresholds": manifest.thresholds,
        "text_fields": manifest.text_fields,
        "data_sha256": manifest.data_sha256,
        "split_sizes": manifest.split_sizes,
        "test_metrics": held_out_metrics(manifest.metrics["test"]),
    }
