"""The repository carries what it needs: nothing tracked reaches outside it for data."""

from __future__ import annotations

import subprocess
import tomllib

import yaml

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


def test_make_help_lists_every_target() -> None:
    makefile = (REPO / "Makefile").read_text()
    phony = makefile.split(".PHONY:", 1)[1].split("\n\n", 1)[0].replace("\\\n", " ").split()
    listed = subprocess.run(
        ["make", "--no-print-directory", "help"], cwd=REPO, capture_output=True, text=True
    ).stdout
    assert sorted(line.split()[1] for line in listed.splitlines()) == sorted(phony)


def test_the_ci_workflow_needs_no_aws_credentials_or_secrets() -> None:
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "ci.yml").read_text())
    assert {"lint", "test"} <= set(workflow["jobs"])
    text = (REPO / ".github" / "workflows" / "ci.yml").read_text()
    for needs_a_secret in ("secrets.", "vars.", "id-token", "configure-aws-credentials"):
        assert needs_a_secret not in text
    assert workflow["permissions"] == {"contents": "read"}


def test_the_licence_is_declared_where_packaging_reads_it() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert (REPO / project["license-files"][0]).read_text().startswith("MIT License")
