"""Every IAM action of every policy the project deploys, against AWS's service authorization data
(the copy cfn-lint ships: each service's actions, the resource types each action supports and
those types' ARN formats).

- the action exists (a misspelt one grants nothing, silently);
- an action that supports no resource type is granted on "*" (IAM ignores any other resource:
  codedeploy:StopDeployment granted on a deployment group's ARN is never granted);
- an action that does support resource types is granted on at least one ARN of those types.

The policies: template.yaml once SAM's transform has run (its functions' and state machine's
roles), and every template of deploy/ (the account's and each environment's access stack)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import cfnlint.data.AdditionalSpecs
import pytest

from tests.helpers.cloudformation import load_template
from tests.helpers.data import REPO
from tests.helpers.sam_transform import transformed_template

POLICIES = Path(cfnlint.data.AdditionalSpecs.__file__).parent / "Policies.json"
# Values for the pseudo parameters; any other ${Name} becomes an example name.
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012"}
_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
_ARN_FIELD = re.compile(r"\$\{(Partition|Region|Account)\}")
# Grants that AWS documents but its authorization data does not list (why, for each).
DOCUMENTED_ELSEWHERE = {
    # AWS's SAM docs: a change set of a template with the Serverless transform is also created
    # on the transform's own ARN (the data lists only stack ARNs for CreateChangeSet).
    ("cloudformation:CreateChangeSet", "arn:aws:cloudformation:us-east-1:aws:transform/*"),
}

Statement = dict[str, Any]


@cache
def services() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(POLICIES.read_text())
    return loaded


def templates() -> dict[str, dict[str, Any]]:
    found = {"template.yaml (transformed)": transformed_template()}
    for path in sorted((REPO / "deploy").glob("*.yaml")):
        found[str(path.relative_to(REPO))] = load_template(path)
    return found


def _branches(node: Any) -> Iterator[Any]:
    """Both sides of every Fn::If: a policy holds whatever either side may deploy."""
    if isinstance(node, dict) and set(node) == {"Fn::If"}:
        for branch in node["Fn::If"][1:]:
            yield from _branches(branch)
    elif not (isinstance(node, dict) and node.get("Ref") == "AWS::NoValue"):
        yield node


def statements(node: Any) -> Iterator[Statement]:
    """Every statement of every policy document under node."""
    if isinstance(node, list):
        for item in node:
            yield from statements(item)
    elif isinstance(node, dict):
        if "Statement" in node:
            for listed in _branches(node["Statement"]):
                for statement in listed if isinstance(listed, list) else [listed]:
                    yield from _branches(statement)
            return
        for value in node.values():
            yield from statements(value)


def listed(value: Any) -> list[Any]:
    return [v for item in (value if isinstance(value, list) else [value]) for v in _branches(item)]


def resource_text(resource: Any) -> str | None:
    """A resource as text, placeholders filled; None where it is another resource's ARN."""
    text = resource.get("Fn::Sub") if isinstance(resource, dict) else resource
    if not isinstance(text, str):
        return None
    filled = _PLACEHOLDER.sub(lambda m: PSEUDO.get(m[1], f"example-{m[1].lower()}"), text)
    return filled if filled == "*" or filled.startswith("arn:") else None


def matching_actions(action: str) -> list[dict[str, Any]]:
    """The authorization data of each action the (possibly wildcard) action names."""
    service, _, name = action.partition(":")
    actions = services().get(service.lower(), {}).get("Actions", {})
    pattern = re.compile(re.escape(name.lower()).replace(r"\*", ".*").replace(r"\?", "."))
    return [spec for known, spec in actions.items() if pattern.fullmatch(known)]


def arn_formats(action: str) -> list[re.Pattern[str]]:
    service = action.split(":")[0].lower()
    (spec,) = matching_actions(action)
    kinds = services()[service]["Resources"]
    return [
        re.compile(_ARN_FIELD.sub("[^:]*", arn))
        for kind in spec.get("Resources", [])
        for arn in kinds.get(kind, {}).get("ARNFormats", [])
    ]


def documented_elsewhere(action: str, resource: str) -> bool:
    return any(
        action == known and re.fullmatch(re.escape(arn).replace(r"\*", ".*"), resource)
        for known, arn in DOCUMENTED_ELSEWHERE
    )


def problems(statement: Statement) -> Iterator[str]:
    """What AWS's data says is wrong with one statement."""
    resources = [resource_text(r) for r in listed(statement.get("Resource", []))]
    for action in listed(statement["Action"]):
        found = matching_actions(action)
        if not found:
            yield f"{action}: no such action"
            continue
        if "*" in action or "Resource" not in statement or "*" in resources:
            continue
        if len(found) == 1 and not found[0].get("Resources"):
            yield f"{action}: supports no resource type, so it must be granted on '*'"
            continue
        formats = arn_formats(action)
        if not formats or None in resources:
            continue  # no ARN formats in the data (API Gateway's), or another resource's ARN
        texts = [t for t in resources if t and not documented_elsewhere(action, t)]
        if texts and not any(f.fullmatch(t) for f in formats for t in texts):
            yield f"{action}: none of {texts} is a resource type it supports"


def every_problem() -> dict[str, list[str]]:
    found = {}
    for name, template in templates().items():
        wrong = [p for s in statements(template["Resources"]) for p in problems(s)]
        if wrong:
            found[name] = wrong
    return found


def test_every_template_holds_policies_to_check() -> None:
    counted = {name: len(list(statements(t["Resources"]))) for name, t in templates().items()}
    assert all(counted.values()), counted
    assert "deploy/environment-access.yaml" in counted


def test_every_action_exists_and_is_granted_on_resources_it_supports() -> None:
    assert every_problem() == {}


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        (
            {"Action": "codedeploy:StopDeployment", "Resource": "arn:aws:codedeploy:*:1:*"},
            "supports no resource type",
        ),
        ({"Action": "lambda:AssociateRuntimeAlias", "Resource": "*"}, "no such action"),
        (
            {
                "Action": "lambda:InvokeFunction",
                "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::b"},
            },
            "none of ['arn:aws:s3:::b'] is a resource type it supports",
        ),
    ],
)
def test_the_check_finds_what_it_is_for(statement: Statement, problem: str) -> None:
    found = list(problems({"Effect": "Allow", **statement}))
    assert len(found) == 1 and problem in found[0]


@pytest.mark.parametrize(
    "statement",
    [
        {"Action": "codedeploy:StopDeployment", "Resource": "*"},
        {"Action": "s3:*", "Resource": "arn:aws:s3:::b"},
        {"Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}},
        {"Action": "s3:GetObject", "Resource": {"Fn::Sub": "${Bucket.Arn}/*"}},
    ],
)
def test_what_aws_allows_passes(statement: Statement) -> None:
    assert list(problems({"Effect": "Allow", **statement})) == []
