"""statemachine/catalogue.asl.json as CloudFormation deploys it, and its Map states.

CloudFormation replaces each ${Name} of DefinitionSubstitutions in the definition's text before
it parses it (aws-cloudformation-resource-providers-stepfunctions, DefinitionProcessor
.processDefinition), so that numbers are written bare in the file. render() does the same.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.helpers.data import REPO

DEFINITION = REPO / "statemachine" / "catalogue.asl.json"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
# Values of the kind the template gives (its parameters' defaults and an alias ARN).
EXAMPLE_SUBSTITUTIONS = {
    "ScoringFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:movie-genre:live",
    "MaxItemsPerBatch": "256",
    "MaxConcurrency": "100",
    "ToleratedFailurePercentage": "5",
}
MAP_STATES = {"csv": "Score CSV", "jsonl": "Score JSONL"}


def placeholders(text: str | None = None) -> set[str]:
    return set(PLACEHOLDER.findall(DEFINITION.read_text() if text is None else text))


def render_text(substitutions: dict[str, str] | None = None) -> str:
    """The definition's text with every placeholder replaced; a missing value is an error."""
    values = EXAMPLE_SUBSTITUTIONS if substitutions is None else substitutions
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], DEFINITION.read_text())


def render(substitutions: dict[str, str] | None = None) -> dict[str, Any]:
    definition: dict[str, Any] = json.loads(render_text(substitutions))
    return definition


def map_state(definition: dict[str, Any], input_format: str) -> dict[str, Any]:
    state: dict[str, Any] = definition["States"][MAP_STATES[input_format]]
    return state
