"""The definition itself: valid ASL, the flow the design describes, Retry and Catch everywhere."""

from __future__ import annotations

import json
import re

import pytest
from statelint.config import Config
from statelint.linter import Linter

from orchestration.engine.definition import LOCAL_PLACEHOLDERS, default_definition_path

TEMPLATE = default_definition_path().read_text(encoding="utf-8")
DEFINITION = json.loads(TEMPLATE)
STATES = DEFINITION["States"]


def _tasks(states: dict, enclosing_map: dict | None = None):
    for name, state in states.items():
        if state["Type"] == "Task":
            yield name, state, enclosing_map
        if state["Type"] == "Map":
            yield from _tasks(state["ItemProcessor"]["States"], state)


def _next_of(name: str) -> str:
    return STATES[name]["Next"]


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
    }
    assert set(LOCAL_PLACEHOLDERS) == set(re.findall(r"\$\{(\w+)\}", TEMPLATE))


def test_happy_path_runs_extract_transform_validate_load_commit_notify_in_order():
    path, name = [], DEFINITION["StartAt"]
    while "Next" in STATES[name] or STATES[name]["Type"] == "Choice":
        path.append(name)
        state = STATES[name]
        name = state["Choices"][0]["Next"] if state["Type"] == "Choice" else state["Next"]
    path.append(name)
    assert path == [
        "ApplyDefaults",
        "MergeInput",
        "Extract",
        "AnythingNew",
        "Transform",
        "Validate",
        "ReadValidationSummary",
        "ValidationPassed",
        "Load",
        "Commit",
        "NotifySuccess",
        "Done",
    ]


def test_nothing_new_ends_with_success_before_any_glue_job():
    choice = STATES["AnythingNew"]
    assert choice["Choices"] == [
        {"Variable": "$.batch.has_work", "BooleanEquals": True, "Next": "Transform"}
    ]
    assert STATES[choice["Default"]] == {
        "Type": "Succeed",
        "Comment": "No uncommitted raw files: end without starting a Glue job.",
    }


def test_failure_path_notifies_then_dead_letters_then_fails_with_the_original_error():
    assert _next_of("NotifyFailure") == "SendToDLQ"
    assert _next_of("SendToDLQ") == "Failed"
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


def test_failed_validation_takes_the_failure_path_as_error_validation_failed():
    assert STATES["ValidationPassed"]["Choices"] == [
        {"Variable": "$.validation.summary.success", "BooleanEquals": True, "Next": "Load"}
    ]
    shaped = STATES[STATES["ValidationPassed"]["Default"]]
    assert shaped["Parameters"]["Error"] == "ValidationFailed"
    assert (shaped["ResultPath"], shaped["Next"]) == ("$.error", "NotifyFailure")


@pytest.mark.parametrize("name", [name for name, _, _ in _tasks(STATES)])
def test_every_task_retries_transient_errors_with_capped_full_jitter_backoff(name):
    state = dict((n, s) for n, s, _ in _tasks(STATES))[name]
    assert state["Retry"], name
    for retrier in state["Retry"]:
        assert "States.ALL" not in retrier["ErrorEquals"]
        assert retrier["BackoffRate"] == 2.0
        assert retrier["JitterStrategy"] == "FULL"
        assert 0 < retrier["MaxDelaySeconds"] <= 120
        assert retrier["MaxAttempts"] >= 3


@pytest.mark.parametrize("name", [name for name, _, _ in _tasks(STATES)])
def test_every_task_failure_is_caught_by_its_own_or_its_maps_catch(name):
    state, enclosing = next((s, m) for n, s, m in _tasks(STATES) if n == name)
    catchers = (enclosing or state)["Catch"]
    assert [c["ErrorEquals"] for c in catchers] == [["States.ALL"]]
    assert catchers[0]["Next"] in ("NotifyFailure", "SendToDLQ", "Failed", "Done")


def test_glue_jobs_run_sync_with_the_batch_arguments():
    transform, validate = STATES["Transform"], STATES["Validate"]
    assert transform["Resource"] == validate["Resource"] == "arn:aws:states:::glue:startJobRun.sync"
    assert transform["Parameters"] == {
        "JobName": "${TransformJobName}",
        "Arguments": {
            "--batch_id.$": "$.batch.batch_id",
            "--manifest_uri.$": "$.batch.manifest_uri",
        },
    }
    assert validate["Parameters"] == {
        "JobName": "${ValidateJobName}",
        "Arguments": {"--batch_id.$": "$.batch.batch_id"},
    }


def test_load_maps_over_the_summary_loads_with_concurrency_from_the_input():
    load = STATES["Load"]
    assert load["ItemsPath"] == "$.validation.summary.loads"
    assert load["MaxConcurrencyPath"] == "$.config.max_concurrency"
    assert load["ItemSelector"] == {
        "batch_id.$": "$.batch.batch_id",
        "table.$": "$$.Map.Item.Value.table",
        "curated_uri.$": "$$.Map.Item.Value.curated_uri",
    }
    assert STATES["ApplyDefaults"]["Parameters"] == {"max_concurrency": 4}


def test_commit_writes_the_marker_only_after_load_as_a_direct_s3_integration():
    commit = STATES["Commit"]
    assert _next_of("Load") == "Commit"
    assert commit["Resource"] == "arn:aws:states:::aws-sdk:s3:putObject"
    assert (commit["Parameters"]["Bucket.$"], commit["Parameters"]["Key.$"]) == (
        "$.batch.commit.bucket",
        "$.batch.commit.key",
    )


def test_a_lost_success_notification_does_not_fail_a_committed_batch():
    assert STATES["NotifySuccess"]["Catch"][0]["Next"] == "Done"
    assert STATES["NotifySuccess"]["Catch"][0]["ResultPath"] == "$.notify_error"
