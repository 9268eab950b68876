"""schemathesis against a running API's own OpenAPI schema, every check on: the one call the
functional fuzz test and the sam local e2e test share."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import requests

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def schemathesis_run(
    api: str, max_examples: int, seed: int, *options: str
) -> subprocess.CompletedProcess[str]:
    """options: schemathesis's own (a report, a mode, checks or operations left out)."""
    return subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{api}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            str(max_examples),
            "--seed",
            str(seed),
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )


def schema_operations(api: str) -> set[str]:
    """Every operation the API's own OpenAPI schema documents, as schemathesis names them
    ("POST /explain")."""
    paths = requests.get(f"{api}/openapi.json", timeout=30).json()["paths"]
    return {f"{method.upper()} {path}" for path, methods in paths.items() for method in methods}


def fuzzed_operations(junit_report: Path) -> set[str]:
    """The operations a schemathesis JUnit report has a test case for."""
    cases = ElementTree.parse(junit_report).getroot().iter("testcase")
    return {str(case.get("name")) for case in cases}
