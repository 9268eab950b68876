"""--file: classify a CSV of movies in chunks, with a bounded number of requests in flight.

Every row gets a record, in input order: scored, or refused with its own `error` (the API's
rules, checked here with the API's own definition, genre_model.movie_fields, in every mode; a
chunk the API still refuses is sent again one row at a time, so that a rule of the server's alone
also lands on its row). A request that fails as a whole (no answer, 5xx or throttling past the
retries, 401/403) stops the run: the rows scored so far are kept, the others marked not run.
"""

from __future__ import annotations

import csv
import json
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from genre_model.atomic_files import atomic_text
from genre_model.movie_fields import description_field, movie_problem
from movie_classifier.classifier import Classified, Classifier, Movie
from movie_classifier.errors import ClassifierError, FileProblem, RefusedInput, UsageProblem

OUTPUT_FORMATS = (".jsonl", ".csv")
# OWASP's CSV injection rule: a spreadsheet runs a cell that begins with one of these as a
# formula; a single quote before it makes it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISED = "'"


@dataclass(frozen=True)
class Row:
    number: int  # 1-based data row in the input file
    title: str
    description: str

    @property
    def movie(self) -> Movie:
        """The movie as every mode sends it: its texts stripped."""
        return Movie(self.title.strip(), self.description.strip())

    def problem(self) -> str | None:
        """Why the API would refuse the row (its limits, one definition), or None."""
        movie = self.movie
        return movie_problem(movie.title, movie.description)


@dataclass(frozen=True)
class Outcome:
    """One result per row, in input order (a Classified, or why the row has none), and the
    failure that stopped the run before every row was sent, if one did."""

    results: list[Classified | str]
    stopped: ClassifierError | None = None
    not_run: frozenset[int] = frozenset()  # the rows' positions the failure left unsent


def read_rows(path: Path) -> list[Row]:
    """The movies of a CSV, or the error that says why there are none (read_records)."""
    text_column, records = read_records(path)
    return [
        Row(number, record.get("title") or "", record.get(text_column) or "")
        for number, record in records
    ]


def read_records(
    path: Path, extra: Sequence[str] = ()
) -> tuple[str, list[tuple[int, dict[str, str]]]]:
    """A CSV's description column and its data rows (1-based number, record), or the error that
    says why there are none: a file that does not exist is a usage error; one that cannot be
    read, is empty or lacks the columns (title, description or overview, and extra), a
    FileProblem."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as stream:
            reader = csv.DictReader(stream)
            columns = reader.fieldnames
            if not columns:
                raise FileProblem(f"{path} is empty: it needs a header line and movies")
            text_column = description_field(columns)
            missing = [c for c in ("title", *extra) if c not in columns]
            if missing or text_column is None:
                needed = "".join(f" and a {c!r} column" for c in extra)
                raise FileProblem(
                    f"{path} needs a 'title' column and a 'description' (or 'overview') column"
                    f"{needed}; it has {columns}"
                )
            records = list(enumerate(reader, start=1))
    except FileNotFoundError as error:
        raise UsageProblem(f"cannot read {path}: no such file") from error
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise FileProblem(f"cannot read {path}: {error}") from error
    if not records:
        raise FileProblem(f"{path} is empty: it has a header line but no movies")
    return text_column, records


def classify_rows(
    rows: Sequence[Row],
    classifier: Classifier,
    *,
    chunk_size: int,
    concurrency: int,
    progress: Callable[[int], None],
) -> Outcome:
    """Every row's result, or as many as were scored before a failure stopped the run."""
    results: list[Classified | str] = [""] * len(rows)
    valid = []
    for index, row in enumerate(rows):
        problem = row.problem()
        if problem:
            results[index] = problem
        else:
            valid.append(index)
    if len(valid) < len(rows):
        progress(len(rows) - len(valid))

    def one_by_one(indexes: list[int]) -> list[Classified | str]:
        """A refused chunk's rows, each alone: the ones the API refuses get its words."""
        answers: list[Classified | str] = []
        for index in indexes:
            try:
                answers.extend(classifier.classify([rows[index].movie]))
            except RefusedInput as refusal:
                answers.append(f"refused by the API: {refusal.reason}")
        return answers

    def run(indexes: list[int]) -> tuple[list[int], list[Classified | str]]:
        try:
            return indexes, list(classifier.classify([rows[i].movie for i in indexes]))
        except RefusedInput as refusal:
            if len(indexes) == 1:
                return indexes, [f"refused by the API: {refusal.reason}"]
            return indexes, one_by_one(indexes)

    chunks = iter([valid[start : start + chunk_size] for start in range(0, len(valid), chunk_size)])
    pool = ThreadPoolExecutor(max_workers=concurrency)
    # At most `concurrency` chunks in flight, answered in input order; a new one is sent as one
    # is answered, so that after a failure no more than those in flight have been sent.
    in_flight: deque[Future[tuple[list[int], list[Classified | str]]]] = deque()
    stopped: ClassifierError | None = None
    try:
        while True:
            while len(in_flight) < concurrency and (chunk := next(chunks, None)) is not None:
                in_flight.append(pool.submit(run, chunk))
            if not in_flight:
                break
            indexes, answers = in_flight.popleft().result()
            for index, answer in zip(indexes, answers, strict=True):
                results[index] = answer
            progress(len(indexes))
    except ClassifierError as error:
        stopped = error
    finally:
        pool.shutdown(wait=True)
    if stopped is None:
        return Outcome(results)
    _keep_finished(in_flight, results)
    left = frozenset(index for index, result in enumerate(results) if not result)
    for index in left:
        results[index] = f"not run: the run stopped ({stopped.message})"
    return Outcome(results, stopped, left)


def _keep_finished(
    futures: Sequence[Future[tuple[list[int], list[Classified | str]]]],
    results: list[Classified | str],
) -> None:
    """The chunks in flight that were answered after the failure, kept."""
    for future in futures:
        if future.done() and not future.cancelled() and future.exception() is None:
            indexes, answers = future.result()
            for index, answer in zip(indexes, answers, strict=True):
                results[index] = answer


def check_output(output: Path) -> None:
    """A local --output: a .jsonl or .csv file in a folder that exists (refused, not made: a
    mistyped folder would otherwise become a new tree of folders, where a shell's > refuses)."""
    if output.suffix not in OUTPUT_FORMATS:
        raise UsageProblem(f"--output must end in {' or '.join(OUTPUT_FORMATS)}: {output}")
    if not output.parent.is_dir():
        raise UsageProblem(f"--output {output}: the folder {output.parent} does not exist")


def write_results(
    rows: Sequence[Row],
    results: Sequence[Classified | str],
    output: Path,
    *,
    raw_csv: bool = False,
) -> None:
    """One record per row, in the format output's suffix names."""
    records = (result_record(row, result) for row, result in zip(rows, results, strict=True))
    write_records(records, _labels(results), output, raw_csv=raw_csv)


def write_records(
    records: Iterable[dict[str, Any]], labels: list[str], output: Path, *, raw_csv: bool = False
) -> None:
    """Records (result_record's) to output, in the format its suffix names, all or nothing;
    labels: the score columns of a CSV; raw_csv: text cells as they are, formulas included.
    records may be a generator: nothing is held."""
    check_output(output)

    try:
        with atomic_text(output, newline="") as stream:
            if output.suffix == ".jsonl":
                _write_jsonl(records, stream)
            else:
                _write_csv(records, labels, stream, raw=raw_csv)
    except OSError as error:
        raise FileProblem(f"cannot write {output}: {error.strerror or error}") from error


def _labels(results: Iterable[Classified | str]) -> list[str]:
    """The score columns: every genre any row was scored for, in the order first seen."""
    found: dict[str, None] = {}
    for result in results:
        if isinstance(result, Classified):
            found.update(dict.fromkeys(result.scores))
    return list(found)


def _write_jsonl(records: Iterable[dict[str, Any]], stream: IO[str]) -> None:
    for record in records:
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")


def neutralised(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, made text (OWASP: a single quote
    before it); anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return NEUTRALISED + value
    return value


def unneutralised(value: str) -> str:
    """A cell of an --output CSV as it was before neutralised() (for files read back)."""
    if value.startswith(NEUTRALISED) and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _write_csv(
    records: Iterable[dict[str, Any]], labels: list[str], stream: IO[str], *, raw: bool
) -> None:
    columns = [
        "row",
        "title",
        "description",
        "genre",
        "genres",
        "model_version",
        *(f"score_{label}" for label in labels),
        "error",
    ]
    writer = csv.DictWriter(stream, fieldnames=columns)
    writer.writeheader()
    for record in records:
        scores = record.pop("scores", {})
        record["genres"] = ";".join(record.get("genres", []))
        if not raw:
            record = {name: neutralised(value) for name, value in record.items()}
        writer.writerow(record | {f"score_{k}": v for k, v in scores.items()})


def result_record(row: Row, result: Classified | str) -> dict[str, Any]:
    """A row's output record: its text and scores, or the reason it has none (error)."""
    record: dict[str, Any] = {"row": row.number, "title": row.title, "description": row.description}
    if isinstance(result, str):
        return record | {"error": result}
    return record | {
        "genre": result.genre,
        "genres": result.genres,
        "scores": result.scores,
        "model_version": result.model_version,
    }
