"""Wait states on the time scale, and Task timeouts that stop waiting for a slow handler."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orchestration.core.settings import Settings
from orchestration.engine import RunRequest, run_execution
from orchestration.engine.definition import load_definition
from orchestration.engine.store import ExecutionStore
from tests.engine import user_handlers

SLOW = {
    "Type": "Task",
    "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": "slow", "Payload.$": "$"},
    "ResultSelector": {"late.$": "$.Payload.late"},
}
RESOURCES = {"slow": "tests.engine.user_handlers:slow"}


@pytest.fixture(scope="module", autouse=True)
def warm_interpreter() -> None:
    """Imports moto and its parser once, so the timings below are the engine's alone."""
    load_definition()


def _run(tmp_path: Path, states: dict, execution_input: dict, time_scale: float = 1.0):
    definition = tmp_path / "flow.asl.json"
    definition.write_text(json.dumps({"StartAt": next(iter(states)), "States": states}))
    resources = tmp_path / "resources.json"
    resources.write_text(json.dumps(RESOURCES))
    request = RunRequest(
        input=execution_input,
        definition_path=definition,
        resources_path=resources,
        time_scale=time_scale,
    )
    started = time.monotonic()
    result = run_execution(Settings.from_env(), request)
    return result, time.monotonic() - started


def _seconds_between(events: list[dict], first: str, second: str) -> float:
    moments = {e["type"]: datetime.fromisoformat(e["timestamp"]) for e in events}
    return (moments[second] - moments[first]).total_seconds()


def _types(result) -> list[str]:
    return [e["type"] for e in result.events]


def test_a_wait_of_100_seconds_at_time_scale_0_001_takes_a_tenth_of_a_second(lake_root, tmp_path):
    states = {"Pause": {"Type": "Wait", "Seconds": 100, "End": True}}
    result, elapsed = _run(tmp_path, states, {"x": 1}, time_scale=0.001)
    assert (result.status, result.output) == ("SUCCEEDED", {"x": 1})
    assert elapsed < 2
    assert 0.09 <= _seconds_between(result.events, "WaitStateEntered", "WaitStateExited") < 1
    # Nothing of the engine's own in between: the history is AWS's.
    assert _types(result) == [
        "ExecutionStarted",
        "WaitStateEntered",
        "WaitStateExited",
        "ExecutionSucceeded",
    ]


def test_a_seconds_path_wait_is_scaled_too(lake_root, tmp_path):
    states = {"Pause": {"Type": "Wait", "SecondsPath": "$.delay", "End": True}}
    result, _ = _run(tmp_path, states, {"delay": 300}, time_scale=0.001)
    assert result.status == "SUCCEEDED"
    assert 0.29 <= _seconds_between(result.events, "WaitStateEntered", "WaitStateExited") < 1.2


def test_a_timestamp_wait_counts_in_utc_whatever_the_local_time_zone(
    lake_root, tmp_path, monkeypatch
):
    # Five hours behind UTC: counted against local time, 100 s ahead would wait 5 h 100 s.
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        until = datetime.now(UTC) + timedelta(seconds=100)
        states = {"Pause": {"Type": "Wait", "TimestampPath": "$.until", "End": True}}
        stamp = until.strftime("%Y-%m-%dT%H:%M:%SZ")
        result, elapsed = _run(tmp_path, states, {"until": stamp}, time_scale=0.01)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert result.status == "SUCCEEDED"
    # 99 or 100 whole seconds (the timestamp drops the fraction) at 0.01.
    assert 0.95 <= _seconds_between(result.events, "WaitStateEntered", "WaitStateExited") < 1.6
    assert elapsed < 5


def test_a_task_past_its_timeout_fails_on_time_and_its_late_result_is_never_recorded(
    lake_root, tmp_path
):
    states = {
        "Slow": {
            **SLOW,
            "TimeoutSeconds": 1,
            "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "Done"}],
            "Next": "Done",
        },
        "Done": {"Type": "Pass", "End": True},
    }
    result, elapsed = _run(tmp_path, states, {"seconds": 3, "tag": "late"})
    assert (result.status, result.output) == (
        "SUCCEEDED",
        {"seconds": 3, "tag": "late", "error": {"Error": "States.Timeout", "Cause": ""}},
    )
    assert 0.9 <= _seconds_between(result.events, "TaskStarted", "TaskTimedOut") < 2
    # The execution ended without waiting for the handler, which is still asleep.
    assert elapsed < 3
    assert "late" not in user_handlers.finished
    while "late" not in user_handlers.finished:
        time.sleep(0.1)
    history = ExecutionStore(Settings.from_env().home).history(result.record["name"])
    assert [e["type"] for e in history] == [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskTimedOut",
        "TaskStateExited",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert history[2]["taskScheduledEventDetails"]["timeoutInSeconds"] == 1


def test_a_timeout_from_the_input_is_retried_then_fails_the_execution(lake_root, tmp_path):
    retry = {"ErrorEquals": ["States.Timeout"], "MaxAttempts": 1, "IntervalSeconds": 1}
    states = {"Slow": {**SLOW, "TimeoutSecondsPath": "$.limit", "Retry": [retry], "End": True}}
    result, _ = _run(tmp_path, states, {"seconds": 2, "tag": "retried", "limit": 1}, 0.01)
    assert (result.status, result.record["error"]) == ("FAILED", "States.Timeout")
    assert _types(result).count("TaskTimedOut") == 2
    assert [e["retryScheduledEventDetails"]["error"] for e in result.events
            if e["type"] == "RetryScheduled"] == ["States.Timeout"]  # fmt: skip


def test_the_timeout_is_wall_clock_time_whatever_the_time_scale(lake_root, tmp_path):
    states = {"Slow": {**SLOW, "TimeoutSeconds": 2, "End": True}}
    result, _ = _run(tmp_path, states, {"seconds": 0.3, "tag": "in time"}, time_scale=0.001)
    assert (result.status, result.output) == ("SUCCEEDED", {"late": True})
    assert "TaskSucceeded" in _types(result)


@pytest.mark.parametrize("seconds", [0.0, 0.2])
def test_a_task_within_its_timeout_records_its_success(lake_root, tmp_path, seconds):
    states = {"Slow": {**SLOW, "TimeoutSeconds": 5, "ResultPath": "$.got", "End": True}}
    result, _ = _run(tmp_path, states, {"seconds": seconds, "tag": f"ok {seconds}"})
    assert result.output == {"seconds": seconds, "tag": f"ok {seconds}", "got": {"late": True}}
    assert _types(result)[-3:] == ["TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]
