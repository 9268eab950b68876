"""docs/results.md and the README's results table: written from measurements, never by hand.

Each generated part sits between two markers, `<!-- begin NAME -->` and `<!-- end NAME -->`;
`make evaluate` rewrites its recipe's accuracy section and README row (record), and the
benchmarks their own sections through write_section (`make bench` serving and `make soak` memory
via bench/recorded.py, bench/catalogue_jobs.py catalogue), so that a figure quoted in the docs
has one source.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

from genre_model.text import DEFAULT_TEXT_FIELDS
from genre_training.corpus import DEFAULT_DATA_SHA256
from genre_training.errors import StepError, require_file
from genre_training.results import BASELINE_MODEL, EvaluationResults, headline, read_results

RESULTS_DOC = Path("docs") / "results.md"
README = Path("README.md")
SUMMARY_SECTION = "summary"


def markers(name: str) -> tuple[str, str]:
    return f"<!-- begin {name} -->", f"<!-- end {name} -->"


def section_of(text: str, name: str) -> str | None:
    """The text between a section's markers, or None when there is no such section."""
    begin, end = markers(name)
    match = re.search(re.escape(begin) + r"\n(.*?)" + re.escape(end), text, re.DOTALL)
    return match.group(1) if match else None


def read_section(doc: Path, name: str) -> str | None:
    return section_of(doc.read_text(encoding="utf-8"), name)


def write_section(doc: Path, name: str, body: str) -> None:
    """Replace a section's text, or add the section at the end of the document."""
    begin, end = markers(name)
    text = doc.read_text(encoding="utf-8") if doc.is_file() else ""
    block = f"{begin}\n{body.rstrip()}\n{end}"
    if section_of(text, name) is None:
        text = f"{text.rstrip()}\n\n{block}\n" if text else f"{block}\n"
    else:
        start, stop = text.index(begin), text.index(end) + len(end)
        text = text[:start] + block + text[stop:]
    doc.write_text(text, encoding="utf-8")


def accuracy_section(report: str, recipe: str, when: datetime) -> str:
    """An evaluation's report.md, its headings one level down, under a heading of its own."""
    body = report.split("\n", 1)[1] if report.startswith("# ") else report
    body = re.sub(r"^(#+) ", r"#\1 ", body, flags=re.MULTILINE)
    return f"## Accuracy: the `{recipe}` recipe ({when:%Y-%m-%d}, `make evaluate`)\n{body}"


def summary_row(results: EvaluationResults, recipe: str) -> str:
    model = headline(results)
    baseline = headline(results, BASELINE_MODEL)
    return (
        f"| `{recipe}` | {model['test_micro_f1_tuned']:.3f} | {model['test_macro_f1_tuned']:.3f} "
        f"| {baseline['test_micro_f1_tuned']:.3f} |"
    )


def update_summary(readme: Path, row: str) -> None:
    """Put row in the README's results table, replacing the row of the same recipe."""
    table = read_section(readme, SUMMARY_SECTION)
    if table is None:
        raise StepError(f"{readme} has no {markers(SUMMARY_SECTION)[0]} section for the results")
    key = row.split("|")[1]
    lines = table.splitlines()
    same = [i for i, line in enumerate(lines) if line.split("|")[1:2] == [key]]
    if same:
        lines[same[0]] = row
    else:
        lines.append(row)
    write_section(readme, SUMMARY_SECTION, "\n".join(lines))


def unpublished(results: EvaluationResults) -> str | None:
    """Why an evaluation is not one of the figures the docs publish, or None when it is: those
    are of the repository's data, read as the recipes read it, without users' corrections."""
    if results["data_sha256"] != DEFAULT_DATA_SHA256:
        return f"trained on other data (sha256 {results['data_sha256']})"
    if results.get("feedback"):
        return "trained with users' corrections"
    if results["text_fields"] != DEFAULT_TEXT_FIELDS:
        return f"the model reads {results['text_fields']}, not {DEFAULT_TEXT_FIELDS}"
    return None


def record(
    eval_dir: Path, recipe: str, results_doc: Path = RESULTS_DOC, readme: Path = README
) -> None:
    """Write an evaluation (evaluate's output folder) into the results document, with its
    precision-recall curves beside it, and into the README's table."""
    from genre_training.evaluate import CURVES_FILE, REPORT_FILE

    results = read_results(eval_dir)
    report = require_file(eval_dir / REPORT_FILE, "movie-genre-train evaluate").read_text()
    curves = f"{Path(CURVES_FILE).stem}-{recipe}.png"
    if (eval_dir / CURVES_FILE).is_file():
        shutil.copyfile(eval_dir / CURVES_FILE, results_doc.parent / curves)
    report = report.replace(f"]({CURVES_FILE})", f"]({curves})")
    when = datetime.now(UTC)
    write_section(results_doc, f"accuracy-{recipe}", accuracy_section(report, recipe, when))
    update_summary(readme, summary_row(results, recipe))
