"""MODEL_CARD.md: the model card that `evaluate` writes and `package` puts in the artifact.

The figures are those GET /model serves from the manifest (genre_model.card), plus what only the
evaluation knows: the data, the baseline beside it, and how it does on films by release period.
"""

from __future__ import annotations

from typing import Any

from genre_model.card import held_out_metrics
from genre_training.results import (
    BASELINE_MODEL,
    SPACY_MODEL,
    EvaluationResults,
    PeriodFigures,
)

CARD_FILE = "MODEL_CARD.md"


def render_model_card(results: EvaluationResults) -> str:
    lines = [
        "# Model card: movie-genre",
        *what_it_does(results["labels"]),
        *data_section(results),
        *corrections_section(results.get("feedback")),
        *how_well_it_does(results),
        *(newer_films(results["by_period"]) if "by_period" in results else []),
        *limitations(results["labels"]),
        "",
    ]
    return "\n".join(lines)


def section(title: str, *lines: str) -> list[str]:
    """A second-level section: its heading and its lines, after a blank line."""
    return ["", f"## {title}", "", *lines]


def what_it_does(labels: list[str]) -> list[str]:
    return section(
        "What it does",
        f"Scores a movie's genres ({', '.join(labels)}) from its title and plot description, "
        "and names the most likely one. A genre is predicted when its score reaches its "
        "threshold, tuned on the validation split.",
        "",
        "**Intended use**: tagging and searching a catalogue of films, suggesting genres for a "
        "person to confirm, with English plot summaries like TMDb's. **Not for**: genres other "
        "than these, other languages, texts that are not film plots, or decisions about "
        "people.",
    )


def data_section(results: EvaluationResults) -> list[str]:
    sizes, load = results["split_sizes"], results["load"]
    return section(
        "Data",
        f"TMDb overviews and genres of the films in The Movies Dataset's id list (data sha256 "
        f"`{results['data_sha256']}`): {load['usable']} usable films of {load['rows_read']} "
        f"rows ({load['skipped_empty_text']} without an overview, {load['skipped_no_label']} "
        "with none of the genres). Random split, as the original project: train "
        f"{sizes['train']}, validation {sizes['dev']}, test {sizes['test']}. The model reads "
        f"`{results['text_fields']}`.",
    )


def corrections_section(feedback: dict[str, Any] | None) -> list[str]:
    """How many users' corrections the model learned from (`prepare --feedback`)."""
    if not feedback:
        return section("Users' corrections", "None: trained on the data's labels alone.")
    held_out = sum(feedback["held_out"].values())
    return section(
        "Users' corrections",
        f"Learned from {feedback['learned_from']} users' corrections ({feedback['source']}), "
        "the latest of each film, at most "
        f"{feedback['max_per_client']} from one client: those of training films replace their "
        f"genres ({feedback['applied']}); the others add a film to training ({feedback['added']})."
        f" Corrections of validation and test films are never applied ({held_out} held out for "
        "review), so that validation and test are the same films, with the same genres, as "
        f"without corrections. Ignored: {sum(feedback['ignored'].values())} (older corrections "
        "of the same film, over a client's cap, objects that are not corrections).",
    )


def how_well_it_does(results: EvaluationResults) -> list[str]:
    """The model's test figures, at 0.5 and tuned, per genre, and the other models' beside."""
    model = results["models"][SPACY_MODEL]
    figures = held_out_metrics(model["test"])
    tuned, half = figures["tuned"], figures["at_0.5"]
    return section(
        f"How well it does (test split, {tuned['movies']} films)",
        "| thresholds | micro F1 | macro F1 |",
        "|---|---|---|",
        f"| 0.5 | {half['micro_f1']:.3f} | {half['macro_f1']:.3f} |",
        f"| tuned on validation | {tuned['micro_f1']:.3f} | {tuned['macro_f1']:.3f} |",
        "",
        "| genre | threshold | precision | recall | F1 |",
        "|---|---|---|---|---|",
        *(
            f"| {genre} | {model['tuned_thresholds'][genre]:.2f} | {scores['precision']:.3f} "
            f"| {scores['recall']:.3f} | {scores['f1']:.3f} |"
            for genre, scores in tuned["per_genre"].items()
        ),
        "",
        "Beside it, on the same split (micro F1, tuned):",
        "",
        *(
            f"- {name}: {by_split['test']['tuned']['micro']['f1']:.3f}"
            + (" (TF-IDF + logistic regression baseline)" if name == BASELINE_MODEL else "")
            for name, by_split in results["models"].items()
            if name != SPACY_MODEL
        ),
    )


def newer_films(periods: list[PeriodFigures]) -> list[str]:
    return section(
        "Newer films",
        "Test micro F1 (tuned) by release year. The split is random, so every period is "
        "also in training; the newest films are the ones a catalogue adds, and the fewest.",
        "",
        "| released | films | this model | TF-IDF baseline |",
        "|---|---|---|---|",
        *(
            f"| {p['period']} | {p['movies']} | {p['micro_f1_tuned'][SPACY_MODEL]:.3f} "
            f"| {p['micro_f1_tuned'][BASELINE_MODEL]:.3f} |"
            for p in periods
        ),
    )


def limitations(labels: list[str]) -> list[str]:
    return section(
        "Limitations",
        f"- Only {len(labels)} genres: a horror film or a documentary gets the nearest of "
        "these, never its own genre.",
        "- English only: the training text is TMDb's English overviews.",
        "- The truth is TMDb's genre lists, which are uneven (a film often lacks a genre it "
        "plausibly has); precision and recall above are measured against them.",
        "- The most likely genre is always one of these genres, even for a text that is not a "
        "film plot: check the scores, not only the top genre.",
        "- Thresholds were tuned for the best F1 per genre on validation; other trade-offs "
        "(fewer false genres) need other thresholds.",
    )
