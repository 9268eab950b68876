"""make, run by a test as a user would run it: without the settings of a `make test` around it
(make hands its command-line variables, TRANSFORMER=0 or VENV=..., to every make below it)."""

from __future__ import annotations

import os
import subprocess

from tests.helpers.data import REPO

OUTER_MAKE = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")


def make(*arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if name not in OUTER_MAKE}
    return subprocess.run(
        ["make", "--no-print-directory", *arguments],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=check,
    )


def dry_run(*arguments: str) -> str:
    """What `make -n ...` would run, for a venv that does not exist yet (every install shows)."""
    return make("-n", *arguments, "VENV=/nonexistent/venv").stdout
