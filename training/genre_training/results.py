"""What `evaluate` writes (metrics.json) and the figures quoted from it; light to import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NotRequired, TypedDict

from genre_model.evaluation import Headline, ThresholdReports
from genre_model.text import TextFields
from genre_training.errors import StepError, require_file

METRICS_FILE = "metrics.json"
SPACY_MODEL = "spacy"
BASELINE_MODEL = "tfidf_logreg"


class ModelResults(TypedDict):
    tuned_thresholds: dict[str, float]
    dev: ThresholdReports
    test: ThresholdReports


class PeriodFigures(TypedDict):
    period: str
    movies: int
    micro_f1_tuned: dict[str, float]  # model -> test micro F1 at its tuned thresholds


class ModelFigures(TypedDict):
    exact_match: float  # share of movies whose predicted genres are exactly the corrected ones
    micro_f1: float


class SplitFigures(TypedDict):
    split: str
    movies: int
    new_model: str  # what the new model saw of them (genre_training.corrected.SEEN)
    served: ModelFigures
    new: ModelFigures


class CorrectedMovie(TypedDict):
    split: str
    title: str
    genres_before: list[str] | None
    genres: list[str]
    served: list[str]
    new: list[str]


class CorrectedReport(TypedDict):
    served_dir: str
    served_version: str
    corrections_against_it: int  # corrections whose served_by or model_version is its version
    corrections: int
    by_split: list[SplitFigures]
    movies: list[CorrectedMovie]


class EvaluationResults(TypedDict):
    labels: list[str]
    text_fields: TextFields
    data_sha256: str
    split_sizes: dict[str, int]
    load: dict[str, Any]
    models: dict[str, ModelResults]
    variants: NotRequired[list[dict[str, Any]]]
    by_period: NotRequired[list[PeriodFigures]]
    # Users' corrections: prepare's report (genre_training.feedback), and the corrected movies
    # scored (genre_training.corrected).
    feedback: NotRequired[dict[str, Any]]
    corrected: NotRequired[CorrectedReport]


def headline(results: EvaluationResults, model: str = SPACY_MODEL) -> Headline:
    """The numbers quoted everywhere: test micro/macro F1 at 0.5 and at the tuned thresholds."""
    test = results["models"][model]["test"]
    return {
        "test_micro_f1_at_0.5": test["at_0.5"]["micro"]["f1"],
        "test_micro_f1_tuned": test["tuned"]["micro"]["f1"],
        "test_macro_f1_tuned": test["tuned"]["macro"]["f1"],
    }


def read_results(eval_dir: Path) -> EvaluationResults:
    path = require_file(eval_dir / METRICS_FILE, "movie-genre-train evaluate")
    try:
        results: EvaluationResults = json.loads(path.read_text(encoding="utf-8"))
        results["models"][SPACY_MODEL]["tuned_thresholds"]
    except (ValueError, KeyError, TypeError) as error:
        raise StepError(f"{path} is not the output of `evaluate`: {error!r}") from error
    return results
