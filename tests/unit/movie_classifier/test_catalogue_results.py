"""Merging a job's ResultWriter files (written here by hand, in AWS's format) in input order:
records out of order, a redriven batch, answers that do not fit their batch, and rows never
run. Nothing is dropped."""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from movie_classifier.catalogue_job import Execution, ItemCounts, JobInput
from movie_classifier.catalogue_results import NO_RESULT, NOT_RUN, Merge, batch_rows, collect
from movie_classifier.s3_location import S3Location

BUCKET = "results-bucket"
MAP_RUN = "arn:aws:states:us-east-1:123456789012:mapRun:catalogue/ScoreCsv:0123"
SCORES = {"Comedy": 0.25, "Drama": 0.75}


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def movie(index: int) -> dict[str, Any]:
    return {"index": index, "movie": {"title": f"Movie {index}", "description": f"Plot {index}"}}


def succeeded(indexes: list[int], results: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    answers = results or [
        {"index": i, "genre": "Drama", "genres": ["Drama"], "scores": SCORES} for i in indexes
    ]
    return {
        "ExecutionArn": "arn:aws:states:us-east-1:123456789012:express:catalogue/ScoreCsv:0123:a",
        "Input": json.dumps({"Items": [movie(i) for i in indexes], "BatchInput": {}}),
        "InputDetails": {"Included": True},
        "Output": json.dumps({"model_version": "v1", "results": answers}),
        "OutputDetails": {"Included": True},
        "Status": "SUCCEEDED",
    }


def failed(indexes: list[int]) -> dict[str, Any]:
    return {
        "Input": json.dumps({"Items": [movie(i) for i in indexes], "BatchInput": {}}),
        "Status": "FAILED",
        "Error": "Lambda.ServiceException",
        "Cause": "Lambda was unable to serve the request",
    }


def write_results(s3: Any, files: dict[str, list[list[dict[str, Any]]]]) -> None:
    listed: dict[str, list[dict[str, Any]]] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
    for status, contents in files.items():
        for number, records in enumerate(contents):
            key = f"results/job/0123/{status}_{number}.json"
            s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(records))
            listed[status].append({"Key": key, "Size": 1})
    manifest = {"DestinationBucket": BUCKET, "MapRunArn": MAP_RUN, "ResultFiles": listed}
    s3.put_object(Bucket=BUCKET, Key="results/job/0123/manifest.json", Body=json.dumps(manifest))


def execution(total: int, status: str = "SUCCEEDED") -> Execution:
    job = JobInput("csv", S3Location("in", "input/m.csv"), S3Location(BUCKET, "results/job"))
    # No output: the manifest is found from the map run's id, as for a failed execution.
    return Execution("arn", status, job, map_run_arn=MAP_RUN, items=ItemCounts(total, total))


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_records_out_of_order_across_files_are_merged_in_input_order(
    s3: Any, tmp_path: Path
) -> None:
    write_results(s3, {"SUCCEEDED": [[succeeded([4, 5]), succeeded([0, 1])], [succeeded([2, 3])]]})
    summary = collect(s3, execution(6), tmp_path / "out.jsonl", tmp_path)
    written = rows(tmp_path / "out.jsonl")
    assert [r["row"] for r in written] == [1, 2, 3, 4, 5, 6]
    assert [r["title"] for r in written] == [f"Movie {i}" for i in range(6)]
    assert written[0] == {
        "row": 1,
        "title": "Movie 0",
        "description": "Plot 0",
        "genre": "Drama",
        "genres": ["Drama"],
        "scores": SCORES,
        "model_version": "v1",
    }
    assert (summary.total, summary.scored, summary.failed) == (6, 6, 0)


def test_a_redriven_batch_that_succeeded_replaces_its_failure(s3: Any, tmp_path: Path) -> None:
    write_results(s3, {"FAILED": [[failed([0, 1])]], "SUCCEEDED": [[succeeded([0, 1])]]})
    summary = collect(s3, execution(2), tmp_path / "out.jsonl", tmp_path)
    assert [r["genre"] for r in rows(tmp_path / "out.jsonl")] == ["Drama", "Drama"]
    assert summary.failed == 0


def test_rows_the_map_run_counted_but_no_file_holds_are_not_run(s3: Any, tmp_path: Path) -> None:
    write_results(s3, {"SUCCEEDED": [[succeeded([1])]], "FAILED": [[failed([3])]]})
    summary = collect(s3, execution(5), tmp_path / "out.jsonl", tmp_path)
    errors = [r.get("error") for r in rows(tmp_path / "out.jsonl")]
    cause = "batch failed: Lambda.ServiceException: Lambda was unable to serve the request"
    assert errors == [NOT_RUN, None, NOT_RUN, cause, NOT_RUN]
    assert summary.problems == [
        f"row 1 failed: {NOT_RUN}",
        f"row 3 failed: {NOT_RUN}",
        f"row 4 failed: {cause}",
        f"row 5 failed: {NOT_RUN}",
    ]


def test_no_manifest_means_every_counted_row_was_not_run(s3: Any, tmp_path: Path) -> None:
    summary = collect(s3, execution(3, "ABORTED"), tmp_path / "out.csv", tmp_path)
    assert summary.failed == 3
    assert (tmp_path / "out.csv").read_text().splitlines()[0].startswith("row,title,")


@pytest.mark.parametrize(
    ("record", "error"),
    [
        (
            succeeded([0, 1], [{"index": 0, "genre": "Drama", "genres": [], "scores": SCORES}]),
            "the function answered 1 results for 2 rows",
        ),
        (succeeded([0, 1]) | {"Output": "{}"}, "the function's answer is not a catalogue answer"),
        (
            succeeded([0, 1]) | {"Output": "not json"},
            "the function's answer is not a catalogue answer",
        ),
        (
            succeeded([0, 1]) | {"Status": "PENDING"},
            "not run: its batch was pending when the job ended",
        ),
    ],
)
def test_an_answer_that_does_not_fit_its_batch_fails_its_rows(
    record: dict[str, Any], error: str
) -> None:
    status = record["Status"]
    assert [(i, kind, r["error"]) for i, kind, r in batch_rows(record, status, Merge(2))] == [
        (0, 2, error),
        (1, 2, error),
    ]


@pytest.mark.parametrize(
    "record",
    [{"Status": "SUCCEEDED"}, {"Input": "[]"}, {"Input": '{"Items": {}}'}, {"Input": "x"}],
)
def test_a_record_without_a_readable_batch_leaves_its_rows_to_be_reported_not_run(
    record: dict[str, Any],
) -> None:
    assert list(batch_rows(record, "SUCCEEDED", Merge(2))) == []


def test_a_refused_row_keeps_the_functions_reason() -> None:
    refused = succeeded([0], [{"index": 0, "error": "empty description"}])
    ((index, kind, record),) = batch_rows(refused, "SUCCEEDED", Merge(1))
    assert (index, kind) == (0, 1)
    assert record == {
        "row": 1,
        "title": "Movie 0",
        "description": "Plot 0",
        "error": "empty description",
    }


def test_a_manifest_in_another_bucket_or_prefix_is_never_read(s3: Any, tmp_path: Path) -> None:
    """The job's own results location only: a manifest (or the files it lists) elsewhere would
    have the user's credentials read someone else's objects into --output."""
    s3.create_bucket(Bucket="private-bucket")
    s3.put_object(Bucket="private-bucket", Key="private/secret.json", Body=b"[]")
    write_results(s3, {"SUCCEEDED": [[succeeded([0])]]})
    elsewhere = {"Bucket": "private-bucket", "Key": "private/manifest.json"}
    other = dataclasses.replace(execution(1), output={"ResultWriterDetails": elsewhere})
    read: list[dict[str, Any]] = []
    s3.meta.events.register("before-call.s3.GetObject", lambda params, **_: read.append(params))
    summary = collect(s3, other, tmp_path / "out.jsonl", tmp_path)
    assert read == []
    assert summary.failed == 1 and "is not under its results location" in summary.notes[0]
    assert "refused" in rows(tmp_path / "out.jsonl")[0]["error"]


def test_a_manifest_naming_another_bucket_or_keys_has_its_files_refused(
    s3: Any, tmp_path: Path
) -> None:
    s3.create_bucket(Bucket="private-bucket")
    write_results(s3, {"SUCCEEDED": [[succeeded([0])]]})
    manifest = {
        "DestinationBucket": BUCKET,
        "ResultFiles": {"SUCCEEDED": [{"Key": "private/a.json"}, {"Key": "results/job/../x"}]},
    }
    s3.put_object(Bucket=BUCKET, Key="results/job/0123/manifest.json", Body=json.dumps(manifest))
    summary = collect(s3, execution(1), tmp_path / "out.jsonl", tmp_path)
    assert summary.failed == 1
    assert [note.split(" lists ")[1] for note in summary.notes] == [
        "private/a.json, not a file of this job: refused",
        "results/job/../x, not a file of this job: refused",
    ]
    manifest["DestinationBucket"] = "private-bucket"
    s3.put_object(Bucket=BUCKET, Key="results/job/0123/manifest.json", Body=json.dumps(manifest))
    (tmp_path / "again").mkdir()
    summary = collect(s3, execution(1), tmp_path / "again.jsonl", tmp_path / "again")
    assert "names bucket private-bucket, not the job's" in summary.notes[0]


@pytest.mark.parametrize("index", [3_000_000, 2**63, -1, "0", True, None, 1.0])
def test_an_index_outside_the_catalogue_is_ignored_and_said(
    s3: Any, tmp_path: Path, index: object
) -> None:
    record = succeeded([0, 1])
    batch = json.loads(record["Input"])
    batch["Items"][1]["index"] = index
    record["Input"] = json.dumps(batch)
    write_results(s3, {"SUCCEEDED": [[record]]})
    summary = collect(s3, execution(2), tmp_path / "out.jsonl", tmp_path)
    written = rows(tmp_path / "out.jsonl")
    assert len(written) == 2 and written[0]["genre"] == "Drama" and written[1]["error"] == NOT_RUN
    if isinstance(index, int) and not isinstance(index, bool):
        assert summary.notes == ["1 result items named no row of the catalogue's 2: ignored"]


@pytest.mark.parametrize(
    ("content", "fault"),
    [
        (b"[" * 100_000, "nested too deep"),
        (b'{"not": "an array"}', "not a JSON array"),
        (b"\xff\xfe", "not UTF-8"),
        (b'[{"Input": "x"}', "the array ends early"),
        (b'"Items"', "not a JSON array"),
    ],
)
def test_a_malformed_result_file_fails_its_rows_without_a_traceback(
    s3: Any, tmp_path: Path, content: bytes, fault: str
) -> None:
    write_results(s3, {"SUCCEEDED": [[succeeded([0])], [succeeded([1])]]})
    s3.put_object(Bucket=BUCKET, Key="results/job/0123/SUCCEEDED_1.json", Body=content)
    summary = collect(s3, execution(2), tmp_path / "out.csv", tmp_path)
    assert (summary.scored, summary.failed) == (1, 1)
    assert (
        fault in summary.notes[0]
        and "SUCCEEDED_1.json is not a ResultWriter file" in (summary.notes[0])
    )
    with (tmp_path / "out.csv").open(newline="") as stream:
        written = list(csv.DictReader(stream))
    assert written[1]["error"].startswith("no result read: s3://results-bucket/results/job/")


@pytest.mark.parametrize(
    "result",
    [
        {"index": 0, "genre": "Drama", "genres": ["Drama"]},  # no scores
        {"index": 0, "genre": "Drama", "genres": "Drama", "scores": SCORES},  # a string, no list
        {"index": 0, "genre": "Drama", "genres": ["Drama"], "scores": "high"},
        {"index": 0, "genre": "Drama", "genres": ["Drama"], "scores": {"Drama": "0.7"}},
        {"index": 0, "genre": ["Drama"], "genres": ["Drama"], "scores": SCORES},
        "Drama",
        [[[[]]]],
    ],
)
def test_a_malformed_result_fails_its_row_alone(s3: Any, tmp_path: Path, result: object) -> None:
    record = succeeded([0, 1])
    answer = json.loads(record["Output"])
    answer["results"][0] = result
    record["Output"] = json.dumps(answer)
    write_results(s3, {"SUCCEEDED": [[record]]})
    summary = collect(s3, execution(2), tmp_path / "out.jsonl", tmp_path)
    written = rows(tmp_path / "out.jsonl")
    expected = NO_RESULT if isinstance(result, dict) else "the function gave no result"
    assert written[0]["error"] == expected and written[1]["genre"] == "Drama"
    assert (summary.scored, summary.failed) == (1, 1)


@pytest.mark.parametrize(
    "change",
    [
        {"Input": json.dumps({"Items": "a string"})},
        {"Input": "[" * 100_000},
        {"Output": "[" * 100_000},
        {"Output": json.dumps({"model_version": ["v1"], "results": []})},
        {"Input": 3},
    ],
)
def test_a_malformed_record_fails_its_rows_alone(
    s3: Any, tmp_path: Path, change: dict[str, Any]
) -> None:
    write_results(s3, {"SUCCEEDED": [[succeeded([0]) | change, succeeded([1])]]})
    summary = collect(s3, execution(2), tmp_path / "out.jsonl", tmp_path)
    written = rows(tmp_path / "out.jsonl")
    assert "error" in written[0] and written[1]["genre"] == "Drama"
    assert (summary.scored, summary.failed) == (1, 1)


def test_result_files_are_read_as_streams(s3: Any, tmp_path: Path) -> None:
    """Each file is read in chunks (bench/catalogue_merge.py measures the memory)."""
    write_results(s3, {"SUCCEEDED": [[succeeded([i]) for i in range(300)]]})
    summary = collect(s3, execution(300), tmp_path / "out.jsonl", tmp_path)
    assert summary.scored == 300


def test_rows_scored_for_other_genres_get_every_genre_a_column(s3: Any, tmp_path: Path) -> None:
    """A model changed mid-job: the CSV has a column for every genre any row was scored for."""
    other = {"Comedy": 0.5, "Horror": 0.25}
    later = [{"index": 1, "genre": "Comedy", "genres": ["Comedy"], "scores": other}]
    write_results(s3, {"SUCCEEDED": [[succeeded([0]), succeeded([1], later)]]})
    summary = collect(s3, execution(2), tmp_path / "out.csv", tmp_path)
    assert summary.scored == 2
    with (tmp_path / "out.csv").open(newline="") as stream:
        written = list(csv.DictReader(stream))
    assert [name for name in written[0] if name.startswith("score_")] == [
        "score_Comedy",
        "score_Drama",
        "score_Horror",
    ]
    assert (written[0]["score_Horror"], written[1]["score_Horror"]) == ("", "0.25")
