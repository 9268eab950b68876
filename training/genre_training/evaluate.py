"""Step 3: score a trained pipeline and the TF-IDF baseline on dev and test; tune thresholds on dev.

Writes metrics.json (every number), report.md (the same, readable), pr_curves.png and
MODEL_CARD.md (the model card that `package` puts in the artifact).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from sklearn.metrics import precision_recall_curve

from genre_model.evaluation import Scores, ThresholdReports
from genre_model.locations import default_model_dir
from genre_training.baseline import train_and_score_baseline
from genre_training.corrected import corrected_section, score_corrected
from genre_training.metrics import (
    DEFAULT_THRESHOLD,
    apply_thresholds,
    classification_report,
    micro_f1,
    tune_thresholds,
)
from genre_training.model_card import CARD_FILE, render_model_card
from genre_training.pipelines import load_trained, pipeline_dir, score_splits
from genre_training.results import (
    BASELINE_MODEL,
    METRICS_FILE,
    SPACY_MODEL,
    EvaluationResults,
    ModelResults,
    PeriodFigures,
)
from genre_training.splits import read_splits

matplotlib.use("Agg")  # files only: no display on build machines
import matplotlib.pyplot as plt

REPORT_FILE = "report.md"
CURVES_FILE = "pr_curves.png"
# Release periods for the by-period figures: the newest films are the ones a catalogue adds.
PERIODS = (
    ("before 1980", 0, 1979),
    ("1980-1999", 1980, 1999),
    ("2000-2009", 2000, 2009),
    ("2010 and later", 2010, 9999),
)


def evaluate(
    model_dir: Path,
    corpus_dir: Path,
    out_dir: Path,
    variants: Path | None = None,
    compare: dict[str, Path] | None = None,
    served: Path | None = None,
) -> EvaluationResults:
    """compare: other trained models (artifact or pipeline directories) to report beside it;
    served: the model artifact that served the users' corrections, if `prepare` applied any
    (default: the model shipped with the package)."""
    prepared, splits = read_splits(corpus_dir)
    labels: list[str] = prepared["labels"]
    nlp = load_trained(model_dir)
    scores = {SPACY_MODEL: score_splits(nlp, labels, splits)}
    train = splits["train"]
    dev_scores, test_scores = train_and_score_baseline(
        train.texts, train.truth, splits["dev"].texts, splits["test"].texts
    )
    scores[BASELINE_MODEL] = {"dev": dev_scores, "test": test_scores}
    for other, directory in (compare or {}).items():
        scores[other] = score_splits(load_trained(pipeline_dir(directory)), labels, splits)

    dev, test = splits["dev"].truth, splits["test"].truth
    models: dict[str, ModelResults] = {}
    for model, by_split in scores.items():
        tuned = tune_thresholds(dev, by_split["dev"], labels)
        models[model] = {
            "tuned_thresholds": tuned,
            "dev": reports_at_half_and_tuned(dev, by_split["dev"], labels, tuned),
            "test": reports_at_half_and_tuned(test, by_split["test"], labels, tuned),
        }
    results: EvaluationResults = {
        "labels": labels,
        "text_fields": prepared["text_fields"],
        "data_sha256": prepared["data_sha256"],
        "split_sizes": prepared["split_sizes"],
        "load": prepared["load"],
        "models": models,
    }
    if variants is not None and variants.is_file():
        results["variants"] = json.loads(variants.read_text(encoding="utf-8"))
    if any(splits["test"].years):
        results["by_period"] = by_period(splits["test"].years, test, scores, models, labels)
    if prepared.get("feedback"):
        results["feedback"] = prepared["feedback"]
    thresholds = models[SPACY_MODEL]["tuned_thresholds"]
    corrected = score_corrected(
        corpus_dir, nlp, prepared, thresholds, served or default_model_dir()
    )
    if corrected:
        results["corrected"] = corrected

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / METRICS_FILE).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    plot_pr_curves(test, scores, results, labels, out_dir / CURVES_FILE)
    (out_dir / REPORT_FILE).write_text(render_report(results), encoding="utf-8")
    (out_dir / CARD_FILE).write_text(render_model_card(results), encoding="utf-8")
    return results


def by_period(
    years: list[str],
    truth: np.ndarray,
    scores: dict[str, dict[str, np.ndarray]],
    models: dict[str, ModelResults],
    labels: list[str],
) -> list[PeriodFigures]:
    """Test micro F1 (tuned thresholds) of every model by release period: newer films too."""
    known = np.array([year.isdigit() for year in years])
    numeric = np.array([int(year) if year.isdigit() else 0 for year in years])
    figures: list[PeriodFigures] = []
    for name, start, end in PERIODS:
        rows = known & (numeric >= start) & (numeric <= end)
        if not rows.any():
            continue
        micro = {}
        for model, by_split in scores.items():
            thresholds = models[model]["tuned_thresholds"]
            predicted = apply_thresholds(by_split["test"][rows], labels, thresholds)
            micro[model] = micro_f1(truth[rows], predicted)
        figures.append({"period": name, "movies": int(rows.sum()), "micro_f1_tuned": micro})
    return figures


def reports_at_half_and_tuned(
    truth: np.ndarray, scores: np.ndarray, labels: list[str], tuned: dict[str, float]
) -> ThresholdReports:
    half = dict.fromkeys(labels, DEFAULT_THRESHOLD)
    return {
        "at_0.5": classification_report(
            truth, apply_thresholds(scores, labels, half), scores, labels
        ),
        "tuned": classification_report(
            truth, apply_thresholds(scores, labels, tuned), scores, labels
        ),
    }


def plot_pr_curves(
    truth: np.ndarray,
    scores: dict[str, dict[str, np.ndarray]],
    results: EvaluationResults,
    labels: list[str],
    path: Path,
) -> None:
    figure, axes = plt.subplots(1, len(labels), figsize=(4 * len(labels), 4), squeeze=False)
    for column, (axis, label) in enumerate(zip(axes[0], labels, strict=True)):
        for model, style in ((SPACY_MODEL, "-"), (BASELINE_MODEL, "--")):
            matrix = scores[model]["test"]
            precision, recall, _ = precision_recall_curve(truth[:, column], matrix[:, column])
            axis.plot(recall, precision, style, label=model)
            point = results["models"][model]["test"]["tuned"]["per_genre"][label]
            axis.plot(point["recall"], point["precision"], "o", color=axis.lines[-1].get_color())
        axis.set(
            title=f"{label} (test)", xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1)
        )
        axis.grid(alpha=0.3)
        axis.legend(loc="lower left", fontsize="small")
    figure.suptitle("Precision-recall per genre on the test split; dots: tuned thresholds")
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def _row(name: str, metrics: Scores) -> str:
    return (
        f"| {name} | {metrics['precision']:.3f} | {metrics['recall']:.3f} | {metrics['f1']:.3f} "
        f"| {metrics['accuracy']:.3f} |"
    )


def render_report(results: EvaluationResults) -> str:
    lines = [
        *report_header(results),
        *summary_table(results["models"]),
        *(
            line
            for model, by_split in results["models"].items()
            for line in model_section(model, by_split)
        ),
        *(variants_table(results["variants"]) if "variants" in results else []),
        *(
            periods_table(results["by_period"], list(results["models"]))
            if "by_period" in results
            else []
        ),
        *(corrected_section(results["corrected"]) if "corrected" in results else []),
        "",
        f"![precision-recall curves]({CURVES_FILE})",
        "",
    ]
    return "\n".join(lines)


def report_header(results: EvaluationResults) -> list[str]:
    sizes, load = results["split_sizes"], results["load"]
    return [
        "# Evaluation report",
        "",
        f"Data sha256 `{results['data_sha256']}`; "
        f"{load['usable']} usable of {load['rows_read']} rows "
        f"(skipped: {load['skipped_empty_text']} empty text, {load['skipped_unparsable_genres']} "
        f"unparsable genres, {load['skipped_no_label']} with none of the labels).",
        f"Split: train {sizes['train']}, dev {sizes['dev']}, test {sizes['test']}. "
        f"Model input: {results['text_fields']}. Thresholds tuned per genre on dev.",
    ]


def summary_table(models: dict[str, ModelResults]) -> list[str]:
    lines = [
        "",
        "## Summary (micro / macro F1)",
        "",
        "| model | split | micro F1 @0.5 | micro F1 tuned | macro F1 @0.5 | macro F1 tuned "
        "| top-genre accuracy |",
        "|---|---|---|---|---|---|---|",
    ]
    for model, by_split in models.items():
        for split in ("dev", "test"):
            at_half, tuned = by_split[split]["at_0.5"], by_split[split]["tuned"]
            lines.append(
                f"| {model} | {split} | {at_half['micro']['f1']:.3f} | {tuned['micro']['f1']:.3f} "
                f"| {at_half['macro']['f1']:.3f} | {tuned['macro']['f1']:.3f} "
                f"| {tuned['top_genre_accuracy']:.3f} |"
            )
    return lines


def model_section(model: str, by_split: ModelResults) -> list[str]:
    """Its tuned thresholds, and a table per split and threshold setting."""
    thresholds = ", ".join(f"{k} {v:.2f}" for k, v in by_split["tuned_thresholds"].items())
    lines = ["", f"## {model}", "", f"Tuned thresholds: {thresholds}."]
    for split, reports in (("dev", by_split["dev"]), ("test", by_split["test"])):
        for setting, metrics in (("at_0.5", reports["at_0.5"]), ("tuned", reports["tuned"])):
            lines += [
                "",
                f"### {split}, {setting.replace('_', ' ')} "
                f"(exact match {metrics['exact_match_accuracy']:.3f})",
                "",
                "| | precision | recall | F1 | accuracy |",
                "|---|---|---|---|---|",
                _row("micro", metrics["micro"]),
                _row("macro", metrics["macro"]),
                *(_row(label, values) for label, values in metrics["per_genre"].items()),
            ]
    return lines


def variants_table(variants: list[dict[str, Any]]) -> list[str]:
    return [
        "",
        "## Variants tried (validation split)",
        "",
        "| variant | dev micro F1 @0.5 | dev micro F1 tuned | dev macro F1 tuned | train minutes |",
        "|---|---|---|---|---|",
        *(
            f"| {variant['name']} | {variant['dev_micro_f1_at_0.5']:.3f} "
            f"| {variant['dev_micro_f1_tuned']:.3f} | {variant['dev_macro_f1_tuned']:.3f} "
            f"| {variant['train_minutes']:.1f} |"
            for variant in variants
        ),
    ]


def periods_table(periods: list[PeriodFigures], models: list[str]) -> list[str]:
    return [
        "",
        "## Test micro F1 (tuned) by release period",
        "",
        "| period | movies | " + " | ".join(models) + " |",
        "|---|---|" + "---|" * len(models),
        *(
            f"| {period['period']} | {period['movies']} | "
            + " | ".join(f"{period['micro_f1_tuned'][m]:.3f}" for m in models)
            + " |"
            for period in periods
        ),
    ]
