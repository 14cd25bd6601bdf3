"""Choice rules as the developer guide's 'Choice workflow state' page documents them: each
comparison operator, And/Or/Not, the type tests, Default and States.NoChoiceMatched."""

from __future__ import annotations

import pytest

from tests.engine.conformance.runner import machine


def _choose(run, rule: dict, execution_input: dict, default: bool = True):
    choice = {"Type": "Choice", "Choices": [{**rule, "Next": "Matched"}]}
    if default:
        choice["Default"] = "Default"
    states = {
        "C": choice,
        "Matched": {"Type": "Pass", "End": True},
        "Default": {"Type": "Pass", "End": True},
    }
    return run(machine(states), execution_input)


RULES = [
    # (operator, rule, input, matches)
    ("StringEquals", {"Variable": "$.type", "StringEquals": "Private"}, {"type": "Private"}, True),
    ("StringEqualsPath", {"Variable": "$.a", "StringEqualsPath": "$.b"}, {"a": "x", "b": "x"},
     True),
    ("StringLessThan", {"Variable": "$.s", "StringLessThan": "b"}, {"s": "a"}, True),
    ("StringGreaterThanEquals", {"Variable": "$.s", "StringGreaterThanEquals": "b"}, {"s": "a"},
     False),
    ("StringMatches", {"Variable": "$.foo", "StringMatches": "log-*.txt"},
     {"foo": "log-2024.txt"}, True),
    ("StringMatches", {"Variable": "$.foo", "StringMatches": "log-*.txt"}, {"foo": "log.txt"},
     False),
    ("NumericEquals", {"Variable": "$.foo", "NumericEquals": 1}, {"foo": 1}, True),
    ("NumericLessThan", {"Variable": "$.value", "NumericLessThan": 30}, {"value": 30}, False),
    ("NumericGreaterThanPath",
     {"Variable": "$.rating", "NumericGreaterThanPath": "$.auditThreshold"},
     {"rating": 53, "auditThreshold": 50}, True),
    ("NumericLessThanEquals", {"Variable": "$.n", "NumericLessThanEquals": 2.5}, {"n": 2.5}, True),
    ("BooleanEquals", {"Variable": "$.ok", "BooleanEquals": False}, {"ok": False}, True),
    ("TimestampGreaterThan", {"Variable": "$.t", "TimestampGreaterThan": "2016-08-18T17:33:00Z"},
     {"t": "2016-08-18T17:34:00Z"}, True),
    ("TimestampEquals", {"Variable": "$.t", "TimestampEqualsPath": "$.u"},
     {"t": "2016-08-18T17:33:00Z", "u": "2016-08-18T17:33:00Z"}, True),
    ("IsNull", {"Variable": "$.v", "IsNull": True}, {"v": None}, True),
    ("IsPresent", {"Variable": "$.missing", "IsPresent": False}, {}, True),
    ("IsNumeric", {"Variable": "$.v", "IsNumeric": True}, {"v": "1"}, False),
    ("IsString", {"Variable": "$.v", "IsString": True}, {"v": "1"}, True),
    ("IsBoolean", {"Variable": "$.v", "IsBoolean": True}, {"v": True}, True),
    ("IsTimestamp", {"Variable": "$.v", "IsTimestamp": True}, {"v": "2016-08-18T17:33:00Z"}, True),
    ("Not", {"Not": {"Variable": "$.type", "StringEquals": "Private"}}, {"type": "Public"}, True),
    ("And", {"And": [{"Variable": "$.value", "IsPresent": True},
                     {"Variable": "$.value", "IsNumeric": True},
                     {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                     {"Variable": "$.value", "NumericLessThan": 30}]}, {"value": 25}, True),
    ("Or", {"Or": [{"Variable": "$.v", "NumericEquals": 1},
                   {"Variable": "$.v", "NumericEquals": 2}]}, {"v": 3}, False),
    ("array index", {"Variable": "$.x[0].ok", "BooleanEquals": True}, {"x": [{"ok": True}]}, True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("operator", "rule", "execution_input", "matches"),
    RULES,
    ids=[f"{case[0]}-{i}" for i, case in enumerate(RULES)],
)
def test_a_choice_rule_matches_as_documented(run, operator, rule, execution_input, matches):
    # developer guide: 'Choice workflow state' > 'Choice Rules' (the operator of each case)
    result = _choose(run, rule, execution_input)
    assert result.entered() == ["C", "Matched" if matches else "Default"]


def test_the_first_matching_rule_wins(run):
    # developer guide: 'Choice workflow state': rules are evaluated in order
    choice = {
        "Type": "Choice",
        "Choices": [
            {"Variable": "$.foo", "NumericEquals": 1, "Next": "FirstMatchState"},
            {"Variable": "$.foo", "NumericGreaterThan": 0, "Next": "SecondMatchState"},
        ],
    }
    states = {"C": choice, "FirstMatchState": {"Type": "Pass", "End": True},
              "SecondMatchState": {"Type": "Pass", "End": True}}  # fmt: skip
    assert run(machine(states), {"foo": 1}).entered() == ["C", "FirstMatchState"]


def test_no_match_and_no_default_fails_with_states_no_choice_matched(run):
    # developer guide: 'Choice workflow state' > Default; 'Error names' > States.NoChoiceMatched
    result = _choose(run, {"Variable": "$.v", "NumericEquals": 1}, {"v": 2}, default=False)
    assert (result.status, result.error) == ("FAILED", "States.NoChoiceMatched")


def test_a_choice_passes_its_input_through_unchanged(run):
    # developer guide: 'Choice workflow state': a Choice state's output is its input
    result = _choose(run, {"Variable": "$.v", "NumericEquals": 1}, {"v": 1, "w": [2]})
    assert result.output == {"v": 1, "w": [2]}
