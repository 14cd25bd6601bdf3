"""`sfn-etl run` and `sfn-etl executions ...` through the CLI entry point."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from orchestration import engine
from orchestration.cli.main import main
from orchestration.core.lake import Lake
from tests.engine.fake_pipeline import FakePipeline
from tests.engine.test_run_execution import MOCKS


@pytest.fixture
def mocks(tmp_path, lake_root) -> Path:
    raw = lake_root / "raw" / "tpch" / "region" / "ingest_date=2025-01-01" / "region.tbl"
    raw.parent.mkdir(parents=True)
    raw.write_text("0|AFRICA|comment|\n")
    config = json.loads(json.dumps(MOCKS))
    config["StateMachines"]["sfn-etl"]["TestCases"]["ExtractBroken"] = {"Extract": "Broken"}
    config["MockedResponses"]["Broken"] = {"0": {"Throw": {"Error": "KeyError", "Cause": "'x'"}}}
    path = tmp_path / "mocks.json"
    path.write_text(json.dumps(config))
    return path


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_succeeded_run_exits_zero_with_the_summary_on_stdout_and_progress_on_stderr(
    capsys, mocks
):
    code, out, err = _run(
        capsys, "run", "--mock-config", str(mocks), "--test-case", "TransformFlaky",
        "--time-scale", "0.001", "--name", "ok-run", "--json",
    )  # fmt: skip
    summary = json.loads(out)
    assert code == 0
    assert (summary["execution"], summary["status"], summary["files"]) == ("ok-run", "SUCCEEDED", 1)
    tpch = summary["datasets"]["tpch"]
    assert (tpch["status"], tpch["files"]) == ("committed", 1)
    # The mocked Validate wrote no summary to the lake, and the verdict is read from there.
    assert tpch["validation"] == "not run"
    assert "↻ Transform retry 1 after Glue.AWSGlueException" in err
    assert "✉ sns sfn-etl-notifications" in err


def test_a_failed_run_exits_one_and_the_summary_names_the_error(capsys, mocks):
    code, out, _ = _run(
        capsys, "run", "--mock-config", str(mocks), "--test-case", "ExtractBroken", "--name", "bad"
    )
    lines = out.splitlines()
    assert code == 1
    assert re.fullmatch(r"execution bad FAILED in \d+\.\d s", lines[0])
    assert lines[1:] == ["  error: KeyError: 'x'"]


def test_input_that_is_not_a_json_object_is_refused_before_running(capsys, lake_root):
    code, _, err = _run(capsys, "run", "--input", "[1]")
    assert code == 2
    assert "--input must be a JSON object" in err


def test_executions_print_in_the_shapes_of_the_aws_cli(capsys, mocks):
    _run(capsys, "run", "--mock-config", str(mocks), "--test-case", "ExtractBroken", "--name", "e1")
    code, out, _ = _run(capsys, "executions", "list", "--json")
    listed = json.loads(out)["executions"]
    assert code == 0
    assert [(e["name"], e["status"]) for e in listed] == [("e1", "FAILED")]
    assert set(listed[0]) == {
        "executionArn", "stateMachineArn", "name", "status", "startDate", "stopDate"
    }  # fmt: skip

    _, out, _ = _run(capsys, "executions", "describe", "e1", "--json")
    described = json.loads(out)
    assert (described["status"], described["error"], described["cause"]) == (
        "FAILED",
        "KeyError",
        "'x'",
    )
    assert json.loads(described["input"]) == {}

    _, out, _ = _run(capsys, "executions", "history", "e1", "--json")
    events = json.loads(out)["events"]
    assert events[0]["type"] == "ExecutionStarted"
    assert events[-1]["type"] == "ExecutionFailed"
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))


def test_an_unknown_execution_exits_two_with_a_message(capsys, lake_root):
    code, _, err = _run(capsys, "executions", "describe", "nope")
    assert code == 2
    assert "no execution named 'nope'" in err


@pytest.fixture
def fake_pipeline(lake_root, monkeypatch) -> FakePipeline:
    """`sfn-etl run` on the real engine and definition, with the Lambdas and Glue jobs faked."""
    destinations = {"nycflights13": ("warehouse",), "tpch": ("warehouse", "catalog")}
    pipeline = FakePipeline(Lake(str(lake_root)), destinations, quarantined={"tpch": 4})
    real = engine.run_execution

    def with_overrides(*args, **kwargs):
        return real(*args, overrides=pipeline.overrides(), **kwargs)

    monkeypatch.setattr(engine, "run_execution", with_overrides)
    return pipeline


def test_the_summary_prints_each_datasets_outcome_loads_and_quarantine(capsys, fake_pipeline):
    fake_pipeline.failing_transform = frozenset({"nycflights13"})

    code, out, _ = _run(capsys, "run", "--name", "mixed", "--time-scale", "0.001")

    lines = out.splitlines()
    assert code == 1
    assert re.fullmatch(r"execution mixed FAILED in \d+\.\d s", lines[0])
    assert lines[1].startswith("  error: DatasetsFailed: [")
    at = lines.index("  nycflights13: failed batch b1-nycflights13 (1 files), validation not run")
    assert lines[at + 1].startswith("    States.TaskFailed: {")
    assert "TransformBroke: nycflights13's transform broke" in lines[at + 1]
    assert lines[at + 2] == "    quarantined rows: 0"
    at = lines.index("  tpch: committed batch b1-tpch (1 files), validation passed")
    assert lines[at + 1] == "    quarantined rows: 4 (items 4)"
    assert lines[at + 2].split() == ["table", "staged", "inserted", "updated", "skipped"]
    assert lines[at + 3].split() == ["tpch.dim_a", "2", "2", "0", "False"]
    assert lines[at + 4] == "    catalog: 1 partitions registered"


def test_run_dataset_puts_the_datasets_into_the_execution_input(capsys, fake_pipeline):
    code, out, _ = _run(
        capsys, "run", "--dataset", "tpch", "--input", '{"max_concurrency": 2}', "--name", "one",
        "--time-scale", "0.001", "--json",
    )  # fmt: skip

    assert code == 0
    assert list(json.loads(out)["datasets"]) == ["tpch"]
    assert [event["datasets"] for event in fake_pipeline.extract_events] == [["tpch"]]
    _, out, _ = _run(capsys, "executions", "describe", "one", "--json")
    assert json.loads(json.loads(out)["input"]) == {"max_concurrency": 2, "datasets": ["tpch"]}


def test_run_dataset_names_each_dataset_once_in_name_order(capsys, fake_pipeline):
    args = ["--dataset", "tpch", "--dataset", "nycflights13", "--dataset", "tpch"]
    code, _, _ = _run(capsys, "run", *args, "--name", "two", "--time-scale", "0.001")

    assert code == 0
    _, out, _ = _run(capsys, "executions", "describe", "two", "--json")
    assert json.loads(json.loads(out)["input"]) == {"datasets": ["nycflights13", "tpch"]}


def test_run_of_an_unknown_dataset_is_refused_before_an_execution_starts(capsys, fake_pipeline):
    code, _, err = _run(capsys, "run", "--dataset", "nosuch")

    assert code == 2
    assert "unknown dataset 'nosuch'; declared: nycflights13, tpch" in err
    assert fake_pipeline.extract_events == []
    _, out, _ = _run(capsys, "executions", "list", "--json")
    assert json.loads(out) == {"executions": []}


def test_run_definition_prints_the_executions_own_summary(capsys, lake_root, tmp_path):
    resources = tmp_path / "resources.toml"
    resources.write_text('double = "tests.engine.user_handlers:double"\n')
    definition = tmp_path / "pricing.asl.json"
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "End": True,
        "Parameters": {"FunctionName": "double", "Payload.$": "$"},
        "OutputPath": "$.Payload",
    }
    definition.write_text(json.dumps({"StartAt": "Double", "States": {"Double": task}}))
    code, out, _ = _run(
        capsys,
        "run",
        "--definition",
        str(definition),
        "--resources",
        str(resources),
        "--input",
        '{"value": 5}',
        "--name",
        "priced",
        "--json",
    )
    summary = json.loads(out)
    assert code == 0
    assert {k: v for k, v in summary.items() if k != "duration_seconds"} == {
        "execution": "priced",
        "status": "SUCCEEDED",
        "output": {"value": 10, "function": "double"},
    }
    code, out, _ = _run(
        capsys,
        "run",
        "--definition",
        str(definition),
        "--resources",
        str(resources),
        "--input",
        '{"value": 1}',
    )
    assert out.splitlines()[1] == '  output: {"value": 2, "function": "double"}'


def test_run_definition_with_an_unmapped_lambda_exits_two_naming_the_state(
    capsys, lake_root, tmp_path
):
    definition = tmp_path / "flow.asl.json"
    task = {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:score", "End": True}
    definition.write_text(json.dumps({"StartAt": "Score", "States": {"Score": task}}))
    code, _, err = _run(capsys, "run", "--definition", str(definition))
    assert code == 2
    assert "error: 1 Task state(s) have no local handler" in err
    assert (
        f"{definition}: state 'Score': Lambda function 'arn:aws:lambda:us-east-1:1:function:score'"
        " is not mapped" in err
    )


def _waiting_for_a_file(tmp_path: Path) -> tuple[Path, Path]:
    resources = tmp_path / "resources.toml"
    resources.write_text('needs_file = "tests.engine.user_handlers:needs_file"\n')
    definition = tmp_path / "arrival.asl.json"
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "needs_file", "Payload.$": "$"},
        "OutputPath": "$.Payload",
        "End": True,
    }
    start = {"Type": "Pass", "Next": "Check"}
    definition.write_text(
        json.dumps({"StartAt": "Start", "States": {"Start": start, "Check": task}})
    )
    return definition, resources


def test_executions_redrive_reruns_the_failed_state_and_describe_counts_it(
    capsys, lake_root, tmp_path
):
    definition, resources = _waiting_for_a_file(tmp_path)
    arrival = tmp_path / "arrived.flag"
    paths = ("--definition", str(definition), "--resources", str(resources))
    code, _, _ = _run(
        capsys, "run", *paths, "--input", json.dumps({"path": str(arrival)}), "--name", "a1"
    )
    assert code == 1

    arrival.write_text("")
    code, out, _ = _run(capsys, "executions", "redrive", "a1", *paths)
    assert (code, out) == (0, "execution a1 SUCCEEDED (redrive 1)\n")

    _, out, _ = _run(capsys, "executions", "describe", "a1", "--json")
    record = json.loads(out)
    assert (record["status"], record["redriveCount"]) == ("SUCCEEDED", 1)
    assert json.loads(record["output"]) == {"found": str(arrival)}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT.*", record["redriveDate"])
    _, out, _ = _run(capsys, "executions", "history", "a1", "--json")
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in json.loads(out)["events"]
        if e["type"].endswith("StateEntered")
    ]
    assert entered == ["Start", "Check", "Check"]


def test_executions_redrive_of_a_succeeded_execution_exits_two(capsys, lake_root, tmp_path):
    definition, resources = _waiting_for_a_file(tmp_path)
    arrival = tmp_path / "arrived.flag"
    arrival.write_text("")
    paths = ("--definition", str(definition), "--resources", str(resources))
    _run(capsys, "run", *paths, "--input", json.dumps({"path": str(arrival)}), "--name", "ok1")

    code, _, err = _run(capsys, "executions", "redrive", "ok1", *paths)
    assert code == 2
    assert "ExecutionNotRedrivable: execution ok1 is SUCCEEDED and cannot be redriven" in err
