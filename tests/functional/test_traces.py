"""X-Ray traces carry no text: what the X-Ray SDK would send, captured at its emitter, for
/genre, /explain, a 422 that echoes its input, and model failures whose message quotes it (on
/genre, and in a catalogue job's batch, which raises out of the handler).

In a fresh process, as in Lambda (LAMBDA_TASK_ROOT, a trace header, tracing not disabled): the
Tracer is process-wide state that the other tests must not inherit.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.data import REPO

SECRET = "Nightingale Quarry"  # in every title and description sent
SCRIPT = f"""
import json
from aws_xray_sdk.core import xray_recorder
from genre_api.service import build_handler
from genre_api.settings import Settings
from tests.helpers.events import LambdaContext, load_event, with_body

sent = []

class Emitter:
    def send_entity(self, entity):
        sent.append(json.loads(entity.serialize()))

    def set_daemon_address(self, address):
        pass

handler = build_handler(Settings())
xray_recorder.configure(emitter=Emitter())
event = load_event("http_api_genre.json")
movie = {{"title": "{SECRET}", "description": "{SECRET} escapes to the sea."}}
answers = {{}}
for name, path, body in [
    ("genre", "/genre", movie),
    ("explain", "/explain", movie),
    ("refused", "/genre", {{"title": "{SECRET}" * 30, "description": "{SECRET}"}}),
]:
    answers[name] = handler(with_body(event, json.dumps(body), path), LambdaContext())

def broken(*args, **kwargs):
    raise RuntimeError("cannot score {SECRET}")

handler.classifier.predict = broken
answers["failed"] = handler(with_body(event, json.dumps(movie), "/genre"), LambdaContext())
try:  # a catalogue job's batch that the model fails on raises, for Step Functions to see
    handler(load_event("catalogue-batch.json"), LambdaContext())
except RuntimeError as error:
    answers["batch"] = str(error)
print(json.dumps({{"sent": sent, "answers": answers}}))
"""


@pytest.fixture(scope="module")
def traced(packaged: dict[str, Path]) -> dict[str, Any]:
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(REPO),
        "MOVIE_GENRE_MODEL_DIR": str(packaged["artifact"]),
        "LAMBDA_TASK_ROOT": "/var/task",
        "AWS_LAMBDA_FUNCTION_NAME": "GenreFunction",
        "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;"
        "Sampled=1",
        "POWERTOOLS_LOG_LEVEL": "CRITICAL",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def subsegments(traced: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [entity for entity in traced["sent"] if entity["name"] == name]


def test_the_requests_were_answered_and_traced(traced: dict[str, Any]) -> None:
    answers = dict(traced["answers"])
    # The batch's error, raised to Step Functions, which keeps it: by the error's kind alone.
    assert answers.pop("batch") == "the model failed on this batch (RuntimeError)"
    statuses = {name: answer["statusCode"] for name, answer in answers.items()}
    assert statuses == {"genre": 200, "explain": 200, "refused": 422, "failed": 500}
    assert "Nightingale" in traced["answers"]["explain"]["body"]  # its words, from the text
    assert SECRET in traced["answers"]["refused"]["body"]  # the 422's echo
    assert len(subsegments(traced, "## invoke")) == 5
    routes = [s["annotations"]["route"] for s in subsegments(traced, "score")]
    assert routes == ["/genre", "/explain", "/genre", "catalogue"]


def test_nothing_sent_holds_any_of_the_text(traced: dict[str, Any]) -> None:
    sent = json.dumps(traced["sent"])
    for fragment in (SECRET, "Nightingale", "Quarry", "escapes"):
        assert fragment not in sent


def test_no_response_error_or_metadata_is_recorded(traced: dict[str, Any]) -> None:
    for entity in traced["sent"]:
        assert "metadata" not in entity, entity
        assert "cause" not in entity, entity
        assert set(entity["annotations"]) <= {
            "route",
            "model_version",
            "ColdStart",
            "Service",
            "error",
        }


def test_a_failed_score_is_marked_with_its_kind_only(traced: dict[str, Any]) -> None:
    for failed in subsegments(traced, "score")[-2:]:
        assert failed["fault"] is True
        assert failed["annotations"]["error"] == "RuntimeError"
    # The batch's invocation raised: marked failed, and by the error's kind alone.
    invocation = subsegments(traced, "## invoke")[-1]
    assert invocation["fault"] is True
    assert invocation["annotations"]["error"] == "BatchFailed"
