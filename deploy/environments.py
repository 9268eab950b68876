"""The deployment environments of samconfig.toml (dev, prod): what `make deploy`, `make rollback`,
`make bootstrap` and the deploy workflow read about them.

    python deploy/environments.py stack ENV        the environment's stack name
    python deploy/environments.py region ENV       its region (written once, in samconfig.toml)
    python deploy/environments.py overrides ENV    its parameter overrides for the built model
    python deploy/environments.py deploy ENV --sam PATH [--build-dir DIR]
                                                   sam deploy --config-env ENV with those overrides,
                                                   through ENV's own CloudFormation role when
                                                   `make bootstrap` made one

`sam deploy --parameter-overrides` replaces samconfig.toml's overrides rather than adding to
them, so deploy passes the environment's own together with the model version. Every value is
checked against a strict pattern and handed to SAM as its own argument, never through a shell:
a value cannot smuggle in another parameter or a command.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SAMCONFIG = REPO / "samconfig.toml"
# Where `sam build` puts the hook's copy of the bundled model (function/pretraffic/Makefile).
BUILD_DIR = REPO / ".aws-sam" / "build"
HOOK_MODEL = Path("PreTrafficCheck") / "model"
# Environment names, parameter keys and values: nothing a shell or SAM's own parser of
# "Key=Value Key=Value" would read as anything but one value.
NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
KEY = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,254}$")
VALUE = re.compile(r"^[A-Za-z0-9_.:/@+,-]{0,1024}$")
# The environment's own buckets that its access stack makes and the stack takes by name.
ACCESS_BUCKETS = ("FeedbackBucket", "CatalogueBucket")


class ConfigError(SystemExit):
    """One line saying what is wrong; exits with status 1."""


# Environments that deploy what another one deployed and smoke-tested, never a model of their own.
PROMOTED_FROM = {"prod": "dev"}


@dataclass(frozen=True)
class Environment:
    name: str
    stack: str
    region: str
    artifacts_prefix: str  # its prefix in SAM's managed bucket (s3_prefix)
    overrides: dict[str, str]

    @property
    def pulls_models(self) -> bool:
        return self.name not in PROMOTED_FROM

    @property
    def access_stack(self) -> str:
        """The stack `make bootstrap ENV=...` makes: this environment's deploy and CloudFormation
        roles and their permissions boundary (deploy/environment-access.yaml)."""
        return f"movie-genre-access-{self.name}"


def environments(config_path: Path = SAMCONFIG) -> dict[str, Environment]:
    """Every environment of samconfig.toml that sam deploy can use (those with deploy settings)."""
    config = tomllib.loads(config_path.read_text())
    found = {}
    for name, section in config.items():
        if not isinstance(section, dict) or "deploy" not in section:
            continue
        parameters = {**section.get("global", {}).get("parameters", {})}
        parameters.update(section["deploy"]["parameters"])
        found[name] = Environment(
            name=_checked(name, NAME, "environment name"),
            stack=_checked(parameters["stack_name"], NAME, f"{name}'s stack_name"),
            region=_checked(parameters["region"], NAME, f"{name}'s region"),
            artifacts_prefix=_checked(parameters["s3_prefix"], NAME, f"{name}'s s3_prefix"),
            overrides=parse_overrides(parameters.get("parameter_overrides", "")),
        )
    return found


def environment(name: str) -> Environment:
    known = environments()
    if name not in known:
        raise ConfigError(f"no environment {name!r} in samconfig.toml; known: {sorted(known)}")
    return known[name]


def parse_overrides(text: str) -> dict[str, str]:
    pairs = {}
    for pair in text.split():
        key, separator, value = pair.partition("=")
        if not separator:
            raise ConfigError(f"parameter override {pair!r} is not Key=Value")
        pairs[_checked(key, KEY, "parameter name")] = _checked(value, VALUE, f"{key}'s value")
    return pairs


def _checked(value: str, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ConfigError(f"{what} {value!r} is not allowed (expected {pattern.pattern})")
    return value


def built_model_version(build_dir: Path = BUILD_DIR) -> str:
    """The version of the model `make build` packed (the image's and the pre-traffic hook's)."""
    from genre_model.manifest import Manifest, ManifestError

    try:
        version = Manifest.read(build_dir / HOOK_MODEL).version
    except ManifestError as error:
        raise ConfigError(f"nothing built to deploy ({error}): run make build") from error
    return _checked(version, VALUE, "the built model's version")


def sam_parameter(key: str, value: str) -> str:
    """One of --parameter-overrides' arguments, checked (SAM reads Key= as no value at all)."""
    _checked(key, KEY, "parameter name")
    return f"{key}={_checked(value, VALUE, key)}" if value else f'{key}=""'


def parameter_overrides(env: Environment, model_version: str, **extra: str) -> list[str]:
    values = {**env.overrides, "ModelVersion": model_version, **extra}
    return [sam_parameter(key, value) for key, value in values.items()]


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    """A stack's outputs by key, or {} when there is no such stack."""
    from botocore.exceptions import ClientError

    try:
        found = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    except ClientError as error:
        if "does not exist" in str(error):
            return {}
        raise
    return {output["OutputKey"]: output["OutputValue"] for output in found.get("Outputs", [])}


def deploy_command(
    env: Environment, sam: str, model_version: str, access: dict[str, str]
) -> list[str]:
    """sam deploy's argument list: through the environment's CloudFormation role, with its
    permissions boundary on every role the stack creates and its feedback and catalogue
    buckets, when `make bootstrap` made them."""
    extra = {}
    role: list[str] = []
    if access:
        extra["PermissionsBoundaryArn"] = access["PermissionsBoundaryArn"]
        role = ["--role-arn", _checked(access["CloudFormationRoleArn"], VALUE, "the role")]
        for bucket in ACCESS_BUCKETS:
            if bucket in access and bucket not in env.overrides:
                extra[bucket] = access[bucket]
    overrides = parameter_overrides(env, model_version, **extra)
    return [sam, "deploy", "--config-env", env.name, *role, "--parameter-overrides", *overrides]


def deploy(name: str, sam: str, build_dir: Path) -> int:
    import boto3

    env = environment(name)
    version = built_model_version(build_dir)
    cloudformation = boto3.client("cloudformation", region_name=env.region)
    access = stack_outputs(cloudformation, env.access_stack)
    if not access:
        print(
            f"{env.access_stack} not found: deploying as the caller, with no permissions boundary"
        )
    command = deploy_command(env, sam, version, access)
    print(" ".join(command), flush=True)
    return subprocess.run(command, cwd=REPO, check=False).returncode


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["stack", "region", "overrides", "deploy"])
    parser.add_argument("env")
    parser.add_argument("--sam", default="sam")
    parser.add_argument("--build-dir", type=Path, default=BUILD_DIR)
    args = parser.parse_args(argv)
    env = environment(args.env)
    match args.what:
        case "stack":
            print(env.stack)
        case "region":
            print(env.region)
        case "overrides":
            print(" ".join(parameter_overrides(env, built_model_version(args.build_dir))))
        case "deploy":
            sys.exit(deploy(args.env, args.sam, args.build_dir))


if __name__ == "__main__":
    main()
