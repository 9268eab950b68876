"""deploy/environments.py: samconfig.toml's environments, and what `make deploy` hands to SAM."""

from __future__ import annotations

import json
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import boto3
import environments
import pytest
from environments import ConfigError, environment, parse_overrides
from moto import mock_aws

from tests.helpers.data import REPO
from tests.helpers.make import make

VERSION = json.loads((REPO / "models/default/manifest.json").read_text())["version"]
IAM = "arn:aws:iam::123456789012"
ACCESS = {
    "CloudFormationRoleArn": f"{IAM}:role/movie-genre/movie-genre-dev-cloudformation",
    "PermissionsBoundaryArn": f"{IAM}:policy/movie-genre/movie-genre-dev-boundary",
    "FeedbackBucket": "movie-genre-access-dev-feedbackstore-1",
}


@pytest.fixture
def build_dir(tmp_path: Path) -> Path:
    """What `make build` leaves: the hook's copy of the bundled model's manifest and golden set."""
    model = tmp_path / "build" / "PreTrafficCheck" / "model"
    model.mkdir(parents=True)
    for name in ("manifest.json", "golden.json"):
        shutil.copy(REPO / "models/default" / name, model / name)
    return tmp_path / "build"


def test_each_environment_has_its_stack_region_and_prefix() -> None:
    dev, prod = environment("dev"), environment("prod")
    assert (dev.stack, dev.artifacts_prefix, dev.access_stack) == (
        "movie-genre-dev",
        "movie-genre-dev",
        "movie-genre-access-dev",
    )
    assert prod.region == dev.region == "us-east-1"
    assert dev.pulls_models and not prod.pulls_models  # prod promotes dev's release
    with pytest.raises(ConfigError, match="no environment 'staging'"):
        environment("staging")


@pytest.mark.parametrize(
    "text",
    [
        'AuthMode="NONE"',
        "AuthMode=$(id)",
        "CorsAllowedOrigins=*",
        "AuthMode=NONE;id",
        "Auth-Mode=NONE",
        "AuthMode",
    ],
)
def test_an_override_that_a_shell_or_sam_could_misread_is_refused(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_overrides(text)


def test_the_overrides_are_the_environments_plus_the_built_models_version(build_dir: Path) -> None:
    version = environments.built_model_version(build_dir)
    assert version == VERSION
    overrides = environments.parameter_overrides(environment("prod"), version)
    assert overrides[-1] == f"ModelVersion={VERSION}"
    assert "AuthMode=IAM" in overrides and "ReservedConcurrency=50" in overrides


def test_a_manifest_whose_version_carries_overrides_never_reaches_sam(build_dir: Path) -> None:
    """Issue 18's finding: a version of "X AuthMode=NONE CorsAllowedOrigins=*" became three
    parameters on SAM's command line, and the routes were open during the update."""
    manifest = build_dir / "PreTrafficCheck/model/manifest.json"
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "version": "X AuthMode=NONE CorsAllowedOrigins=*"}))
    with pytest.raises(ConfigError):
        environments.built_model_version(build_dir)
    with pytest.raises(ConfigError, match="ModelVersion 'X AuthMode=NONE' is not allowed"):
        environments.parameter_overrides(environment("dev"), "X AuthMode=NONE")


def test_nothing_built_says_to_run_make_build(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="run make build"):
        environments.built_model_version(tmp_path)


def test_with_make_bootstraps_roles_the_deploy_runs_through_them() -> None:
    command = environments.deploy_command(environment("dev"), "sam", VERSION, ACCESS)
    assert "FeedbackBucket=movie-genre-access-dev-feedbackstore-1" in command
    assert command[:6] == ["sam", "deploy", "--config-env", "dev", "--role-arn", ACCESS[
        "CloudFormationRoleArn"]]  # fmt: skip
    assert f"PermissionsBoundaryArn={ACCESS['PermissionsBoundaryArn']}" in command
    bare = environments.deploy_command(environment("dev"), "sam", VERSION, {})
    assert "--role-arn" not in bare and not any("Boundary" in a or "Feedback" in a for a in bare)


def fake_sam(path: Path, record: Path) -> Path:
    path.write_text(f'#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done > {record}\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_deploy_hands_each_value_to_sam_as_its_own_argument(
    build_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    sam = fake_sam(tmp_path / "sam", tmp_path / "argv")
    with mock_aws():  # no access stack: the caller deploys, with no boundary
        assert environments.deploy("dev", str(sam), build_dir) == 0
    argv = (tmp_path / "argv").read_text().splitlines()
    assert argv[:3] == ["deploy", "--config-env", "dev"]
    overrides = argv[argv.index("--parameter-overrides") + 1 :]
    assert overrides == [
        "AuthMode=NONE",
        "DeploymentType=AllAtOnce",
        "ProvisionedConcurrency=0",
        "ReservedConcurrency=0",
        "CatalogueMaxConcurrency=5",
        "LogLevel=DEBUG",
        f"ModelVersion={VERSION}",
    ]


def test_with_an_access_stack_deploy_finds_its_roles(
    build_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    sam = fake_sam(tmp_path / "sam", tmp_path / "argv")
    template = {
        "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {key: {"Value": value} for key, value in ACCESS.items()},
    }
    with mock_aws():
        boto3.client("cloudformation", region_name="us-east-1").create_stack(
            StackName="movie-genre-access-prod", TemplateBody=json.dumps(template)
        )
        assert environments.deploy("prod", str(sam), build_dir) == 0
    argv = (tmp_path / "argv").read_text().splitlines()
    assert argv[argv.index("--role-arn") + 1] == ACCESS["CloudFormationRoleArn"]
    assert f"PermissionsBoundaryArn={ACCESS['PermissionsBoundaryArn']}" in argv


def test_make_quotes_what_it_hands_to_the_shell(tmp_path: Path) -> None:
    """`make deploy ENV=...` and `make rollback TO=...` reach the shell in single quotes: a
    hostile value is one argument, which environments.py then refuses."""
    marker = tmp_path / "ran"
    hostile = f"dev'; touch {marker}; echo '"
    targets = (("preflight", "ENV"), ("deploy", "ENV"), ("rollback", "TO"), ("bootstrap", "ENV"))
    for target, variable in targets:
        printed = make("-n", "-s", target, f"{variable}={hostile}").stdout.replace("\\\n", " ")
        recipes = [line for line in printed.splitlines() if re.search(r" deploy/\w+\.py", line)]
        assert recipes, target
        for recipe in recipes:
            line = recipe.replace(".venv/bin/python", sys.executable)
            subprocess.run(["bash", "-c", line], cwd=REPO, capture_output=True, timeout=60)
            assert not marker.exists(), recipe
