"""Retry and Catch, as the developer guide's 'Handling errors in Step Functions workflows' page
documents them: retrier order, MaxAttempts 0, States.ALL, and States.Runtime being terminal."""

from __future__ import annotations

from tests.engine.conformance.runner import lambda_task, machine

CAUGHT = {"Caught": {"Type": "Pass", "End": True}}


class CustomError(Exception):
    pass


def _failing(calls: list):
    def handler(event, context):
        calls.append(1)
        raise CustomError("This is a custom error!")

    return handler


def test_max_attempts_zero_never_retries(run):
    # developer guide: 'Retrying after an error' > MaxAttempts: "A value of 0 ... never retried"
    calls: list = []
    retry = [{"ErrorEquals": ["CustomError"], "MaxAttempts": 0}]
    result = run(machine({"T": lambda_task("f", Retry=retry, End=True)}),
                 lambdas={"f": _failing(calls)})  # fmt: skip
    assert (result.status, result.error, len(calls)) == ("FAILED", "CustomError", 1)


def test_the_first_retrier_that_matches_is_the_one_applied(run):
    # developer guide: 'Retrying after an error': retriers are scanned in order
    calls: list = []
    retry = [{"ErrorEquals": ["CustomError"], "MaxAttempts": 2, "IntervalSeconds": 1},
             {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5, "IntervalSeconds": 1}]  # fmt: skip
    run(machine({"T": lambda_task("f", Retry=retry, End=True)}), lambdas={"f": _failing(calls)})
    assert len(calls) == 3  # the first attempt and the first retrier's two retries


def test_an_integer_backoff_rate_multiplies_each_interval(run):
    # developer guide: 'Retrying after an error' > BackoffRate (3 retries: 1 s, 2 s, 4 s)
    calls: list = []
    retry = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 3,
              "BackoffRate": 2}]  # fmt: skip
    result = run(machine({"T": lambda_task("f", Retry=retry, End=True)}),
                 lambdas={"f": _failing(calls)})  # fmt: skip
    delays = [e["retryScheduledEventDetails"]["delaySeconds"] for e in result.events
              if e["type"] == "RetryScheduled"]  # fmt: skip
    assert (len(calls), delays) == (4, [1.0, 2.0, 4.0])


def test_a_catcher_with_result_path_keeps_the_input_and_adds_error_and_cause(run):
    # developer guide: 'Fallback states' > 'Using ResultPath in a Catch' ("error-info")
    catch = [{"ErrorEquals": ["CustomError"], "ResultPath": "$.error-info", "Next": "Caught"}]
    states = {"T": lambda_task("f", Catch=catch, End=True), **CAUGHT}
    result = run(machine(states), {"foo": "bar"}, lambdas={"f": _failing([])})
    assert result.output["foo"] == "bar"
    assert result.output["error-info"]["Error"] == "CustomError"
    assert '"errorMessage":"This is a custom error!"' in result.output["error-info"]["Cause"]


def test_catchers_are_scanned_in_order(run):
    # developer guide: 'Fallback states': the first catcher whose ErrorEquals matches wins
    catch = [{"ErrorEquals": ["Other"], "Next": "Wrong"},
             {"ErrorEquals": ["CustomError", "Other"], "Next": "Caught"},
             {"ErrorEquals": ["States.ALL"], "Next": "Wrong"}]  # fmt: skip
    states = {"T": lambda_task("f", Catch=catch, End=True), **CAUGHT,
              "Wrong": {"Type": "Pass", "End": True}}  # fmt: skip
    assert run(machine(states), lambdas={"f": _failing([])}).entered() == ["T", "Caught"]


def test_states_task_failed_matches_a_lambda_error(run):
    # developer guide: 'Error names' > States.TaskFailed: matches any task error but a timeout
    catch = [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}]
    states = {"T": lambda_task("f", Catch=catch, End=True), **CAUGHT}
    assert run(machine(states), lambdas={"f": _failing([])}).entered() == ["T", "Caught"]


def test_states_all_does_not_catch_states_runtime(run):
    # developer guide: 'Error names' > States.Runtime: "A retry or catch on States.ALL won't
    # catch States.Runtime errors." The OutputPath below matches nothing: States.Runtime.
    catch = [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]
    states = {"T": lambda_task("f", OutputPath="$.absent", Catch=catch, End=True), **CAUGHT}
    result = run(machine(states), lambdas={"f": lambda e, c: {"a": 1}})
    assert (result.status, result.error, result.entered()) == ("FAILED", "States.Runtime", ["T"])


def test_states_all_does_not_retry_states_runtime(run):
    # developer guide: 'Error names' > States.Runtime: "isn't retriable"
    calls: list = []

    def counted(event, context):
        calls.append(1)
        return {"a": 1}

    retry = [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 3, "IntervalSeconds": 1}]
    states = {"T": lambda_task("f", OutputPath="$.absent", Retry=retry, End=True)}
    result = run(machine(states), lambdas={"f": counted})
    assert (result.error, len(calls)) == ("States.Runtime", 1)


def test_a_task_timing_out_fails_with_states_timeout(run):
    # developer guide: 'Task workflow state' > TimeoutSeconds; 'Error names' > States.Timeout
    import time

    def slow(event, context):
        time.sleep(2)
        return {}

    result = run(machine({"T": lambda_task("slow", TimeoutSeconds=1, End=True)}),
                 lambdas={"slow": slow})  # fmt: skip
    assert (result.status, result.error) == ("FAILED", "States.Timeout")
