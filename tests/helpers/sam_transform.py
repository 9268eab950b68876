"""template.yaml as CloudFormation receives it once the Serverless transform has run
(samtranslator, the library `sam build`/`sam deploy` and CloudFormation's own transform use), and
what each resource waits for before CloudFormation creates it."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from functools import cache
from typing import Any

from tests.helpers.cloudformation import load_template
from tests.helpers.data import REPO

# SAM's own venv (make test installs it): samtranslator pins a pydantic older than the image's.
SAM_PYTHON = REPO / ".venv" / "sam" / "bin" / "python"
# What `sam package` puts in place of local paths; names only, nothing is read from them.
PACKAGED = {
    "ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/movie-genre:rehearsal",
    "CodeUri": "s3://bucket/hook.zip",
    "DefinitionUri": "s3://bucket/definition.asl.json",
}
_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")
# The template's AWS managed policies are named by ARN: no lookup of their names is needed.
TRANSFORM = """
import json, sys
from samtranslator.translator.transform import transform

class NoManagedPolicies:
    def load(self):
        return {}

print(json.dumps(transform(json.load(sys.stdin), {}, NoManagedPolicies())))
"""


def packaged_template() -> dict[str, Any]:
    """template.yaml with its local paths replaced as `sam package` replaces them."""
    template = load_template(REPO / "template.yaml")
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        if properties.get("PackageType") == "Image":
            properties["ImageUri"] = PACKAGED["ImageUri"]
        for key in ("CodeUri", "DefinitionUri"):
            if key in properties:
                properties[key] = PACKAGED[key]
    return template


@cache
def _transformed() -> str:
    done = subprocess.run(
        [str(SAM_PYTHON), "-c", TRANSFORM],
        input=json.dumps(packaged_template()),
        capture_output=True,
        text=True,
        check=True,
        # The transform reads the partition from the region.
        env={"AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"},
    )
    return done.stdout


def transformed_template() -> dict[str, Any]:
    """template.yaml after the Serverless transform (a copy the caller may change)."""
    loaded: dict[str, Any] = json.loads(_transformed())
    return loaded


def references(node: Any) -> Iterator[str]:
    """The logical ids a node names through Ref, Fn::GetAtt and Fn::Sub."""
    if isinstance(node, list):
        for item in node:
            yield from references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                yield value
            elif key == "Fn::GetAtt":
                yield value[0] if isinstance(value, list) else value.split(".")[0]
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                yield from _SUB_NAME.findall(text)
                if not isinstance(value, str):
                    yield from references(value[1])
            else:
                yield from references(value)


def direct_dependencies(template: dict[str, Any]) -> dict[str, set[str]]:
    """For each resource, the resources CloudFormation creates before it: DependsOn, and every
    Ref, Fn::GetAtt and Fn::Sub naming another resource."""
    resources = template["Resources"]
    found = {}
    for name, resource in resources.items():
        depends_on = resource.get("DependsOn", [])
        named = {*([depends_on] if isinstance(depends_on, str) else depends_on)}
        named |= set(references(resource.get("Properties", {})))
        found[name] = {n for n in named if n in resources and n != name}
    return found


def created_before(template: dict[str, Any], name: str) -> set[str]:
    """Every resource CloudFormation must have created before it creates `name`."""
    dependencies = direct_dependencies(template)
    seen: set[str] = set()
    waiting = [name]
    while waiting:
        for dependency in dependencies[waiting.pop()] - seen:
            seen.add(dependency)
            waiting.append(dependency)
    return seen
