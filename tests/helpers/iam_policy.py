"""IAM policy evaluation for the tests, enough for our policies: Allow and Deny statements,
Action/Resource with IAM's wildcards, and the condition operators the policies use.

An explicit Deny wins; otherwise a matching Allow allows; otherwise the request is denied.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

Statement = Mapping[str, Any]


@cache
def _pattern(wildcard: str, case_sensitive: bool) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in wildcard)
    return re.compile("".join(parts), 0 if case_sensitive else re.IGNORECASE)


def matches(wildcard: str, value: str, case_sensitive: bool = True) -> bool:
    return _pattern(wildcard, case_sensitive).fullmatch(value) is not None


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, str]) -> bool:
    values = [str(v) for v in _listed(expected)]
    actual = {k.lower(): v for k, v in context.items()}.get(key.lower())
    if operator == "Null":
        return (actual is None) == (values[0] == "true")
    if actual is None:
        return False
    if operator in {"StringEquals", "ArnEquals", "Bool"}:
        return actual in values
    if operator in {"StringLike", "ArnLike"}:
        return any(matches(v, actual) for v in values)
    raise ValueError(f"condition operator {operator} is not evaluated here")


def _applies(statement: Statement, action: str, resource: str, context: Mapping[str, str]) -> bool:
    if not any(matches(a, action, case_sensitive=False) for a in _listed(statement["Action"])):
        return False
    if not any(matches(r, resource) for r in _listed(statement["Resource"])):
        return False
    return all(
        _condition_holds(operator, key, expected, context)
        for operator, tests in statement.get("Condition", {}).items()
        for key, expected in tests.items()
    )


def allows(
    document: Mapping[str, Any],
    action: str,
    resource: str,
    context: Mapping[str, str] | None = None,
) -> bool:
    """Whether the policy document allows action on resource, given the request's context."""
    applying = [
        s for s in _listed(document["Statement"]) if _applies(s, action, resource, context or {})
    ]
    return any(s["Effect"] == "Allow" for s in applying) and not any(
        s["Effect"] == "Deny" for s in applying
    )
