"""Redrive, with the semantics of RedriveExecution
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_RedriveExecution.html):
"it continues the failed execution from the unsuccessful step and uses the same input ...
doesn't rerun these [successful] steps"; "For workflows that include an Inline Map or Parallel
state, RedriveExecution API action reschedules and redrives only the iterations and branches that
failed or aborted"; only failed, aborted or timed-out executions of the last 14 days."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orchestration.core.errors import UserError
from orchestration.core.settings import Settings
from orchestration.engine import RunRequest, run_execution
from orchestration.engine.redrive import redrive_execution
from orchestration.engine.store import ExecutionStore

WORK_ARN = "arn:aws:lambda:us-east-1:000000000000:function:work"
DEFINITION = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Result": [1, 2, 3], "ResultPath": "$.items", "Next": "Each"},
        "Each": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "MaxConcurrency": 1,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "Work",
                "States": {
                    "Work": {
                        "Type": "Task",
                        "Resource": "arn:aws:states:::lambda:invoke",
                        "Parameters": {"FunctionName": WORK_ARN, "Payload.$": "$"},
                        "OutputPath": "$.Payload",
                        "End": True,
                    }
                },
            },
            "ResultPath": "$.results",
            "Next": "Finish",
        },
        "Finish": {"Type": "Pass", "OutputPath": "$.results", "End": True},
    },
}


class Work:
    """Squares its item; item 2 fails until `fixed`."""

    def __init__(self):
        self.calls: list[int] = []
        self.fixed = False

    def __call__(self, event, context):
        self.calls.append(event)
        if event == 2 and not self.fixed:
            raise RuntimeError("item 2 is broken")
        return event * event


@pytest.fixture
def definition(tmp_path) -> Path:
    path = tmp_path / "each.asl.json"
    path.write_text(json.dumps(DEFINITION))
    return path


def _failed_once(definition: Path, work: Work) -> str:
    result = run_execution(
        Settings.from_env(),
        RunRequest(name="each-1", definition_path=definition),
        overrides={"lambda:work": work},
    )
    assert result.status == "FAILED"
    return result.record["name"]


def test_a_redrive_reruns_only_the_failed_and_unstarted_map_iterations(lake_root, definition):
    work = Work()
    name = _failed_once(definition, work)
    assert work.calls == [1, 2]  # the Map stopped at its first failure: 3 never started
    work.fixed = True
    result = redrive_execution(
        Settings.from_env(), name, definition_path=definition, overrides={"lambda:work": work}
    )
    assert result.status == "SUCCEEDED"
    assert work.calls == [1, 2, 2, 3]
    assert result.output == [1, 4, 9]


def test_a_redrive_starts_at_the_unsuccessful_state_with_its_input_and_continues_the_history(
    lake_root, definition
):
    work = Work()
    name = _failed_once(definition, work)
    first = ExecutionStore(Settings.from_env().home).history(name)
    work.fixed = True
    result = redrive_execution(
        Settings.from_env(), name, definition_path=definition, overrides={"lambda:work": work}
    )
    redriven = result.events[0]
    assert redriven["type"] == "ExecutionRedriven"
    assert redriven["id"] == first[-1]["id"] + 1
    assert redriven["executionRedrivenEventDetails"] == {"redriveCount": 1}
    entered = result.events[1]
    assert entered["type"] == "MapStateEntered"
    assert json.loads(entered["stateEnteredEventDetails"]["input"]) == {"items": [1, 2, 3]}
    names = [e["stateEnteredEventDetails"]["name"] for e in result.events if "Entered" in e["type"]]
    assert "Prepare" not in names
    assert [e["type"] for e in ExecutionStore(Settings.from_env().home).history(name)] == [
        e["type"] for e in first + result.events
    ]


def test_describe_shows_the_redrive_count_and_date_and_the_same_arn(lake_root, definition):
    work = Work()
    name = _failed_once(definition, work)
    store = ExecutionStore(Settings.from_env().home)
    arn = store.describe(name)["executionArn"]
    redrive_execution(
        Settings.from_env(), name, definition_path=definition, overrides={"lambda:work": work}
    )
    work.fixed = True
    redrive_execution(
        Settings.from_env(), name, definition_path=definition, overrides={"lambda:work": work}
    )
    record = store.describe(name)
    assert record["status"] == "SUCCEEDED"
    assert record["executionArn"] == arn
    assert record["redriveCount"] == 2
    assert datetime.fromisoformat(record["redriveDate"]) > datetime.fromisoformat(
        record["startDate"]
    )
    assert "error" not in record
    # Item 1 succeeded in the first attempt: neither redrive ran it again.
    assert work.calls == [1, 2, 2, 2, 3]
    assert json.loads(record["output"]) == [1, 4, 9]


def test_a_succeeded_execution_is_not_redrivable(lake_root, definition):
    work = Work()
    work.fixed = True
    run_execution(
        Settings.from_env(),
        RunRequest(name="each-ok", definition_path=definition),
        overrides={"lambda:work": work},
    )
    with pytest.raises(UserError, match="ExecutionNotRedrivable: execution each-ok is SUCCEEDED"):
        redrive_execution(Settings.from_env(), "each-ok", definition_path=definition)


def test_an_execution_stopped_more_than_14_days_ago_is_not_redrivable(lake_root, definition):
    name = _failed_once(definition, Work())
    later = datetime.now(UTC) + timedelta(days=14, minutes=1)
    with pytest.raises(UserError, match="more than 14 days ago"):
        redrive_execution(Settings.from_env(), name, definition_path=definition, now=later)


def test_a_changed_definition_is_refused(lake_root, definition, tmp_path):
    name = _failed_once(definition, Work())
    changed = tmp_path / "changed.asl.json"
    changed.write_text(json.dumps({**DEFINITION, "Comment": "changed"}))
    with pytest.raises(UserError, match="is not the definition execution each-1 ran"):
        redrive_execution(Settings.from_env(), name, definition_path=changed)
