"""Coverage of a small definition by real local executions: states, transitions (Next, Choice,
Default, Catch), retriers and catchers, and what never ran."""

from __future__ import annotations

import json

from orchestration.core.settings import Settings
from orchestration.engine import RunRequest, run_execution
from orchestration.insight.coverage import coverage

FN = "arn:aws:lambda:us-east-1:000000000000:function:work"
DEFINITION = {
    "StartAt": "Route",
    "States": {
        "Route": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.go", "BooleanEquals": True, "Next": "Work"}],
            "Default": "Skip",
        },
        "Skip": {"Type": "Succeed"},
        "Work": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": FN, "Payload.$": "$"},
            "Retry": [
                {"ErrorEquals": ["Throttled"], "IntervalSeconds": 1, "MaxAttempts": 1},
                {"ErrorEquals": ["Broken"], "IntervalSeconds": 1, "MaxAttempts": 1},
            ],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}],
            "Next": "Done",
        },
        "Recover": {"Type": "Pass", "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}


def _work(event, context):
    raise type("Broken", (Exception,), {})("always")


def test_coverage_of_two_executions_lists_what_ran_and_what_never_did(lake_root, tmp_path):
    path = tmp_path / "small.asl.json"
    path.write_text(json.dumps(DEFINITION))
    histories = [
        run_execution(
            Settings.from_env(),
            RunRequest(input=value, definition_path=path, time_scale=0.001),
            overrides={"lambda:work": _work},
        ).events
        for value in ({"go": True}, {"go": False})
    ]
    report = coverage(DEFINITION, histories)
    assert report.never_run() == [
        "Work -> Done (Next)",
        "Work Retry[0]",
    ]
    assert report.summary() == "states 5/5, transitions 4/5, retriers 1/2, catchers 1/1"
