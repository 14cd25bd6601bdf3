"""One local execution of the real definition, end to end through the engine, with the Glue
states mocked in the Step Functions Local format (no Spark): retries, persistence, refusals."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from orchestration.core.errors import UserError
from orchestration.core.layout import raw_file_uri
from orchestration.core.settings import Settings
from orchestration.engine import RunRequest, run_execution
from orchestration.engine.definition import DefinitionError, default_definition_path
from orchestration.engine.store import ExecutionStore

JOB_RUN = {"Id": "jr_mock", "JobRunState": "SUCCEEDED", "ExecutionTime": 1}
SUMMARY = {
    "success": True,
    "tables": {},
    "loads": [],
    "set_aside": {"held": {}, "parked_files": []},
}
MOCKS = {
    "StateMachines": {
        "sfn-etl": {
            "TestCases": {
                "TransformFlaky": {
                    "Transform": "FailTwiceThenOk",
                    "Validate": "JobOk",
                    "ReadValidationSummary": "AllPassed",
                }
            }
        }
    },
    "MockedResponses": {
        "FailTwiceThenOk": {
            "0-1": {"Throw": {"Error": "Glue.AWSGlueException", "Cause": "transient"}},
            "2": {"Return": JOB_RUN},
        },
        "JobOk": {"0": {"Return": JOB_RUN}},
        "AllPassed": {"0": {"Return": {"Body": json.dumps(SUMMARY)}}},
    },
}


@pytest.fixture
def one_raw_file(lake_root: Path) -> Path:
    path = lake_root / "raw" / "tpch" / "orders" / "ingest_date=2025-01-01" / "orders.tbl"
    path.parent.mkdir(parents=True)
    path.write_text("1|370|O|172799.49|1996-01-02|5-LOW|Clerk#000000951|0|nstructions|\n")
    return path


@pytest.fixture
def mocks(tmp_path) -> Path:
    path = tmp_path / "mocks.json"
    path.write_text(json.dumps(MOCKS))
    return path


def _flaky_run(mocks: Path) -> RunRequest:
    return RunRequest(mock_config=mocks, test_case="TransformFlaky", time_scale=0.001)


def test_a_transform_throwing_twice_then_returning_succeeds_after_two_recorded_retries(
    one_raw_file, mocks
):
    result = run_execution(Settings.from_env(), _flaky_run(mocks))
    assert result.status == "SUCCEEDED"
    retries = [
        e["retryScheduledEventDetails"] for e in result.events if e["type"] == "RetryScheduled"
    ]
    assert [(r["name"], r["error"], r["retryCount"]) for r in retries] == [
        ("Transform", "Glue.AWSGlueException", 1),
        ("Transform", "Glue.AWSGlueException", 2),
    ]
    # IntervalSeconds 10, BackoffRate 2, full jitter: uniform in [0, 10] then in [0, 20].
    assert 0 <= retries[0]["delaySeconds"] <= 10 and 0 <= retries[1]["delaySeconds"] <= 20
    for retry in retries:
        assert retry["sleptSeconds"] == pytest.approx(retry["delaySeconds"] * 0.001, abs=0.001)
    failed = [
        e["taskFailedEventDetails"]["error"] for e in result.events if e["type"] == "TaskFailed"
    ]
    assert failed == ["Glue.AWSGlueException", "Glue.AWSGlueException"]


def test_unmocked_states_run_for_real(one_raw_file, mocks):
    result = run_execution(Settings.from_env(), _flaky_run(mocks))
    (batch,) = result.output["batch"]["datasets"]
    lake = Settings.from_env().open_lake()
    manifest = lake.read_json(batch["manifest_uri"])
    assert (batch["dataset"], manifest["dataset"]) == ("tpch", "tpch")
    assert [raw_file_uri(lake, f["path"]) for f in manifest["files"]] == [str(one_raw_file)]
    assert lake.exists(lake.uri("manifests", f"{batch['batch_id']}.committed.json"))
    assert [(o["dataset"], o["status"]) for o in result.output["outcomes"]] == [
        ("tpch", "committed")
    ]


def test_the_execution_and_its_history_persist_under_the_state_directory(one_raw_file, mocks):
    settings = Settings.from_env()
    result = run_execution(settings, RunRequest(mock_config=mocks, test_case="TransformFlaky",
                                                time_scale=0.001, name="persisted"))  # fmt: skip
    store = ExecutionStore(settings.home)
    assert store.describe("persisted") == result.record
    assert store.history("persisted") == json.loads(json.dumps(result.events))
    assert result.record["executionArn"] == (
        "arn:aws:states:us-east-1:000000000000:execution:sfn-etl:persisted"
    )
    assert [item["name"] for item in store.list()] == ["persisted"]


def test_an_invalid_definition_is_refused_before_an_execution_exists(lake_root, tmp_path):
    broken = json.loads(default_definition_path().read_text())
    broken["States"]["ProcessDatasets"]["ItemProcessor"]["States"]["Transform"]["Next"] = "Validat"
    path = tmp_path / "broken.asl.json"
    path.write_text(json.dumps(broken))
    settings = Settings.from_env()
    where = "referenced at State Machine.States.ProcessDatasets.ItemProcessor.States.Transform.Next"
    with pytest.raises(DefinitionError, match=where):
        run_execution(settings, RunRequest(definition_path=path))
    assert not (settings.home / "executions").exists()


def test_mock_config_and_test_case_are_given_together(lake_root, mocks):
    with pytest.raises(UserError, match="--mock-config and --test-case go together"):
        run_execution(Settings.from_env(), RunRequest(mock_config=mocks))


def test_map_iterations_still_running_when_the_execution_fails_finish_unrecorded(
    lake_root, tmp_path
):
    finished = []

    def load(event, context):
        if event == 1:
            time.sleep(0.2)  # item 2's load is under way by now
            raise ValueError("table 1 is bad")
        time.sleep(1.0)
        finished.append(event)
        return {}

    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "load", "Payload.$": "$"},
        "End": True,
    }
    each = {
        "Type": "Map",
        "ItemsPath": "$.items",
        "ItemProcessor": {"StartAt": "Load", "States": {"Load": task}},
        "End": True,
    }
    path = tmp_path / "map.asl.json"
    path.write_text(json.dumps({"StartAt": "Each", "States": {"Each": each}}))
    result = run_execution(
        Settings.from_env(),
        RunRequest(input={"items": [1, 2]}, definition_path=path),
        overrides={"lambda:load": load},
    )
    assert (result.status, result.record["error"]) == ("FAILED", "ValueError")
    assert finished == [2]  # the engine waited for it rather than leave it to die at exit
    assert result.events[-1]["type"] == "ExecutionFailed"
    history = ExecutionStore(Settings.from_env().home).history(result.record["name"])
    assert history[-1]["type"] == "ExecutionFailed"


def test_each_datasets_iteration_counts_the_mocked_invocations_from_zero(
    one_raw_file, mocks, lake_root, tiny
):
    shops = lake_root / "raw" / "tiny" / "shops" / "ingest_date=2025-01-01" / "shops.csv"
    shops.parent.mkdir(parents=True)
    shops.write_text("shop_id,name\n1,north\n")

    result = run_execution(Settings.from_env(), _flaky_run(mocks))

    assert result.status == "SUCCEEDED"
    # "0-1" throw and "2" returns, in each iteration: two retries per dataset.
    retries = [
        e["retryScheduledEventDetails"]["retryCount"]
        for e in result.events
        if e["type"] == "RetryScheduled"
    ]
    assert sorted(retries) == [1, 1, 2, 2]
    assert sorted((o["dataset"], o["status"]) for o in result.output["outcomes"]) == [
        ("tiny", "committed"),
        ("tpch", "committed"),
    ]


# -- any definition, with the resources it declares ----------------------------------------

LAMBDA = "arn:aws:states:::lambda:invoke"
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine"


def _definition(folder: Path, name: str, states: dict) -> Path:
    path = folder / name
    path.write_text(json.dumps({"StartAt": next(iter(states)), "States": states}))
    return path


def _invoke(function: str, **extra) -> dict:
    return {
        "Type": "Task",
        "Resource": LAMBDA,
        "Parameters": {"FunctionName": function, "Payload.$": "$"},
        "OutputPath": "$.Payload",
        "End": True,
        **extra,
    }


@pytest.fixture
def project(tmp_path) -> Path:
    """A user's project: its pyproject.toml declares where its resources run."""
    (tmp_path / "pyproject.toml").write_text(
        "[tool.sfn-etl.resources]\n"
        '"arn:aws:lambda:us-east-1:123456789012:function:double" = '
        '"tests.engine.user_handlers:double"\n'
        'broken = "tests.engine.user_handlers:broken"\n'
        'flaky = "tests.engine.user_handlers:flaky_once"\n'
        'child = "child.asl.json"\n'
        'failing-child = "failing.asl.json"\n'
        'orders-job = "glue/orders.py"\n'
    )
    _definition(tmp_path, "child.asl.json", {"Double": _invoke("double")})
    _definition(tmp_path, "failing.asl.json", {"Break": _invoke("broken")})
    return tmp_path


def test_a_users_definition_runs_its_declared_lambda_under_its_own_name(lake_root, project):
    path = _definition(
        project,
        "pricing.asl.json",
        {"Double": _invoke("arn:aws:lambda:us-east-1:123456789012:function:double")},
    )
    result = run_execution(
        Settings.from_env(), RunRequest(input={"value": 21}, definition_path=path, name="p1")
    )
    assert (result.status, result.output) == ("SUCCEEDED", {"value": 42, "function": "double"})
    assert (result.record["stateMachineArn"], result.record["executionArn"]) == (
        "arn:aws:states:us-east-1:000000000000:stateMachine:pricing",
        "arn:aws:states:us-east-1:000000000000:execution:pricing:p1",
    )


def test_an_unmapped_resource_is_refused_naming_the_state_before_an_execution_exists(
    lake_root, project
):
    path = _definition(project, "flow.asl.json", {"Score": _invoke("score")})
    settings = Settings.from_env()
    with pytest.raises(UserError, match=r"flow.asl.json: state 'Score': Lambda function 'score'"):
        run_execution(settings, RunRequest(definition_path=path))
    assert not (settings.home / "executions").exists()


def _start(resource_suffix: str, machine: str = "child", **extra) -> dict:
    return {
        "Type": "Task",
        "Resource": f"arn:aws:states:::states:startExecution{resource_suffix}",
        "Parameters": {
            "StateMachineArn": f"{MACHINE}:{machine}",
            "Input.$": "$",
            "Name": "nested-1",
        },
        "End": True,
        **extra,
    }


def test_start_execution_sync_2_runs_the_nested_execution_with_its_own_record(lake_root, project):
    path = _definition(project, "parent.asl.json", {"Run": _start(".sync:2")})
    result = run_execution(
        Settings.from_env(), RunRequest(input={"value": 4}, definition_path=path)
    )
    output = result.output
    nested_arn = "arn:aws:states:us-east-1:000000000000:execution:child:nested-1"
    assert {k: v for k, v in output.items() if not k.endswith("Date")} == {
        "ExecutionArn": nested_arn,
        "StateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:child",
        "Name": "nested-1",
        "Status": "SUCCEEDED",
        "Input": {"value": 4},
        "InputDetails": {"Included": True},
        "Output": {"value": 8, "function": "double"},
        "OutputDetails": {"Included": True},
    }
    assert isinstance(output["StartDate"], int) and output["StopDate"] >= output["StartDate"]
    store = ExecutionStore(Settings.from_env().home)
    nested = store.describe("nested-1")
    assert (nested["executionArn"], nested["status"], json.loads(nested["output"])) == (
        nested_arn,
        "SUCCEEDED",
        {"value": 8, "function": "double"},
    )
    assert [e["type"] for e in store.history("nested-1")][0] == "ExecutionStarted"
    assert sorted(item["name"] for item in store.list()) == sorted(
        ["nested-1", result.record["name"]]
    )


def test_start_execution_sync_gives_input_and_output_as_json_strings(lake_root, project):
    path = _definition(project, "parent.asl.json", {"Run": _start(".sync")})
    output = run_execution(
        Settings.from_env(), RunRequest(input={"value": 1}, definition_path=path)
    ).output
    assert (output["Input"], output["Output"]) == ('{"value":1}', '{"value":2,"function":"double"}')


def test_start_execution_without_sync_returns_the_started_executions_arn(lake_root, project):
    path = _definition(project, "parent.asl.json", {"Run": _start("")})
    output = run_execution(
        Settings.from_env(), RunRequest(input={"value": 1}, definition_path=path)
    ).output
    assert sorted(output) == ["ExecutionArn", "StartDate"]
    assert (
        output["ExecutionArn"] == "arn:aws:states:us-east-1:000000000000:execution:child:nested-1"
    )


def test_a_failed_nested_execution_fails_the_task_with_its_description_as_cause(lake_root, project):
    catch = [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Done"}]
    states = {
        "Run": {**_start(".sync:2", "failing-child", Catch=catch), "Next": "Done"},
        "Done": {"Type": "Pass", "End": True},
    }
    del states["Run"]["End"]
    path = _definition(project, "parent.asl.json", states)
    result = run_execution(Settings.from_env(), RunRequest(input={"v": 1}, definition_path=path))
    assert result.status == "SUCCEEDED"
    error = result.output["error"]
    cause = json.loads(error["Cause"])
    assert (error["Error"], cause["Status"], cause["Error"]) == (
        "States.TaskFailed",
        "FAILED",
        "ValueError",
    )


def test_a_nested_executions_retries_are_recorded_in_its_own_history(lake_root, project):
    retry = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 1}]
    (project / "child.asl.json").write_text(
        json.dumps({"StartAt": "Flaky", "States": {"Flaky": _invoke("flaky", Retry=retry)}})
    )
    path = _definition(project, "parent.asl.json", {"Run": _start(".sync:2")})
    result = run_execution(
        Settings.from_env(),
        RunRequest(input={"key": str(project)}, definition_path=path, time_scale=0.01),
    )
    assert result.output["Output"] == {"attempts": 2}
    assert "RetryScheduled" not in [e["type"] for e in result.events]
    nested = ExecutionStore(Settings.from_env().home).history("nested-1")
    retries = [e["retryScheduledEventDetails"] for e in nested if e["type"] == "RetryScheduled"]
    assert [(r["name"], r["retryCount"]) for r in retries] == [("Flaky", 1)]


def test_put_events_goes_to_the_outbox_with_the_state_machine_and_execution(lake_root, project):
    put = {
        "Type": "Task",
        "Resource": "arn:aws:states:::events:putEvents",
        "End": True,
        "Parameters": {
            "Entries": [
                {
                    "Source": "shop",
                    "DetailType": "OrderPlaced",
                    "Detail": {"order": 7},
                    "EventBusName": "orders",
                }
            ]
        },
    }
    path = _definition(project, "events.asl.json", {"Put": put})
    result = run_execution(Settings.from_env(), RunRequest(definition_path=path, name="e1"))
    (entry,) = result.output["Entries"]
    assert result.output["FailedEntryCount"] == 0
    (line,) = (Settings.from_env().home / "outbox" / "events.jsonl").read_text().splitlines()
    record = json.loads(line)
    # As on AWS, an object Detail is sent as its JSON text.
    assert json.loads(record.pop("Detail")) == {"order": 7}
    assert {k: v for k, v in record.items() if k != "timestamp"} == {
        "EventId": entry["EventId"],
        "EventBusName": "orders",
        "Source": "shop",
        "DetailType": "OrderPlaced",
        "Resources": [
            "arn:aws:states:us-east-1:000000000000:stateMachine:events",
            "arn:aws:states:us-east-1:000000000000:execution:events:e1",
        ],
        "executionArn": "arn:aws:states:us-east-1:000000000000:execution:events:e1",
    }


def test_a_glue_job_mapped_to_a_script_runs_it_as_main_with_the_job_arguments(lake_root, project):
    (project / "glue").mkdir()
    (project / "glue" / "orders.py").write_text(
        "import json, sys\n"
        "args = dict(zip(sys.argv[1::2], sys.argv[2::2]))\n"
        "if __name__ == '__main__':\n"
        "    open(args['--out'], 'w').write(json.dumps(args))\n"
    )
    out = project / "args.json"
    run = {
        "Type": "Task",
        "Resource": "arn:aws:states:::glue:startJobRun.sync",
        "End": True,
        "Parameters": {"JobName": "orders-job", "Arguments": {"--out": str(out)}},
    }
    path = _definition(project, "glue.asl.json", {"Run": run})
    result = run_execution(Settings.from_env(), RunRequest(definition_path=path))
    assert (result.status, result.output["JobRunState"]) == ("SUCCEEDED", "SUCCEEDED")
    assert json.loads(out.read_text()) == {
        "--JOB_NAME": "orders-job",
        "--lake": str(lake_root),
        "--out": str(out),
    }


def test_the_mock_config_names_a_users_state_machine_by_its_file_or_its_given_name(
    lake_root, project
):
    path = _definition(project, "pricing.asl.json", {"Double": _invoke("broken")})
    mocks = project / "mocks.json"
    case = {"TestCases": {"Ok": {"Double": "Fine"}}}
    mocks.write_text(
        json.dumps(
            {
                "StateMachines": {"pricing": case, "renamed": case},
                "MockedResponses": {"Fine": {"0": {"Return": {"Payload": {"mocked": True}}}}},
            }
        )
    )
    for machine in (None, "renamed"):
        request = RunRequest(
            definition_path=path, mock_config=mocks, test_case="Ok", state_machine=machine
        )
        assert run_execution(Settings.from_env(), request).output == {"mocked": True}
    with pytest.raises(UserError, match=r"no StateMachines.other \(has: pricing, renamed\)"):
        run_execution(
            Settings.from_env(),
            RunRequest(
                definition_path=path, mock_config=mocks, test_case="Ok", state_machine="other"
            ),
        )
