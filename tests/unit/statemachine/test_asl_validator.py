"""Every state machine definition of template.yaml, as CloudFormation would receive it, passes
asl-validator (npm, pinned by package-lock.json; `make lint` installs it with `npm ci`).

cfn-lint's E3601 checks each state against a schema, but not the rules that span the whole
machine, such as state names being unique across every Map's ItemProcessor (the Amazon States
Language requires it, and CloudFormation refuses a definition that breaks it)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cloudformation import load_template
from tests.helpers.data import REPO

ASL_VALIDATOR = REPO / "node_modules" / ".bin" / "asl-validator"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
EXAMPLE_ALIAS = "arn:aws:lambda:us-east-1:123456789012:function:movie-genre-dev-GenreFunction:live"
TEMPLATE = load_template(REPO / "template.yaml")
STATE_MACHINES = {
    name: resource["Properties"]
    for name, resource in TEMPLATE["Resources"].items()
    if resource["Type"] == "AWS::Serverless::StateMachine"
}


def substitution(value: Any) -> str:
    """An example of what CloudFormation substitutes: a parameter's default, else an alias ARN
    (the only other kind of value the template passes)."""
    if isinstance(value, dict) and "Ref" in value and value["Ref"] in TEMPLATE["Parameters"]:
        return str(TEMPLATE["Parameters"][value["Ref"]]["Default"])
    return EXAMPLE_ALIAS


def rendered(properties: dict[str, Any]) -> str:
    values = {k: substitution(v) for k, v in properties.get("DefinitionSubstitutions", {}).items()}
    text = (REPO / properties["DefinitionUri"]).read_text()
    return PLACEHOLDER.sub(lambda match: values[match[1]], text)


def validate(definition: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    if not ASL_VALIDATOR.exists():
        pytest.fail("asl-validator is not installed: run `npm ci` (make lint does)")
    path = tmp_path / "definition.json"
    path.write_text(definition)
    return subprocess.run(
        [str(ASL_VALIDATOR), "--json-path", str(path)], capture_output=True, text=True, timeout=60
    )


def test_every_definition_file_is_a_state_machine_of_the_template() -> None:
    used = {properties["DefinitionUri"] for properties in STATE_MACHINES.values()}
    assert used == {str(p.relative_to(REPO)) for p in (REPO / "statemachine").glob("*.json")}


@pytest.mark.parametrize("name", sorted(STATE_MACHINES))
def test_asl_validator_accepts_the_definition(name: str, tmp_path: Path) -> None:
    result = validate(rendered(STATE_MACHINES[name]), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_asl_validator_refuses_a_state_name_used_twice(tmp_path: Path) -> None:
    """What the check is for: a name repeated inside two Maps, which cfn-lint lets through."""
    definition = json.loads(rendered(STATE_MACHINES["CatalogueStateMachine"]))
    maps = [s for s in definition["States"].values() if s["Type"] == "Map"]
    first, second = (m["ItemProcessor"] for m in maps[:2])
    second["States"] = {first["StartAt"]: next(iter(second["States"].values()))}
    second["StartAt"] = first["StartAt"]
    result = validate(json.dumps(definition), tmp_path)
    assert result.returncode != 0
    assert "DUPLICATE_STATE_NAMES" in result.stdout + result.stderr
