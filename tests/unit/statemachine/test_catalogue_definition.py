"""statemachine/catalogue.asl.json: valid for cfn-lint's Step Functions schema, and a walk of what
it promises (the readers, the batcher's limits, the EXPRESS processor on the live alias, the
retries, the tolerance and the writer)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cloudformation import load_template
from tests.helpers.data import REPO
from tests.helpers.events import load_event
from tests.helpers.statemachine import (
    EXAMPLE_SUBSTITUTIONS,
    MAP_STATES,
    map_state,
    placeholders,
    render,
)

CFN_LINT = Path(sys.executable).parent / "cfn-lint"
# Step Functions' limit on a state's input and output, which a child workflow's batch must fit.
PAYLOAD_LIMIT = 256 * 1024
# The largest index an item can have: a row takes at least 2 bytes ("x\n"), and an S3 object at
# most 5 TiB (S3's limit on an object's size).
WORST_INDEX = 5 * 1024**4 // 2
# The most items a batch may hold: template.yaml's MaxBatch, at its largest.
LARGEST_BATCH = load_template(REPO / "template.yaml")["Parameters"]["MaxBatch"]["MaxValue"]


def lint(definition: dict[str, Any], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """cfn-lint (rule E3601, its Step Functions schema) on a template holding the definition."""
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Catalogue": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "RoleArn": "arn:aws:iam::123456789012:role/catalogue",
                    "Definition": definition,
                },
            }
        },
    }
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template))
    return subprocess.run(
        [str(CFN_LINT), "--format", "parseable", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cfn_lint_accepts_the_definition_and_would_refuse_a_broken_one(tmp_path: Path) -> None:
    definition = render()
    result = lint(definition, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = copy.deepcopy(definition)
    (task,) = map_state(broken, "csv")["ItemProcessor"]["States"].values()
    task["Retry"][0]["MaxAttempts"] = "eight"
    result = lint(broken, tmp_path)
    assert result.returncode != 0
    assert "E3601" in result.stdout and "'eight' is not of type 'number'" in result.stdout


def test_the_placeholders_are_the_ones_the_template_fills() -> None:
    assert placeholders() == set(EXAMPLE_SUBSTITUTIONS)


def test_the_numbers_are_numbers_once_substituted() -> None:
    definition = render()
    for input_format in MAP_STATES:
        state = map_state(definition, input_format)
        assert state["MaxConcurrency"] == 100
        assert state["ToleratedFailurePercentage"] == 5
        assert state["ItemBatcher"]["MaxItemsPerBatch"] == 256


def test_the_format_chooses_the_map_with_its_reader() -> None:
    definition = render()
    choices = {c["StringEquals"]: c["Next"] for c in definition["States"]["Format"]["Choices"]}
    assert choices == {"csv": "Score CSV", "jsonl": "Score JSONL"}
    assert definition["States"][definition["States"]["Format"]["Default"]]["Type"] == "Fail"
    csv_reader = map_state(definition, "csv")["ItemReader"]
    jsonl_reader = map_state(definition, "jsonl")["ItemReader"]
    assert csv_reader["ReaderConfig"] == {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"}
    assert jsonl_reader["ReaderConfig"] == {"InputType": "JSONL"}
    for reader in (csv_reader, jsonl_reader):
        assert reader["Resource"] == "arn:aws:states:::s3:getObject"
        assert reader["Parameters"] == {"Bucket.$": "$.input.bucket", "Key.$": "$.input.key"}


def test_the_two_maps_differ_only_in_their_reader_batch_input_label_and_task_name() -> None:
    csv_map, jsonl_map = (copy.deepcopy(map_state(render(), f)) for f in ("csv", "jsonl"))
    for state in (csv_map, jsonl_map):
        del state["ItemReader"]["ReaderConfig"], state["ItemBatcher"]["BatchInput"]
        del state["Label"]
        processor = state["ItemProcessor"]
        # State names are unique across the machine (asl-validator): each Map names its task.
        (processor["States"],) = processor["States"].values()
        del processor["StartAt"]
    assert csv_map == jsonl_map


@pytest.mark.parametrize("input_format", list(MAP_STATES))
def test_each_item_carries_its_index_and_a_batch_fits_the_payload_limit(input_format: str) -> None:
    largest = {**EXAMPLE_SUBSTITUTIONS, "MaxItemsPerBatch": str(LARGEST_BATCH)}
    state = map_state(render(largest), input_format)
    assert state["ItemSelector"] == {"index.$": "$$.Map.Item.Index", "movie.$": "$$.Map.Item.Value"}
    batcher = state["ItemBatcher"]
    assert batcher["BatchInput"] == {"format": input_format}
    assert batcher["MaxItemsPerBatch"] == LARGEST_BATCH
    worst = (
        batcher["MaxInputBytesPerBatch"]
        + batcher["MaxItemsPerBatch"] * wrapper_bytes(WORST_INDEX)
        + envelope_bytes(batcher["BatchInput"])
    )
    assert worst <= PAYLOAD_LIMIT


def serialised(value: Any) -> int:
    """Bytes of JSON as Python writes it by default: with a space after each ',' and ':', no
    fewer than Step Functions' compact JSON takes."""
    return len(json.dumps(value).encode())


def wrapper_bytes(index: int) -> int:
    """What ItemSelector's {index, movie} adds to a row, and the separator before the next item,
    measured on a serialised item."""
    movie = {"title": "x", "description": "y"}
    return serialised({"index": index, "movie": movie}) - serialised(movie) + len(", ")


def envelope_bytes(batch_input: dict[str, Any]) -> int:
    """A batch without its items: {"Items": [], "BatchInput": ...}."""
    return serialised({"Items": [], "BatchInput": batch_input})


def test_a_batchs_size_is_its_rows_their_wrappers_and_the_envelope_to_the_byte() -> None:
    """The sum above, checked on the sample batch the Map sends (events/catalogue-batch.json):
    its serialised size is exactly the parts it counts."""
    event = load_event("catalogue-batch.json")
    items = event["Items"]
    parts = (
        envelope_bytes(event["BatchInput"])
        + sum(serialised(item["movie"]) + wrapper_bytes(item["index"]) for item in items)
        - len(", ")  # no separator after the last item
    )
    assert serialised(event) == parts


def test_the_sample_event_has_the_shape_the_map_sends() -> None:
    event = load_event("catalogue-batch.json")
    state = map_state(render(), "csv")
    assert set(event) == {"Items", "BatchInput"}
    assert event["BatchInput"] == state["ItemBatcher"]["BatchInput"]
    selected = {key.removesuffix(".$") for key in state["ItemSelector"]}
    assert all(set(item) == selected for item in event["Items"])
    assert [item["index"] for item in event["Items"]] == list(range(len(event["Items"])))
    # A CSV's rows are objects of text, one key per header column.
    assert all(isinstance(v, str) for item in event["Items"] for v in item["movie"].values())


@pytest.mark.parametrize("input_format", list(MAP_STATES))
def test_an_express_child_invokes_the_live_alias_and_retries_with_backoff(
    input_format: str,
) -> None:
    processor = map_state(render(), input_format)["ItemProcessor"]
    assert processor["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}
    (task,) = processor["States"].values()
    assert task["Type"] == "Task" and task["End"] is True
    assert task["Resource"] == "arn:aws:states:::lambda:invoke"
    assert task["Parameters"] == {
        "FunctionName": EXAMPLE_SUBSTITUTIONS["ScoringFunctionArn"],
        "Payload.$": "$",
    }
    assert task["Parameters"]["FunctionName"].endswith(":live")
    assert task["OutputPath"] == "$.Payload"  # the child's output is the function's answer
    retried = {error: r for r in task["Retry"] for error in r["ErrorEquals"]}
    for error in ("Lambda.TooManyRequestsException", "Lambda.ServiceException"):
        assert retried[error]["BackoffRate"] > 1 and retried[error]["MaxAttempts"] >= 3
        assert retried[error]["JitterStrategy"] == "FULL"
    # Throttling is what a high MaxConcurrency meets: it is retried longer than the rest.
    throttled = retried["Lambda.TooManyRequestsException"]
    assert throttled["MaxAttempts"] > retried["Lambda.ServiceException"]["MaxAttempts"]
    assert "States.ALL" not in retried  # a bug in the function is not retried


@pytest.mark.parametrize("input_format", list(MAP_STATES))
def test_results_go_to_s3_where_the_input_says(input_format: str) -> None:
    state = map_state(render(), input_format)
    assert state["ResultWriter"] == {
        "Resource": "arn:aws:states:::s3:putObject",
        "Parameters": {"Bucket.$": "$.results.bucket", "Prefix.$": "$.results.prefix"},
    }
    assert state["End"] is True  # the execution's output is the writer's manifest location
