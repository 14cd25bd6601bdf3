"""The shapes and order of history events, as the API reference's 'GetExecutionHistory' and
'HistoryEvent' pages document them."""

from __future__ import annotations

from tests.engine.conformance.runner import lambda_task, machine


def test_a_pass_execution_has_started_entered_exited_succeeded(run):
    # API reference: 'HistoryEvent' > type
    result = run(machine({"P": {"Type": "Pass", "End": True}}), {"a": 1})
    assert result.types() == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]


def test_event_ids_count_from_one_and_point_at_the_previous_event(run):
    # API reference: 'GetExecutionHistory' example: the first state's event, like
    # ExecutionStarted, has previousEventId 0
    result = run(machine({"P": {"Type": "Pass", "Next": "Q"}, "Q": {"Type": "Pass", "End": True}}))
    assert [e["id"] for e in result.events] == [1, 2, 3, 4, 5, 6]
    assert [e["previousEventId"] for e in result.events] == [0, 0, 2, 3, 4, 5]


def test_state_events_carry_the_state_name_and_its_input_and_output(run):
    # API reference: 'StateEnteredEventDetails', 'StateExitedEventDetails'
    state = {"Type": "Pass", "Result": {"b": 2}, "End": True}
    events = run(machine({"P": state}), {"a": 1}).events
    assert events[1]["stateEnteredEventDetails"]["name"] == "P"
    assert events[1]["stateEnteredEventDetails"]["input"] == '{"a":1}'
    assert events[2]["stateExitedEventDetails"]["output"] == '{"b":2}'


def test_a_lambda_task_is_scheduled_started_and_succeeded_between_enter_and_exit(run):
    # developer guide: 'Viewing execution details' > event types of a lambda:invoke Task
    result = run(machine({"T": lambda_task("f", End=True)}), lambdas={"f": lambda e, c: {}})
    assert result.types() == [
        "ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
        "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded",
    ]  # fmt: skip


def test_a_map_records_its_start_and_each_iteration(run):
    # API reference: 'HistoryEvent' > MapStateStarted, MapIterationStarted/Succeeded
    processor = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    state = {"Type": "Map", "ItemProcessor": processor, "MaxConcurrency": 1, "End": True}
    types = run(machine({"M": state}), [1, 2]).types()
    assert types[:3] == ["ExecutionStarted", "MapStateEntered", "MapStateStarted"]
    assert types.count("MapIterationStarted") == types.count("MapIterationSucceeded") == 2
    assert types[-3:] == ["MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"]


def test_a_failed_execution_ends_with_execution_failed_and_its_error(run):
    # API reference: 'ExecutionFailedEventDetails'
    result = run(machine({"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}))
    assert result.types() == ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]
    assert result.events[-1]["executionFailedEventDetails"] == {"error": "E", "cause": "C"}


def test_a_parallel_state_records_started_and_succeeded(run):
    # API reference: 'HistoryEvent' > ParallelStateStarted, ParallelStateSucceeded
    branch = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    state = {"Type": "Parallel", "Branches": [branch], "End": True}
    types = run(machine({"Par": state})).types()
    assert types == [
        "ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted", "PassStateEntered",
        "PassStateExited", "ParallelStateSucceeded", "ParallelStateExited", "ExecutionSucceeded",
    ]  # fmt: skip
