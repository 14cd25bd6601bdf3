"""The adapter on moto's interpreter: AWS-shaped errors, recorded retries, and the contract
tests that pin each known deviation of moto 5.2.5 so an upgrade that changes one fails here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from botocore.exceptions import ClientError
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
    CustomErrorName,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
    iteration_worker,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branches_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task import mock_eval_utils
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_aws_sdk,
    state_task_service_glue,
)
from moto.stepfunctions.parser.asl.component.state.fail import state_fail
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.mocking.mock_config import (
    MockedResponseThrow,
    MockTestCase,
    StateMockedResponses,
)

from orchestration.core.lake import Lake
from orchestration.engine import interpreter
from orchestration.engine.handlers import LocalServices, ServiceError

LAMBDA = "arn:aws:states:::lambda:invoke"
GLUE_SYNC = "arn:aws:states:::glue:startJobRun.sync"
CATCH_ALL = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}]
CAUGHT = {"Caught": {"Type": "Pass", "End": True}}


def _evaluate(tmp_path: Path, states: dict, execution_input=None, time_scale=0.001, **kwargs):
    document = {"StartAt": next(iter(states)), "States": states}
    if kwargs.get("query_language"):
        document["QueryLanguage"] = kwargs.pop("query_language")
    events: list[dict] = []
    services = LocalServices(
        lake=Lake(str(tmp_path / "lake")),
        outbox_dir=tmp_path / "outbox",
        catalog_path=kwargs.pop("catalog_path", None),
        overrides=kwargs.pop("overrides", {}),
    )
    outcome = interpreter.evaluate(
        json.dumps(document),
        execution_arn="arn:aws:states:us-east-1:000000000000:execution:sfn-etl:test",
        execution_name="test",
        execution_input=execution_input or {},
        start_time="2025-01-01T00:00:00+00:00",
        services=services,
        sink=events.append,
        time_scale=time_scale,
        **kwargs,
    )
    return outcome, events


def _lambda_task(function: str, **extra) -> dict:
    return {
        "Type": "Task",
        "Resource": LAMBDA,
        "Parameters": {"FunctionName": function, "Payload.$": "$"},
        "OutputPath": "$.Payload",
        **extra,
    }


def _of_type(events: list[dict], kind: str) -> list[dict]:
    return [
        next(v for k, v in e.items() if k.endswith("EventDetails"))
        for e in events
        if e["type"] == kind
    ]


class Transient(Exception):
    pass


def test_lambda_errors_are_named_after_the_exception_class_and_retried_with_recorded_backoff(
    tmp_path,
):
    calls = []

    def flaky(event, context):
        calls.append(context.aws_request_id)
        if len(calls) < 3:
            raise Transient("not yet")
        return {"attempts": len(calls)}

    retry = {"ErrorEquals": ["Transient"], "IntervalSeconds": 3, "BackoffRate": 4.0}
    retry |= {"MaxAttempts": 2, "MaxDelaySeconds": 5, "JitterStrategy": "NONE"}
    outcome, events = _evaluate(
        tmp_path,
        {"Flaky": _lambda_task("flaky", Retry=[retry], End=True)},
        overrides={"lambda:flaky": flaky},
    )
    assert (outcome.status, outcome.output) == ("SUCCEEDED", {"attempts": 3})
    assert [f["error"] for f in _of_type(events, "TaskFailed")] == ["Transient", "Transient"]
    assert _of_type(events, interpreter.RETRY_EVENT) == [
        {"name": "Flaky", "error": "Transient", "retryCount": 1, "delaySeconds": 3.0,
         "sleptSeconds": 0.003},
        {"name": "Flaky", "error": "Transient", "retryCount": 2, "delaySeconds": 5.0,
         "sleptSeconds": 0.005},
    ]  # fmt: skip


def test_a_caught_lambda_error_carries_the_lambda_error_payload_as_cause(tmp_path):
    def broken(event, context):
        raise ValueError("bad event")

    outcome, _ = _evaluate(
        tmp_path,
        {"Broken": _lambda_task("broken", Catch=CATCH_ALL, End=True), **CAUGHT},
        overrides={"lambda:broken": broken},
    )
    assert outcome.output["error"]["Error"] == "ValueError"
    cause = json.loads(outcome.output["error"]["Cause"])
    assert (cause["errorType"], cause["errorMessage"]) == ("ValueError", "bad event")


def test_an_unknown_function_fails_as_lambda_resource_not_found(tmp_path):
    outcome, _ = _evaluate(tmp_path, {"Missing": _lambda_task("no_such_function", End=True)})
    assert (outcome.status, outcome.error) == ("FAILED", "Lambda.ResourceNotFoundException")


def test_a_failed_glue_job_is_states_task_failed_with_the_job_run_as_cause(tmp_path):
    def job(argv):
        raise RuntimeError("disk full")

    task = {"Type": "Task", "Resource": GLUE_SYNC, "Parameters": {"JobName": "job"}}
    outcome, _ = _evaluate(
        tmp_path,
        {"Job": {**task, "Catch": CATCH_ALL, "End": True}, **CAUGHT},
        overrides={"glue:job": job},
    )
    assert outcome.output["error"]["Error"] == "States.TaskFailed"
    job_run = json.loads(outcome.output["error"]["Cause"])
    assert (job_run["JobRunState"], job_run["ErrorMessage"]) == (
        "FAILED",
        "RuntimeError: disk full",
    )


def test_a_glue_job_exiting_non_zero_is_a_failed_run(tmp_path):
    task = {"Type": "Task", "Resource": GLUE_SYNC, "Parameters": {"JobName": "job"}, "End": True}
    outcome, _ = _evaluate(tmp_path, {"Job": task}, overrides={"glue:job": lambda argv: 3})
    assert (outcome.status, outcome.error) == ("FAILED", "States.TaskFailed")
    assert json.loads(outcome.cause)["ErrorMessage"] == "main exited with code 3"


def test_glue_sync_passes_glue_style_arguments_and_returns_the_job_run(tmp_path):
    seen = []
    task = {
        "Type": "Task",
        "Resource": GLUE_SYNC,
        "Parameters": {"JobName": "job", "Arguments": {"--batch_id.$": "$.batch"}},
        "End": True,
    }
    outcome, _ = _evaluate(
        tmp_path, {"Job": task}, {"batch": "b1"}, overrides={"glue:job": seen.append}
    )
    assert seen == [["--JOB_NAME", "job", "--lake", str(tmp_path / "lake"), "--batch_id", "b1"]]
    assert outcome.output["JobRunState"] == "SUCCEEDED"
    assert (outcome.output["JobName"], outcome.output["Arguments"]) == ("job", {"--batch_id": "b1"})
    assert outcome.output["Id"].startswith("jr_")


def test_a_glue_service_error_from_a_job_is_a_glue_error_that_retry_matches(tmp_path):
    attempts = []

    def throttled_once(argv):
        attempts.append(argv)
        if len(attempts) == 1:
            raise ServiceError("glue", "ConcurrentRunsExceededException", "too many runs")
        return 0

    retry = [{"ErrorEquals": ["Glue.ConcurrentRunsExceededException"], "IntervalSeconds": 1}]
    task = {"Type": "Task", "Resource": GLUE_SYNC, "Parameters": {"JobName": "job"}}
    outcome, events = _evaluate(
        tmp_path,
        {"Job": {**task, "Retry": retry, "End": True}},
        overrides={"glue:job": throttled_once},
    )
    assert (outcome.status, len(attempts)) == ("SUCCEEDED", 2)
    assert [f["error"] for f in _of_type(events, "TaskFailed")] == [
        "Glue.ConcurrentRunsExceededException"
    ]


def test_an_unknown_glue_job_is_glue_entity_not_found(tmp_path):
    task = {"Type": "Task", "Resource": GLUE_SYNC, "Parameters": {"JobName": "absent"}, "End": True}
    outcome, _ = _evaluate(tmp_path, {"Job": task})
    assert (outcome.status, outcome.error) == ("FAILED", "Glue.EntityNotFoundException")


def test_a_missing_s3_object_is_s3_no_such_key_exception_as_aws_names_it(tmp_path):
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
        "Parameters": {"Bucket": "local-lake", "Key": "validation/none.json"},
        "Catch": CATCH_ALL,
        "End": True,
    }
    outcome, _ = _evaluate(tmp_path, {"Get": task, **CAUGHT})
    assert outcome.output["error"] == {
        "Error": "S3.NoSuchKeyException",
        "Cause": "The specified key does not exist. "
        "(Service: S3, Status Code: 404, Error Code: NoSuchKey)",
    }


def test_an_unsupported_aws_sdk_glue_action_fails_as_glue_invalid_input_exception(tmp_path):
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::aws-sdk:glue:getTable",
        "Parameters": {"DatabaseName": "tiny", "Name": "dim_shop"},
        "Catch": CATCH_ALL,
        "End": True,
    }
    outcome, _ = _evaluate(tmp_path, {"Get": task, **CAUGHT}, catalog_path=tmp_path / "g.duckdb")
    assert outcome.output["error"] == {
        "Error": "Glue.InvalidInputException",
        "Cause": "glue:getTable is not local "
        "(Service: Glue, Status Code: 400, Error Code: InvalidInputException)",
    }


def test_aws_sdk_glue_batch_create_partition_answers_with_the_catalogs_errors(tmp_path):
    folder = tmp_path / "lake" / "curated" / "tiny" / "dim_shop" / "batch_id=b1"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([{"shop_key": 1}]), folder / "part-00000.parquet")
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::aws-sdk:glue:batchCreatePartition",
        "Parameters": {
            "DatabaseName": "tiny",
            "TableName": "dim_shop",
            "PartitionInputList": [
                {"Values.$": "States.Array($.batch_id)",
                 "StorageDescriptor": {"Location.$": "$.location"}}
            ],
        },
        "End": True,
    }  # fmt: skip
    execution_input = {"batch_id": "b1", "location": str(folder)}
    catalog = tmp_path / "g.duckdb"

    first, _ = _evaluate(tmp_path, {"Register": task}, execution_input, catalog_path=catalog)
    second, _ = _evaluate(tmp_path, {"Register": task}, execution_input, catalog_path=catalog)

    assert (first.status, first.output) == ("SUCCEEDED", {"Errors": []})
    codes = [e["ErrorDetail"]["ErrorCode"] for e in second.output["Errors"]]
    assert (second.status, codes) == ("SUCCEEDED", ["AlreadyExistsException"])


def test_jsonata_and_assign_evaluate_once_installed(tmp_path):
    state = {"Type": "Pass", "Assign": {"n": "{% $states.input.a + 1 %}"}, "Next": "Out"}
    out = {"Type": "Pass", "Output": {"b": "{% $n * 2 %}"}, "End": True}
    outcome, _ = _evaluate(tmp_path, {"Add": state, "Out": out}, {"a": 2}, query_language="JSONata")
    assert outcome.output == {"b": 6}


# -- contract: the deviations of moto 5.2.5 from AWS ----------------------------------------


def test_deviation_glue_sync_fails_unless_patched(tmp_path, monkeypatch):
    interpreter.install()
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.delattr(
        state_task_service_glue.StateTaskServiceGlue, "_eval_integration_pattern"
    )  # back to moto's
    task = {"Type": "Task", "Resource": GLUE_SYNC, "Parameters": {"JobName": "job"}, "End": True}
    outcome, _ = _evaluate(tmp_path, {"Job": task}, overrides={"glue:job": lambda argv: 0})
    assert (outcome.status, outcome.error) == ("FAILED", "States.Runtime")
    assert outcome.cause.endswith("'NoneType' object has no attribute 'interrupt_all'")


def test_deviation_moto_ships_no_jsonata_evaluator():
    probe = (
        "from moto.stepfunctions.parser.asl.jsonata import jsonata; print(jsonata._eval_jsonata)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout == "None\n"


def test_deviation_a_next_to_a_missing_state_parses_so_statelint_must_catch_it():
    AmazonStateLanguageParser.parse(
        json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Missing"}}})
    )


def test_deviation_moto_refuses_to_raise_a_states_error_again_unless_patched(tmp_path, monkeypatch):
    interpreter.install()
    for module in (state_fail, iteration_worker, branches_decl, mock_eval_utils):
        assert module.CustomErrorName is interpreter.reraised_error_name  # the hook points
    monkeypatch.setattr(state_fail, "CustomErrorName", CustomErrorName)  # back to moto's
    fail = {"Type": "Fail", "ErrorPath": "$.error", "CausePath": "$.cause"}
    outcome, _ = _evaluate(tmp_path, {"Fail": fail}, {"error": "States.TaskFailed", "cause": "c"})
    assert (outcome.error, outcome.cause) == (
        "States.Runtime",
        "ValueError(Custom Error Names MUST NOT begin with the prefix 'States.', "
        "got 'States.TaskFailed'.)",
    )


def test_a_fail_state_raises_a_caught_states_error_again_under_its_own_name(tmp_path):
    fail = {"Type": "Fail", "ErrorPath": "$.error", "CausePath": "$.cause"}
    outcome, _ = _evaluate(tmp_path, {"Fail": fail}, {"error": "States.TaskFailed", "cause": "c"})
    assert (outcome.status, outcome.error, outcome.cause) == ("FAILED", "States.TaskFailed", "c")


def test_a_mock_can_throw_a_states_error_that_catch_matches_by_name(tmp_path):
    throw = MockedResponseThrow(0, 0, "States.TaskFailed", "job failed")
    mock = MockTestCase("sfn-etl", "t", [StateMockedResponses("Job", "R", [throw])])
    task = {"Type": "Task", "Resource": GLUE_SYNC, "Parameters": {"JobName": "job"}}
    catch = [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Caught"}]
    outcome, _ = _evaluate(
        tmp_path, {"Job": {**task, "Catch": catch, "End": True}, **CAUGHT}, mock_test_case=mock
    )
    assert outcome.output["error"] == {"Error": "States.TaskFailed", "Cause": "job failed"}


def test_deviation_aws_sdk_errors_would_be_named_with_a_lowercase_service():
    aws_sdk = state_task_service_aws_sdk.StateTaskServiceAwsSdk
    service = aws_sdk._normalise_service_error_name("s3")
    error = ClientError({"Error": {"Code": "NoSuchKey", "Message": "m"}}, "GetObject")
    # AWS: S3.NoSuchKeyException; the adapter names S3 errors itself.
    assert aws_sdk._normalise_exception_name(service, error) == "s3.s3Exception"


def test_a_states_error_inside_a_map_iteration_fails_the_map_under_its_own_name(tmp_path):
    def failed_job(argv):
        raise RuntimeError("bad batch")

    job = {"Type": "Task", "Resource": GLUE_SYNC, "Parameters": {"JobName": "job"}, "End": True}
    catch = [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Caught"}]
    each = {
        "Type": "Map",
        "ItemsPath": "$.items",
        "ItemProcessor": {"StartAt": "Job", "States": {"Job": job}},
        "Catch": catch,
        "End": True,
    }
    outcome, _ = _evaluate(
        tmp_path, {"Each": each, **CAUGHT}, {"items": [1]}, overrides={"glue:job": failed_job}
    )
    assert outcome.output["error"]["Error"] == "States.TaskFailed"
    assert json.loads(outcome.output["error"]["Cause"])["ErrorMessage"] == "RuntimeError: bad batch"
