"""What the function's observability wrote during a test: its JSON log lines and its EMF
metric blobs (tests/unit/genre_api/conftest.py's `output` fixture captures them)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest


class Output:
    """What one test's invocations wrote: JSON log lines and EMF metric blobs."""

    def __init__(self, logs: io.StringIO, capsys: pytest.CaptureFixture[str]) -> None:
        self._logs = logs
        self._capsys = capsys

    def text(self) -> str:
        return self._logs.getvalue() + self._capsys.readouterr().out

    def log_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self._logs.getvalue().splitlines() if line]

    def request_line(self) -> dict[str, Any]:
        (line,) = [
            line for line in self.log_lines() if line["message"] in {"request", "request failed"}
        ]
        return line

    def metrics(self) -> list[dict[str, Any]]:
        out = self._capsys.readouterr().out
        return [blob for blob in map(json.loads, out.splitlines()) if "_aws" in blob]


def metric_values(blobs: list[dict[str, Any]], name: str) -> list[tuple[dict[str, str], float]]:
    """(dimensions, value) of the metric name, as CloudWatch records it: once per dimension set
    of every blob that carries it."""
    found = []
    for blob in blobs:
        (directive,) = blob["_aws"]["CloudWatchMetrics"]
        if any(metric["Name"] == name for metric in directive["Metrics"]):
            assert directive["Namespace"] == "MovieGenre"
            value = blob[name]
            for dimension_set in directive["Dimensions"]:
                dimensions = {key: blob[key] for key in dimension_set}
                found.append((dimensions, sum(value) if isinstance(value, list) else value))
    return found
