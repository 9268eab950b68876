"""A catalogue job's results, merged in input order into the records a local --file run writes.

The ResultWriter leaves a manifest.json that lists result files by status (SUCCEEDED, FAILED,
PENDING); each file is a JSON array with one record per child workflow: its batch (Input, a JSON
string of {"Items": [{"index", "movie"}, ...]}) and the function's answer (Output, for EXPRESS
children), or its Error and Cause. Every row of the catalogue gets a record: scored, refused by
the function (the row's own problem: `error`, as --file's skipped rows), or failed (its batch
failed, or never ran: `error` says which). Nothing is dropped.

Rows wait in a SQLite file, not in memory, so that a catalogue of millions of rows merges in
bounded memory; only one result file is read at a time.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genre_model.movie_fields import TITLE_FIELD, description_field, named_fields
from movie_classifier.batch import Row, result_record, write_records
from movie_classifier.catalogue_job import Execution, quoted
from movie_classifier.classifier import Classified
from movie_classifier.errors import JobFailed
from movie_classifier.s3_location import S3Location
from movie_classifier.s3_objects import read_json

SCORED, REFUSED, FAILED = 0, 1, 2  # what became of a row
# Failed and pending batches first: a row that a redrive then scored ends up scored.
STATUSES = ("FAILED", "PENDING", "SUCCEEDED")
NOT_RUN = "not run: the job ended before this row was scored"
PENDING_RUN = "not run: its batch was pending when the job ended"
SHOWN_PROBLEMS = 10


@dataclass
class Summary:
    """How many rows became what, and the first problems, in row order."""

    total: int = 0
    scored: int = 0
    refused: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)

    def tally(self, rows: Iterable[tuple[int, dict[str, Any]]]) -> Iterator[dict[str, Any]]:
        """Pass rows' records on, counting them."""
        for kind, record in rows:
            if kind == SCORED:
                self.scored += 1
                yield record
                continue
            if kind == REFUSED:
                self.refused += 1
            else:
                self.failed += 1
            if len(self.problems) < SHOWN_PROBLEMS:
                how = "skipped" if kind == REFUSED else "failed"
                self.problems.append(f"row {record['row']} {how}: {record['error']}")
            yield record


class RowStore:
    """Rows' records by index, on disk; a later record for the same row replaces the earlier."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute("CREATE TABLE rows (idx INTEGER PRIMARY KEY, kind INTEGER, record TEXT)")

    def add(self, rows: Iterable[tuple[int, int, dict[str, Any]]]) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO rows VALUES (?, ?, ?)",
                ((index, kind, json.dumps(record)) for index, kind, record in rows),
            )

    def count(self) -> int:
        """One more than the highest index stored (0 when empty)."""
        (highest,) = self.db.execute("SELECT MAX(idx) FROM rows").fetchone()
        return 0 if highest is None else int(highest) + 1

    def labels(self) -> list[str]:
        """The score columns: the genres of any scored row."""
        found = self.db.execute(f"SELECT record FROM rows WHERE kind = {SCORED} LIMIT 1").fetchone()
        return list(json.loads(found[0])["scores"]) if found else []

    def in_order(self, total: int) -> Iterator[tuple[int, dict[str, Any]]]:
        """Every row from 0 to total - 1: its record, or one that says it was not run."""
        expected = 0
        for index, kind, text in self.db.execute("SELECT idx, kind, record FROM rows ORDER BY idx"):
            for missing in range(expected, index):
                yield FAILED, result_record(Row(missing + 1, "", ""), NOT_RUN)
            yield kind, json.loads(text)
            expected = index + 1
        for missing in range(expected, total):
            yield FAILED, result_record(Row(missing + 1, "", ""), NOT_RUN)

    def close(self) -> None:
        self.db.close()


def collect(s3: Any, execution: Execution, output: Path, work_dir: Path) -> Summary:
    """Write the job's rows to output (.jsonl or .csv), in input order; what became of them."""
    with closing(RowStore(work_dir / "rows.sqlite")) as store:
        manifest_at = execution.manifest()
        if manifest_at is not None:
            for result_file, status in result_files(s3, manifest_at):
                records = read_json(s3, result_file, JobFailed)
                for record in records if isinstance(records, list) else []:
                    store.add(batch_rows(record, status))
        total = execution.items.total if execution.items else 0
        summary = Summary(total=max(total, store.count()))
        write_records(summary.tally(store.in_order(summary.total)), store.labels(), output)
    return summary


def result_files(s3: Any, manifest_at: S3Location) -> Iterator[tuple[S3Location, str]]:
    """The result files a manifest lists, with their status, failed ones first; none when
    the job wrote no manifest (it failed before its map run, or is still running)."""
    manifest = read_json(s3, manifest_at, JobFailed)
    if not isinstance(manifest, Mapping):
        return
    bucket = str(manifest.get("DestinationBucket") or manifest_at.bucket)
    listed = manifest.get("ResultFiles") or {}
    for status in STATUSES:
        for result_file in listed.get(status) or []:
            yield S3Location(bucket, str(result_file["Key"])), status


def batch_rows(record: Mapping[str, Any], status: str) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """A child workflow's rows: (index, what became of it, its record)."""
    try:
        items = json.loads(record["Input"])["Items"]
    except (KeyError, TypeError, ValueError):
        return  # no batch to read: its rows stay missing, and are reported as not run
    if not isinstance(items, list):
        return
    results, version, reason = _answers(record, status, len(items))
    for position, item in enumerate(items):
        index = item.get("index") if isinstance(item, Mapping) else None
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            continue
        row = Row(index + 1, *_texts(item.get("movie")))
        result = results[position] if results is not None else None
        if isinstance(result, Mapping) and "genre" in result:
            classified = Classified(
                str(result["genre"]), dict(result["scores"]), list(result["genres"]), version
            )
            yield index, SCORED, result_record(row, classified)
        elif isinstance(result, Mapping) and "error" in result:
            yield index, REFUSED, result_record(row, str(result["error"]))
        else:
            yield index, FAILED, result_record(row, reason or "the function gave no result")


def _answers(
    record: Mapping[str, Any], status: str, items: int
) -> tuple[list[Any] | None, str, str | None]:
    """The function's results for a batch, its model version, and why there are none."""
    if status == "FAILED":
        error, cause = record.get("Error") or "error", record.get("Cause") or ""
        return None, "", f"batch failed: {quoted(str(error))}: {quoted(str(cause))}"
    if status != "SUCCEEDED":
        return None, "", PENDING_RUN
    try:
        answer = json.loads(record["Output"])
        results, version = answer["results"], str(answer["model_version"])
    except (KeyError, TypeError, ValueError):
        return None, "", "the function's answer is not a catalogue answer"
    if not isinstance(results, list) or len(results) != items:
        answered = len(results) if isinstance(results, list) else "no list of"
        return None, "", f"the function answered {answered} results for {items} rows"
    return results, version, None


def _texts(movie: object) -> tuple[str, str]:
    """A row's title and description as the output shows them."""
    if not isinstance(movie, Mapping):
        return "", ""
    fields = named_fields(movie)
    description = description_field(fields)
    return _shown(fields.get(TITLE_FIELD)), _shown(fields.get(description or ""))


def _shown(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
