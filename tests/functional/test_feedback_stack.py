"""The stack's side of POST /feedback (template.yaml): its route, its throttling, where the
function may write corrections, and the parameters that say where."""

from __future__ import annotations

import re
from typing import Any

import pytest

from genre_api.settings import MIN_CLIENT_KEY_CHARS
from tests.helpers.cloudformation import Resolver, load_template
from tests.helpers.data import REPO
from tests.helpers.iam_policy import allows

BUCKET = "movie-genre-dev-feedback"
KEY_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:movie-genre-dev-feedback-key"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(REPO / "template.yaml")


def function_with(template: dict[str, Any], bucket: str, prefix: str = "feedback") -> Any:
    names = {
        "AWS::Partition": "aws",
        "FeedbackBucket": bucket,
        "FeedbackPrefix": prefix,
        "FeedbackClientKey": KEY_SECRET,  # Ref of the stack's secret: its ARN
    }
    resolve = Resolver(names, template["Conditions"])
    properties = template["Resources"]["GenreFunction"]["Properties"]
    variables = properties["Environment"]["Variables"]
    feedback = {k: v for k, v in variables.items() if k.startswith("MOVIE_GENRE_FEEDBACK_")}
    return resolve(properties["Policies"]), resolve(feedback)


def test_the_route_has_the_scoring_routes_authorization(template: dict[str, Any]) -> None:
    route = template["Resources"]["FeedbackRoute"]["Properties"]
    assert route["RouteKey"] == "POST /feedback"
    assert (
        route["AuthorizationType"]
        == template["Resources"]["GenreRoute"]["Properties"]["AuthorizationType"]
    )


def test_the_route_is_throttled_below_the_default(template: dict[str, Any]) -> None:
    stage = template["Resources"]["GenreApiStage"]["Properties"]
    feedback = stage["RouteSettings"]["POST /feedback"]
    default = stage["DefaultRouteSettings"]
    assert feedback["ThrottlingRateLimit"] < default["ThrottlingRateLimit"]
    assert feedback["ThrottlingBurstLimit"] < default["ThrottlingBurstLimit"]


def test_the_function_may_only_add_new_objects_under_the_prefix(template: dict[str, Any]) -> None:
    (policy,), variables = function_with(template, BUCKET)
    assert variables["MOVIE_GENRE_FEEDBACK_BUCKET"] == BUCKET
    assert variables["MOVIE_GENRE_FEEDBACK_PREFIX"] == "feedback"
    new = {"s3:if-none-match": "*"}
    key = f"arn:aws:s3:::{BUCKET}/feedback/date=2026-05-01/x.json"
    assert allows(policy, "s3:PutObject", key, new)
    assert not allows(policy, "s3:PutObject", key)  # could replace a correction
    assert not allows(policy, "s3:PutObject", f"arn:aws:s3:::{BUCKET}/models/x", new)
    assert not allows(policy, "s3:PutObject", f"arn:aws:s3:::{BUCKET}/feedback-x/y", new)
    assert not allows(policy, "s3:PutObject", "arn:aws:s3:::other/feedback/x.json", new)
    for action in ("s3:GetObject", "s3:DeleteObject", "s3:ListBucket"):
        assert not allows(policy, action, key, new)


def test_without_a_bucket_the_function_has_no_s3_rights(template: dict[str, Any]) -> None:
    policies, variables = function_with(template, "")
    assert policies == []
    assert variables["MOVIE_GENRE_FEEDBACK_BUCKET"] == ""  # the route answers 503
    output = template["Outputs"]["FeedbackLocation"]
    assert output["Condition"] == "HasFeedbackBucket"


def test_the_function_gets_the_stacks_client_key_with_a_bucket_only(
    template: dict[str, Any],
) -> None:
    """One key per stack, the same in every instance and deploy (docs/feedback.md, "Who sent
    it"): the stack's generated secret, resolved by CloudFormation. Without a bucket there is
    no secret and no variable. tests/functional/test_deploy_execution.py creates it on moto."""
    secret = template["Resources"]["FeedbackClientKey"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert secret["Condition"] == "HasFeedbackBucket"
    drawn = secret["Properties"]["GenerateSecretString"]
    assert drawn["PasswordLength"] >= MIN_CLIENT_KEY_CHARS and drawn["ExcludePunctuation"]
    _, variables = function_with(template, BUCKET)
    assert variables["MOVIE_GENRE_FEEDBACK_CLIENT_KEY"] == (
        "{{resolve:secretsmanager:" + KEY_SECRET + "}}"
    )
    _, variables = function_with(template, "")
    assert "MOVIE_GENRE_FEEDBACK_CLIENT_KEY" not in variables


@pytest.mark.parametrize(
    ("prefix", "allowed"),
    [
        ("feedback", True),
        ("team/feedback", True),
        ("feedback/2026", True),
        ("/feedback", False),
        ("feedback/", False),
        ("../models", False),
        ("feedback/../models", False),
        ("a//b", False),
        ("a/./b", False),
        ("", False),
        ("feed back", False),
    ],
)
def test_the_prefix_parameter_takes_only_a_plain_key_prefix(
    template: dict[str, Any], prefix: str, allowed: bool
) -> None:
    pattern = template["Parameters"]["FeedbackPrefix"]["AllowedPattern"]
    assert (re.fullmatch(pattern, prefix) is not None) == allowed


@pytest.mark.parametrize(
    ("bucket", "allowed"),
    [(BUCKET, True), ("", True), ("Upper", False), ("a", False), ("b/c", False)],
)
def test_the_bucket_parameter_takes_a_bucket_name_or_nothing(
    template: dict[str, Any], bucket: str, allowed: bool
) -> None:
    pattern = template["Parameters"]["FeedbackBucket"]["AllowedPattern"]
    assert (re.fullmatch(pattern, bucket) is not None) == allowed


def test_the_feedback_bucket_expires_corrections_and_their_old_versions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The access stack's bucket: corrections go after the retention parameter's days, older
    versions after 30; S3 (moto) takes the rule as the stack resolves it."""
    access = load_template(REPO / "deploy" / "environment-access.yaml")
    retention = access["Parameters"]["FeedbackRetentionDays"]
    assert (retention["Type"], retention["Default"], retention["MinValue"]) == ("Number", 365, 1)
    bucket = access["Resources"]["FeedbackStore"]["Properties"]
    rules = Resolver({"FeedbackRetentionDays": "90"})(bucket["LifecycleConfiguration"])["Rules"]
    expire = next(rule for rule in rules if "ExpirationInDays" in rule)
    assert expire["ExpirationInDays"] == "90"
    assert expire["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    assert "Prefix" not in expire and "Filter" not in expire  # every object
    assert any(rule.get("ExpiredObjectDeleteMarker") is True for rule in rules)
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"

    import boto3
    from moto import mock_aws

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_lifecycle_configuration(
            Bucket=BUCKET,
            LifecycleConfiguration={"Rules": [as_s3_rule(rule) for rule in rules]},
        )
        applied = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert [rule["ID"] for rule in applied] == [rule["Id"] for rule in rules]
    assert applied[0]["Expiration"] == {"Days": 90}
    assert applied[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30


def as_s3_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle rule as S3's API spells it."""
    made: dict[str, Any] = {"ID": rule["Id"], "Status": rule["Status"], "Filter": {}}
    if "ExpirationInDays" in rule:
        made["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if rule.get("ExpiredObjectDeleteMarker"):
        made["Expiration"] = {"ExpiredObjectDeleteMarker": True}
    if "NoncurrentVersionExpiration" in rule:
        made["NoncurrentVersionExpiration"] = rule["NoncurrentVersionExpiration"]
    if "AbortIncompleteMultipartUpload" in rule:
        made["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
    return made
