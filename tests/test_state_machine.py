"""The definition itself: valid ASL, the flow the design describes, Retry and Catch everywhere;
then its behaviour, run through the local engine with the Lambdas and Glue jobs overridden
(tests/engine/fake_pipeline.py, no Spark): one dataset's failure never stops another."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from statelint.config import Config
from statelint.linter import Linter

from orchestration.catalog import CatalogTable, LocalCatalog
from orchestration.engine import RunRequest, run_execution
from orchestration.engine.definition import LOCAL_PLACEHOLDERS, default_definition_path
from orchestration.lake import Lake
from orchestration.settings import Settings
from tests.engine.fake_pipeline import FakePipeline

TEMPLATE = default_definition_path().read_text(encoding="utf-8")
DEFINITION = json.loads(TEMPLATE)
STATES = DEFINITION["States"]
ITERATION = STATES["ProcessDatasets"]["ItemProcessor"]["States"]
TO_WAREHOUSE, TO_CATALOG = (branch["States"] for branch in ITERATION["Deliver"]["Branches"])
ITERATION_FAILURE_STATES = {"NotifyDatasetFailure", "DeadLetterDataset", "DatasetFailed"}
EXECUTION_FAILURE_STATES = {"NotifyFailure", "SendToDLQ", "Failed", "Done"}


def _children(state: dict):
    if "ItemProcessor" in state:
        yield state["ItemProcessor"]["States"]
    for branch in state.get("Branches", []):
        yield branch["States"]


def _tasks(states: dict, enclosing: tuple[dict, ...] = ()):
    """(name, state, the Map and Parallel states around it, outermost first) of every Task."""
    for name, state in states.items():
        if state["Type"] == "Task":
            yield name, state, enclosing
        for child in _children(state):
            yield from _tasks(child, (*enclosing, state))


TASKS = {name: (state, enclosing) for name, state, enclosing in _tasks(STATES)}


def _flow(states: dict, start: str, taken: dict[str, str] | None = None) -> list[str]:
    """The states after `start` to the end, following Next and, at a Choice, `taken[choice]`
    (by default its first rule)."""
    taken = taken or {}
    path, name = [], start
    while True:
        state = states[name]
        if state["Type"] == "Choice":
            name = taken.get(name, state["Choices"][0]["Next"])
        elif "Next" in state:
            name = state["Next"]
        else:
            return path
        path.append(name)


# -- the definition ----------------------------------------------------------------------------


def test_statelint_finds_no_problem_in_the_template():
    assert Linter.validate(DEFINITION, Config()) == []


def test_placeholders_are_exactly_the_stable_set_terraform_fills():
    assert set(re.findall(r"\$\{(\w+)\}", TEMPLATE)) == {
        "ExtractFunctionArn",
        "LoadFunctionArn",
        "TransformJobName",
        "ValidateJobName",
        "NotificationTopicArn",
        "DeadLetterQueueUrl",
        "CatalogDatabasePrefix",
    }
    assert set(LOCAL_PLACEHOLDERS) == set(re.findall(r"\$\{(\w+)\}", TEMPLATE))


def test_happy_path_extracts_then_processes_every_dataset_then_notifies_success():
    start = DEFINITION["StartAt"]
    assert [start, *_flow(STATES, start, {"AnyDatasetFailed": "NotifySuccess"})] == [
        "ApplyDefaults",
        "MergeInput",
        "Extract",
        "AnythingNew",
        "ProcessDatasets",
        "Tally",
        "CountFailures",
        "AnyDatasetFailed",
        "NotifySuccess",
        "Done",
    ]


def test_each_dataset_is_transformed_validated_delivered_then_committed_in_its_iteration():
    processor = STATES["ProcessDatasets"]["ItemProcessor"]
    assert _flow(ITERATION, processor["StartAt"]) == [
        "Validate",
        "ReadValidationSummary",
        "ValidationPassed",
        "Deliver",
        "Commit",
        "DatasetCommitted",
    ]
    assert processor["StartAt"] == "Transform"
    assert STATES["ProcessDatasets"]["ItemsPath"] == "$.batch.datasets"


def test_nothing_new_ends_with_success_before_any_glue_job():
    choice = STATES["AnythingNew"]
    assert choice["Choices"] == [
        {"Variable": "$.batch.has_work", "BooleanEquals": True, "Next": "ProcessDatasets"}
    ]
    assert STATES[choice["Default"]] == {
        "Type": "Succeed",
        "Comment": "No uncommitted raw files: end without starting a Glue job.",
    }


def test_failure_path_notifies_then_dead_letters_then_fails_with_the_original_error():
    assert STATES["NotifyFailure"]["Next"] == "SendToDLQ"
    assert STATES["SendToDLQ"]["Next"] == "Failed"
    assert STATES["NotifyFailure"]["Resource"] == "arn:aws:states:::sns:publish"
    assert STATES["SendToDLQ"]["Resource"] == "arn:aws:states:::sqs:sendMessage"
    assert STATES["SendToDLQ"]["Parameters"]["MessageBody"] == {
        "execution.$": "$$.Execution.Id",
        "input.$": "$$.Execution.Input",
        "error.$": "$.error.Error",
        "cause.$": "$.error.Cause",
    }
    assert STATES["Failed"]["Type"] == "Fail"
    assert (STATES["Failed"]["ErrorPath"], STATES["Failed"]["CausePath"]) == (
        "$.error.Error",
        "$.error.Cause",
    )


def test_a_failed_dataset_is_notified_then_dead_lettered_then_ends_its_iteration_as_failed():
    assert _flow(ITERATION, "NotifyDatasetFailure") == ["DeadLetterDataset", "DatasetFailed"]
    assert ITERATION["DatasetFailed"]["Parameters"]["status"] == "failed"
    assert ITERATION["DatasetFailed"].get("End") is True
    assert ITERATION["DeadLetterDataset"]["Parameters"]["MessageBody"] == {
        "execution.$": "$$.Execution.Id",
        "input.$": "$$.Execution.Input",
        "dataset.$": "$.batch.dataset",
        "batch_id.$": "$.batch.batch_id",
        "manifest_uri.$": "$.batch.manifest_uri",
        "error.$": "$.error.Error",
        "cause.$": "$.error.Cause",
    }


def test_any_failed_dataset_fails_the_execution_as_datasets_failed_with_the_outcomes():
    assert STATES["AnyDatasetFailed"]["Choices"] == [
        {"Variable": "$.tally.any_failed", "BooleanEquals": True, "Next": "DatasetsFailed"}
    ]
    assert STATES["AnyDatasetFailed"]["Default"] == "NotifySuccess"
    failed = STATES["DatasetsFailed"]
    assert failed["Parameters"] == {
        "Error": "DatasetsFailed",
        "Cause.$": "States.JsonToString($.outcomes)",
    }
    assert (failed["ResultPath"], failed["Next"]) == ("$.error", "Failed")


def test_failed_validation_takes_the_datasets_failure_path_as_error_validation_failed():
    assert ITERATION["ValidationPassed"]["Choices"] == [
        {"Variable": "$.validation.summary.success", "BooleanEquals": True, "Next": "Deliver"}
    ]
    shaped = ITERATION[ITERATION["ValidationPassed"]["Default"]]
    assert shaped["Parameters"]["Error"] == "ValidationFailed"
    assert (shaped["ResultPath"], shaped["Next"]) == ("$.error", "NotifyDatasetFailure")


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_task_retries_transient_errors_with_capped_full_jitter_backoff(name):
    state, _ = TASKS[name]
    assert state["Retry"], name
    for retrier in state["Retry"]:
        assert "States.ALL" not in retrier["ErrorEquals"]
        assert retrier["BackoffRate"] == 2.0
        assert retrier["JitterStrategy"] == "FULL"
        assert 0 < retrier["MaxDelaySeconds"] <= 120
        assert retrier["MaxAttempts"] >= 3


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_task_failure_is_caught_by_its_own_or_the_nearest_enclosing_catch(name):
    state, enclosing = TASKS[name]
    catcher = next(s for s in (state, *reversed(enclosing)) if "Catch" in s)
    assert [c["ErrorEquals"] for c in catcher["Catch"]] == [["States.ALL"]]
    in_iteration = any(s is STATES["ProcessDatasets"] for s in enclosing)
    allowed = ITERATION_FAILURE_STATES if in_iteration else EXECUTION_FAILURE_STATES
    assert catcher["Catch"][0]["Next"] in allowed


def test_glue_jobs_run_sync_with_the_dataset_and_batch_arguments():
    transform, validate = ITERATION["Transform"], ITERATION["Validate"]
    assert transform["Resource"] == validate["Resource"] == "arn:aws:states:::glue:startJobRun.sync"
    assert transform["Parameters"] == {
        "JobName": "${TransformJobName}",
        "Arguments": {
            "--dataset.$": "$.batch.dataset",
            "--batch_id.$": "$.batch.batch_id",
            "--manifest_uri.$": "$.batch.manifest_uri",
        },
    }
    assert validate["Parameters"] == {
        "JobName": "${ValidateJobName}",
        "Arguments": {"--dataset.$": "$.batch.dataset", "--batch_id.$": "$.batch.batch_id"},
    }


def test_concurrency_of_datasets_and_of_loads_comes_from_the_input_with_defaults():
    assert STATES["ApplyDefaults"]["Parameters"] == {
        "max_concurrency": 4,
        "dataset_concurrency": 2,
        "datasets": [],
    }
    assert STATES["ProcessDatasets"]["MaxConcurrencyPath"] == "$.config.dataset_concurrency"
    assert STATES["Extract"]["Parameters"]["Payload"]["datasets.$"] == "$.config.datasets"


def test_load_tables_maps_over_the_summary_loads_with_concurrency_from_the_input():
    load = TO_WAREHOUSE["LoadTables"]
    assert load["ItemsPath"] == "$.validation.summary.loads"
    assert load["MaxConcurrencyPath"] == "$.config.max_concurrency"
    assert load["ItemSelector"] == {
        "batch_id.$": "$.batch.batch_id",
        "dataset.$": "$$.Map.Item.Value.dataset",
        "table.$": "$$.Map.Item.Value.table",
        "curated_uri.$": "$$.Map.Item.Value.curated_uri",
    }


def test_each_destination_is_taken_only_when_the_dataset_declares_it():
    assert TO_WAREHOUSE["ToWarehouse"]["Choices"] == [
        {"Variable": "$.batch.destinations.warehouse", "BooleanEquals": True,
         "Next": "LoadTables"}
    ]  # fmt: skip
    assert TO_CATALOG["ToCatalog"]["Choices"] == [
        {"Variable": "$.batch.destinations.catalog", "BooleanEquals": True,
         "Next": "RegisterPartitions"}
    ]  # fmt: skip
    assert (
        TO_WAREHOUSE["NoWarehouse"]
        == TO_CATALOG["NoCatalog"]
        == {
            "Type": "Pass",
            "Result": [],
            "End": True,
        }
    )


def test_partitions_register_in_the_database_named_by_the_prefix_and_the_dataset():
    register = TO_CATALOG["RegisterPartitions"]
    assert register["ItemSelector"]["database.$"] == (
        "States.Format('${CatalogDatabasePrefix}{}', $$.Map.Item.Value.dataset)"
    )
    task = register["ItemProcessor"]["States"]["RegisterPartition"]
    assert task["Resource"] == "arn:aws:states:::aws-sdk:glue:batchCreatePartition"


def test_commit_writes_the_marker_only_after_delivery_as_a_direct_s3_integration():
    commit = ITERATION["Commit"]
    assert ITERATION["Deliver"]["Next"] == "Commit"
    assert commit["Resource"] == "arn:aws:states:::aws-sdk:s3:putObject"
    assert (commit["Parameters"]["Bucket.$"], commit["Parameters"]["Key.$"]) == (
        "$.batch.commit.bucket",
        "$.batch.commit.key",
    )


def test_a_lost_success_notification_does_not_fail_a_committed_batch():
    assert STATES["NotifySuccess"]["Catch"][0]["Next"] == "Done"
    assert STATES["NotifySuccess"]["Catch"][0]["ResultPath"] == "$.notify_error"


# -- behaviour, through the engine ---------------------------------------------------------

EXECUTION_ARN = "arn:aws:states:us-east-1:000000000000:execution:sfn-etl:"


BOTH = ("warehouse", "catalog")


def _pipeline(lake_root: Path, **kwargs) -> FakePipeline:
    destinations = kwargs.pop("destinations", {"alpha": BOTH, "beta": BOTH})
    return FakePipeline(Lake(str(lake_root)), destinations, **kwargs)


def _run(pipeline: FakePipeline, execution_input: dict | None = None, name: str = "run"):
    request = RunRequest(input=execution_input or {}, name=name, time_scale=0.001)
    return run_execution(Settings.from_env(), request, overrides=pipeline.overrides())


def _outbox(kind: str) -> list[dict]:
    path = Settings.from_env().home / "outbox" / f"{kind}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def _entered(result) -> list[str]:
    return [
        event["stateEnteredEventDetails"]["name"]
        for event in result.events
        if event["type"].endswith("StateEntered")
    ]


def _marker(lake_root: Path, batch_id: str) -> Path:
    return lake_root / "manifests" / f"{batch_id}.committed.json"


def test_one_datasets_failed_transform_leaves_the_other_committed_and_fails_the_execution(
    lake_root,
):
    pipeline = _pipeline(lake_root, failing_transform=frozenset({"beta"}))
    result = _run(pipeline, {"note": "nightly"}, name="mixed")

    assert (result.status, result.record["error"]) == ("FAILED", "DatasetsFailed")
    outcomes = json.loads(result.record["cause"])
    assert [(o["dataset"], o["batch_id"], o["status"]) for o in outcomes] == [
        ("alpha", "b1-alpha", "committed"),
        ("beta", "b1-beta", "failed"),
    ]
    assert outcomes[1]["error"] == "States.TaskFailed"
    job_run = json.loads(outcomes[1]["cause"])
    assert job_run["ErrorMessage"] == "TransformBroke: beta's transform broke"

    assert _marker(lake_root, "b1-alpha").exists()
    assert not _marker(lake_root, "b1-beta").exists()
    assert ("validate", "beta") not in pipeline.calls

    (notified,) = _outbox("sns")
    message = json.loads(notified["Message"])
    assert notified["Subject"] == "sfn-etl: dataset batch failed"
    assert (message["status"], message["execution"]) == ("FAILED", EXECUTION_ARN + "mixed")
    assert (message["dataset"], message["batch_id"], message["error"]) == (
        "beta",
        "b1-beta",
        "States.TaskFailed",
    )
    (dead_lettered,) = _outbox("sqs")
    body = json.loads(dead_lettered["MessageBody"])
    assert (body["dataset"], body["batch_id"], body["error"]) == (
        "beta",
        "b1-beta",
        "States.TaskFailed",
    )
    assert body["manifest_uri"] == f"{lake_root}/manifests/b1-beta.json"
    assert body["input"] == {"note": "nightly"}
    # The execution-level failure path is for failures outside a dataset's iteration.
    assert not {"NotifyFailure", "SendToDLQ"} & set(_entered(result))


def test_a_dataset_failing_validation_is_notified_as_validation_failed_and_nothing_is_loaded(
    lake_root,
):
    pipeline = _pipeline(lake_root, failing_validation=frozenset({"beta"}))
    result = _run(pipeline)

    assert (result.status, result.record["error"]) == ("FAILED", "DatasetsFailed")
    (message,) = [json.loads(record["Message"]) for record in _outbox("sns")]
    assert (message["dataset"], message["error"], message["cause"]) == (
        "beta",
        "ValidationFailed",
        "Validation failed for beta batch b1-beta: nothing was loaded; "
        "see validation/b1-beta/summary.json",
    )
    assert [call for call in pipeline.calls if call[0] == "load"] == [("load", "alpha")]
    assert not _marker(lake_root, "b1-beta").exists()


def test_when_every_dataset_commits_the_execution_succeeds_and_the_notification_lists_them(
    lake_root,
):
    result = _run(_pipeline(lake_root), name="all-good")

    assert result.status == "SUCCEEDED"
    (notified,) = _outbox("sns")
    message = json.loads(notified["Message"])
    assert notified["Subject"] == "sfn-etl: batches committed"
    assert (message["status"], message["execution"], message["batch_id"]) == (
        "SUCCEEDED",
        EXECUTION_ARN + "all-good",
        "b1",
    )
    load = {"rows_staged": 2, "inserted": 2, "updated": 0, "skipped": False}
    assert [
        (d["dataset"], d["batch_id"], d["status"], d["loads"]) for d in message["datasets"]
    ] == [
        ("alpha", "b1-alpha", "committed", [{"dataset": "alpha", "table": "dim_a", **load}]),
        ("beta", "b1-beta", "committed", [{"dataset": "beta", "table": "dim_a", **load}]),
    ]
    assert _outbox("sqs") == []
    marker = json.loads(_marker(lake_root, "b1-alpha").read_text())
    assert marker["warehouse"] == [{"dataset": "alpha", "table": "dim_a", **load}]
    assert [p["location"] for p in marker["catalog"]] == [
        f"{lake_root}/curated/alpha/dim_a/batch_id=b1-alpha"
    ]
    # Locally the database prefix is empty: a dataset's tables are in a database of its name.
    assert LocalCatalog(Settings.from_env().catalog).tables() == [
        CatalogTable("alpha", "dim_a", 1, "b1-alpha"),
        CatalogTable("beta", "dim_a", 1, "b1-beta"),
    ]


@pytest.mark.parametrize(
    ("declared", "skipped_by", "delivered_by"),
    [("warehouse", "NoCatalog", "LoadTable"), ("catalog", "NoWarehouse", "RegisterPartition")],
)
def test_a_destination_the_dataset_does_not_declare_is_skipped(
    lake_root, declared, skipped_by, delivered_by
):
    result = _run(_pipeline(lake_root, destinations={"gamma": (declared,)}))

    assert result.status == "SUCCEEDED"
    entered = set(_entered(result))
    assert skipped_by in entered
    assert {"LoadTable", "RegisterPartition"} & entered == {delivered_by}
    marker = json.loads(_marker(lake_root, "b1-gamma").read_text())
    undeclared = "catalog" if declared == "warehouse" else "warehouse"
    assert (len(marker[declared]), marker[undeclared]) == (1, [])
    assert Settings.from_env().catalog.exists() is (declared == "catalog")


def test_the_datasets_of_the_input_reach_extract_and_dataset_concurrency_is_honoured(lake_root):
    warehouse = ("warehouse",)
    destinations = {"alpha": warehouse, "beta": warehouse, "gamma": warehouse}
    pipeline = _pipeline(lake_root, destinations=destinations)
    result = _run(pipeline, {"datasets": ["alpha", "gamma"], "dataset_concurrency": 1})

    assert result.status == "SUCCEEDED"
    assert [event["datasets"] for event in pipeline.extract_events] == [["alpha", "gamma"]]
    # One dataset at a time: each is done before the next one starts.
    assert pipeline.calls == [
        ("transform", "alpha"), ("validate", "alpha"), ("load", "alpha"),
        ("transform", "gamma"), ("validate", "gamma"), ("load", "gamma"),
    ]  # fmt: skip


def test_nothing_new_succeeds_without_starting_a_glue_job(lake_root):
    pipeline = _pipeline(lake_root)

    def nothing(event, context):
        return {"batch_id": None, "datasets": [], "file_count": 0, "has_work": False,
                "unclaimed_files": []}  # fmt: skip

    request = RunRequest(time_scale=0.001)
    overrides = {**pipeline.overrides(), "lambda:extract": nothing}
    result = run_execution(Settings.from_env(), request, overrides=overrides)

    assert result.status == "SUCCEEDED"
    assert _entered(result)[-1] == "NothingNew"
    assert pipeline.calls == []
    assert _outbox("sns") == []


def test_a_failing_extract_notifies_and_dead_letters_the_execution_then_fails_with_its_error(
    lake_root,
):
    pipeline = _pipeline(lake_root)

    def broken(event, context):
        raise ConnectionError("raw bucket unreachable")

    overrides = {**pipeline.overrides(), "lambda:extract": broken}
    request = RunRequest(input={"note": "n"}, name="no-extract", time_scale=0.001)
    result = run_execution(Settings.from_env(), request, overrides=overrides)

    assert (result.status, result.record["error"]) == ("FAILED", "ConnectionError")
    assert json.loads(result.record["cause"])["errorMessage"] == "raw bucket unreachable"
    (notified,) = _outbox("sns")
    assert notified["Subject"] == "sfn-etl: execution failed"
    message = json.loads(notified["Message"])
    assert (message["status"], message["execution"], message["error"]) == (
        "FAILED",
        EXECUTION_ARN + "no-extract",
        "ConnectionError",
    )
    (dead_lettered,) = _outbox("sqs")
    body = json.loads(dead_lettered["MessageBody"])
    assert (body["execution"], body["input"], body["error"]) == (
        EXECUTION_ARN + "no-extract",
        {"note": "n"},
        "ConnectionError",
    )
    assert pipeline.calls == []
    assert "ProcessDatasets" not in _entered(result)
