"""--file: classify a CSV of movies in chunks, with a bounded number of requests in flight."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from movie_classifier.client import Classified, Classifier, ClassifierError, Movie

DESCRIPTION_COLUMNS = ("description", "overview")  # ours, then movies_metadata.csv's
OUTPUT_FORMATS = (".jsonl", ".csv")


@dataclass(frozen=True)
class Row:
    number: int  # 1-based data row in the input file
    title: str
    description: str

    def problem(self) -> str | None:
        missing = [name for name in ("title", "description") if not getattr(self, name).strip()]
        return f"empty {' and '.join(missing)}" if missing else None


def read_rows(path: Path) -> list[Row]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as stream:
            reader = csv.DictReader(stream)
            columns = reader.fieldnames or []
            text_column = next((c for c in DESCRIPTION_COLUMNS if c in columns), None)
            if "title" not in columns or text_column is None:
                raise ClassifierError(
                    f"{path} needs a 'title' column and a 'description' (or 'overview') column; "
                    f"it has {columns}"
                )
            return [
                Row(number, record.get("title") or "", record.get(text_column) or "")
                for number, record in enumerate(reader, start=1)
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ClassifierError(f"cannot read {path}: {error}") from error


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
        raise ClassifierError(f"--output must end in {' or '.join(OUTPUT_FORMATS)}: {output}")


def write_results(rows: Sequence[Row], results: Sequence[Classified | str], output: Path) -> None:
    """Write atomically: a failed run leaves no half-written output file."""
    check_output(output)
    labels = next((list(r.scores) for r in results if isinstance(r, Classified)), [])
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as stream:
            records = (_record(row, result) for row, result in zip(rows, results, strict=True))
            if output.suffix == ".jsonl":
                for record in records:
                    stream.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
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
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _record(row: Row, result: Classified | str) -> dict:
    record: dict = {"row": row.number, "title": row.title, "description": row.description}
    if isinstance(result, str):
        return record | {"error": result}
    return record | {
        "genre": result.genre,
        "genres": result.genres,
        "scores": result.scores,
        "model_version": result.model_version,
    }
