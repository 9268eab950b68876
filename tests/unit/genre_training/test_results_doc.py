import json
from pathlib import Path
from typing import Any

import pytest

from genre_training.corpus import DEFAULT_DATA_SHA256
from genre_training.errors import StepError
from genre_training.results_doc import (
    accuracy_section,
    read_section,
    record,
    unpublished,
    update_summary,
    write_section,
)


def reports(micro: float, macro: float) -> dict[str, Any]:
    return {
        "at_0.5": {"micro": {"f1": micro - 0.03}},
        "tuned": {"micro": {"f1": micro}, "macro": {"f1": macro}},
    }


def results(micro: float) -> Any:
    return {
        "models": {
            "spacy": {"test": reports(micro, 0.64), "tuned_thresholds": {"Drama": 0.4}},
            "tfidf_logreg": {"test": reports(0.682, 0.649)},
        }
    }


README_TABLE = """# project

<!-- begin summary -->
| recipe | test micro F1, tuned | test macro F1, tuned | TF-IDF baseline |
|---|---|---|---|
| `offline` | 0.600 | 0.500 | 0.682 |
| `minilm` | 0.715 | 0.680 | 0.682 |
<!-- end summary -->

more text
"""


def test_a_section_is_added_then_replaced_in_place(tmp_path: Path) -> None:
    doc = tmp_path / "results.md"
    doc.write_text("# Results\n\nBy hand.\n")
    write_section(doc, "serving", "first")
    write_section(doc, "accuracy", "second")
    write_section(doc, "serving", "third\nlines")
    text = doc.read_text()
    assert text.startswith("# Results\n\nBy hand.\n")
    assert read_section(doc, "serving") == "third\nlines\n"
    assert read_section(doc, "accuracy") == "second\n"
    assert text.index("third") < text.index("second")
    assert "first" not in text


def test_the_readme_row_of_a_recipe_is_replaced_and_others_kept(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(README_TABLE)
    evaluated = tmp_path / "eval"
    evaluated.mkdir()
    (evaluated / "metrics.json").write_text(json.dumps(results(0.6834)))
    report = "# Evaluation report\n\n## Summary\n\n![curves](pr_curves.png)\n"
    (evaluated / "report.md").write_text(report)
    (evaluated / "pr_curves.png").write_bytes(b"\x89PNG curves")
    docs = tmp_path / "docs"
    docs.mkdir()
    record(evaluated, "offline", docs / "r.md", readme)
    table = read_section(readme, "summary")
    assert table is not None
    assert "| `minilm` | 0.715 | 0.680 | 0.682 |" in table
    assert "| `offline` | 0.683 | 0.640 | 0.682 |" in table
    assert "0.600" not in table
    assert table.index("`offline`") < table.index("`minilm`")  # replaced in place
    assert readme.read_text().endswith("more text\n")
    section = read_section(docs / "r.md", "accuracy-offline")
    assert section is not None and "### Summary" in section
    assert "![curves](pr_curves-offline.png)" in section
    assert (docs / "pr_curves-offline.png").read_bytes() == b"\x89PNG curves"


def test_a_readme_without_the_table_is_a_clear_error(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# no table here\n")
    with pytest.raises(StepError, match="no <!-- begin summary --> section"):
        update_summary(readme, "| `offline` | 1 | 1 | 1 |")


def test_the_report_goes_one_heading_level_down_under_the_recipe() -> None:
    from datetime import UTC, datetime

    section = accuracy_section(
        "# Evaluation report\n\nText.\n\n## spacy\n\n### dev\n",
        "offline",
        datetime(2026, 11, 29, tzinfo=UTC),
    )
    assert (
        section.splitlines()[0] == "## Accuracy: the `offline` recipe (2026-11-29, `make evaluate`)"
    )
    assert "### spacy" in section and "#### dev" in section
    assert "Evaluation report" not in section


def published(**changes: Any) -> Any:
    return {"data_sha256": DEFAULT_DATA_SHA256, "text_fields": "title+description", **changes}


def test_only_the_repositorys_own_figures_are_published() -> None:
    assert unpublished(published()) is None
    assert unpublished(published(feedback={})) is None  # prepare read no corrections
    assert "other data" in str(unpublished(published(data_sha256="0" * 64)))
    assert "corrections" in str(unpublished(published(feedback={"applied": 3})))
    assert "reads description" in str(unpublished(published(text_fields="description")))
