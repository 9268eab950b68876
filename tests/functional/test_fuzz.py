"""Schema-driven fuzzing of the running API (uvicorn, as `make serve` runs it) with schemathesis,
every check on: no 5xx, every status and body as the OpenAPI schema documents them, schema-valid
input accepted and schema-invalid input refused."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.servers import served_api

# Enough to cover every route with strange text (control characters, surrogates, long strings)
# in about half a minute; the seed makes a failure reproducible.
MAX_EXAMPLES = 200
SEED = 20261126


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    with served_api() as url:
        yield url


def schemathesis_run(api: str, report: Path) -> subprocess.CompletedProcess[str]:
    schemathesis = Path(sys.executable).parent / "schemathesis"
    return subprocess.run(
        [
            str(schemathesis),
            "run",
            f"{api}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            str(SEED),
            "--report",
            "junit",
            "--report-junit-path",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_every_check_passes_on_every_route(api: str, tmp_path: Path) -> None:
    result = schemathesis_run(api, tmp_path / "junit.xml")
    assert result.returncode == 0, result.stdout[-4000:]
    assert "No issues found" in result.stdout
    report = (tmp_path / "junit.xml").read_text()
    for route in ("POST /genre", "POST /genres", "GET /health"):
        assert route in report, f"{route} was not fuzzed"
