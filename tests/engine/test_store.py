"""Executions persisted under the state directory, readable from any process."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orchestration.core.errors import UserError
from orchestration.engine.store import ExecutionStore, execution_arn, new_execution_name


def _record(name: str, status: str = "RUNNING") -> dict:
    return {
        "executionArn": execution_arn(name),
        "stateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:sfn-etl",
        "name": name,
        "status": status,
        "startDate": "2025-01-01T00:00:00.000+00:00",
        "input": "{}",
    }


def test_execution_names_sort_by_start_time_and_do_not_collide():
    early = new_execution_name(datetime(2025, 1, 1, 0, 0, 0, 1, tzinfo=UTC))
    late = new_execution_name(datetime(2025, 1, 1, 0, 0, 0, 2, tzinfo=UTC))
    assert early.startswith("20250101T000000000001Z-")
    assert early < late
    assert len({new_execution_name() for _ in range(200)}) == 200


def test_an_execution_is_listed_described_and_its_history_read_back(tmp_path):
    store = ExecutionStore(tmp_path)
    history = store.create(_record("b"))
    history.append({"id": 1, "type": "ExecutionStarted", "timestamp": "t"})
    history.append({"id": 2, "type": "ExecutionSucceeded", "timestamp": "t"})
    history.close()
    store.save({**_record("b", "SUCCEEDED"), "stopDate": "2025-01-01T00:00:01.000+00:00"})
    store.create(_record("a", "FAILED")).close()

    assert [item["name"] for item in store.list()] == ["b", "a"]
    assert store.list("FAILED") == [
        {
            "executionArn": execution_arn("a"),
            "stateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:sfn-etl",
            "name": "a",
            "status": "FAILED",
            "startDate": "2025-01-01T00:00:00.000+00:00",
        }
    ]
    assert store.describe(execution_arn("b"))["status"] == "SUCCEEDED"
    assert [event["type"] for event in store.history("b")] == [
        "ExecutionStarted",
        "ExecutionSucceeded",
    ]


def test_a_history_line_torn_by_a_crash_ends_the_readable_history(tmp_path):
    store = ExecutionStore(tmp_path)
    history = store.create(_record("x"))
    history.append({"id": 1, "type": "ExecutionStarted"})
    history.close()
    with (tmp_path / "executions" / "x" / "history.jsonl").open("a") as handle:
        handle.write('{"id": 2, "ty')
    assert store.history("x") == [{"id": 1, "type": "ExecutionStarted"}]


def test_an_unknown_execution_is_a_user_error_naming_the_latest(tmp_path):
    store = ExecutionStore(tmp_path)
    store.create(_record("only")).close()
    with pytest.raises(UserError, match="no execution named 'nope'; latest: only"):
        store.describe("nope")


def test_a_duplicate_or_invalid_name_is_refused(tmp_path):
    store = ExecutionStore(tmp_path)
    store.create(_record("same")).close()
    with pytest.raises(UserError, match="an execution named 'same' already exists"):
        store.create(_record("same"))
    with pytest.raises(UserError, match="invalid execution name 'a/b'"):
        store.create(_record("a/b"))


def test_nothing_listed_before_the_first_execution(tmp_path):
    assert ExecutionStore(tmp_path / "fresh").list() == []
