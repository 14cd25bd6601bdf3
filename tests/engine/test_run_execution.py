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
