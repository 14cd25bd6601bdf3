"""JSONata states and the functions Step Functions adds to JSONata, as the developer guide's
'Transforming data with JSONata in Step Functions' page documents them."""

from __future__ import annotations

import re

import pytest

from tests.engine.conformance.runner import lambda_task, machine

UUID_V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _output(run, expression: str, execution_input=None):
    state = {"Type": "Pass", "Output": {"value": expression}, "End": True}
    return run(machine({"P": state}, QueryLanguage="JSONata"), execution_input)


FUNCTIONS = [
    # (function, expression, documented result)
    ("$partition", "{% $partition([1,2,3,4], 2) %}", [[1, 2], [3, 4]]),
    ("$partition", "{% $partition([1,2,3,4,5,6,7,8,9], 4) %}", [[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
    ("$range", "{% $range(0, 10, 2) %}", [0, 2, 4, 6, 8, 10]),
    ("$range", "{% $range(10, 0, -5) %}", [10, 5, 0]),
    ("$hash", "{% $hash('input data', 'SHA-1') %}", "aaff4a450a104cd177d28d18d74485e8cae074b7"),
    ("$hash", "{% $hash('Mary', 'SHA-256') %}",
     "aebac53c46bbeff10fdd26ca0e2196a9bfc1d19bf88eb1efd65a36151c581051"),
    ("$parse", "{% $parse($states.input.json) %}", {"a": [1, 2]}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("function", "expression", "expected"), FUNCTIONS, ids=[f[0] for f in FUNCTIONS]
)
def test_a_step_functions_jsonata_function_returns_the_documented_result(
    run, function, expression, expected
):
    # developer guide: 'Transforming data with JSONata' > 'JSONata functions provided by Step
    # Functions' > the function of each case
    result = _output(run, expression, {"json": '{"a": [1, 2]}'})
    assert (result.status, result.output) == ("SUCCEEDED", {"value": expected})


def test_uuid_returns_a_version_4_uuid(run):
    # developer guide: 'JSONata functions provided by Step Functions' > $uuid
    assert UUID_V4.match(_output(run, "{% $uuid() %}").output["value"])


def test_random_with_a_seed_repeats_and_without_one_is_in_zero_to_one(run):
    # developer guide: 'JSONata functions provided by Step Functions' > $random([seed])
    output = _output(run, "{% [$random(7), $random(7), $random()] %}").output["value"]
    assert output[0] == output[1] and all(0 <= n < 1 for n in output)


def test_jsonata_states_read_the_input_and_build_task_arguments(run):
    # developer guide: 'Transforming data with JSONata' > Arguments and Output, $states.input,
    # $states.result
    task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Arguments": {"FunctionName": "double", "Payload": {"n": "{% $states.input.n %}"}},
            "Output": {"doubled": "{% $states.result.Payload %}", "n": "{% $states.input.n %}"},
            "End": True}  # fmt: skip
    result = run(machine({"T": task}, QueryLanguage="JSONata"), {"n": 21},
                 lambdas={"double": lambda event, context: event["n"] * 2})  # fmt: skip
    assert result.output == {"doubled": 42, "n": 21}


def test_a_jsonata_choice_takes_the_first_true_condition(run):
    # developer guide: 'Choice workflow state' (JSONata) > Condition
    choice = {
        "Type": "Choice",
        "Default": "Low",
        "Choices": [{"Condition": "{% $states.input.n > 10 %}", "Next": "High"}],
    }
    states = {"C": choice, "High": {"Type": "Pass", "End": True},
              "Low": {"Type": "Pass", "End": True}}  # fmt: skip
    assert run(machine(states, QueryLanguage="JSONata"), {"n": 11}).entered() == ["C", "High"]


def test_a_jsonata_catch_reads_the_error_output(run):
    # developer guide: 'Transforming data with JSONata' > $states.errorOutput in Catch Output
    def broken(event, context):
        raise ValueError("nope")

    catch = [{"ErrorEquals": ["States.ALL"], "Next": "Caught",
              "Output": {"error": "{% $states.errorOutput.Error %}"}}]  # fmt: skip
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {"FunctionName": "broken", "Payload": {}},
        "Catch": catch,
        "End": True,
    }
    states = {"T": task, "Caught": {"Type": "Pass", "End": True}}
    result = run(machine(states, QueryLanguage="JSONata"), lambdas={"broken": broken})
    assert result.output == {"error": "ValueError"}


def test_a_jsonata_evaluation_error_is_states_query_evaluation_error(run):
    # developer guide: 'Error names' > States.QueryEvaluationError
    result = _output(run, "{% $number('not a number') %}")
    assert (result.status, result.error) == ("FAILED", "States.QueryEvaluationError")


def test_jsonata_and_jsonpath_states_mix_in_one_machine(run):
    # developer guide: 'Transforming data with JSONata' > QueryLanguage per state
    states = {
        "J": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": {"n": "{% 1 + 1 %}"},
              "Next": "P"},
        "P": {"Type": "Pass", "Parameters": {"m.$": "$.n"}, "End": True},
    }  # fmt: skip
    assert run(machine(states)).output == {"m": 2}


def test_lambda_task_helper_is_jsonpath_only(run):
    # developer guide: 'Transforming data with JSONata': Parameters belong to JSONPath states
    result = run(machine({"T": lambda_task("f", End=True)}), {"x": 1},
                 lambdas={"f": lambda event, context: event})  # fmt: skip
    assert result.output == {"x": 1}
