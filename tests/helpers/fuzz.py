"""schemathesis against a running API's own OpenAPI schema, every check on: the one call the
functional fuzz test and the sam local e2e test share."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
