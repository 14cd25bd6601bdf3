"""The definition as the deploy path takes it (valid ASL, the placeholders Terraform fills), then
its behaviour, run through the local engine with the Lambdas and Glue jobs overridden
(tests/engine/fake_pipeline.py, no Spark) and faults injected with Step Functions Local mock
configuration: transient errors are retried with backoff, every other failure is caught, notified
and dead-lettered, and one dataset's failure never stops another."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from statelint.config import Config
from statelint.linter import Linter

from orchestration.core.lake import Lake
from orchestration.core.settings import Settings
from orchestration.engine import RunRequest, run_execution
from orchestration.engine.catalog import CatalogTable, LocalCatalog
from orchestration.engine.definition import LOCAL_PLACEHOLDERS, default_definition_path
from tests.engine.fake_pipeline import FakePipeline

TEMPLATE = default_definition_path().read_text(encoding="utf-8")
DEFINITION = json.loads(TEMPLATE)


def _task_names(states: dict) -> set[str]:
    """Every Task state, those inside Maps and Parallel branches included."""
    names = set()
    for name, state in states.items():
        if state["Type"] == "Task":
            names.add(name)
        children = [state["ItemProcessor"]] if "ItemProcessor" in state else []
        for child in [*children, *state.get("Branches", [])]:
            names |= _task_names(child["States"])
    return names


# -- the definition, as the deploy path takes it ------------------------------------------------


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


def _retries(result) -> list[dict]:
    return [
        event["retryScheduledEventDetails"]
        for event in result.events
        if event["type"] == "RetryScheduled"
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
    # The job's own failure is not transient: one attempt, no retry.
    assert pipeline.calls.count(("transform", "beta")) == 1
    assert _retries(result) == []

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
    # Deliver ran both of its branches, for each dataset.
    entered = _entered(result)
    assert (entered.count("LoadTable"), entered.count("RegisterPartition")) == (2, 2)
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
                "unclaimed_files": [], "parked_files": [], "parked_count": 0}  # fmt: skip

    request = RunRequest(time_scale=0.001)
    overrides = {**pipeline.overrides(), "lambda:extract": nothing}
    result = run_execution(Settings.from_env(), request, overrides=overrides)

    assert result.status == "SUCCEEDED"
    assert _entered(result)[-1] == "NothingNew"
    assert pipeline.calls == []
    assert _outbox("sns") == []


def test_files_parked_by_extract_alone_are_notified_and_nothing_runs(lake_root):
    pipeline = _pipeline(lake_root)
    stray = {"path": "alpha/notes/x.csv", "dataset": "alpha", "table": None,
             "reason": "no raw table of alpha is declared for folder alpha/notes"}  # fmt: skip

    def only_parked(event, context):
        return {"batch_id": None, "datasets": [], "file_count": 0, "has_work": False,
                "unclaimed_files": [], "parked_files": [stray], "parked_count": 1}  # fmt: skip

    request = RunRequest(time_scale=0.001)
    overrides = {**pipeline.overrides(), "lambda:extract": only_parked}
    result = run_execution(Settings.from_env(), request, overrides=overrides)

    assert result.status == "SUCCEEDED"
    assert _entered(result)[-2:] == ["NotifyParked", "NothingNew"]
    assert pipeline.calls == []
    (notice,) = _outbox("sns")
    assert notice["Subject"] == "sfn-etl: raw files parked"
    assert json.loads(notice["Message"])["parked_files"] == [stray]


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


def test_a_dataset_runs_transform_validate_deliver_then_commit_each_after_the_one_before(
    lake_root,
):
    pipeline = _pipeline(lake_root, destinations={"alpha": BOTH})
    result = _run(pipeline)

    assert result.status == "SUCCEEDED"
    assert pipeline.calls == [("transform", "alpha"), ("validate", "alpha"), ("load", "alpha")]
    steps = [
        name
        for name in _entered(result)
        if name in {"Extract", "Transform", "Validate", "Deliver", "Commit", "NotifySuccess"}
    ]
    assert steps == ["Extract", "Transform", "Validate", "Deliver", "Commit", "NotifySuccess"]


def test_each_glue_job_gets_its_datasets_batch_and_the_transform_its_manifest(lake_root):
    pipeline = _pipeline(lake_root, destinations={"alpha": BOTH})
    assert _run(pipeline).status == "SUCCEEDED"

    common = {"--lake": str(lake_root), "--dataset": "alpha", "--batch_id": "b1-alpha"}
    manifest = f"{lake_root}/manifests/b1-alpha.json"
    assert pipeline.job_arguments == [
        {"--JOB_NAME": "transform", **common, "--manifest_uri": manifest},
        {"--JOB_NAME": "validate", **common},
    ]


def test_glue_throttling_the_transform_is_retried_with_growing_jittered_delays_then_commits(
    lake_root,
):
    pipeline = _pipeline(lake_root, throttled_transform={"beta": 2})
    result = _run(pipeline)

    assert result.status == "SUCCEEDED"
    assert pipeline.calls.count(("transform", "beta")) == 3
    retries = _retries(result)
    assert [(r["name"], r["error"], r["retryCount"]) for r in retries] == [
        ("Transform", "Glue.ConcurrentRunsExceededException", 1),
        ("Transform", "Glue.ConcurrentRunsExceededException", 2),
    ]
    # Full jitter: each delay is drawn below a cap that doubles from 10 s (and is scaled here).
    assert 0 <= retries[0]["delaySeconds"] <= 10 and 0 <= retries[1]["delaySeconds"] <= 20
    for retry in retries:
        assert retry["sleptSeconds"] == pytest.approx(retry["delaySeconds"] * 0.001, abs=0.001)
    assert _marker(lake_root, "b1-beta").exists()
    assert _outbox("sqs") == []


def test_glue_throttling_that_outlasts_the_retries_fails_only_that_dataset_and_notifies(
    lake_root,
):
    pipeline = _pipeline(lake_root, throttled_transform={"beta": 99})
    result = _run(pipeline)

    assert (result.status, result.record["error"]) == ("FAILED", "DatasetsFailed")
    assert pipeline.calls.count(("transform", "beta")) == 4  # the attempt, then 3 retries
    assert [r["retryCount"] for r in _retries(result)] == [1, 2, 3]
    (message,) = [json.loads(record["Message"]) for record in _outbox("sns")]
    assert (message["dataset"], message["error"]) == (
        "beta",
        "Glue.ConcurrentRunsExceededException",
    )
    assert [json.loads(r["MessageBody"])["dataset"] for r in _outbox("sqs")] == ["beta"]
    assert _marker(lake_root, "b1-alpha").exists()
    assert not _marker(lake_root, "b1-beta").exists()


def test_a_redshift_timeout_is_retried_and_the_load_then_succeeds(lake_root):
    pipeline = _pipeline(lake_root, destinations={"alpha": ("warehouse",)},
                         timed_out_load={"dim_a": 1})  # fmt: skip
    result = _run(pipeline)

    assert result.status == "SUCCEEDED"
    assert [(r["name"], r["error"]) for r in _retries(result)] == [
        ("LoadTable", "RedshiftTimeoutError")
    ]
    assert 0 <= _retries(result)[0]["delaySeconds"] <= 15
    assert pipeline.calls.count(("load", "alpha")) == 2
    marker = json.loads(_marker(lake_root, "b1-alpha").read_text())
    assert [load["table"] for load in marker["warehouse"]] == ["dim_a"]


def test_loads_one_at_a_time_go_in_the_summarys_order_dimensions_first(lake_root):
    tables = ("dim_day", "dim_shop", "fact_sale")
    pipeline = _pipeline(lake_root, destinations={"alpha": ("warehouse",)}, tables=tables)
    result = _run(pipeline, {"max_concurrency": 1})

    assert result.status == "SUCCEEDED"
    assert [event["table"] for event in pipeline.load_events] == list(tables)
    assert pipeline.peak["load"] == 1
    curated = f"{lake_root}/curated/alpha"
    assert pipeline.load_events[2] == {
        "batch_id": "b1-alpha",
        "dataset": "alpha",
        "table": "fact_sale",
        "curated_uri": f"{curated}/fact_sale/batch_id=b1-alpha",
    }


def test_by_default_two_datasets_run_at_once_each_loading_four_tables_at_once(lake_root):
    warehouse = ("warehouse",)
    tables = tuple(f"dim_{n}" for n in range(6))
    destinations = {"alpha": warehouse, "beta": warehouse, "gamma": warehouse}
    pipeline = _pipeline(lake_root, destinations=destinations, tables=tables, hold=0.3)
    result = _run(pipeline)

    assert result.status == "SUCCEEDED"
    assert pipeline.peak["transform"] == 2
    assert [pipeline.peak["load", d] for d in destinations] == [4, 4, 4]
    assert sorted(e["table"] for e in pipeline.load_events) == sorted(tables * 3)


# -- every Task's failure, injected with a mock configuration ------------------------------

IN_ITERATION = "dataset"
"""The failing dataset is notified and dead-lettered, the execution fails as DatasetsFailed."""
FAILURES = {
    # state -> (what fails with it, for the failure path to start; how the failure ends)
    "Extract": ((), "execution"),
    "Transform": ((), IN_ITERATION),
    "Validate": ((), IN_ITERATION),
    "ReadValidationSummary": ((), IN_ITERATION),
    "LoadTable": ((), IN_ITERATION),
    "RegisterPartition": ((), IN_ITERATION),
    "Commit": ((), IN_ITERATION),
    "RecordDatasetFailure": (("Transform",), "dataset, not recorded"),
    "NotifyDatasetFailure": (("Transform",), "dataset, not notified"),
    "DeadLetterDataset": (("Transform",), "dataset, not dead-lettered"),
    "NotifySuccess": ((), "succeeded, not notified"),
    "NotifyFailure": (("Extract",), "execution, not notified"),
    "SendToDLQ": (("Extract",), "execution, not dead-lettered"),
}


def test_the_failure_table_covers_every_task_of_the_definition():
    # NotifyParked runs only when Extract parked files and found no work: its own test below.
    assert set(FAILURES) | {"NotifyParked"} == _task_names(DEFINITION["States"])


def _mocks(tmp_path: Path, states) -> Path:
    """A Step Functions Local mock configuration where each of `states` throws Boom, an error
    no Retry matches."""
    path = tmp_path / "mocks.json"
    path.write_text(
        json.dumps(
            {
                "StateMachines": {
                    "sfn-etl": {"TestCases": {"Broken": {state: "Boom" for state in states}}}
                },
                "MockedResponses": {
                    "Boom": {"0": {"Throw": {"Error": "Boom", "Cause": "injected"}}}
                },
            }
        )
    )
    return path


@pytest.mark.parametrize("state", sorted(FAILURES))
def test_a_task_that_fails_is_caught_and_takes_the_failure_path(lake_root, tmp_path, state):
    also, ending = FAILURES[state]
    pipeline = _pipeline(lake_root)
    request = RunRequest(
        name="broken", mock_config=_mocks(tmp_path, (state, *also)), test_case="Broken",
        time_scale=0.001,
    )  # fmt: skip
    result = run_execution(Settings.from_env(), request, overrides=pipeline.overrides())

    assert _retries(result) == []  # Boom is no transient error
    notified = [json.loads(r["Message"]) for r in _outbox("sns")]
    dead_lettered = [json.loads(r["MessageBody"]) for r in _outbox("sqs")]
    markers = sorted(p.name for p in (lake_root / "manifests").glob("*.committed.json"))
    if ending == "succeeded, not notified":
        # A lost success notification does not fail batches already committed.
        assert (result.status, notified, dead_lettered) == ("SUCCEEDED", [], [])
        assert markers == ["b1-alpha.committed.json", "b1-beta.committed.json"]
        return

    assert result.status == "FAILED"
    assert markers == []
    if ending.startswith("execution"):
        # Outside a dataset's iteration: the execution fails with the original error.
        assert (result.record["error"], result.record["cause"]) == ("Boom", "injected")
        assert [m["error"] for m in notified] == ([] if "not notified" in ending else ["Boom"])
        expected_dlq = [] if "not dead-lettered" in ending else ["Boom"]
        assert [b["error"] for b in dead_lettered] == expected_dlq
        assert "ProcessDatasets" not in _entered(result)
        return

    # In a dataset's iteration: mocks apply to every iteration, so both datasets fail.
    assert result.record["error"] == "DatasetsFailed"
    outcomes = json.loads(result.record["cause"])
    assert [(o["dataset"], o["status"], o["error"]) for o in outcomes] == [
        ("alpha", "failed", "Boom"),
        ("beta", "failed", "Boom"),
    ]
    expected = [] if "not notified" in ending else [("alpha", "Boom"), ("beta", "Boom")]
    assert sorted((m["dataset"], m["error"]) for m in notified) == expected
    expected = [] if "not dead-lettered" in ending else [("alpha", "Boom"), ("beta", "Boom")]
    assert sorted((b["dataset"], b["error"]) for b in dead_lettered) == expected
    recorded = sorted(p.name for p in (lake_root / "manifests").glob("*.failed.json"))
    expected = [] if "not recorded" in ending else ["b1-alpha.failed.json", "b1-beta.failed.json"]
    assert recorded == expected
    assert "NotifyFailure" not in _entered(result)


def test_a_failing_parked_notification_still_ends_the_execution_successfully(lake_root, tmp_path):
    pipeline = _pipeline(lake_root)

    def only_parked(event, context):
        return {"batch_id": None, "datasets": [], "file_count": 0, "has_work": False,
                "unclaimed_files": [], "parked_files": [{"path": "alpha/x"}],
                "parked_count": 1}  # fmt: skip

    request = RunRequest(
        name="broken", mock_config=_mocks(tmp_path, ("NotifyParked",)), test_case="Broken",
        time_scale=0.001,
    )  # fmt: skip
    overrides = {**pipeline.overrides(), "lambda:extract": only_parked}
    result = run_execution(Settings.from_env(), request, overrides=overrides)
    assert (result.status, _outbox("sns")) == ("SUCCEEDED", [])
    assert _entered(result)[-1] == "NothingNew"
