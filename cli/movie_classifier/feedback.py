"""--genres and --corrections: send corrections (a movie's right genres) to POST /feedback.

A correction names the full set of right genres; an empty set means "none of these". A CSV of
corrections has title, description (or overview) and genres columns; a genres cell is names
separated by commas or semicolons ("Comedy; Romance"), or The Movies Dataset's list of dicts.
The CSV that --file --output writes can come back here once its genres column is fixed: its
model_version and score_<genre> columns go along as what the user saw.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from genre_model.corrections import genre_names
from genre_model.terminal import printable, printable_json
from movie_classifier.batch import read_records, unneutralised
from movie_classifier.errors import RefusedInput, UsageProblem
from movie_classifier.http_api import HttpClassifier

SCORE_PREFIX = "score_"  # the score columns of --output's CSV
SHOWN_FAILURES = 10  # rows not saved that the summary names


@dataclass(frozen=True)
class CorrectionRow:
    """One row of a corrections CSV: what goes to POST /feedback, or why it cannot."""

    number: int  # 1-based data row
    title: str
    body: dict[str, Any] | None
    problem: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What became of one correction: the id it was stored under, or why it was not."""

    row: CorrectionRow
    id: str | None = None
    problem: str | None = None


def correction_body(
    title: str,
    description: str,
    genres: Sequence[str],
    model_version: str | None = None,
    scores: dict[str, float] | None = None,
) -> dict[str, Any]:
    """POST /feedback's body: the optional fields only when there is something to say."""
    body: dict[str, Any] = {
        "title": title.strip(),
        "description": description.strip(),
        "genres": list(genres),
    }
    if model_version:
        body["model_version"] = model_version
    if scores:
        body["scores"] = scores
    return body


def genres_option(value: str) -> list[str]:
    """--genres "Comedy,Romance" as names; "" is "none of these"."""
    names = genre_names(value)
    if names is None:
        raise UsageProblem(
            f"--genres {value!r} is not genre names separated by commas (e.g. Comedy,Romance)"
        )
    return names


def read_corrections(path: Path) -> list[CorrectionRow]:
    """The corrections of a CSV; a row that cannot be sent says why (it is not sent)."""
    text_column, records = read_records(path, extra=("genres",))
    rows = []
    for number, record in records:
        # --output's CSV read back: its neutralised cells as they were.
        title = unneutralised(record.get("title") or "").strip()
        description = unneutralised(record.get(text_column) or "").strip()
        cell = record.get("genres") or ""
        genres = genre_names(cell)
        problem = _problem(title, description, cell, genres)
        scores, bad_score = _scores(record)
        problem = problem or bad_score
        body = (
            None
            if problem or genres is None
            else correction_body(title, description, genres, record.get("model_version"), scores)
        )
        rows.append(CorrectionRow(number, title, body, problem))
    return rows


def _problem(title: str, description: str, cell: str, genres: list[str] | None) -> str | None:
    missing = [
        name for name, value in (("title", title), ("description", description)) if not value
    ]
    if missing:
        return f"empty {' and '.join(missing)}"
    if genres is None:
        return f"genres {cell[:60]!r} is neither names separated by , or ; nor a list of dicts"
    return None


def _scores(record: dict[str, str]) -> tuple[dict[str, float] | None, str | None]:
    """The score_<genre> columns of --output's CSV, when filled in."""
    scores = {}
    for column, value in record.items():
        if isinstance(column, str) and column.startswith(SCORE_PREFIX) and value:
            try:
                score = float(value)
            except ValueError:
                score = math.nan
            if not 0.0 <= score <= 1.0:
                return None, f"{column} {value[:20]!r} is not a score between 0 and 1"
            scores[column.removeprefix(SCORE_PREFIX)] = score
    return scores or None, None


def send_corrections(
    api: HttpClassifier,
    rows: Sequence[CorrectionRow],
    *,
    concurrency: int,
    progress: Callable[[int], None],
) -> list[Outcome]:
    """POST each row that can be sent, at most `concurrency` at once; one Outcome per row, in
    order. A row the API refuses (400, 413, 422) fails alone; any other failure (no bucket, IAM,
    the network) is the same for every row and stops the run."""

    def send(row: CorrectionRow) -> Outcome:
        if row.body is None:
            return Outcome(row, problem=row.problem)
        try:
            return Outcome(row, id=api.send_correction(row.body))
        except RefusedInput as error:
            return Outcome(row, problem=error.message)

    outcomes = []
    pool = ThreadPoolExecutor(max_workers=concurrency)
    try:
        for outcome in pool.map(send, rows):
            outcomes.append(outcome)
            progress(1)
    finally:
        # After a failure that stops the run, the rows not yet sent are not sent.
        pool.shutdown(cancel_futures=True)
    return outcomes


def check_usage(
    *,
    title: str | None,
    description: str | None,
    genres: str | None,
    corrections: Path | None,
    input_file: Path | None,
    output: Path | None,
    explain: int | None,
) -> None:
    """The options that go with a correction: one movie and --genres, or --corrections alone."""
    if input_file is not None or output is not None or explain:
        raise click.UsageError(
            "--genres and --corrections send corrections: not with --file, --output or --explain"
        )
    if corrections is not None:
        if genres is not None or title or description:
            raise click.UsageError(
                "give either --corrections FILE or --title/--description/--genres, not both"
            )
        return
    for name, value in (("--title", title), ("--description", description)):
        if value is None:
            raise click.UsageError(f"Missing option '{name}' (--genres corrects one movie).")


def send_one(
    api: HttpClassifier, title: str, description: str, names: list[str], *, as_json: bool
) -> None:
    """Send one correction; print the id it was stored under."""
    identifier = api.send_correction(correction_body(title, description, names))
    if as_json:
        click.echo(printable_json({"id": identifier, "title": title, "genres": names}))
    else:
        said = ", ".join(names) or "none of these"
        click.echo(printable(f"saved correction {identifier}: {title!r} -> {said}"))


def send_file(
    api: HttpClassifier,
    rows: Sequence[CorrectionRow],
    path: str,
    *,
    concurrency: int,
    as_json: bool,
) -> None:
    """Send a CSV's corrections; say how many were saved, and why any were not. Any row not
    saved makes the command fail (exit code 6), once every other row was sent."""
    with click.progressbar(length=len(rows), label="sending", file=sys.stderr) as bar:
        outcomes = send_corrections(api, rows, concurrency=concurrency, progress=bar.update)
    if as_json:
        for outcome in outcomes:
            result = {"id": outcome.id} if outcome.id else {"error": outcome.problem}
            record = {"row": outcome.row.number, "title": outcome.row.title, **result}
            click.echo(printable_json(record))
    failed = [outcome for outcome in outcomes if outcome.id is None]
    saved = f"{len(rows) - len(failed)} of {len(rows)} corrections saved to {api.endpoint}"
    click.echo(printable(saved), err=True)
    for outcome in failed[:SHOWN_FAILURES]:
        click.echo(printable(f"  row {outcome.row.number} not saved: {outcome.problem}"), err=True)
    if len(failed) > SHOWN_FAILURES:
        click.echo(f"  ... and {len(failed) - SHOWN_FAILURES} more rows not saved", err=True)
    if failed:
        raise RefusedInput(f"{len(failed)} of {len(rows)} corrections in {path} were not saved")
