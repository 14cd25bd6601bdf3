"""Wait and Fail, as the developer guide's 'Wait workflow state' and 'Fail workflow state' pages
document them (short real durations: compressing Wait is the run command's --time-scale)."""

from __future__ import annotations

import time

from tests.engine.conformance.runner import machine


def _timed(run, wait: dict, execution_input=None):
    states = {"W": {"Type": "Wait", **wait, "Next": "Done"}, "Done": {"Type": "Pass", "End": True}}
    started = time.monotonic()
    result = run(machine(states), execution_input, time_scale=1.0)
    return result, time.monotonic() - started


def test_wait_seconds_waits_that_long_and_passes_its_input_on(run):
    # developer guide: 'Wait workflow state' > Seconds
    result, elapsed = _timed(run, {"Seconds": 1}, {"a": 1})
    assert (result.output, elapsed >= 1) == ({"a": 1}, True)


def test_wait_seconds_path_reads_the_duration_from_the_input(run):
    # developer guide: 'Wait workflow state' > SecondsPath
    result, elapsed = _timed(run, {"SecondsPath": "$.expirydate"}, {"expirydate": 1})
    assert (result.status, elapsed >= 1) == ("SUCCEEDED", True)


def test_a_timestamp_in_the_past_does_not_wait(run):
    # developer guide: 'Wait workflow state' > Timestamp ("2016-03-14T01:59:00Z")
    result, elapsed = _timed(run, {"Timestamp": "2016-03-14T01:59:00Z"})
    assert (result.status, elapsed < 1) == ("SUCCEEDED", True)


def test_timestamp_path_reads_the_time_from_the_input(run):
    # developer guide: 'Wait workflow state' > TimestampPath
    result, elapsed = _timed(run, {"TimestampPath": "$.expirydate"},
                             {"expirydate": "2016-03-14T01:59:00Z"})  # fmt: skip
    assert (result.status, elapsed < 1) == ("SUCCEEDED", True)


def test_a_fail_state_ends_the_execution_with_its_error_and_cause(run):
    # developer guide: 'Fail workflow state' (the "ErrorA" / "Kaiju attack" example)
    fail = {"Type": "Fail", "Error": "ErrorA", "Cause": "Kaiju attack"}
    result = run(machine({"FailState": fail}))
    assert (result.status, result.error, result.cause) == ("FAILED", "ErrorA", "Kaiju attack")


def test_a_fail_state_reads_error_path_and_cause_path(run):
    # developer guide: 'Fail workflow state' > ErrorPath, CausePath
    fail = {"Type": "Fail", "ErrorPath": "$.Error", "CausePath": "$.Cause"}
    result = run(machine({"FailState": fail}), {"Error": "CustomError", "Cause": "bad input"})
    assert (result.error, result.cause) == ("CustomError", "bad input")


def test_fail_paths_accept_intrinsic_functions(run):
    # developer guide: 'Fail workflow state': ErrorPath and CausePath take intrinsics
    fail = {"Type": "Fail", "ErrorPath": "$.e",
            "CausePath": "States.Format('This is a custom error message for {}, caused by {}.', "
                         "$.Error, $.Cause)"}  # fmt: skip
    result = run(machine({"F": fail}), {"e": "E", "Error": "CustomError", "Cause": "an x"})
    assert result.cause == "This is a custom error message for CustomError, caused by an x."


def test_a_jsonata_fail_state_takes_expressions_for_error_and_cause(run):
    # developer guide: 'Fail workflow state' (JSONata): Error and Cause accept expressions
    fail = {"Type": "Fail", "Error": "{% $states.input.code %}", "Cause": "{% 'at ' & 'x' %}"}
    result = run(machine({"F": fail}, QueryLanguage="JSONata"), {"code": "E42"})
    assert (result.error, result.cause) == ("E42", "at x")
