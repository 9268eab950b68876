"""The repository carries what it needs: nothing tracked reaches outside it for data."""

from __future__ import annotations

import subprocess

from tests.helpers.data import REPO

# Built from parts, so that this file does not match itself.
OUTSIDE_DATA = ("../" + "shared", "shared/" + "data")


def test_no_tracked_file_reads_data_from_outside_the_repository() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.split(b"\0")
    offenders = []
    for name in filter(None, tracked):
        path = REPO / name.decode()
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        offenders += [f"{name.decode()}: {needle}" for needle in OUTSIDE_DATA if needle in text]
    assert not offenders
