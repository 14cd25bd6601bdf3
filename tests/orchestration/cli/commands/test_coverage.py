"""`sfn-etl coverage` through the CLI entry point, on executions of a user's definition."""

from __future__ import annotations

import json

from orchestration.cli.main import main

WORK = {
    "Type": "Task",
    "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": "double", "Payload.$": "$"},
    "Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 1}],
    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Broken"}],
    "End": True,
}
DEFINITION = {
    "StartAt": "Route",
    "States": {
        "Route": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.value", "NumericGreaterThan": 0, "Next": "Work"}],
            "Default": "Skip",
        },
        "Work": WORK,
        "Skip": {"Type": "Succeed"},
        "Broken": {"Type": "Fail", "Error": "Broken"},
    },
}


def test_coverage_lists_what_the_executions_of_the_definition_never_ran(
    capsys, lake_root, tmp_path
):
    resources = tmp_path / "resources.toml"
    resources.write_text('double = "tests.engine.user_handlers:double"\n')
    definition = tmp_path / "route.asl.json"
    definition.write_text(json.dumps(DEFINITION))
    other = tmp_path / "other.asl.json"
    other.write_text(json.dumps({"StartAt": "Skip", "States": {"Skip": {"Type": "Succeed"}}}))
    run = ("run", "--definition", str(definition), "--resources", str(resources))
    assert main([*run, "--input", '{"value": 3}']) == 0
    assert main(["run", "--definition", str(other)]) == 0
    capsys.readouterr()

    assert main(["coverage", "--definition", str(definition)]) == 0

    # The execution of other.asl.json is not counted: it ran another definition.
    assert capsys.readouterr().out.splitlines() == [
        "1 executions: states 2/4, transitions 1/3, retriers 0/1, catchers 0/1",
        "  never run: state Skip",
        "  never run: state Broken",
        "  never run: Route -> Skip (Default)",
        "  never run: Work -> Broken (Catch[0])",
        "  never run: Work Retry[0]",
        "  never run: Work Catch[0]",
    ]
