"""template.yaml, samconfig.toml, and the image's lock of exactly the tested versions."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.markers import Marker
from packaging.requirements import Requirement

from tests.helpers.data import REPO

LOCK = REPO / "layers" / "runtime" / "requirements.lock"
ONNX_LOCK = REPO / "layers" / "runtime" / "requirements-onnx.lock"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)==(?P<version>[^\s;\\]+)(?: ; (?P<marker>[^\\]+))?")


def lock_pins(lock: Path = LOCK) -> dict[str, str]:
    """Lock entries that apply to this Python: normalized name -> version."""
    pins = {}
    lines = lock.read_text().splitlines()
    for number, line in enumerate(lines):
        match = PIN.match(line)
        if match is None:
            continue
        assert "--hash=sha256:" in lines[number + 1], f"{match['name']} has no hash in the lock"
        marker = match["marker"]
        if marker is None or Marker(marker.strip()).evaluate():
            pins[canonical(match["name"])] = match["version"]
    return pins


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_sam_validate_lint_passes() -> None:
    sam = Path(sys.executable).parent / "sam"
    result = subprocess.run(
        [str(sam), "validate", "--lint"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout


@pytest.mark.parametrize(
    ("lock", "extras_in_it"),
    [(LOCK, ("function", "model")), (ONNX_LOCK, ("function", "model", "onnx"))],
)
def test_a_lock_holds_its_extras_pins(lock: Path, extras_in_it: tuple[str, ...]) -> None:
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    pins = lock_pins(lock)
    for line in [line for extra in extras_in_it for line in extras[extra]]:
        requirement = Requirement(line)
        if requirement.name == "movie-genre":
            continue
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{line}: the image's direct dependencies are pinned"
        assert pins[canonical(requirement.name)] == specifier.version, line


@pytest.mark.parametrize("lock", [LOCK, ONNX_LOCK])
def test_the_tests_run_the_versions_the_image_installs(lock: Path) -> None:
    """Every locked package is installed here at the locked version: what is tested ships."""
    differ = {}
    for name, version in lock_pins(lock).items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            differ[name] = (version, installed)
    assert not differ, f"lock vs installed: {differ} (make lock, or reinstall the venv)"


def test_the_runtime_layer_installs_the_lock_and_nothing_else() -> None:
    dockerfile = (REPO / "layers" / "runtime" / "Dockerfile").read_text()
    assert "--no-deps --require-hashes -r /tmp/requirements.lock" in dockerfile
    assert not (REPO / "layers" / "runtime" / "requirements.txt").exists()


class CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, ...) read as their long forms."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, object]:
    if isinstance(node, yaml.ScalarNode):
        value: object = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


CloudFormationLoader.add_multi_constructor("!", _intrinsic)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return yaml.load((REPO / "template.yaml").read_text(), Loader=CloudFormationLoader)


def resources_of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_scoring_routes_need_iam_unless_auth_mode_is_none(template: dict[str, Any]) -> None:
    assert template["Parameters"]["AuthMode"]["Default"] == "IAM"
    assert template["Parameters"]["AuthMode"]["AllowedValues"] == ["IAM", "NONE"]
    assert template["Conditions"]["UseIam"] == {"Fn::Equals": [{"Ref": "AuthMode"}, "IAM"]}
    routes = {
        route["Properties"]["RouteKey"]: route["Properties"].get("AuthorizationType", "NONE")
        for route in resources_of_type(template, "AWS::ApiGatewayV2::Route").values()
    }
    iam_unless_none = {"Fn::If": ["UseIam", "AWS_IAM", "NONE"]}
    scoring = {key: auth for key, auth in routes.items() if key.startswith("POST ")}
    assert scoring and all(auth == iam_unless_none for auth in scoring.values()), scoring
    public = {key: auth for key, auth in routes.items() if key.startswith("GET ")}
    assert {"GET /health", "GET /docs", "GET /openapi.json"} <= set(public)
    assert set(public.values()) == {"NONE"}


def test_every_route_reaches_the_live_alias(template: dict[str, Any]) -> None:
    (integration,) = resources_of_type(template, "AWS::ApiGatewayV2::Integration").values()
    assert ":live/invocations" in integration["Properties"]["IntegrationUri"]["Fn::Sub"]
    for route in resources_of_type(template, "AWS::ApiGatewayV2::Route").values():
        assert route["Properties"]["Target"] == {"Fn::Sub": "integrations/${GenreIntegration}"}
    permission = template["Resources"]["GenreApiPermission"]["Properties"]
    assert permission["FunctionName"] == {"Ref": "GenreFunction.Alias"}


def test_cors_origins_come_from_a_parameter_and_default_to_none(template: dict[str, Any]) -> None:
    assert template["Parameters"]["CorsAllowedOrigins"]["Default"] == ""
    cors = template["Resources"]["GenreApi"]["Properties"]["CorsConfiguration"]["Fn::If"]
    assert cors[0] == "HasCorsOrigins"
    assert cors[1]["AllowOrigins"] == {"Ref": "CorsAllowedOrigins"}
    assert cors[2] == {"Ref": "AWS::NoValue"}


def test_a_gradual_rollout_that_alarms_and_a_pre_traffic_check_roll_back(
    template: dict[str, Any],
) -> None:
    function = template["Resources"]["GenreFunction"]["Properties"]
    assert function["AutoPublishAlias"] == "live"
    preference = function["DeploymentPreference"]
    assert preference["Type"] == {"Ref": "DeploymentType"}
    assert template["Parameters"]["DeploymentType"]["Default"] == "Canary10Percent5Minutes"
    alarms = {alarm["Ref"] for alarm in preference["Alarms"]}
    assert alarms == {"FunctionErrorsAlarm", "P99DurationAlarm", "Api5xxAlarm"}
    assert preference["Hooks"] == {"PreTraffic": {"Ref": "PreTrafficCheck"}}
    hook = template["Resources"]["PreTrafficCheck"]["Properties"]
    assert hook["FunctionName"]["Fn::Sub"].startswith("CodeDeployHook_")
    assert hook["Environment"]["Variables"]["NEW_VERSION"] == {"Ref": "GenreFunction.Version"}
    assert hook["Environment"]["Variables"]["EXPECTED_MODEL_VERSION"] == {"Ref": "ModelVersion"}
    assert (REPO / hook["CodeUri"] / "pretraffic.py").is_file()
    errors = template["Resources"]["FunctionErrorsAlarm"]["Properties"]
    dimensions = {d["Name"]: d["Value"] for d in errors["Dimensions"]}
    assert dimensions["ExecutedVersion"] == {"Fn::GetAtt": ["GenreFunction", "Version.Version"]}
    p99 = template["Resources"]["P99DurationAlarm"]["Properties"]
    assert (p99["MetricName"], p99["ExtendedStatistic"]) == ("Duration", "p99")


def test_provisioned_concurrency_is_a_parameter_that_defaults_to_none(
    template: dict[str, Any],
) -> None:
    assert template["Parameters"]["ProvisionedConcurrency"]["Default"] == 0
    config = template["Resources"]["GenreFunction"]["Properties"]["ProvisionedConcurrencyConfig"]
    assert config["Fn::If"][0] == "HasProvisionedConcurrency"
    assert config["Fn::If"][2] == {"Ref": "AWS::NoValue"}


def test_observability_tracing_dashboard_and_exported_alarms(template: dict[str, Any]) -> None:
    assert template["Globals"]["Function"]["Tracing"] == "Active"
    variables = template["Resources"]["GenreFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["POWERTOOLS_SERVICE_NAME"] == "movie-genre"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == {"Ref": "MetricsNamespace"}
    assert template["Parameters"]["MetricsNamespace"]["Default"] == "MovieGenre"
    body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"][0]
    for metric in ("Requests", "Errors", "Duration", "ColdStart", "MoviesScored", "GenrePredicted"):
        assert metric in body
    for name in ("FunctionErrorsAlarmName", "P99DurationAlarmName", "Api5xxAlarmName"):
        assert "Export" in template["Outputs"][name]


def test_samconfig_has_dev_and_prod_that_differ_where_they_should() -> None:
    config = tomllib.loads((REPO / "samconfig.toml").read_text())

    def overrides(env: str) -> dict[str, str]:
        pairs = config[env]["deploy"]["parameters"]["parameter_overrides"].split()
        return dict(pair.split("=", 1) for pair in pairs)

    dev, prod = overrides("dev"), overrides("prod")
    assert config["dev"]["global"]["parameters"]["stack_name"] == "movie-genre-dev"
    assert config["prod"]["global"]["parameters"]["stack_name"] == "movie-genre-prod"
    assert (dev["AuthMode"], prod["AuthMode"]) == ("NONE", "IAM")
    assert (dev["DeploymentType"], prod["DeploymentType"]) == (
        "AllAtOnce",
        "Canary10Percent5Minutes",
    )
    assert int(prod["ProvisionedConcurrency"]) > int(dev["ProvisionedConcurrency"]) == 0


def test_make_deploy_passes_the_environment_and_the_bundled_models_version() -> None:
    result = subprocess.run(
        [sys.executable, "deploy/environments.py", "overrides", "prod", "models/default"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    version = json.loads((REPO / "models/default/manifest.json").read_text())["version"]
    assert result.stdout.split()[-1] == f"ModelVersion={version}"
    assert "AuthMode=IAM" in result.stdout.split()


def test_the_github_workflows_match_the_workflow_schema() -> None:
    workflows = sorted((REPO / ".github" / "workflows").glob("*.yml"))
    assert {w.name for w in workflows} == {"ci.yml", "deploy.yml"}
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-workflows", *map(str, workflows)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_the_repositorys_ci_script_and_deploy_uses_oidc() -> None:
    ci = yaml.safe_load((REPO / ".github/workflows/ci.yml").read_text())
    steps = [step.get("run", "") for step in ci["jobs"]["ci"]["steps"]]
    assert any("bash .ci/run" in step for step in steps)
    deploy = yaml.safe_load((REPO / ".github/workflows/deploy.yml").read_text())
    assert deploy["permissions"]["id-token"] == "write"
    assert deploy["jobs"]["production"]["needs"] == "dev"
    assert deploy["jobs"]["production"]["environment"] == "production"
    for job in deploy["jobs"].values():
        uses = [step.get("uses", "") for step in job["steps"]]
        assert any(u.startswith("aws-actions/configure-aws-credentials") for u in uses)
        runs = " ".join(step.get("run", "") for step in job["steps"])
        assert "make pull" in runs and "make deploy" in runs and "--json" in runs


def test_the_deploy_policy_is_scoped_to_the_projects_resources() -> None:
    policy = json.loads((REPO / "deploy" / "github-deploy-policy.json").read_text())
    for statement in policy["Statement"]:
        resources = statement["Resource"]
        resources = resources if isinstance(resources, list) else [resources]
        if statement["Action"] != ["ecr:GetAuthorizationToken"]:
            assert "*" not in resources, statement["Sid"]
        assert all(not action.endswith(":*") for action in statement.get("Action", []))
