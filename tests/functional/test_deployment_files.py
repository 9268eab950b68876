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

from tests.helpers.cloudformation import load_template
from tests.helpers.data import REPO
from tests.helpers.make import dry_run

LOCK = REPO / "layers" / "runtime" / "requirements.lock"
ONNX_LOCK = REPO / "layers" / "runtime" / "requirements-onnx.lock"
STATIC_LOCK = REPO / "layers" / "runtime" / "requirements-static.lock"
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
    [
        (LOCK, ("function", "model")),
        (ONNX_LOCK, ("function", "model", "onnx")),
        (STATIC_LOCK, ("function", "model", "static")),
    ],
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


@pytest.mark.parametrize("lock", [ONNX_LOCK, STATIC_LOCK])
def test_the_locks_with_tokenizers_leave_its_hub_client_out(lock: Path) -> None:
    """It reads tokenizer.json from the model's files and never a hub: 28 MB the image would
    ship unused (test_it_serves_without_tokenizers_hub_client serves without it)."""
    pins = lock_pins(lock)
    assert "tokenizers" in pins and "huggingface-hub" not in pins and "hf-xet" not in pins


@pytest.mark.parametrize("lock", [LOCK, ONNX_LOCK, STATIC_LOCK])
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


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(REPO / "template.yaml")


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
    assert template["Resources"]["PreTrafficCheck"]["Metadata"] == {
        "BuildMethod": "makefile",  # function/pretraffic/Makefile packs the golden set
        "WorkingDirectory": ".",
    }
    assert set(hook["Environment"]["Variables"]) == {"NEW_VERSION", "EXPECTED_MODEL_VERSION"}
    assert [s["Action"] for s in hook["Policies"][0]["Statement"]] == [
        "codedeploy:PutLifecycleEventHookExecutionStatus",
        "lambda:InvokeFunction",
    ]  # no S3: the golden set is in its package


def test_the_latency_alarm_counts_api_requests_only_never_a_catalogue_batch(
    template: dict[str, Any],
) -> None:
    """Catalogue jobs invoke the live alias from Step Functions, not through the API: a batch
    of hundreds of rows takes seconds, and during a canary it must not roll the deploy back.
    API Gateway's own latency of the stage counts only what came through the API."""
    resources = template["Resources"]
    substitutions = resources["CatalogueStateMachine"]["Properties"]["DefinitionSubstitutions"]
    assert substitutions["ScoringFunctionArn"] == {"Ref": "GenreFunction.Alias"}
    alarm = resources["P99DurationAlarm"]["Properties"]
    metrics = {m["Id"]: m for m in alarm["Metrics"]}
    stats = [m["MetricStat"] for m in metrics.values() if "MetricStat" in m]
    assert {s["Metric"]["Namespace"] for s in stats} == {"AWS/ApiGateway"}
    for stat in stats:
        assert {"Name": "ApiId", "Value": {"Ref": "GenreApi"}} in stat["Metric"]["Dimensions"]
    latency = next(s for s in stats if s["Metric"]["MetricName"] == "IntegrationLatency")
    assert latency["Stat"] == "p99" and latency["Period"] == 60
    (returned,) = [m for m in metrics.values() if m.get("ReturnData", True)]
    # A quiet minute (a handful of requests) never counts, as for the error alarms.
    assert "${AlarmMinRequests}" in returned["Expression"]["Fn::Sub"]
    assert alarm["Threshold"] == {"Ref": "P99DurationThresholdMs"}
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (2, 2)


@pytest.mark.parametrize(
    ("alarm", "failed", "total", "dimension"),
    [
        ("FunctionErrorsAlarm", "Errors", "Invocations", "ExecutedVersion"),
        ("Api5xxAlarm", "5xx", "Count", "ApiId"),
    ],
)
def test_error_alarms_watch_a_rate_over_two_minutes_not_a_single_error(
    template: dict[str, Any], alarm: str, failed: str, total: str, dimension: str
) -> None:
    """One 5xx, which any caller can provoke (an oversize body), rolls nothing back."""
    properties = template["Resources"][alarm]["Properties"]
    assert (properties["EvaluationPeriods"], properties["DatapointsToAlarm"]) == (2, 2)
    assert properties["Threshold"] == {"Ref": "ErrorRateThresholdPercent"}
    queries = {query["Id"]: query for query in properties["Metrics"]}
    stats = {
        q["MetricStat"]["Metric"]["MetricName"]: q["MetricStat"]
        for q in queries.values()
        if "MetricStat" in q
    }
    assert set(stats) == {failed, total}
    assert all(stat["Stat"] == "Sum" and stat["Period"] == 60 for stat in stats.values())
    assert {d["Name"] for d in stats[failed]["Metric"]["Dimensions"]} >= {dimension}
    (rate,) = [q for q in queries.values() if q.get("ReturnData", True)]
    assert rate["Expression"]["Fn::Sub"].startswith("IF(")
    assert "${AlarmMinRequests}" in rate["Expression"]["Fn::Sub"]
    assert template["Parameters"]["ErrorRateThresholdPercent"]["Default"] == 5


def test_concurrency_is_reserved_per_function_and_costly_routes_are_throttled(
    template: dict[str, Any],
) -> None:
    resources = template["Resources"]
    assert template["Parameters"]["ReservedConcurrency"]["Default"] == 0  # 0: no cap
    assert resources["GenreFunction"]["Properties"]["ReservedConcurrentExecutions"] == {
        "Fn::If": [
            "HasReservedConcurrency",
            {"Ref": "ReservedConcurrency"},
            {"Ref": "AWS::NoValue"},
        ]
    }
    assert resources["PreTrafficCheck"]["Properties"]["ReservedConcurrentExecutions"] == {
        "Fn::If": ["HasReservedConcurrency", 1, {"Ref": "AWS::NoValue"}]
    }
    stage = resources["GenreApiStage"]["Properties"]
    default = stage["DefaultRouteSettings"]["ThrottlingRateLimit"]
    for route in ("POST /explain", "POST /genres"):
        assert stage["RouteSettings"][route]["ThrottlingRateLimit"] <= default / 10
    config = tomllib.loads((REPO / "samconfig.toml").read_text())
    reserved = {
        env: int(dict(p.split("=") for p in overrides.split())["ReservedConcurrency"])
        for env in ("dev", "prod")
        for overrides in [config[env]["deploy"]["parameters"]["parameter_overrides"]]
    }
    # prod caps the function; dev reserves nothing, so that it fits a new account (make preflight)
    assert reserved["prod"] > 0 and reserved["dev"] == 0


def test_the_demo_page_and_swagger_ui_are_off_in_prod(template: dict[str, Any]) -> None:
    variables = template["Resources"]["GenreFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["MOVIE_GENRE_PUBLIC_PAGES"] == {"Ref": "PublicPages"}
    assert template["Parameters"]["PublicPages"]["Default"] == "true"
    config = tomllib.loads((REPO / "samconfig.toml").read_text())
    prod = config["prod"]["deploy"]["parameters"]["parameter_overrides"].split()
    assert "PublicPages=false" in prod


def test_traces_keep_no_text(template: dict[str, Any]) -> None:
    variables = template["Resources"]["GenreFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
    assert variables["POWERTOOLS_TRACER_CAPTURE_ERROR"] == "false"


def test_every_role_the_stack_creates_can_carry_the_permissions_boundary(
    template: dict[str, Any],
) -> None:
    """SAM makes the functions' roles (Globals); CodeDeploy's is ours, not SAM's default."""
    boundary = {
        "Fn::If": [
            "HasPermissionsBoundary",
            {"Ref": "PermissionsBoundaryArn"},
            {"Ref": "AWS::NoValue"},
        ]
    }
    assert template["Globals"]["Function"]["PermissionsBoundary"] == boundary
    roles = resources_of_type(template, "AWS::IAM::Role")
    assert set(roles) == {"DeploymentRole"}
    assert roles["DeploymentRole"]["Properties"]["PermissionsBoundary"] == boundary
    preference = template["Resources"]["GenreFunction"]["Properties"]["DeploymentPreference"]
    assert preference["Role"] == {"Fn::GetAtt": ["DeploymentRole", "Arn"]}


def test_the_model_version_parameter_takes_only_a_version(template: dict[str, Any]) -> None:
    pattern = re.compile(template["Parameters"]["ModelVersion"]["AllowedPattern"])
    version = json.loads((REPO / "models/default/manifest.json").read_text())["version"]
    assert pattern.fullmatch(version) and pattern.fullmatch("")
    assert not pattern.fullmatch(f"{version} AuthMode=NONE")


def test_the_runtime_layer_builds_on_a_base_pinned_by_digest() -> None:
    dockerfile = (REPO / "layers" / "runtime" / "Dockerfile").read_text()
    (base,) = re.findall(r"^ARG BASE_IMAGE=(\S+)$", dockerfile, re.MULTILINE)
    assert re.fullmatch(r"public\.ecr\.aws/lambda/python:3\.12@sha256:[0-9a-f]{64}", base)


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


def test_each_environment_resolves_its_bucket_and_repository_and_has_one_region() -> None:
    """What stopped the first deploy: no bucket for the hook's zip. SAM makes its own (each
    environment under its own prefix) and the image repository; the region is written once."""
    config = tomllib.loads((REPO / "samconfig.toml").read_text())
    environments = [
        name
        for name, section in config.items()
        if isinstance(section, dict) and "deploy" in section
    ]
    assert environments == ["dev", "prod"]  # no default deploy: every deploy names its own
    for env in environments:
        deploy = config[env]["deploy"]["parameters"]
        stack = config[env]["global"]["parameters"]["stack_name"]
        assert deploy["resolve_s3"] is True and "s3_bucket" not in deploy
        assert deploy["s3_prefix"] == stack
        assert deploy["resolve_image_repos"] is True and "image_repositories" not in deploy
        assert "region" not in deploy and config[env]["global"]["parameters"]["region"]
    for path in (".github/workflows/deploy.yml", "Makefile", "deploy/smoke-test.sh"):
        text = (REPO / path).read_text()
        assert not re.search(r"[a-z]{2}-[a-z]+-\d", text), f"{path} names a region"
        assert "AWS_REGION }}" not in text and "vars.AWS_REGION" not in text


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


@pytest.mark.parametrize("workflow", ["ci.yml", "deploy.yml"])
def test_every_action_is_pinned_by_commit(workflow: str) -> None:
    """A tag can be moved to other code; a commit cannot. The comment says which release."""
    text = (REPO / ".github/workflows" / workflow).read_text()
    uses = re.findall(r"uses: (\S+)(.*)", text)
    assert uses
    for action, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), action
        assert re.fullmatch(r"\s+# v\d+\.\d+\.\d+", comment), f"{action}: no version comment"


@pytest.fixture(scope="module")
def deploy_workflow() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / ".github/workflows/deploy.yml").read_text())
    return loaded


def step_index(steps: list[dict[str, Any]], needle: str) -> int:
    (index,) = [
        i for i, step in enumerate(steps) if needle in step.get("uses", step.get("run", ""))
    ]
    return index


@pytest.mark.parametrize("job", ["dev", "prod"])
def test_each_job_installs_pinned_tools_before_it_holds_credentials(
    deploy_workflow: dict[str, Any], job: str
) -> None:
    steps = deploy_workflow["jobs"][job]["steps"]
    credentials = step_index(steps, "aws-actions/configure-aws-credentials")
    assert step_index(steps, "make deploy-tools") < credentials
    assert steps[credentials]["with"]["role-to-assume"] == "${{ vars.DEPLOY_ROLE_ARN }}"
    assert "samconfig" in steps[credentials - 1]["name"]  # the region, read from samconfig.toml
    assert deploy_workflow["jobs"][job]["environment"] == job  # its own role, its own variables
    assert deploy_workflow["jobs"][job]["permissions"]["id-token"] == "write"
    plan = dry_run("deploy-tools").replace("\\\n", " ")
    installs = [
        line for line in plan.splitlines() if "pip install" in line and "--upgrade pip" not in line
    ]
    assert len(installs) == 3  # the deploy lock, the project itself, SAM's lock
    for line in installs:
        assert "--require-hashes" in line or "--no-deps --no-build-isolation -e ." in line
    assert "id-token" not in deploy_workflow["permissions"]
    for step in steps:
        assert "${{" not in step.get("run", ""), "values reach scripts through env, not the text"


def test_the_image_build_after_the_pull_runs_without_credentials(
    deploy_workflow: dict[str, Any],
) -> None:
    """dev must pull (with credentials) before it builds the image that bundles the model; the
    build step then runs with the credentials blanked."""
    steps = deploy_workflow["jobs"]["dev"]["steps"]
    build = steps[step_index(steps, "make layers build")]
    assert step_index(steps, "movie-genre-train pull") < step_index(steps, "make layers build")
    assert {build["env"][name] for name in (
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")} == {""}  # fmt: skip


def test_prod_promotes_what_dev_deployed_and_tested_without_rebuilding(
    deploy_workflow: dict[str, Any],
) -> None:
    dev, prod = deploy_workflow["jobs"]["dev"]["steps"], deploy_workflow["jobs"]["prod"]["steps"]
    assert deploy_workflow["jobs"]["prod"]["needs"] == "dev"
    assert step_index(dev, "deploy/smoke-test.sh dev") < step_index(dev, "release.py record")
    assert step_index(dev, "release.py record") < step_index(dev, "actions/upload-artifact")
    prod_runs = " ".join(step.get("run", "") for step in prod)
    assert "make layers" not in prod_runs and "build" not in prod_runs.replace("--", "")
    assert "pull" not in prod_runs  # prod reads no model bucket
    credentials = step_index(prod, "aws-actions/configure-aws-credentials")
    assert step_index(prod, "release.py restore") < credentials
    assert credentials < step_index(prod, "make deploy ENV=prod")
    assert step_index(prod, "deploy/smoke-test.sh prod") < step_index(prod, "release.py check")


def test_prod_runs_only_for_the_tags_its_environment_admits(
    deploy_workflow: dict[str, Any],
) -> None:
    """The prod environment admits only tags v* (docs/deploy.md): a run started by hand from a
    branch deploys dev and stops there, green, instead of failing at prod's gate."""
    condition = deploy_workflow["jobs"]["prod"]["if"]
    assert condition == "startsWith(github.ref, 'refs/tags/v')"
    assert "if" not in deploy_workflow["jobs"]["dev"]


def test_make_deploy_runs_preflight_before_sam_and_lint_runs_awss_own_rules() -> None:
    plan = dry_run("deploy", "ENV=prod").splitlines()
    deploy = [line for line in plan if "deploy/preflight.py" in line or "environments.py" in line]
    assert "deploy/preflight.py 'prod'" in deploy[0]
    assert "deploy/environments.py deploy 'prod'" in deploy[1]
    lint = dry_run("-W", "package-lock.json", "lint")  # as after a change of the pins
    assert "npm ci" in lint and "test_asl_validator.py" in lint
    assert "test_iam_actions.py" in lint and "test_creation_order.py" in lint


@pytest.mark.parametrize("path", sorted((REPO / "deploy").glob("*.yaml")), ids=lambda p: p.name)
def test_cfn_lint_passes_the_bootstrap_templates(path: Path) -> None:
    """template.yaml goes through cfn-lint with `sam validate --lint`; these go straight to it."""
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), str(path)], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
