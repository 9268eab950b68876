"""make, run by a test as a user would run it: without the settings of a `make test` around it
(make hands its command-line variables, TRANSFORMER=0 or VENV=..., to every command it runs, as
MAKEFLAGS and as environment variables, which the Makefile's `?=` defaults then give way to)."""

from __future__ import annotations

import os
import re
import subprocess

from tests.helpers.data import REPO

OUTER_MAKE = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}
DEFAULTED = set(re.findall(r"^([A-Z_]+) \?=", (REPO / "Makefile").read_text(), re.MULTILINE))


def make(
    *arguments: str, check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in OUTER_MAKE and k not in DEFAULTED}
    return subprocess.run(
        ["make", "--no-print-directory", *arguments],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=check,
        timeout=timeout,
    )


def dry_run(*arguments: str) -> str:
    """What `make -n ...` would run, for a venv that does not exist yet (every install shows)."""
    return make("-n", *arguments, "VENV=/nonexistent/venv").stdout
