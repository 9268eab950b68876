"""A catalogue job's results, merged in input order into the records a local --file run writes.

The ResultWriter leaves a manifest.json that lists result files by status (SUCCEEDED, FAILED,
PENDING); each file is a JSON array with one record per child workflow: its batch (Input, a JSON
string of {"Items": [{"index", "movie"}, ...]}) and the function's answer (Output, for EXPRESS
children), or its Error and Cause. Every row of the catalogue gets a record: scored, refused by
the function (the row's own problem: `error`, as --file's skipped rows), or failed (its batch
failed, never ran, or its result could not be read: `error` says which). Nothing is dropped.

Nothing read is trusted: only the manifest and result files under the job's own results location
are read (a manifest that names another bucket or prefix is refused), an item's index must name
a row of the catalogue, and a file, record or result that is not what the ResultWriter and the
function write fails the rows it would have given, with `error`, never the merge.

Rows wait in a SQLite file, not in memory, and each result file is read as a stream, one record
at a time (json_stream), so that a catalogue of millions of rows merges in bounded memory.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from genre_model.movie_fields import TITLE_FIELD, description_field, named_fields
from movie_classifier.batch import Row, result_record, write_records
from movie_classifier.catalogue_job import Execution, quoted
from movie_classifier.classifier import classified_from
from movie_classifier.constants import SHOWN_PROBLEMS
from movie_classifier.json_stream import Malformed, array_items
from movie_classifier.s3_location import S3Location
from movie_classifier.s3_objects import Absent, object_chunks

SCORED, REFUSED, FAILED = 0, 1, 2  # what became of a row
# Failed and pending batches first: a row that a redrive then scored ends up scored.
STATUSES = ("FAILED", "PENDING", "SUCCEEDED")
NOT_RUN = "not run: the job ended before this row was scored"
PENDING_RUN = "not run: its batch was pending when the job ended"
NO_RESULT = "the function's result for this row is not a catalogue result"
# A child's input and output are at most 256 KiB each: a record, escaped, is far below this.
MAX_RECORD_CHARS = 8 * 2**20
MAX_MANIFEST_BYTES = 16 * 2**20
MANIFEST_NAME = "manifest.json"
# Genres a job's rows may be scored for in all: each is a column of a CSV output.
MAX_LABELS = 64


@dataclass
class Summary:
    """How many rows became what, and the first problems, in row order."""

    total: int = 0
    scored: int = 0
    refused: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)  # the first rows not scored
    notes: list[str] = field(default_factory=list)  # what the merge refused to read

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

    def rows_from(self, start: int) -> int:
        """How many rows have an index of start or more."""
        (found,) = self.db.execute("SELECT COUNT(*) FROM rows WHERE idx >= ?", (start,)).fetchone()
        return int(found)

    def count(self) -> int:
        """One more than the highest index stored (0 when empty)."""
        (highest,) = self.db.execute("SELECT MAX(idx) FROM rows").fetchone()
        return 0 if highest is None else int(highest) + 1

    def in_order(self, total: int, missing: str) -> Iterator[tuple[int, dict[str, Any]]]:
        """Every row from 0 to total - 1: its record, or one that says why it has none."""
        expected = 0
        query = "SELECT idx, kind, record FROM rows WHERE idx < ? ORDER BY idx"
        for index, kind, text in self.db.execute(query, (total,)):
            for absent in range(expected, index):
                yield FAILED, result_record(Row(absent + 1, "", ""), missing)
            yield kind, json.loads(text)
            expected = index + 1
        for absent in range(expected, total):
            yield FAILED, result_record(Row(absent + 1, "", ""), missing)

    def close(self) -> None:
        self.db.close()


@dataclass
class Merge:
    """What reading a job's results found beyond its rows: the catalogue's row count (None:
    unknown, then the rows the batches held), items that named no row of it, the score
    genres scored (the CSV's score columns: every batch's, should the model change mid-job), and
    the files that could not be read."""

    total: int | None
    items: int = 0
    outside: int = 0
    labels: dict[str, None] = field(default_factory=dict)  # in the order first seen
    unread: list[str] = field(default_factory=list)

    def within(self, index: object) -> int | None:
        """An item's index, when it names a row of the catalogue."""
        if not isinstance(index, int) or isinstance(index, bool):
            return None
        if index < 0 or index >= (self.total if self.total is not None else 2**62):
            self.outside += 1
            return None
        return index

    def missing_reason(self) -> str:
        """The error of a row that no result names."""
        if not self.unread:
            return NOT_RUN
        more = f" (and {len(self.unread) - 1} more)" if len(self.unread) > 1 else ""
        return f"no result read: {self.unread[0]}{more}"


def collect(
    s3: Any, execution: Execution, output: Path, work_dir: Path, *, raw_csv: bool = False
) -> Summary:
    """Write the job's rows to output (.jsonl or .csv), in input order; what became of them."""
    merge = Merge(execution.items.total if execution.items else None)
    with closing(RowStore(work_dir / "rows.sqlite")) as store:
        manifest_at = execution.manifest()
        if manifest_at is not None:
            for result_file, status in result_files(s3, manifest_at, execution.job.results, merge):
                read_result_file(s3, result_file, status, merge, store)
        total = merge.total
        if total is None:  # no map run counted them: the batches' items say how many there are
            total = min(store.count(), merge.items)
            merge.outside += store.rows_from(total)
        summary = Summary(total=total)
        rows = store.in_order(total, merge.missing_reason())
        write_records(summary.tally(rows), list(merge.labels), output, raw_csv=raw_csv)
    if merge.outside:
        summary.notes.append(
            f"{merge.outside} result items named no row of the catalogue's {total}: ignored"
        )
    summary.notes.extend(f"not read: {reason}" for reason in merge.unread[:SHOWN_PROBLEMS])
    return summary


def read_result_file(
    s3: Any, location: S3Location, status: str, merge: Merge, store: RowStore
) -> None:
    """A result file's records into store, one at a time; a fault ends the file there, and the
    rows of its records not read stay without a result."""
    try:
        for record in array_items(object_chunks(s3, location), MAX_RECORD_CHARS):
            store.add(batch_rows(record, status, merge))
    except Absent:
        merge.unread.append(f"{location} is listed in the manifest but does not exist")
    except Malformed as error:
        merge.unread.append(f"{location} is not a ResultWriter file ({error})")


def result_files(
    s3: Any, manifest_at: S3Location, results: S3Location, merge: Merge
) -> Iterator[tuple[S3Location, str]]:
    """The result files a manifest lists, with their status, failed ones first; none when the
    job wrote no manifest (it failed before its map run, or is still running), or when the
    manifest, or a file it lists, is not under the job's own results location."""
    folder = f"{results.key}/"
    if (
        manifest_at.bucket != results.bucket
        or not manifest_at.key.startswith(folder)
        or manifest_at.name != MANIFEST_NAME
    ):
        merge.unread.append(
            f"the job's manifest {manifest_at} is not under its results location "
            f"s3://{results.bucket}/{folder}: refused"
        )
        return
    manifest = _read_manifest(s3, manifest_at, merge)
    if manifest is None:
        return
    run_folder = manifest_at.key[: -len(MANIFEST_NAME)]
    named = manifest.get("DestinationBucket", manifest_at.bucket)
    if named != manifest_at.bucket:
        merge.unread.append(
            f"{manifest_at} names bucket {quoted(str(named))}, not the job's: its files refused"
        )
        return
    listed = manifest.get("ResultFiles")
    listed = listed if isinstance(listed, Mapping) else {}
    for status in STATUSES:
        entries = listed.get(status)
        for entry in entries if isinstance(entries, list) else []:
            key = entry.get("Key") if isinstance(entry, Mapping) else None
            if isinstance(key, str) and key.startswith(run_folder) and ".." not in key.split("/"):
                yield S3Location(manifest_at.bucket, key), status
            else:
                merge.unread.append(
                    f"{manifest_at} lists {quoted(str(key))}, not a file of this job: refused"
                )


def _read_manifest(s3: Any, location: S3Location, merge: Merge) -> Mapping[str, Any] | None:
    """The manifest's JSON object, read up to MAX_MANIFEST_BYTES; None (and why) when there is
    no manifest or it is not one."""
    try:
        body = b"".join(islice(object_chunks(s3, location), MAX_MANIFEST_BYTES // 2**16 + 1))
    except Absent:
        return None  # no map run wrote one: every row is reported not run
    problem = None
    if len(body) > MAX_MANIFEST_BYTES:
        problem = f"over {MAX_MANIFEST_BYTES} bytes"
    else:
        try:
            manifest = json.loads(body)
        except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
            problem = f"not JSON ({type(error).__name__})"
        else:
            if isinstance(manifest, Mapping):
                return manifest
            problem = "not a JSON object"
    merge.unread.append(f"the job's manifest {location} is {problem}")
    return None


def batch_rows(
    record: object, status: str, merge: Merge
) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """A child workflow's rows: (index, what became of it, its record)."""
    items = _items(record)
    if items is None:
        return  # no batch to read: its rows stay missing, and are reported as not run
    merge.items += len(items)
    assert isinstance(record, Mapping)  # _items
    results, version, reason = _answers(record, status, len(items))
    for position, item in enumerate(items):
        index = merge.within(item.get("index") if isinstance(item, Mapping) else None)
        if index is None:
            continue
        row = Row(index + 1, *_texts(item.get("movie")))
        result = results[position] if results is not None else None
        yield (index, *_row_result(row, index, result, version, reason, merge))


def _items(record: object) -> list[Any] | None:
    """A record's batch: the Items of its Input, or None when it has none."""
    if not isinstance(record, Mapping) or not isinstance(record.get("Input"), str):
        return None
    try:
        batch = json.loads(record["Input"])
    except (ValueError, RecursionError):
        return None
    items = batch.get("Items") if isinstance(batch, Mapping) else None
    return items if isinstance(items, list) else None


def _row_result(
    row: Row, index: int, result: object, version: str, reason: str | None, merge: Merge
) -> tuple[int, dict[str, Any]]:
    """What became of a row, and its record, from the function's result for it."""
    if not isinstance(result, Mapping):
        return FAILED, result_record(row, reason or "the function gave no result")
    if result.get("index", index) != index:
        return FAILED, result_record(row, "the function's result is for another row")
    if "error" in result:
        return REFUSED, result_record(row, quoted(str(result["error"])))
    classified = classified_from(result, version)
    if classified is None:
        return FAILED, result_record(row, NO_RESULT)
    new = [label for label in classified.scores if label not in merge.labels]
    if len(merge.labels) + len(new) > MAX_LABELS:
        return FAILED, result_record(row, f"scored for over {MAX_LABELS} genres in all")
    merge.labels.update(dict.fromkeys(new))
    return SCORED, result_record(row, classified)


def _answers(
    record: Mapping[str, Any], status: str, items: int
) -> tuple[list[Any] | None, str, str | None]:
    """The function's results for a batch, its model version, and why there are none."""
    if status == "FAILED":
        error, cause = record.get("Error") or "error", record.get("Cause") or ""
        return None, "", f"batch failed: {quoted(str(error))}: {quoted(str(cause))}"
    if status != "SUCCEEDED":
        return None, "", PENDING_RUN
    output = record.get("Output")
    try:
        answer = json.loads(output) if isinstance(output, str) else None
    except (ValueError, RecursionError):
        answer = None
    results = answer.get("results") if isinstance(answer, Mapping) else None
    version = answer.get("model_version") if isinstance(answer, Mapping) else None
    if not isinstance(results, list) or not isinstance(version, str):
        return None, "", "the function's answer is not a catalogue answer"
    if len(results) != items:
        return None, "", f"the function answered {len(results)} results for {items} rows"
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
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False)
    except (ValueError, RecursionError):
        return "(not text)"
