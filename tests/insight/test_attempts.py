"""orchestration.insight.attempts: Task attempts paired through previousEventId."""

from __future__ import annotations

from orchestration.insight.attempts import task_attempts, unfinished_attempts


def _event(id_: int, kind: str, second: int, previous: int | None = None, **details) -> dict:
    event = {"id": id_, "type": kind, "timestamp": f"2026-03-01T10:00:{second:02d}.000Z"}
    if previous is not None:
        event["previousEventId"] = previous
    if details:
        event[kind[0].lower() + kind[1:] + "EventDetails"] = details
    return event


def test_interleaved_attempts_of_parallel_branches_keep_their_own_start_and_end():
    events = [
        _event(1, "TaskScheduled", 0, resourceType="lambda", resource="invoke",
               parameters='{"FunctionName": "a"}'),
        _event(2, "TaskScheduled", 1, resourceType="lambda", resource="invoke",
               parameters='{"FunctionName": "b"}'),
        _event(3, "TaskStarted", 2, 1),
        _event(4, "TaskStarted", 3, 2),
        _event(5, "TaskFailed", 9, 4, error="Boom"),
        _event(6, "TaskSucceeded", 30, 3),
    ]  # fmt: skip

    attempts = task_attempts(events)

    assert [
        (a.parameters["FunctionName"], a.microseconds, a.outcome, a.error) for a in attempts
    ] == [("b", 6_000_000, "failed", "Boom"), ("a", 28_000_000, "succeeded", None)]


def test_a_lambda_arn_resource_is_read_from_the_lambda_function_events():
    events = [
        _event(1, "LambdaFunctionScheduled", 0, resource="arn:aws:lambda:r:1:function:load"),
        _event(2, "LambdaFunctionStarted", 1, 1),
        _event(3, "LambdaFunctionSucceeded", 4, 2),
    ]

    (attempt,) = task_attempts(events)

    assert (attempt.resource_type, attempt.parameters, attempt.microseconds) == (
        "lambda",
        {"FunctionName": "arn:aws:lambda:r:1:function:load"},
        3_000_000,
    )


def test_an_attempt_without_an_end_is_left_out_and_counted_unfinished():
    events = [
        _event(1, "TaskScheduled", 0, resourceType="sns", resource="publish", parameters="{}"),
        _event(2, "TaskStarted", 1, 1),
    ]

    attempts = task_attempts(events)

    assert (attempts, unfinished_attempts(events, attempts)) == ([], 1)
