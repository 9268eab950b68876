"""CloudFormation templates as the tests read them: YAML with the short tags (!Ref, !Sub, ...),
and the intrinsic functions our templates use resolved for given parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


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


def load_template(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(path.read_text(), Loader=CloudFormationLoader)
    return loaded


NO_VALUE = object()
_SUB = re.compile(r"\$\{([^}!][^}]*)\}")


@dataclass
class Resolver:
    """Resolves Ref, Fn::Sub, Fn::GetAtt, Fn::If, Fn::Equals and Fn::Not.

    names: what a Ref or a ${...} gives (parameters, pseudo parameters, resources' refs), and
    what Fn::GetAtt gives as "Logical.Attribute"; conditions: the template's Conditions."""

    names: dict[str, str]
    conditions: dict[str, Any] = field(default_factory=dict)

    def __call__(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self(item) for item in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, value),) = node.items()
            if key == "Ref":
                return NO_VALUE if value == "AWS::NoValue" else self.names[value]
            if key == "Fn::GetAtt":
                return self.names[".".join(value)]
            if key == "Fn::Sub":
                text, extra = (value, {}) if isinstance(value, str) else value
                known = {**self.names, **{k: self(v) for k, v in extra.items()}}
                return _SUB.sub(lambda match: known[match[1]], text)
            if key == "Fn::If":
                condition, when_true, when_false = value
                return self(when_true if self.condition(condition) else when_false)
        resolved = {key: self(value) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not NO_VALUE}

    def condition(self, name: str) -> bool:
        return bool(self._evaluate(self.conditions[name]))

    def _evaluate(self, node: Any) -> Any:
        if isinstance(node, dict) and "Fn::Equals" in node:
            left, right = (self._evaluate(side) for side in node["Fn::Equals"])
            return left == right
        if isinstance(node, dict) and "Fn::Not" in node:
            return not self._evaluate(node["Fn::Not"][0])
        if isinstance(node, dict) and "Condition" in node:
            return self.condition(node["Condition"])
        return self(node)
