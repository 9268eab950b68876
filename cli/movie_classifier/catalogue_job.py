"""A catalogue job on Step Functions (statemachine/catalogue.asl.json): start an execution of the
stack's state machine, follow its map run's item counts until it ends, and find its results."""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from movie_classifier.aws import aws_errors
from movie_classifier.errors import AwsProblem, UsageProblem
from movie_classifier.s3_location import S3Location

INPUT_FORMATS = {".csv": "csv", ".jsonl": "jsonl"}  # the state machine's formats, by suffix
STILL_RUNNING = frozenset({"RUNNING", "PENDING_REDRIVE"})
SUCCEEDED = "SUCCEEDED"
EXECUTION_ARN = re.compile(
    r"arn:aws[a-z-]*:states:(?P<region>[a-z0-9-]+):\d{12}:execution:[A-Za-z0-9_.-]{1,80}"
    r":[A-Za-z0-9_-]{1,80}",
    re.ASCII,
)
# How much of an error's cause (often JSON, from Lambda or S3) a message quotes.
QUOTED_CAUSE_CHARS = 300


@dataclass(frozen=True)
class JobInput:
    """An execution's input: the catalogue, its format, and where the results go (a prefix
    without its trailing slash: Step Functions adds /<map run id>/)."""

    format: str
    source: S3Location
    results: S3Location

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": self.format,
                "input": {"bucket": self.source.bucket, "key": self.source.key},
                "results": {"bucket": self.results.bucket, "prefix": self.results.key},
            }
        )

    @classmethod
    def from_json(cls, text: str, arn: str) -> JobInput:
        try:
            data = json.loads(text)
            source, results = data["input"], data["results"]
            return cls(
                str(data["format"]),
                S3Location(str(source["bucket"]), str(source["key"])),
                S3Location(str(results["bucket"]), str(results["prefix"])),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise UsageProblem(f"{arn} is not a catalogue job: its input is not one") from error


@dataclass(frozen=True)
class ItemCounts:
    done: int  # succeeded, failed, timed out or aborted
    total: int


@dataclass(frozen=True)
class Execution:
    """What an execution is now: its status, and its map run's items once it has one."""

    arn: str
    status: str
    job: JobInput
    output: Mapping[str, Any] | None = None
    failure: str | None = None  # "error: cause", when it failed
    map_run_arn: str | None = None
    items: ItemCounts | None = None

    @property
    def running(self) -> bool:
        return self.status in STILL_RUNNING

    def manifest(self) -> S3Location | None:
        """Where the ResultWriter's manifest.json is (or would be), if the job has a map run."""
        details = (self.output or {}).get("ResultWriterDetails")
        if isinstance(details, Mapping) and {"Bucket", "Key"} <= set(details):
            return S3Location(str(details["Bucket"]), str(details["Key"]))
        if self.map_run_arn is None:
            return None
        run_id = self.map_run_arn.rsplit(":", 1)[-1]
        return S3Location(self.job.results.bucket, f"{self.job.results.key}/{run_id}/manifest.json")


def input_format(source: S3Location) -> str:
    """The state machine's name for a catalogue's format, from its suffix."""
    found = INPUT_FORMATS.get(source.suffix)
    if found is None or source.is_prefix:
        raise UsageProblem(f"--file {source} must end in {' or '.join(INPUT_FORMATS)}")
    return found


def execution_name(source: S3Location, now: datetime) -> str:
    """A name Step Functions takes (at most 80 letters, digits, - and _) that says what ran."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", PurePosixPath(source.key).stem).strip("-")
    return f"{stem[:40] or 'catalogue'}-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def region_of(arn: str) -> str:
    """The region an execution runs in, from its ARN; anything else is a usage error."""
    match = EXECUTION_ARN.fullmatch(arn)
    if match is None:
        raise UsageProblem(f"--collect {arn!r} is not a Step Functions execution ARN")
    return match["region"]


def start(sfn: Any, machine_arn: str, job: JobInput, name: str) -> str:
    """Start the job; its execution's ARN."""
    with aws_errors(f"cannot start {machine_arn}", AwsProblem):
        started = sfn.start_execution(stateMachineArn=machine_arn, name=name, input=job.to_json())
    return str(started["executionArn"])


def describe(sfn: Any, arn: str, map_run_arn: str | None = None) -> Execution:
    """The execution now; map_run_arn: its map run, when already known."""
    with aws_errors(f"execution {arn}"):
        described = sfn.describe_execution(executionArn=arn)
        if map_run_arn is None:
            runs = sfn.list_map_runs(executionArn=arn).get("mapRuns", [])
            map_run_arn = str(runs[0]["mapRunArn"]) if runs else None
        counts = sfn.describe_map_run(mapRunArn=map_run_arn)["itemCounts"] if map_run_arn else None
    output = json.loads(described["output"]) if described.get("output") else None
    return Execution(
        arn=arn,
        status=str(described["status"]),
        job=JobInput.from_json(str(described.get("input") or ""), arn),
        output=output if isinstance(output, Mapping) else None,
        failure=_failure(described),
        map_run_arn=map_run_arn,
        items=_item_counts(counts) if counts is not None else None,
    )


def follow(
    sfn: Any,
    arn: str,
    progress: Callable[[ItemCounts], None],
    poll_s: float,
    sleep: Callable[[float], None] = time.sleep,
) -> Execution:
    """Read the execution every poll_s seconds, telling progress its item counts, until it
    ends; the execution as it ended."""
    map_run_arn = None
    while True:
        execution = describe(sfn, arn, map_run_arn)
        map_run_arn = execution.map_run_arn
        if execution.items is not None:
            progress(execution.items)
        if not execution.running:
            return execution
        sleep(poll_s)


def _item_counts(counts: Mapping[str, Any]) -> ItemCounts:
    ended = ("succeeded", "failed", "timedOut", "aborted")
    return ItemCounts(sum(int(counts.get(k, 0)) for k in ended), int(counts.get("total", 0)))


def _failure(described: Mapping[str, Any]) -> str | None:
    error, cause = described.get("error"), described.get("cause")
    if not error and not cause:
        return None
    return f"{error or 'error'}: {quoted(str(cause or ''))}"


def quoted(text: str) -> str:
    """text on one line, at most QUOTED_CAUSE_CHARS long."""
    folded = " ".join(text.split())
    if len(folded) <= QUOTED_CAUSE_CHARS:
        return folded
    return folded[:QUOTED_CAUSE_CHARS] + "..."
