"""Catalogue jobs end to end against moto's S3 and a stubbed Step Functions client: the command
starts the job, follows its map run, and merges what the ResultWriter wrote (made here by
tests/helpers/distributed_map.py, through the function's own batch handler) in input order, in
the records a local --file run writes."""

from __future__ import annotations

import csv
import dataclasses
import gzip
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from click.testing import CliRunner, Result
from moto import mock_aws

from genre_api.service import Handler, build_handler
from genre_api.settings import Settings
from genre_model import GenreClassifier
from movie_classifier import catalogue
from movie_classifier.catalogue_job import Execution, JobInput
from movie_classifier.catalogue_results import Summary
from movie_classifier.errors import JobFailed, RowsRefused
from movie_classifier.main import main
from movie_classifier.s3_location import S3Location
from tests.helpers.data import FIXTURE_ROWS
from tests.helpers.distributed_map import (
    MACHINE_ARN,
    REGION,
    MapRun,
    execution_arn,
    expect_polls,
    expect_start,
    run_map,
)
from tests.helpers.refused_rows import catalogue_with_refused_rows

BUCKET = "movie-genre-dev-catalogue"
JOB = f"s3://{BUCKET}/input/m.csv"
CATALOGUE = "input/movies.csv"
STACK = "movie-genre-dev"
NAME = "movies-20261129-080000-abc123"
OUTPUTS = {
    "GenreApiUrl": "https://abc.execute-api.us-east-1.amazonaws.com/",
    "CatalogueStateMachineArn": MACHINE_ARN,
    "CatalogueInputLocation": f"s3://{BUCKET}/input/",
    "CatalogueResultsLocation": f"s3://{BUCKET}/results/",
}


@dataclasses.dataclass
class Aws:
    s3: Any
    sfn: Any
    stubber: Stubber
    started: list[dict[str, Any]]  # start_execution's parameters, as the command sent them


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        template = {
            "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}},
            "Outputs": {key: {"Value": value} for key, value in OUTPUTS.items()},
        }
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        cloudformation.create_stack(StackName=STACK, TemplateBody=json.dumps(template))
        sfn = boto3.client("stepfunctions", region_name=REGION)
        started: list[dict[str, Any]] = []
        sfn.meta.events.register(
            "before-parameter-build.sfn.StartExecution",
            lambda params, **_: started.append(dict(params)),
        )
        with Stubber(sfn) as stubber:
            monkeypatch.setattr(catalogue, "step_functions", lambda session: sfn)
            monkeypatch.setattr(catalogue, "execution_name", lambda source, now: NAME)
            monkeypatch.setattr(catalogue, "CATALOGUE_POLL_S", 0)
            yield Aws(s3, sfn, stubber, started)
            stubber.assert_no_pending_responses()


@pytest.fixture(scope="module")
def handler(classifier: GenreClassifier, packaged: dict[str, Path]) -> Handler:
    """The function's Lambda handler, which the Map's children invoke."""
    return build_handler(Settings(model_dir=packaged["artifact"]), classifier)


def catalogue_csv(*, empty_row: bool = True) -> str:
    """Nine real rows of movies_metadata.csv (title, overview, and its other columns), and one
    with no overview unless empty_row is False."""
    with gzip.open(FIXTURE_ROWS, "rt", encoding="utf-8", newline="") as stream:
        rows = [row for _, row in zip(range(9), csv.DictReader(stream), strict=False)]
    if empty_row:
        rows.append(rows[0] | {"title": "No Overview", "overview": ""})
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()


def job_input(key: str, input_format: str = "csv") -> dict[str, Any]:
    return {
        "format": input_format,
        "input": {"bucket": BUCKET, "key": key},
        "results": {"bucket": BUCKET, "prefix": f"results/{NAME}"},
    }


def local_run(tmp_path: Path, artifact: Path, text: str, suffix: str, *, exit_code: int = 0) -> str:
    """What a local --file run writes for the same catalogue (CSV), with the same model; it
    exits exit_code (RowsRefused's where the catalogue has rows the API refuses)."""
    source, output = tmp_path / "local.csv", tmp_path / f"local{suffix}"
    source.write_text(text, encoding="utf-8")
    arguments = ["--file", str(source), "--output", str(output), "--model-dir", str(artifact)]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == exit_code, result.output
    return output.read_bytes().decode()  # as written: CSV lines end in \r\n


def invoke(*arguments: str) -> Result:
    return CliRunner().invoke(main, list(arguments))


def csv_job(
    aws: Aws,
    handler: Any,
    output: str,
    statuses: tuple[str, ...] = ("RUNNING", "SUCCEEDED"),
    *,
    unread: int = 0,
    failure: tuple[str, str] | None = None,
    **map_options: Any,
) -> tuple[MapRun, Result]:
    """Run catalogue_csv()'s job to output: the map first (its results are in S3 when the command
    looks), then the command, which sees statuses; unread: rows the map run counted but did not
    run."""
    aws.s3.put_object(Bucket=BUCKET, Key=CATALOGUE, Body=catalogue_csv().encode())
    run = run_map(aws.s3, job_input(CATALOGUE), handler, name=NAME, **map_options)
    run = dataclasses.replace(run, total=run.total + unread)
    expect_start(aws.stubber, run, NAME)
    expect_polls(aws.stubber, run, job_input(CATALOGUE), list(statuses), failure=failure)
    return run, invoke("--file", f"s3://{BUCKET}/{CATALOGUE}", "--stack", STACK, "--output", output)


def test_a_csv_job_writes_what_a_local_run_writes(
    aws: Aws, handler: Any, tmp_path: Path, packaged: dict[str, Path]
) -> None:
    output = tmp_path / "genres.jsonl"
    run, result = csv_job(aws, handler, str(output), records_per_file=2)
    assert run.batches == 5  # two rows a batch: results in three SUCCEEDED files, shuffled
    assert result.exit_code == RowsRefused.exit_code, result.output  # its row with no overview
    assert json.loads(aws.started[0]["input"]) == job_input(CATALOGUE)
    local = local_run(
        tmp_path, packaged["artifact"], catalogue_csv(), ".jsonl", exit_code=RowsRefused.exit_code
    )
    assert output.read_bytes().decode() == local
    records = [json.loads(line) for line in output.read_text().splitlines()]
    assert [r["row"] for r in records] == list(range(1, 11))
    assert records[9]["error"] == "empty description"
    assert f"started {run.execution_arn}" in result.stderr
    assert "classifying" in result.stderr
    assert "9 of 10 rows classified -> " in result.stderr
    assert "  row 10 skipped: empty description" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"Error: 1 of 10 rows were refused, each with its 'error' in {output}; "
        "the other 9 are scored"
    )


def test_a_jsonl_job_to_s3_writes_a_csv_as_a_local_run_does(
    aws: Aws, handler: Any, tmp_path: Path, packaged: dict[str, Path]
) -> None:
    text = catalogue_csv()
    lines = [json.dumps(row) for row in csv.DictReader(io.StringIO(text))]
    aws.s3.put_object(Bucket=BUCKET, Key="input/movies.jsonl", Body="\n".join(lines).encode())
    expected_input = job_input("input/movies.jsonl", "jsonl")
    run = run_map(aws.s3, expected_input, handler, name=NAME, max_items=4)
    expect_start(aws.stubber, run, NAME)
    expect_polls(aws.stubber, run, expected_input, ["SUCCEEDED"])
    result = invoke(
        "--file",
        f"s3://{BUCKET}/input/movies.jsonl",
        "--stack",
        STACK,
        "--output",
        f"s3://{BUCKET}/out/genres.csv",
    )
    assert result.exit_code == RowsRefused.exit_code, result.output
    written = aws.s3.get_object(Bucket=BUCKET, Key="out/genres.csv")["Body"].read().decode()
    assert written == local_run(
        tmp_path, packaged["artifact"], text, ".csv", exit_code=RowsRefused.exit_code
    )
    assert f"-> s3://{BUCKET}/out/genres.csv" in result.stderr


def test_an_s3_prefix_gets_the_catalogues_name_and_format(aws: Aws, handler: Any) -> None:
    _, result = csv_job(aws, handler, f"s3://{BUCKET}/out/", ("SUCCEEDED",))
    assert result.exit_code == RowsRefused.exit_code, result.output
    body = aws.s3.get_object(Bucket=BUCKET, Key="out/movies-genres.csv")["Body"].read().decode()
    assert body.startswith("row,title,description,genre,genres,model_version,score_")


def test_failed_and_pending_batches_are_listed_and_the_exit_code_says_so(
    aws: Aws, handler: Any, tmp_path: Path
) -> None:
    output = tmp_path / "genres.jsonl"
    _, result = csv_job(aws, handler, str(output), failed={1}, pending={3})
    assert result.exit_code == 10, result.output
    records = [json.loads(line) for line in output.read_text().splitlines()]
    assert [r["row"] for r in records] == list(range(1, 11))
    failed = [r for r in records if r.get("error", "").startswith("batch failed")]
    assert [r["row"] for r in failed] == [3, 4]
    assert failed[0]["error"].startswith("batch failed: Lambda.Unknown: {")
    assert failed[0]["title"]  # the row's text comes from the batch's own input
    pending = [r["row"] for r in records if r.get("error", "").startswith("not run")]
    assert pending == [7, 8]
    assert "5 of 10 rows classified" in result.stderr
    assert "  row 3 failed: batch failed: Lambda.Unknown" in result.stderr
    assert "  row 7 failed: not run: its batch was pending" in result.stderr
    assert "Error: 4 of 10 rows were not scored" in result.stderr


def test_a_job_and_an_in_process_run_refuse_the_same_rows_alike(
    aws: Aws, handler: Any, tmp_path: Path, packaged: dict[str, Path]
) -> None:
    """100 real movies, 3 over the API's limits: the job (the function's handler behind the
    Map's stand-in) and a local in-process run write the same file, and list the same rows."""
    source = tmp_path / "movies.csv"
    refused = catalogue_with_refused_rows(source)
    key = "input/refused.csv"
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=source.read_bytes())
    run = run_map(aws.s3, job_input(key), handler, name=NAME, max_items=16)
    expect_start(aws.stubber, run, NAME)
    expect_polls(aws.stubber, run, job_input(key), ["SUCCEEDED"])
    output = tmp_path / "job.jsonl"
    result = invoke("--file", f"s3://{BUCKET}/{key}", "--stack", STACK, "--output", str(output))
    assert result.exit_code == RowsRefused.exit_code == 11, result.output
    local = local_run(tmp_path, packaged["artifact"], source.read_text(), ".jsonl", exit_code=11)
    assert output.read_text() == local
    records = [json.loads(line) for line in local.splitlines()]
    assert {r["row"]: r["error"] for r in records if "error" in r} == refused
    assert "97 of 100 rows classified" in result.stderr
    for number, error in refused.items():
        assert f"  row {number} skipped: {error}" in result.stderr


def job_report(summary: Summary, status: str = "SUCCEEDED") -> None:
    job = JobInput("csv", S3Location(BUCKET, "input/m.csv"), S3Location(BUCKET, "results/x"))
    catalogue.report(summary, "out.jsonl", Execution("arn", status, job))


def test_what_the_merge_refused_reaches_the_terminal_escaped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    summary = Summary(total=1, failed=1, notes=["not read: s3://b/\x1b]0;PWNED\x07.json"])
    with pytest.raises(JobFailed):
        job_report(summary)
    said = capsys.readouterr().err
    assert "s3://b/\\x1b]0;PWNED\\x07.json" in said and "\x1b" not in said


def test_a_job_that_scored_every_row_exits_0(aws: Aws, handler: Any, tmp_path: Path) -> None:
    aws.s3.put_object(Bucket=BUCKET, Key=CATALOGUE, Body=catalogue_csv(empty_row=False).encode())
    run = run_map(aws.s3, job_input(CATALOGUE), handler, name=NAME)
    expect_start(aws.stubber, run, NAME)
    expect_polls(aws.stubber, run, job_input(CATALOGUE), ["SUCCEEDED"])
    output = tmp_path / "genres.jsonl"
    result = invoke(
        "--file", f"s3://{BUCKET}/{CATALOGUE}", "--stack", STACK, "--output", str(output)
    )
    assert result.exit_code == 0, result.output
    assert all("genre" in json.loads(line) for line in output.read_text().splitlines())
    assert "9 of 9 rows classified" in result.stderr and "Error" not in result.stderr


def test_a_job_with_refused_rows_alone_raises_rows_refused_after_its_summary(
    capsys: pytest.CaptureFixture[str],
) -> None:
    summary = Summary(total=3, scored=2, refused=1, problems=["row 2 skipped: empty title"])
    with pytest.raises(RowsRefused) as raised:
        job_report(summary)
    assert raised.value.exit_code == 11
    assert raised.value.message == (
        "1 of 3 rows were refused, each with its 'error' in out.jsonl; the other 2 are scored"
    )
    said = capsys.readouterr().err
    assert said.startswith("2 of 3 rows classified -> out.jsonl\n  row 2 skipped: empty title")


@pytest.mark.parametrize(
    ("summary", "status"),
    [
        (Summary(total=3, scored=1, refused=1, failed=1), "SUCCEEDED"),
        (Summary(total=3, scored=2, refused=1), "FAILED"),
    ],
)
def test_a_job_with_failed_batches_keeps_job_failed_though_rows_were_refused(
    summary: Summary, status: str
) -> None:
    with pytest.raises(JobFailed):
        job_report(summary, status)


def test_a_failed_execution_is_collected_from_its_map_run_and_the_rest_listed(
    aws: Aws, handler: Any, tmp_path: Path
) -> None:
    output = tmp_path / "genres.csv"
    # The map run counted 13 rows but stopped after 10: three were never run.
    _, result = csv_job(
        aws,
        handler,
        str(output),
        ("RUNNING", "FAILED"),
        unread=3,
        failure=("States.ExceedToleratedFailureThreshold", "The tolerated failure\nthreshold"),
    )
    assert result.exit_code == 10, result.output
    rows = list(csv.DictReader(io.StringIO(output.read_text())))
    assert [int(r["row"]) for r in rows] == list(range(1, 14))
    assert {r["error"] for r in rows[10:]} == {"not run: the job ended before this row was scored"}
    assert (
        "the job ended FAILED (States.ExceedToleratedFailureThreshold: The tolerated failure "
        "threshold)"
    ) in result.stderr


def test_no_wait_prints_the_arn_and_collect_writes_the_results_later(
    aws: Aws, handler: Any, tmp_path: Path
) -> None:
    aws.s3.put_object(Bucket=BUCKET, Key="input/movies.csv", Body=catalogue_csv().encode())
    run = run_map(aws.s3, job_input("input/movies.csv"), handler, name=NAME)
    expect_start(aws.stubber, run, NAME)
    started = invoke("--file", f"s3://{BUCKET}/input/movies.csv", "--stack", STACK, "--no-wait")
    assert started.exit_code == 0, started.output
    assert started.stdout == f"{run.execution_arn}\n"
    assert f"movie_classifier --collect {run.execution_arn} --output" in started.stderr
    expect_polls(aws.stubber, run, job_input("input/movies.csv"), ["RUNNING", "SUCCEEDED"])
    output = tmp_path / "later.jsonl"
    collected = invoke("--collect", run.execution_arn, "--output", str(output))
    assert collected.exit_code == RowsRefused.exit_code, collected.output
    assert len(output.read_text().splitlines()) == 10


def test_a_job_that_failed_before_its_map_run_writes_nothing(aws: Aws, tmp_path: Path) -> None:
    run = MapRun(execution_arn(NAME), "", {}, 0, 0)
    aws.stubber.add_response(
        "describe_execution",
        {
            "executionArn": run.execution_arn,
            "stateMachineArn": MACHINE_ARN,
            "status": "FAILED",
            "startDate": "2026-11-29T08:00:00Z",
            "input": json.dumps(job_input("input/movies.csv")),
            "error": "States.ItemReaderFailed",
            "cause": "Access Denied (Service: S3, Status Code: 403)",
        },
    )
    aws.stubber.add_response("list_map_runs", {"mapRuns": []})
    output = tmp_path / "genres.jsonl"
    result = invoke("--collect", run.execution_arn, "--output", str(output))
    assert result.exit_code == 10
    assert result.stderr.strip() == (
        "Error: the job ended FAILED: States.ItemReaderFailed: Access Denied (Service: S3, "
        "Status Code: 403)"
    )
    assert not output.exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--file", JOB, "--output", "o.jsonl"], "give --stack"),
        (
            ["--file", f"s3://{BUCKET}/input/m.txt", "--stack", STACK, "--output", "o.jsonl"],
            "must end in .csv or .jsonl",
        ),
        (["--file", "s3://Bad_Bucket/m.csv", "--stack", STACK], "is not an S3 bucket name"),
        (["--file", JOB, "--stack", STACK], "needs --output"),
        (
            [
                "--file",
                JOB,
                "--stack",
                STACK,
                "--no-wait",
                "--output",
                "o.csv",
            ],
            "give --output to --collect",
        ),
        (["--file", "m.csv", "--output", f"s3://{BUCKET}/o.jsonl"], "an s3:// --output"),
        (["--file", "m.csv", "--output", "o.jsonl", "--no-wait"], "--no-wait are for a catalogue"),
        (
            ["--collect", execution_arn(NAME), "--file", JOB],
            "not with --file",
        ),
        (["--collect", "arn:aws:states:nope", "--output", "o.jsonl"], "is not a Step Functions"),
        (["--collect", execution_arn(NAME)], "needs --output"),
        (
            ["--collect", execution_arn(NAME), "--output", "o.jsonl", "--region", "eu-west-1"],
            "the execution runs in us-east-1",
        ),
        (
            ["--collect", execution_arn(NAME), "--output", f"s3://{BUCKET}/o.txt"],
            "must end in .jsonl or .csv, or in / (a prefix)",
        ),
        (
            ["--file", JOB, "--stack", STACK, "--concurrency", "8", "--model-dir", "x"],
            "--model-dir, --concurrency: for one movie or a local --file, not a job",
        ),
    ],
)
def test_usage_errors_are_said_before_any_network(
    arguments: list[str], message: str, no_network: list[tuple[object, ...]]
) -> None:
    result = invoke(*arguments)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert no_network == []


def test_a_catalogue_outside_the_stacks_input_prefix_is_refused_before_starting(
    aws: Aws,
) -> None:
    aws.s3.put_object(Bucket=BUCKET, Key="elsewhere/movies.csv", Body=b"title,description\n")
    result = invoke(
        "--file", f"s3://{BUCKET}/elsewhere/movies.csv", "--stack", STACK, "--output", "o.jsonl"
    )
    assert result.exit_code == 2
    assert (
        f"stack 'movie-genre-dev''s state machine reads catalogues under s3://{BUCKET}/input/ "
        "only: put movies.csv there"
    ) in result.output
    assert aws.started == []


def test_a_missing_catalogue_is_said_as_a_missing_file_is(aws: Aws) -> None:
    result = invoke(
        "--file", f"s3://{BUCKET}/input/none.csv", "--stack", STACK, "--output", "o.jsonl"
    )
    assert result.exit_code == 2
    assert f"cannot read s3://{BUCKET}/input/none.csv: no such object" in result.output
    assert aws.started == []


def test_a_stack_without_the_state_machine_is_an_aws_problem(aws: Aws) -> None:
    template = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}}, "Outputs": {}}
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="old", TemplateBody=json.dumps(template)
    )
    result = invoke("--file", JOB, "--stack", "old", "--output", "o.csv")
    assert result.exit_code == 9
    assert result.stderr.strip() == (
        "Error: stack 'old' has no CatalogueStateMachineArn output (deployed before catalogue "
        "jobs, or not movie-genre's)"
    )
