"""The words on the picture of a definition: a Choice rule, a Retry, a Catch, a state's kind.

Compact on purpose: `$.batch.parked_count > 0` rather than the rule's JSON. JSONata text
(`{% ... %}`) is shown without its braces.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

_OPERATORS = {
    "Equals": "==",
    "LessThan": "<",
    "GreaterThan": ">",
    "LessThanEquals": "<=",
    "GreaterThanEquals": ">=",
    "Matches": "matches",
}
_KINDS = ("String", "Numeric", "Boolean", "Timestamp")
_TYPE_TESTS = {
    "IsNull": "null",
    "IsPresent": "present",
    "IsNumeric": "numeric",
    "IsString": "a string",
    "IsBoolean": "a boolean",
    "IsTimestamp": "a timestamp",
}
# The States Language's defaults for a retrier's missing fields.
_RETRY_DEFAULTS = {"IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 2.0}
WRAP = 44


def jsonata_text(value: str) -> str:
    """`{% $x > 0 %}` as `$x > 0`; any other string as itself."""
    stripped = value.strip()
    if stripped.startswith("{%") and stripped.endswith("%}"):
        return stripped[2:-2].strip()
    return value


def rule_text(rule: dict[str, Any]) -> str:
    """A Choice rule in one line, e.g. `$.batch.has_work == true`, `not ($.x is null)`."""
    if "Condition" in rule:
        condition = rule["Condition"]
        return jsonata_text(condition) if isinstance(condition, str) else json.dumps(condition)
    if "And" in rule or "Or" in rule:
        word = "and" if "And" in rule else "or"
        return f" {word} ".join(_operand(r) for r in rule["And" if word == "and" else "Or"])
    if "Not" in rule:
        return f"not ({rule_text(rule['Not'])})"
    variable = rule.get("Variable", "?")
    for key, value in rule.items():
        if key in _TYPE_TESTS:
            negation = "" if value else "not "
            return f"{variable} is {negation}{_TYPE_TESTS[key]}"
        comparison = _comparison(key)
        if comparison is not None:
            operator, by_path = comparison
            return f"{variable} {operator} {value if by_path else json.dumps(value)}"
    return variable


def _operand(rule: dict[str, Any]) -> str:
    text = rule_text(rule)
    return f"({text})" if "And" in rule or "Or" in rule else text


def _comparison(key: str) -> tuple[str, bool] | None:
    """(operator, compares with another path) for a comparison key such as NumericGreaterThan
    or StringEqualsPath; None for any other key."""
    by_path = key.endswith("Path")
    base = key[: -len("Path")] if by_path else key
    for kind in _KINDS:
        if base.startswith(kind) and base[len(kind) :] in _OPERATORS:
            return _OPERATORS[base[len(kind) :]], by_path
    return None


def catch_label(catcher: dict[str, Any]) -> str:
    return ", ".join(catcher.get("ErrorEquals", []))


def retry_lines(retriers: list[dict[str, Any]]) -> list[str]:
    """Per retrier: the errors it retries (wrapped), then its attempts and backoff, e.g.
    `3 attempts, 10s x2 (max 120s, full jitter)`."""
    lines = []
    for retrier in retriers:
        fields = {**_RETRY_DEFAULTS, **retrier}
        errors = ", ".join(retrier.get("ErrorEquals", []))
        lines.extend(textwrap.wrap(f"retry {errors}", WRAP, break_on_hyphens=False))
        limits = []
        if "MaxDelaySeconds" in fields:
            limits.append(f"max {_number(fields['MaxDelaySeconds'])}s")
        if fields.get("JitterStrategy") == "FULL":
            limits.append("full jitter")
        backoff = (
            f"{_number(fields['MaxAttempts'])} attempts, "
            f"{_number(fields['IntervalSeconds'])}s x{_number(fields['BackoffRate'])}"
        )
        lines.append(backoff + (f" ({', '.join(limits)})" if limits else ""))
    return lines


def kind_line(state: dict[str, Any]) -> str:
    """What the state is: `Task: glue:startJobRun.sync`, `Map over $.items`, `Parallel: 2
    branches`, `Wait 10s`, `Fail: ValidationFailed`, or its type."""
    kind = state.get("Type", "?")
    if kind == "Task":
        return f"Task: {_resource(state)}"
    if kind == "Map":
        items = state.get("ItemsPath") or state.get("Items")
        return f"Map over {jsonata_text(items)}" if isinstance(items, str) else "Map"
    if kind == "Parallel":
        return f"Parallel: {len(state.get('Branches', []))} branches"
    if kind == "Wait":
        return "Wait " + _wait(state)
    if kind == "Fail" and isinstance(state.get("Error"), str):
        return f"Fail: {jsonata_text(state['Error'])}"
    return kind


def _wait(state: dict[str, Any]) -> str:
    for key, prefix in (("Seconds", ""), ("SecondsPath", ""), ("Timestamp", "until "),
                        ("TimestampPath", "until ")):  # fmt: skip
        if key in state:
            value = state[key]
            return prefix + (f"{value}s" if isinstance(value, int) else jsonata_text(str(value)))
    return ""


def _resource(state: dict[str, Any]) -> str:
    """`glue:startJobRun.sync`, `lambda:invoke extract` (the function), or the ARN as it is."""
    resource = state.get("Resource", "")
    if resource.startswith("arn:aws:states:::"):
        integration = resource[len("arn:aws:states:::") :]
        if integration.startswith("lambda:invoke"):
            arguments = state.get("Parameters") or state.get("Arguments") or {}
            function = arguments.get("FunctionName") if isinstance(arguments, dict) else None
            if isinstance(function, str):
                return f"{integration} {function.rsplit(':', 1)[-1]}"
        return integration
    if resource.startswith("arn:aws:lambda:"):
        return f"lambda {resource.rsplit(':', 1)[-1]}"
    return resource


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)
