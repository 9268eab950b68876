"""--file: classify a CSV of movies in chunks, with a bounded number of requests in flight."""

from __future__ import annotations

import csv
import json
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from genre_model.movie_fields import description_field
from movie_classifier.classifier import Classified, Classifier, Movie
from movie_classifier.errors import FileProblem, UsageProblem

OUTPUT_FORMATS = (".jsonl", ".csv")
NEW_FILE_MODE = 0o666  # less the umask, as for any file a program creates (0644 under 022)


@dataclass(frozen=True)
class Row:
    number: int  # 1-based data row in the input file
    title: str
    description: str

    def problem(self) -> str | None:
        missing = [name for name in ("title", "description") if not getattr(self, name).strip()]
        return f"empty {' and '.join(missing)}" if missing else None


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
) -> list[Classified | str]:
    """One result per row, in input order: a Classified, or the reason the row was skipped."""
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

    def run(indexes: list[int]) -> tuple[list[int], list[Classified]]:
        movies = [Movie(rows[i].title.strip(), rows[i].description.strip()) for i in indexes]
        return indexes, classifier.classify(movies)

    index_chunks = [valid[start : start + chunk_size] for start in range(0, len(valid), chunk_size)]
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        # map() keeps at most `concurrency` chunks in flight and yields them in order.
        for indexes, classified in pool.map(run, index_chunks):
            for index, result in zip(indexes, classified, strict=True):
                results[index] = result
            progress(len(indexes))
    return results


def check_output(output: Path) -> None:
    if output.suffix not in OUTPUT_FORMATS:
        raise UsageProblem(f"--output must end in {' or '.join(OUTPUT_FORMATS)}: {output}")


def write_results(rows: Sequence[Row], results: Sequence[Classified | str], output: Path) -> None:
    """One record per row, in the format output's suffix names."""
    records = (result_record(row, result) for row, result in zip(rows, results, strict=True))
    write_records(records, _labels(results), output)


def write_records(records: Iterable[dict[str, Any]], labels: list[str], output: Path) -> None:
    """Records (result_record's) to output, in the format its suffix names, all or nothing;
    labels: the score columns of a CSV. records may be a generator: nothing is held."""
    check_output(output)

    def write(stream: IO[str]) -> None:
        if output.suffix == ".jsonl":
            _write_jsonl(records, stream)
        else:
            _write_csv(records, labels, stream)

    try:
        _write_atomically(output, write)
    except OSError as error:
        raise FileProblem(f"cannot write {output}: {error.strerror or error}") from error


def _write_atomically(output: Path, write: Callable[[IO[str]], None]) -> None:
    """Write through a temporary file beside output: a failed run leaves no half-written file.

    A new file gets the mode any new file gets (0666 less the umask); a file replaced keeps its
    mode, as a shell's `>` would.
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    kept_mode = output.stat().st_mode & 0o777 if output.exists() else None
    temporary = output.parent / f".{output.name}.{secrets.token_hex(4)}.tmp"
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, NEW_FILE_MODE)
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as stream:
            if kept_mode is not None:
                os.fchmod(stream.fileno(), kept_mode)
            write(stream)
        os.replace(temporary, output)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _labels(results: Iterable[Classified | str]) -> list[str]:
    return next((list(r.scores) for r in results if isinstance(r, Classified)), [])


def _write_jsonl(records: Iterable[dict[str, Any]], stream: IO[str]) -> None:
    for record in records:
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")


def _write_csv(records: Iterable[dict[str, Any]], labels: list[str], stream: IO[str]) -> None:
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
