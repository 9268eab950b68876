"""Step 3: score a trained pipeline and the TF-IDF baseline on dev and test; tune thresholds on dev.

Writes metrics.json (every number), report.md (the same, readable) and pr_curves.png.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import numpy as np
import spacy
from sklearn.metrics import precision_recall_curve
from spacy.language import Language

from genre_model import compose_text
from genre_model.classifier import score_texts
from genre_model.evaluation import Scores, ThresholdReports
from genre_training.baseline import train_and_score_baseline
from genre_training.corpus import PREPARE_REPORT, read_jsonl
from genre_training.errors import StepError, require_file
from genre_training.metrics import (
    DEFAULT_THRESHOLD,
    apply_thresholds,
    classification_report,
    label_matrix,
    score_matrix,
    tune_thresholds,
)
from genre_training.model_card import CARD_FILE, render_model_card
from genre_training.results import (
    BASELINE_MODEL,
    METRICS_FILE,
    SPACY_MODEL,
    EvaluationResults,
    ModelResults,
    PeriodFigures,
)

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
) -> EvaluationResults:
    """compare: other trained models (artifact or pipeline directories) to report beside it."""
    prepared = read_prepared(corpus_dir)
    labels: list[str] = prepared["labels"]
    texts, truth = {}, {}
    for name in ("train", "dev", "test"):
        texts[name], truth[name] = load_split(corpus_dir, name, prepared)

    nlp = load_trained(model_dir)
    scores = {
        SPACY_MODEL: {name: score_pipeline(nlp, labels, texts[name]) for name in ("dev", "test")}
    }
    dev_scores, test_scores = train_and_score_baseline(
        texts["train"], truth["train"], texts["dev"], texts["test"]
    )
    scores[BASELINE_MODEL] = {"dev": dev_scores, "test": test_scores}
    for other, directory in (compare or {}).items():
        other_nlp = load_trained(pipeline_of(directory))
        scores[other] = {
            name: score_pipeline(other_nlp, labels, texts[name]) for name in ("dev", "test")
        }

    models: dict[str, ModelResults] = {}
    for model, by_split in scores.items():
        tuned = tune_thresholds(truth["dev"], by_split["dev"], labels)
        models[model] = {
            "tuned_thresholds": tuned,
            "dev": reports_at_half_and_tuned(truth["dev"], by_split["dev"], labels, tuned),
            "test": reports_at_half_and_tuned(truth["test"], by_split["test"], labels, tuned),
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
    years = [row.get("year", "") for row in read_jsonl(corpus_dir / "test.jsonl")]
    if any(years):
        results["by_period"] = by_period(years, truth["test"], scores, models, labels)

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / METRICS_FILE).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    plot_pr_curves(truth["test"], scores, results, labels, out_dir / CURVES_FILE)
    (out_dir / REPORT_FILE).write_text(render_report(results), encoding="utf-8")
    (out_dir / CARD_FILE).write_text(render_model_card(results), encoding="utf-8")
    return results


def pipeline_of(directory: Path) -> Path:
    """A packaged artifact's pipeline/, or the directory itself when it is a pipeline."""
    return directory / "pipeline" if (directory / "pipeline").is_dir() else directory


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
            micro[model] = classification_report(
                truth[rows], predicted, by_split["test"][rows], labels
            )["micro"]["f1"]
        figures.append({"period": name, "movies": int(rows.sum()), "micro_f1_tuned": micro})
    return figures


def read_prepared(corpus_dir: Path) -> dict:
    path = require_file(corpus_dir / PREPARE_REPORT, "movie-genre-train prepare")
    return json.loads(path.read_text(encoding="utf-8"))


def load_trained(model_dir: Path) -> Language:
    require_file(model_dir / "meta.json", "spacy train")
    try:
        return spacy.load(model_dir)
    except (OSError, ValueError, KeyError) as error:
        raise StepError(f"cannot load the trained pipeline in {model_dir}: {error}") from error


def load_split(corpus_dir: Path, name: str, prepared: dict) -> tuple[list[str], np.ndarray]:
    """A split's model input texts and its (movies, labels) truth matrix."""
    rows = read_jsonl(corpus_dir / f"{name}.jsonl")
    fields = prepared["text_fields"]
    texts = [compose_text(row["title"], row["description"], fields) for row in rows]
    return texts, label_matrix([row["genres"] for row in rows], prepared["labels"])


def score_pipeline(nlp: Language, labels: list[str], texts: list[str]) -> np.ndarray:
    return score_matrix(score_texts(nlp, labels, texts), labels)


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
    sizes = results["split_sizes"]
    load = results["load"]
    lines = [
        "# Evaluation report",
        "",
        f"Data sha256 `{results['data_sha256']}`; "
        f"{load['usable']} usable of {load['rows_read']} rows "
        f"(skipped: {load['skipped_empty_text']} empty text, {load['skipped_unparsable_genres']} "
        f"unparsable genres, {load['skipped_no_label']} with none of the labels).",
        f"Split: train {sizes['train']}, dev {sizes['dev']}, test {sizes['test']}. "
        f"Model input: {results['text_fields']}. Thresholds tuned per genre on dev.",
        "",
        "## Summary (micro / macro F1)",
        "",
        "| model | split | micro F1 @0.5 | micro F1 tuned | macro F1 @0.5 | macro F1 tuned "
        "| top-genre accuracy |",
        "|---|---|---|---|---|---|---|",
    ]
    for model, by_split in results["models"].items():
        for split in ("dev", "test"):
            at_half, tuned = by_split[split]["at_0.5"], by_split[split]["tuned"]
            lines.append(
                f"| {model} | {split} | {at_half['micro']['f1']:.3f} | {tuned['micro']['f1']:.3f} "
                f"| {at_half['macro']['f1']:.3f} | {tuned['macro']['f1']:.3f} "
                f"| {tuned['top_genre_accuracy']:.3f} |"
            )
    for model, by_split in results["models"].items():
        thresholds = ", ".join(f"{k} {v:.2f}" for k, v in by_split["tuned_thresholds"].items())
        lines += ["", f"## {model}", "", f"Tuned thresholds: {thresholds}."]
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
    if "variants" in results:
        lines += [
            "",
            "## Variants tried (validation split)",
            "",
            "| variant | dev micro F1 @0.5 | dev micro F1 tuned | dev macro F1 tuned "
            "| train minutes |",
            "|---|---|---|---|---|",
        ]
        for variant in results["variants"]:
            lines.append(
                f"| {variant['name']} | {variant['dev_micro_f1_at_0.5']:.3f} "
                f"| {variant['dev_micro_f1_tuned']:.3f} | {variant['dev_macro_f1_tuned']:.3f} "
                f"| {variant['train_minutes']:.1f} |"
            )
    if "by_period" in results:
        models = list(results["models"])
        lines += [
            "",
            "## Test micro F1 (tuned) by release period",
            "",
            "| period | movies | " + " | ".join(models) + " |",
            "|---|---|" + "---|" * len(models),
        ]
        for period in results["by_period"]:
            figures = " | ".join(f"{period['micro_f1_tuned'][m]:.3f}" for m in models)
            lines.append(f"| {period['period']} | {period['movies']} | {figures} |")
    lines += ["", f"![precision-recall curves]({CURVES_FILE})", ""]
    return "\n".join(lines)
