"""Creation order in template.yaml once SAM's transform has run: wherever a property names another
resource by a key instead of by Ref or Fn::GetAtt, CloudFormation does not know to wait for that
resource, so the template must say so (DependsOn, directly or through what it depends on).

API Gateway answers a stage whose RouteSettings names a route that does not exist yet with
"NotFoundException: Unable to find Route by key POST /genres within the provided RouteSettings"
(aws/serverless-application-model#2479), and the first create rolls back."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.sam_transform import created_before, transformed_template

# (resource type, property whose keys name resources) -> (the named type, its key property);
# the named resource belongs to the same API (ApiId).
KEYED = {("AWS::ApiGatewayV2::Stage", "RouteSettings"): ("AWS::ApiGatewayV2::Route", "RouteKey")}


def named_by_key(template: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(resource, key, the logical id that key names, or None) for every keyed property."""
    resources = template["Resources"]
    found = []
    for name, resource in resources.items():
        properties = resource.get("Properties", {})
        for (kind, prop), (named_kind, key_prop) in KEYED.items():
            if resource["Type"] != kind:
                continue
            for key in properties.get(prop, {}):
                target = next(
                    (
                        other
                        for other, candidate in resources.items()
                        if candidate["Type"] == named_kind
                        and candidate["Properties"][key_prop] == key
                        and candidate["Properties"]["ApiId"] == properties["ApiId"]
                    ),
                    None,
                )
                found.append((name, key, target))
    return found


def created_too_late(template: dict[str, Any]) -> list[tuple[str, str]]:
    """(resource, key) where the resource the key names is not created first."""
    return [
        (name, key)
        for name, key, target in named_by_key(template)
        if target is not None and target not in created_before(template, name)
    ]


def test_the_transformed_template_has_keyed_properties_to_check() -> None:
    assert {key for _, key, _ in named_by_key(transformed_template())} >= {"POST /genres"}


def test_every_key_names_a_resource_of_the_template() -> None:
    found = named_by_key(transformed_template())
    missing = [(name, key) for name, key, target in found if target is None]
    assert not missing, "these keys name nothing that the template creates"


def test_what_a_key_names_is_created_before_the_resource_that_names_it() -> None:
    assert not created_too_late(transformed_template())


@pytest.mark.parametrize("stage", ["GenreApiStage"])
def test_without_its_depends_on_the_stage_would_be_created_too_early(stage: str) -> None:
    """The check finds the failure it is for: the stage waits for its API alone."""
    template = transformed_template()
    template["Resources"][stage].pop("DependsOn", None)
    assert {key for name, key in created_too_late(template) if name == stage} == set(
        template["Resources"][stage]["Properties"]["RouteSettings"]
    )
