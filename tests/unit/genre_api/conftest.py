"""Fixtures of the API's tests: what the function's logs and metrics wrote."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from aws_lambda_powertools import Logger

from genre_model.constants import DEFAULT_SERVICE
from tests.helpers.telemetry import Output


@pytest.fixture
def output(capsys: pytest.CaptureFixture[str]) -> Iterator[Output]:
    logs = io.StringIO()
    handler = Logger(service=DEFAULT_SERVICE).registered_handler
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.setStream(logs)
    capsys.readouterr()
    try:
        yield Output(logs, capsys)
    finally:
        handler.setStream(previous)
