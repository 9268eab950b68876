"""A catalogue job's merge (movie_classifier.catalogue_results.collect) on result files in the
format AWS writes them, and on the items AWS's CSV reader makes of the inputs it reads in its own
way; each output compared with what a local --file run writes for the same file.

The items are written out by hand here, as AWS's CSV rules make them, not read with Python's csv
module (the local run's reader, and the Distributed Map stand-in's, tests/helpers/distributed_map):
a stand-in that reads as the local run does would make the two agree by construction.

Sources:
- RESULT_WRITER: AWS Step Functions Developer Guide, "ResultWriter (Map)",
  https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
  A SUCCEEDED record field for field (its "Transformation NONE" example), the execution's output
  (MapRunArn and ResultWriterDetails, the manifest's key <Prefix>/<map run id>/manifest.json), and
  the files manifest.json, SUCCEEDED_n.json, FAILED_n.json (failed, timed out and aborted
  children) and PENDING_n.json (children not started). The page describes manifest.json in words
  only and shows no FAILED record: those two are copied field for field from files AWS wrote, as
  the tests of department-for-transport-BODS/bods-backend keep them (a manifest listing FAILED,
  PENDING and SUCCEEDED files by Key and Size; a FAILED record with Error and Cause and no
  Output). No source here shows a PENDING record: it has the fields every record has.
- CSV: "How Step Functions parses input CSV files",
  https://docs.aws.amazon.com/step-functions/latest/dg/example-csv-parse-dist-map.html
  Quoted fields hold commas and newlines, "" is a quote, a backslash escapes a backslash, a quote
  or the delimiter (and is dropped before any other character), a short row gets empty strings,
  a long row loses its extra fields. AWS says nothing of a byte-order mark: both readings are
  tested.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from genre_api.service import Handler, build_handler
from genre_api.settings import Settings
from genre_model import GenreClassifier
from movie_classifier.catalogue_job import Execution, ItemCounts, JobInput
from movie_classifier.catalogue_results import Summary, collect
from movie_classifier.s3_location import S3Location
from tests.helpers.events import LambdaContext
from tests.helpers.statemachine import map_state, render
from tests.unit.movie_classifier.test_catalogue import local_run

BUCKET = "amzn-s3-demo-destination-bucket"
PREFIX = "csvProcessJobs"
RUN_ID = "ad9b5f27-090b-3ac6-9beb-243cd77144a7"
MAP_RUN_ARN = f"arn:aws:states:us-east-2:123456789012:mapRun:csvProcess/Map:{RUN_ID}"
CHILD_MACHINE = f"arn:aws:states:us-east-2:123456789012:stateMachine:csvProcess/Map:{RUN_ID}"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-2")
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-east-2"}
        )
        yield client


@pytest.fixture(scope="module")
def handler(classifier: GenreClassifier, packaged: dict[str, Path]) -> Handler:
    """The function's Lambda handler, which the Map's children invoke."""
    return build_handler(Settings(model_dir=packaged["artifact"]), classifier)


def child(number: int, batch: dict[str, Any]) -> dict[str, Any]:
    """The fields every record has (RESULT_WRITER's NONE example, without its outcome)."""
    name = f"da4e9fc7-abab-3b27-9a77-{number:012x}"
    return {
        "ExecutionArn": f"arn:aws:states:us-east-2:123456789012:execution:csvProcess/Map:{name}",
        "Input": json.dumps(batch),
        "InputDetails": {"Included": True},
        "Name": name,
        "StartDate": "2025-02-04T01:49:50.099Z",
        "StateMachineArn": CHILD_MACHINE,
    }


def succeeded(number: int, batch: dict[str, Any], answer: Any) -> dict[str, Any]:
    """RESULT_WRITER's SUCCEEDED record, field for field."""
    return {
        **child(number, batch),
        "Output": json.dumps(answer),
        "OutputDetails": {"Included": True},
        "RedriveCount": 0,
        "RedriveStatus": "NOT_REDRIVABLE",
        "RedriveStatusReason": "Execution is SUCCEEDED and cannot be redriven",
        "Status": "SUCCEEDED",
        "StopDate": "2025-02-04T01:49:50.163Z",
    }


def failed(number: int, batch: dict[str, Any]) -> dict[str, Any]:
    """A FAILED record as AWS wrote one: Error and Cause, no Output."""
    cause = {"errorMessage": "Task timed out after 30.00 seconds", "errorType": "Timeout"}
    return {
        **child(number, batch),
        "Cause": json.dumps(cause),
        "Error": "Lambda.Unknown",
        "OutputDetails": {"Included": True},
        "RedriveCount": 0,
        "RedriveStatus": "REDRIVABLE_BY_MAP_RUN",
        "Status": "FAILED",
        "StopDate": "2025-01-07T10:40:38.759Z",
    }


def pending(number: int, batch: dict[str, Any]) -> dict[str, Any]:
    return {**child(number, batch), "Status": "PENDING"}


def batch_of(rows: list[dict[str, str]], first: int = 0) -> dict[str, Any]:
    """A child's input: the state machine's ItemSelector ({index, movie}) and BatchInput."""
    state = map_state(render(), "csv")
    items = [{"index": first + i, "movie": row} for i, row in enumerate(rows)]
    return {"Items": items, "BatchInput": state["ItemBatcher"]["BatchInput"]}


def write_results(s3: Any, files: dict[str, list[list[dict[str, Any]]]]) -> None:
    """RESULT_WRITER's files under <Prefix>/<map run id>/, and the manifest listing them."""
    listed: dict[str, list[dict[str, Any]]] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
    for status, contents in files.items():
        for number, records in enumerate(contents):
            key = f"{PREFIX}/{RUN_ID}/{status}_{number}.json"
            body = json.dumps(records).encode()
            s3.put_object(Bucket=BUCKET, Key=key, Body=body)
            listed[status].append({"Key": key, "Size": len(body)})
    manifest = {"DestinationBucket": BUCKET, "MapRunArn": MAP_RUN_ARN, "ResultFiles": listed}
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/{RUN_ID}/manifest.json", Body=json.dumps(manifest))


def collected(s3: Any, tmp_path: Path, total: int, suffix: str = ".jsonl") -> tuple[str, Summary]:
    """The merge, found as the execution's output names the manifest (RESULT_WRITER)."""
    job = JobInput("csv", S3Location("in", "input/movies.csv"), S3Location(BUCKET, PREFIX))
    output = {
        "MapRunArn": MAP_RUN_ARN,
        "ResultWriterDetails": {"Bucket": BUCKET, "Key": f"{PREFIX}/{RUN_ID}/manifest.json"},
    }
    execution = Execution("arn", "SUCCEEDED", job, output, items=ItemCounts(total, total))
    written = tmp_path / f"job{suffix}"
    work = tmp_path / "work"
    work.mkdir()
    summary = collect(s3, execution, written, work)
    return written.read_bytes().decode(), summary


# (CSV as a user saved it, the items AWS's reader makes of it)
SPECIAL_CSVS = {
    "quoted commas, quotes and newlines": (
        'title,description\r\n"Heat","A thief, a cop.\nTwo ""pros"" meet."\r\nAlien,In space.\r\n',
        [
            {"title": "Heat", "description": 'A thief, a cop.\nTwo "pros" meet.'},
            {"title": "Alien", "description": "In space."},
        ],
    ),
    "a short row and a long one": (
        "title,description,year\nJaws,A shark hunts a town's swimmers.\n"
        "Alien,A crew meets a creature.,1979,R,extra\n",
        [
            {"title": "Jaws", "description": "A shark hunts a town's swimmers.", "year": ""},
            {"title": "Alien", "description": "A crew meets a creature.", "year": "1979"},
        ],
    ),
    "a byte-order mark, kept in the first column's name": (
        "\ufefftitle,description\nHeat,A thief and a cop.\n",
        [{"\ufefftitle": "Heat", "description": "A thief and a cop."}],
    ),
    "a byte-order mark, dropped": (
        "\ufefftitle,description\nHeat,A thief and a cop.\n",
        [{"title": "Heat", "description": "A thief and a cop."}],
    ),
}


@pytest.mark.parametrize("name", list(SPECIAL_CSVS))
@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_a_job_on_a_csv_aws_reads_its_own_way_writes_what_a_local_run_writes(
    s3: Any,
    handler: Handler,
    tmp_path: Path,
    packaged: dict[str, Path],
    name: str,
    suffix: str,
) -> None:
    text, items = SPECIAL_CSVS[name]
    batch = batch_of(items)
    write_results(s3, {"SUCCEEDED": [[succeeded(0, batch, handler(batch, LambdaContext()))]]})
    merged, summary = collected(s3, tmp_path, len(items), suffix)
    assert summary.total == summary.scored == len(items)
    assert merged == local_run(tmp_path, packaged["artifact"], text, suffix)


@pytest.mark.xfail(
    strict=True,
    reason="AWS's reader takes a backslash as an escape (CSV), a local run keeps it: a "
    "description with a backslash differs between a job and a local run",
)
def test_a_backslash_in_a_csv_is_read_as_aws_reads_it(
    s3: Any, handler: Handler, tmp_path: Path, packaged: dict[str, Path]
) -> None:
    text = 'title,description\nSetup,Run C:\\\\Setup\\\\x.exe and \\"go\\"\\!\n'
    items = [{"title": "Setup", "description": 'Run C:\\Setup\\x.exe and "go"!'}]
    batch = batch_of(items)
    write_results(s3, {"SUCCEEDED": [[succeeded(0, batch, handler(batch, LambdaContext()))]]})
    merged, _ = collected(s3, tmp_path, 1)
    assert merged == local_run(tmp_path, packaged["artifact"], text, ".jsonl")


def test_a_header_only_csv_makes_a_job_of_no_rows(s3: Any, tmp_path: Path) -> None:
    """AWS reads no item from it: the manifest lists no file, and the merge writes no row and
    invents none (a local run refuses the file before it starts: it has no movies)."""
    write_results(s3, {})
    merged, summary = collected(s3, tmp_path, 0)
    assert merged == ""
    assert (summary.total, summary.scored, summary.refused, summary.failed) == (0, 0, 0, 0)


def test_failed_pending_and_succeeded_files_merge_in_input_order(
    s3: Any, handler: Handler, tmp_path: Path
) -> None:
    """Every row gets a record, in input order, whatever file its batch's record is in; the
    results of a batch are its items' answers by position."""
    rows = [{"title": f"Movie {i}", "description": f"A story of {i} friends."} for i in range(6)]
    first, second, third = batch_of(rows[:2]), batch_of(rows[2:4], 2), batch_of(rows[4:], 4)
    answer = handler(third, LambdaContext())
    write_results(
        s3,
        {
            "SUCCEEDED": [[succeeded(2, third, answer)]],
            "FAILED": [[failed(0, first)]],
            "PENDING": [[pending(1, second)]],
        },
    )
    merged, summary = collected(s3, tmp_path, 6)
    records = [json.loads(line) for line in merged.splitlines()]
    assert [r["row"] for r in records] == [1, 2, 3, 4, 5, 6]
    assert [r["title"] for r in records] == [r["title"] for r in rows]
    assert records[0]["error"] == records[1]["error"]
    assert "Lambda.Unknown" in records[0]["error"] and "Timeout" in records[0]["error"]
    assert records[2]["error"] == records[3]["error"] and "pending" in records[2]["error"]
    assert [r["genre"] for r in records[4:]] == [r["genre"] for r in answer["results"]]
    assert (summary.scored, summary.failed) == (2, 4)


def test_a_record_without_its_input_leaves_its_rows_reported_not_run(
    s3: Any, handler: Handler, tmp_path: Path
) -> None:
    """AWS may leave a record's Input out ("InputDetails": {"Included": false}, "Input": ""):
    its rows cannot be named, and are reported as not run rather than dropped."""
    batch = batch_of([{"title": "Heat", "description": "A thief and a cop."}])
    record = succeeded(0, batch, handler(batch, LambdaContext()))
    record |= {"Input": "", "InputDetails": {"Included": False}}
    write_results(s3, {"SUCCEEDED": [[record]]})
    merged, summary = collected(s3, tmp_path, 1)
    (only,) = [json.loads(line) for line in merged.splitlines()]
    assert only["row"] == 1 and "not run" in only["error"]
    assert summary.failed == 1
