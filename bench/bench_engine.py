"""Benchmark of the local engine (not a test): `python bench/bench_engine.py`.

Overhead per state transition, task work excluded: chains of Pass states and of Lambda tasks
whose handlers return at once, and the shipped definition with every Task mocked, evaluated in
process with history persisted as `sfn-etl run` does. Aim (issue 13): median <= 1 ms.
Definition checks (statelint, parse) are a per-execution cost, reported apart.

The wall time of whole executions, cold and warm, is bench/bench_run.py's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from moto.stepfunctions.parser.mocking.mock_config import MockTestCase

from orchestration.core.lake import Lake
from orchestration.engine import interpreter
from orchestration.engine.definition import load_definition
from orchestration.engine.handlers import LocalServices
from orchestration.engine.mock_config import parse_test_case
from orchestration.engine.store import ExecutionStore

REPEATS = 15
CHAIN = 40
JOB_RUN = {"Id": "jr", "JobRunState": "SUCCEEDED", "ExecutionTime": 0}


def _chain(kind: str, length: int) -> dict:
    states = {}
    for index in range(length):
        name = f"S{index}"
        if kind == "Pass":
            state = {"Type": "Pass", "Result": {"i": index}, "ResultPath": "$.last"}
        else:
            state = {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "noop", "Payload.$": "$"},
                "ResultSelector": {"i.$": "$.Payload.i"},
                "ResultPath": "$.last",
            }
        states[name] = state | ({"Next": f"S{index + 1}"} if index < length - 1 else {"End": True})
    return {"StartAt": "S0", "States": states}


def per_transition_ms(
    document: dict, home: Path, mock_test_case: MockTestCase | None = None
) -> tuple[list[float], int]:
    """Milliseconds per transition (state entered) of each repeat: evaluation and history
    persistence; parsing excluded (a per-execution cost, reported apart)."""
    text = json.dumps(document)
    services = LocalServices(
        lake=Lake(str(home / "lake")),
        outbox_dir=home / "outbox",
        overrides={"lambda:noop": lambda event, context: {"i": 1}},
    )
    samples, transitions = [], 0
    for repeat in range(REPEATS + 1):
        program = interpreter.parse(text)
        history = ExecutionStore(home).create({"name": f"b{time.monotonic_ns()}", "input": "{}"})
        events: list[dict] = []

        def sink(event: dict, history=history, events=events) -> None:
            events.append(event)
            history.append(event)

        started = time.perf_counter()
        outcome = interpreter.evaluate(
            program,
            execution_arn="arn:bench",
            execution_name="bench",
            execution_input={},
            start_time="2025-01-01T00:00:00+00:00",
            services=services,
            sink=sink,
            mock_test_case=mock_test_case,
        )
        elapsed = time.perf_counter() - started
        history.close()
        assert outcome.status == "SUCCEEDED", outcome
        transitions = sum(1 for e in events if e["type"].endswith("StateEntered"))
        if repeat:  # the first run warms imports and caches
            samples.append(elapsed * 1000 / transitions)
    return samples, transitions


def shipped_definition_mocks(state_names: set[str]) -> MockTestCase:
    """Every Task of the shipped definition mocked, so the whole happy path runs: one dataset
    batch of five tables, delivered to the warehouse and the catalog."""
    mocked = {"Extract": "Batch", "Transform": "Job", "Validate": "Job", "LoadTable": "Loaded"}
    mocked |= {"ReadValidationSummary": "Summary", "RegisterPartition": "Registered"}
    mocked |= {"Commit": "Put", "NotifySuccess": "Put"}
    dataset_batch = {
        "dataset": "d",
        "batch_id": "b-d",
        "manifest_uri": "m",
        "file_count": 1,
        "tables": ["t"],
        "destinations": {"warehouse": True, "catalog": True},
        "summary": {"bucket": "local-lake", "key": "s"},
        "commit": {"bucket": "local-lake", "key": "c"},
    }
    batch = {
        "batch_id": "b",
        "datasets": [dataset_batch],
        "file_count": 1,
        "has_work": True,
        "unclaimed_files": [],
        "parked_files": [],
        "parked_count": 0,
    }
    loads = [{"dataset": "d", "table": t, "curated_uri": "u"} for t in "abcde"]
    summary = {"success": True, "loads": loads, "set_aside": {"held": 0, "parked_files": []}}
    config = {
        "StateMachines": {"sfn-etl": {"TestCases": {"Bench": mocked}}},
        "MockedResponses": {
            "Batch": {"0": {"Return": {"Payload": batch}}},
            "Job": {"0": {"Return": JOB_RUN}},
            "Summary": {"0": {"Return": {"Body": json.dumps(summary)}}},
            "Loaded": {"0": {"Return": {"Payload": {"table": "t", "inserted": 1}}}},
            "Registered": {"0": {"Return": {"Errors": []}}},
            "Put": {"0": {"Return": {}}},
        },
    }
    return parse_test_case(config, "Bench", "sfn-etl", state_names)


def definition_checks_ms() -> list[float]:
    """The per-execution cost before the first state: render, statelint, parse."""
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        load_definition()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _stats(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return f"median {statistics.median(samples):.2f} ms, p90 {p90:.2f} ms, n={len(samples)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="sfn-etl-bench-") as tmp:
        home = Path(tmp)
        for kind in ("Pass", "Task"):
            samples, transitions = per_transition_ms(_chain(kind, CHAIN), home)
            print(f"{kind} chain, {transitions} transitions, per transition: {_stats(samples)}")
        definition = load_definition()
        mocks = shipped_definition_mocks(definition.state_names())
        samples, transitions = per_transition_ms(definition.document, home, mocks)
        print(
            f"shipped definition, every Task mocked, {transitions} transitions, "
            f"per transition: {_stats(samples)}"
        )
        print(
            f"definition checks per execution (statelint, parse): {_stats(definition_checks_ms())}"
        )


if __name__ == "__main__":
    main()
