"""A stand-in for the catalogue job's Distributed Map, and a stubbed Step Functions client that
reports it, for the CLI's tests.

run_map reads the catalogue from (moto's) S3 as the ItemReader does (CSV with a header row: one
object of text per row; JSON Lines: one value per line), wraps and batches the rows as
statemachine/catalogue.asl.json's ItemSelector and ItemBatcher say, hands each batch to the
function's handler, and writes what the ResultWriter writes: manifest.json listing
SUCCEEDED_n.json / FAILED_n.json / PENDING_n.json, each an array of child execution records (for
EXPRESS children: Input and Output as JSON strings, or Error and Cause), in no particular order.

moto 5.2.5's Step Functions refuses ItemBatcher and ProcessorConfig, and no local engine runs a
Distributed Map, so this follows AWS's documented formats (ResultWriter, DescribeMapRun).
"""

from __future__ import annotations

import csv
import io
import json
import random
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.stub import ANY, Stubber

from tests.helpers.events import LambdaContext
from tests.helpers.statemachine import EXAMPLE_SUBSTITUTIONS, map_state, render

REGION = "us-east-1"
ACCOUNT = "123456789012"
MACHINE = "movie-genre-dev-catalogue"
MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{MACHINE}"
MAP_RUN_ID = "4977ded7-b097-3bee-81e1-7863c5660f29"
STARTED = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass(frozen=True)
class MapRun:
    execution_arn: str
    map_run_arn: str
    output: dict[str, Any]  # the execution's: the ResultWriter's manifest location
    total: int  # items read
    batches: int


def execution_arn(name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{MACHINE}:{name}"


def read_items(s3: Any, job_input: dict[str, Any]) -> list[Any]:
    source = job_input["input"]
    text = s3.get_object(Bucket=source["bucket"], Key=source["key"])["Body"].read().decode()
    if job_input["format"] == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def batches(items: list[Any], batcher: dict[str, Any]) -> list[list[Any]]:
    """Items in order, cut where MaxItemsPerBatch or MaxInputBytesPerBatch would be passed."""
    groups: list[list[Any]] = [[]]
    size = 0
    for item in items:
        item_bytes = len(json.dumps(item).encode())
        full = len(groups[-1]) == batcher["MaxItemsPerBatch"]
        if groups[-1] and (full or size + item_bytes > batcher["MaxInputBytesPerBatch"]):
            groups.append([])
            size = 0
        groups[-1].append(item)
        size += item_bytes
    return [group for group in groups if group]


def run_map(
    s3: Any,
    job_input: dict[str, Any],
    handler: Handler,
    *,
    name: str,
    max_items: int = 2,
    failed: Collection[int] = (),
    pending: Collection[int] = (),
    records_per_file: int = 2,
) -> MapRun:
    """Run the job's map over the catalogue; failed and pending: batch numbers that fail (as a
    Lambda error past its retries) or never ran."""
    definition = render({**EXAMPLE_SUBSTITUTIONS, "MaxItemsPerBatch": str(max_items)})
    state = map_state(definition, job_input["format"])
    assert state["ItemSelector"] == {"index.$": "$$.Map.Item.Index", "movie.$": "$$.Map.Item.Value"}
    rows = read_items(s3, job_input)
    items = [{"index": index, "movie": row} for index, row in enumerate(rows)]
    groups = batches(items, state["ItemBatcher"])
    label = state["Label"]
    records: dict[str, list[dict[str, Any]]] = {"SUCCEEDED": [], "FAILED": [], "PENDING": []}
    for number, group in enumerate(groups):
        event = {"Items": group, "BatchInput": state["ItemBatcher"]["BatchInput"]}
        child = str(uuid.UUID(int=number))
        record: dict[str, Any] = {
            "ExecutionArn": f"arn:aws:states:{REGION}:{ACCOUNT}:express:{MACHINE}/{label}"
            f":{MAP_RUN_ID}:{child}",
            "Input": json.dumps(event),
            "InputDetails": {"Included": True},
            "Name": child,
            "StartDate": STARTED.isoformat(),
            "StateMachineArn": f"{MACHINE_ARN}/{label}",
        }
        if number in failed:
            cause = {"errorMessage": "Task timed out after 30.00 seconds", "errorType": "Timeout"}
            record |= {"Status": "FAILED", "Error": "Lambda.Unknown", "Cause": json.dumps(cause)}
        elif number in pending:
            record |= {"Status": "PENDING"}
        else:
            answer = handler(event, LambdaContext())  # OutputPath $.Payload: the answer itself
            record |= {"Status": "SUCCEEDED", "Output": json.dumps(answer)}
            record |= {"OutputDetails": {"Included": True}, "StopDate": STARTED.isoformat()}
        records[record["Status"]].append(record)
    prefix = f"{job_input['results']['prefix']}/{MAP_RUN_ID}"
    bucket = job_input["results"]["bucket"]
    listed: dict[str, list[dict[str, Any]]] = {}
    for status, found in records.items():
        random.Random(status).shuffle(found)  # the writer keeps no order
        listed[status] = []
        for start in range(0, len(found), records_per_file):
            key = f"{prefix}/{status}_{start // records_per_file}.json"
            body = json.dumps(found[start : start + records_per_file]).encode()
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            listed[status].append({"Key": key, "Size": len(body)})
    map_run_arn = f"arn:aws:states:{REGION}:{ACCOUNT}:mapRun:{MACHINE}/{label}:{MAP_RUN_ID}"
    manifest = {"DestinationBucket": bucket, "MapRunArn": map_run_arn, "ResultFiles": listed}
    s3.put_object(Bucket=bucket, Key=f"{prefix}/manifest.json", Body=json.dumps(manifest))
    output = {
        "MapRunArn": map_run_arn,
        "ResultWriterDetails": {"Bucket": bucket, "Key": f"{prefix}/manifest.json"},
    }
    return MapRun(execution_arn(name), map_run_arn, output, len(items), len(groups))


def expect_start(stubber: Stubber, run: MapRun, name: str) -> None:
    stubber.add_response(
        "start_execution",
        {"executionArn": run.execution_arn, "startDate": STARTED},
        {"stateMachineArn": MACHINE_ARN, "name": name, "input": ANY},
    )


def expect_polls(
    stubber: Stubber,
    run: MapRun,
    job_input: dict[str, Any],
    statuses: list[str],
    *,
    failure: tuple[str, str] | None = None,
) -> None:
    """The describe calls of a follow that sees statuses, one per poll, the last one final."""
    for poll, status in enumerate(statuses):
        final = poll == len(statuses) - 1
        described: dict[str, Any] = {
            "executionArn": run.execution_arn,
            "stateMachineArn": MACHINE_ARN,
            "status": status,
            "startDate": STARTED,
            "input": json.dumps(job_input),
        }
        if final and status == "SUCCEEDED":
            described["output"] = json.dumps(run.output)
        if final and failure:
            described["error"], described["cause"] = failure
        stubber.add_response("describe_execution", described, {"executionArn": run.execution_arn})
        if poll == 0:
            stubber.add_response(
                "list_map_runs",
                {"mapRuns": [_map_run_entry(run)]},
                {"executionArn": run.execution_arn},
            )
        done = run.total if final else run.total // 2
        stubber.add_response(
            "describe_map_run", _map_run(run, done, status), {"mapRunArn": run.map_run_arn}
        )


def _map_run_entry(run: MapRun) -> dict[str, Any]:
    return {
        "executionArn": run.execution_arn,
        "mapRunArn": run.map_run_arn,
        "stateMachineArn": MACHINE_ARN,
        "startDate": STARTED,
    }


def _map_run(run: MapRun, done: int, status: str) -> dict[str, Any]:
    def counts(total: int, finished: int) -> dict[str, int]:
        return {
            "pending": 0,
            "running": total - finished,
            "succeeded": finished,
            "failed": 0,
            "timedOut": 0,
            "aborted": 0,
            "total": total,
            "resultsWritten": finished,
        }

    return {
        "mapRunArn": run.map_run_arn,
        "executionArn": run.execution_arn,
        "status": status,
        "startDate": STARTED,
        "maxConcurrency": 100,
        "toleratedFailurePercentage": 5.0,
        "toleratedFailureCount": 0,
        "itemCounts": counts(run.total, done),
        "executionCounts": counts(run.batches, run.batches if done == run.total else 0),
    }
