"""The repository carries what it needs: nothing tracked reaches outside it for data."""

from __future__ import annotations

import re
import subprocess
import tomllib

import pytest
import yaml

from tests.helpers.data import REPO
from tests.helpers.make import dry_run, make

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
    listed = make("help").stdout
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


def requirements_of(extras: set[str]) -> set[str]:
    """The package names that `pip install -e '.[extras]'` asks for, extras expanded."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    names, pending, seen = set(), list(extras), set()
    while pending:
        extra = pending.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for requirement in project["optional-dependencies"][extra]:
            if match := re.fullmatch(r"movie-genre\[(.+)\]", requirement):
                pending += match.group(1).split(",")
            else:
                names.add(re.split(r"[\[=<>~ ]", requirement, maxsplit=1)[0].lower())
    return names | {re.split(r"[=<>]", r)[0] for r in project["dependencies"]}


def installs_of(target: str) -> set[str]:
    """What `make TARGET` would install into a new venv (dry run), by package name."""
    plan = dry_run(target)
    names = requirements_of(
        {e for m in re.findall(r"-e '\.\[(.+?)\]'", plan) for e in m.split(",")}
    )
    for lock in re.findall(r"-r (\S+\.lock)", plan):
        names |= set(re.findall(r"^([a-z0-9_.-]+)==", (REPO / lock).read_text(), re.MULTILINE))
    return names


@pytest.mark.parametrize("target", ["run", "serve", "build", "local", "deploy", "rollback"])
def test_serving_and_deploying_install_no_training_packages(target: str) -> None:
    assert not installs_of(target) & {"torch", "pandas", "scikit-learn", "transformers"}


def test_the_tests_and_the_minilm_recipe_get_pytorchs_cpu_build() -> None:
    for target in (["test"], ["train", "RECIPE=minilm"]):
        plan = dry_run(*target)
        torch = [line for line in plan.splitlines() if "torch==" in line]
        assert torch and "--index-url https://download.pytorch.org/whl/cpu" in torch[0]


def test_the_readme_is_a_front_page_whose_links_resolve() -> None:
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    for document in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", document.read_text()):
            if "://" not in target:
                assert (document.parent / target).exists(), f"{document.name} links to {target}"
