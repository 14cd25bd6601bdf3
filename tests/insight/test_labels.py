"""The words on the picture: Choice rules, Retry, Catch, kinds (orchestration/insight/labels.py)."""

from __future__ import annotations

import pytest

from orchestration.insight.labels import catch_label, kind_line, retry_lines, rule_text


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        ({"Variable": "$.batch.has_work", "BooleanEquals": True}, "$.batch.has_work == true"),
        ({"Variable": "$.n", "NumericGreaterThan": 0}, "$.n > 0"),
        ({"Variable": "$.n", "NumericLessThanEqualsPath": "$.max"}, "$.n <= $.max"),
        ({"Variable": "$.s", "StringEquals": "a\"b"}, '$.s == "a\\"b"'),
        ({"Variable": "$.s", "StringMatches": "log-*.txt"}, '$.s matches "log-*.txt"'),
        ({"Variable": "$.t", "TimestampGreaterThanEquals": "2025-01-01T00:00:00Z"},
         '$.t >= "2025-01-01T00:00:00Z"'),
        ({"Variable": "$.x", "IsPresent": False}, "$.x is not present"),
        ({"Variable": "$.x", "IsNull": True}, "$.x is null"),
        ({"Not": {"Variable": "$.x", "IsNumeric": True}}, "not ($.x is numeric)"),
        ({"And": [{"Variable": "$.a", "NumericEquals": 1},
                  {"Or": [{"Variable": "$.b", "StringEquals": "x"},
                          {"Variable": "$.c", "BooleanEquals": False}]}]},
         '$.a == 1 and ($.b == "x" or $.c == false)'),
        ({"Condition": "{% $states.input.count > 0 %}", "Next": "A"}, "$states.input.count > 0"),
    ],
)  # fmt: skip
def test_a_choice_rule_reads_as_one_compact_line(rule, text):
    assert rule_text(rule) == text


def test_a_retrier_shows_its_errors_attempts_and_backoff_wrapped():
    retriers = [
        {
            "ErrorEquals": ["Glue.AWSGlueException", "Glue.ThrottlingException"],
            "IntervalSeconds": 10,
            "MaxAttempts": 3,
            "BackoffRate": 2.0,
            "MaxDelaySeconds": 120,
            "JitterStrategy": "FULL",
        },
        {"ErrorEquals": ["States.Timeout"]},
    ]
    assert retry_lines(retriers) == [
        "retry Glue.AWSGlueException,",
        "Glue.ThrottlingException",
        "3 attempts, 10s x2 (max 120s, full jitter)",
        "retry States.Timeout",
        "3 attempts, 1s x2",
    ]


def test_a_catcher_is_labelled_with_its_errors():
    assert catch_label({"ErrorEquals": ["A", "States.ALL"], "Next": "X"}) == "A, States.ALL"


@pytest.mark.parametrize(
    ("state", "line"),
    [
        ({"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync"},
         "Task: glue:startJobRun.sync"),
        ({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
          "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:1:function:load"}},
         "Task: lambda:invoke load"),
        ({"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:extract"},
         "Task: lambda extract"),
        ({"Type": "Map", "ItemsPath": "$.batch.datasets"}, "Map over $.batch.datasets"),
        ({"Type": "Map", "Items": "{% $states.input.rows %}"}, "Map over $states.input.rows"),
        ({"Type": "Parallel", "Branches": [{}, {}]}, "Parallel: 2 branches"),
        ({"Type": "Wait", "Seconds": 30}, "Wait 30s"),
        ({"Type": "Wait", "TimestampPath": "$.until"}, "Wait until $.until"),
        ({"Type": "Fail", "Error": "ValidationFailed"}, "Fail: ValidationFailed"),
        ({"Type": "Choice"}, "Choice"),
    ],
)  # fmt: skip
def test_a_state_says_what_kind_it_is(state, line):
    assert kind_line(state) == line
