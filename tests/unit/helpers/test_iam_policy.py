"""The tests' IAM evaluator (tests/helpers/iam_policy.py) against outcomes AWS documents, with the
policies and requests of AWS's own examples where the page gives them. The deploy tests' claim
that one environment's role cannot touch the other's rests on this evaluator.

Sources (AWS Identity and Access Management User Guide):
- EXPLICIT: "The difference between explicit and implicit denies",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay.html
- ACTION: "IAM JSON policy elements: Action",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
- RESOURCE: "IAM JSON policy elements: Resource",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
- CONDITION: "IAM JSON policy elements: Condition" and "... Condition operators",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.iam_policy import allows

# EXPLICIT's example policy, as the page gives it.
GET_LIST_NO_REPORTS: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowGetList",
            "Effect": "Allow",
            "Action": ["iam:Get*", "iam:List*"],
            "Resource": "*",
        },
        {"Sid": "DenyReports", "Effect": "Deny", "Action": "iam:*Report", "Resource": "*"},
    ],
}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **condition: Any) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    return {**statement, "Condition": condition} if condition else statement


@pytest.mark.parametrize(
    ("action", "allowed"),
    [
        ("iam:GetUser", True),  # AllowGetList: read-only Get* and List*
        ("iam:ListRoles", True),
        ("iam:CreatePolicy", False),  # "implicitly denied": no statement applies
        ("iam:GetOrganizationsAccessReport", False),  # "explicitly denied": Deny trumps Allow
    ],
)
def test_explicit_and_implicit_denies_as_aws_documents_them(action: str, allowed: bool) -> None:
    assert allows(GET_LIST_NO_REPORTS, action, "*") is allowed


def test_an_explicit_deny_wins_over_an_allow_added_beside_it() -> None:
    """EXPLICIT: another policy granting iam:GenerateCredentialReport leaves it denied (the
    statements of every policy that applies are evaluated together)."""
    granted = policy(*GET_LIST_NO_REPORTS["Statement"], allow("iam:GenerateCredentialReport"))
    assert not allows(granted, "iam:GenerateCredentialReport", "*")
    assert allows(
        policy(allow("iam:GenerateCredentialReport")), "iam:GenerateCredentialReport", "*"
    )


def test_actions_are_case_insensitive_in_the_policy_and_the_request() -> None:
    """ACTION: "iam:ListAccessKeys is the same as IAM:listaccesskeys"."""
    assert allows(policy(allow("IAM:listaccesskeys")), "iam:ListAccessKeys", "*")
    assert allows(policy(allow("iam:ListAccessKeys")), "IAM:listaccesskeys", "*")


@pytest.mark.parametrize(
    ("action", "allowed"),
    [
        # ACTION: "iam:*AccessKey*" applies to these four
        ("iam:CreateAccessKey", True),
        ("iam:DeleteAccessKey", True),
        ("iam:ListAccessKeys", True),
        ("iam:UpdateAccessKey", True),
        ("iam:ListUsers", False),
        ("sts:CreateAccessKey", False),  # the service prefix is part of the match
    ],
)
def test_action_wildcards(action: str, allowed: bool) -> None:
    assert allows(policy(allow("iam:*AccessKey*")), action, "*") is allowed


def test_the_single_character_wildcard_matches_exactly_one_character() -> None:
    document = policy(allow("s3:?etObject"))
    assert allows(document, "s3:GetObject", "*")
    assert not allows(document, "s3:etObject", "*")
    assert not allows(document, "s3:GGetObject", "*")


@pytest.mark.parametrize(
    ("key", "allowed"),
    [
        # RESOURCE: "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*" applies to all of these ...
        ("1/test/object.jpg", True),
        ("1/2/test/object.jpg", True),
        ("1/2/test/3/object.jpg", True),
        ("1/2/3/test/4/object.jpg", True),
        ("1///test///object.jpg", True),
        ("1/test/.jpg", True),
        ("/test/object.jpg", True),
        ("1/test/", True),
        # ... and not to a key without "/test/" in it
        ("1-test/object.jpg", False),
        ("test/object.jpg", False),
    ],
)
def test_a_resource_wildcard_expands_over_slashes(key: str, allowed: bool) -> None:
    document = policy(allow("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*"))
    resource = f"arn:aws:s3:::amzn-s3-demo-bucket/{key}"
    assert allows(document, "s3:GetObject", resource) is allowed


def test_resource_names_are_case_sensitive() -> None:
    """RESOURCE: "In the Resource element, the IAM user name is case sensitive"."""
    document = policy(allow("iam:GetUser", "arn:aws:iam::123456789012:user/Bob"))
    assert allows(document, "iam:GetUser", "arn:aws:iam::123456789012:user/Bob")
    assert not allows(document, "iam:GetUser", "arn:aws:iam::123456789012:user/bob")


def test_a_condition_on_a_key_absent_from_the_request_is_false() -> None:
    """CONDITION operators: "If the key that you specify in a policy condition is not present in
    the request context, the values do not match and the condition is false": an Allow with it
    does not apply, and neither does a Deny."""
    tagged = {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}}
    document = policy(allow("iam:*AccessKey*", "arn:aws:iam::111122223333:user/*", **tagged))
    user = "arn:aws:iam::111122223333:user/Bob"
    assert not allows(document, "iam:CreateAccessKey", user, {})
    admin = {"aws:PrincipalTag/job-category": "iamuser-admin"}
    assert allows(document, "iam:CreateAccessKey", user, admin)
    deny = {"Effect": "Deny", "Action": "iam:*", "Resource": "*", "Condition": tagged}
    assert allows(policy(allow("iam:*"), deny), "iam:CreateAccessKey", user, {})
    assert not allows(policy(allow("iam:*"), deny), "iam:CreateAccessKey", user, admin)


def test_the_null_operator_tests_whether_the_key_is_present() -> None:
    """CONDITION operators, Null: "true" holds when the key is absent, "false" when present."""
    absent = policy(allow("ec2:*", Null={"aws:TokenIssueTime": "true"}))
    present = policy(allow("ec2:*", Null={"aws:TokenIssueTime": "false"}))
    temporary = {"aws:TokenIssueTime": "2026-12-07T10:00:00Z"}
    assert allows(absent, "ec2:RunInstances", "*", {})
    assert not allows(absent, "ec2:RunInstances", "*", temporary)
    assert allows(present, "ec2:RunInstances", "*", temporary)
    assert not allows(present, "ec2:RunInstances", "*", {})


def test_condition_key_names_are_case_insensitive_and_values_are_not() -> None:
    """CONDITION: "including the aws:SourceIP context key is equivalent to testing for
    AWS:SourceIp"; StringEquals is an "exact matching, case sensitive" comparison."""
    document = policy(allow("s3:GetObject", StringEquals={"AWS:SourceIp": "203.0.113.7"}))
    assert allows(document, "s3:GetObject", "*", {"aws:SourceIP": "203.0.113.7"})
    role = policy(allow("iam:PassRole", StringEquals={"iam:PassedToService": "lambda"}))
    assert not allows(role, "iam:PassRole", "*", {"iam:PassedToService": "Lambda"})


def test_a_conditions_values_are_alternatives_and_its_keys_and_operators_all_hold() -> None:
    """CONDITION: several values for one key: any of them; several keys or operators: all."""
    document = policy(
        allow(
            "s3:ListBucket",
            StringLike={"s3:prefix": ["dev/*", "shared/*"]},
            StringEquals={"aws:RequestedRegion": "us-east-1"},
        )
    )
    us = {"aws:RequestedRegion": "us-east-1"}
    assert allows(document, "s3:ListBucket", "*", {**us, "s3:prefix": "shared/x"})
    assert allows(document, "s3:ListBucket", "*", {**us, "s3:prefix": "dev/"})
    assert not allows(document, "s3:ListBucket", "*", {**us, "s3:prefix": "prod/x"})
    eu = {"aws:RequestedRegion": "eu-west-1", "s3:prefix": "dev/x"}
    assert not allows(document, "s3:ListBucket", "*", eu)


def test_a_condition_operator_it_cannot_evaluate_is_an_error_not_a_guess() -> None:
    document = policy(allow("s3:*", NumericLessThan={"s3:max-keys": "10"}))
    with pytest.raises(ValueError, match="NumericLessThan"):
        allows(document, "s3:ListBucket", "*", {"s3:max-keys": "5"})
