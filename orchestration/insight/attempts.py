"""The Task attempts of an execution history: what each called, when it started and ended.

An attempt runs from TaskStarted (or TaskScheduled) to TaskSucceeded, TaskFailed or TaskTimedOut
(the LambdaFunction* events for Lambda ARN resources), paired through previousEventId so that
the attempts of parallel branches and Map iterations never mix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

_ENDS = {
    "TaskSucceeded": "succeeded",
    "TaskFailed": "failed",
    "TaskTimedOut": "timed out",
    "LambdaFunctionSucceeded": "succeeded",
    "LambdaFunctionFailed": "failed",
    "LambdaFunctionTimedOut": "timed out",
}


@dataclass(frozen=True)
class TaskAttempt:
    resource_type: str
    """As the history names it: lambda, glue, sns, sqs, aws-sdk:s3, aws-sdk:glue."""
    action: str
    parameters: dict[str, Any]
    started: datetime
    ended: datetime
    outcome: str
    """succeeded, failed or timed out."""
    error: str | None

    @property
    def microseconds(self) -> int:
        """Exact, unlike float seconds: billing rounds up and 1.235 s must stay 1235 ms."""
        return (self.ended - self.started) // timedelta(microseconds=1)


def task_attempts(events: list[dict[str, Any]]) -> list[TaskAttempt]:
    """Every Task attempt that ended, in the order it ended."""
    by_id = {event["id"]: event for event in events}
    attempts = []
    for event in events:
        outcome = _ENDS.get(event["type"])
        if outcome is None:
            continue
        started = scheduled = None
        cursor = by_id.get(event.get("previousEventId"))
        while cursor is not None:
            kind = cursor["type"]
            if kind in ("TaskStarted", "LambdaFunctionStarted"):
                started = cursor
            if kind in ("TaskScheduled", "LambdaFunctionScheduled"):
                scheduled = cursor
                break
            cursor = by_id.get(cursor.get("previousEventId"))
        if scheduled is None:
            continue
        details = _details(event)
        scheduled_details = _details(scheduled)
        if scheduled["type"] == "LambdaFunctionScheduled":
            resource_type, action = "lambda", "invoke"
            parameters = {"FunctionName": scheduled_details.get("resource", "")}
        else:
            resource_type = scheduled_details.get("resourceType", "")
            action = scheduled_details.get("resource", "")
            parameters = json.loads(scheduled_details.get("parameters") or "{}")
        attempts.append(
            TaskAttempt(
                resource_type=resource_type,
                action=action,
                parameters=parameters,
                started=_timestamp(started or scheduled),
                ended=_timestamp(event),
                outcome=outcome,
                error=details.get("error"),
            )
        )
    return attempts


def unfinished_attempts(events: list[dict[str, Any]], attempts: list[TaskAttempt]) -> int:
    """Attempts scheduled that never ended: a crashed or running execution."""
    scheduled = sum(1 for e in events if e["type"] in ("TaskScheduled", "LambdaFunctionScheduled"))
    return scheduled - len(attempts)


def _details(event: dict[str, Any]) -> dict[str, Any]:
    return next((v for k, v in event.items() if k.endswith("EventDetails")), {})


def _timestamp(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(event["timestamp"]).replace("Z", "+00:00"))
