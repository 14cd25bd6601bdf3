"""Benchmarks of the local engine (not tests): `python bench/bench_engine.py [--skip-full-run]`.

1. Overhead per state transition, task work excluded: chains of Pass states and of Lambda tasks
   whose handlers return at once, and the shipped definition with every Task mocked, evaluated
   in process with history persisted as `sfn-etl run` does. Aim: median <= 5 ms. Definition
   checks (statelint, parse) are a per-execution cost, reported apart.
2. Wall time of a full local run at scale 0.01 (three daily batches, one execution) from a cold
   process: `sfn-etl run` in a fresh interpreter, JVM start included, seeding excluded.
   Aim: <= 45 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
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
    }
    loads = [{"dataset": "d", "table": t, "curated_uri": "u"} for t in "abcde"]
    summary = {"success": True, "loads": loads}
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


def full_run_seconds(scale: float, execution_input: str) -> dict:
    from transforms.tpch.seed import seed

    with tempfile.TemporaryDirectory(prefix="sfn-etl-bench-") as tmp:
        env = dict(os.environ, SFN_ETL_LAKE=f"{tmp}/lake", SFN_ETL_HOME=f"{tmp}/home")
        env.pop("SFN_ETL_WAREHOUSE", None)
        seed(Lake(f"{tmp}/lake"), scale=scale, batches=3)
        started = time.perf_counter()
        completed = subprocess.run(
            [
                str(Path(sys.executable).with_name("sfn-etl")),
                "run",
                "--json",
                "--input",
                execution_input,
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        wall = time.perf_counter() - started
        if completed.returncode != 0:
            sys.stderr.write(completed.stderr[-4000:])
            raise SystemExit(f"the full run failed: {completed.stdout}")
        summary = json.loads(completed.stdout)
        phases = _phase_seconds(Path(tmp) / "home" / "executions" / summary["execution"])
        return {
            "wall_seconds": round(wall, 1),
            "execution_seconds": summary["duration_seconds"],
        } | {
            "states": phases,
            "rows": {
                f"{name}.{t}": load["inserted"]
                for name, entry in summary["datasets"].items()
                for t, load in entry["tables"].items()
            },
        }


def _phase_seconds(folder: Path) -> dict[str, float]:
    from datetime import datetime

    entered, seconds = {}, {}
    for line in (folder / "history.jsonl").read_text().splitlines():
        event = json.loads(line)
        moment = datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))
        if event["type"] in ("TaskStateEntered", "MapStateEntered"):
            entered[event["stateEnteredEventDetails"]["name"]] = moment
        elif event["type"] in ("TaskStateExited", "MapStateExited"):
            name = event["stateExitedEventDetails"]["name"]
            if name in entered:
                seconds[name] = round((moment - entered[name]).total_seconds(), 2)
    return seconds


def _stats(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return f"median {statistics.median(samples):.2f} ms, p90 {p90:.2f} ms, n={len(samples)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-full-run", action="store_true")
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--input", default="{}", help="execution input of the full run")
    args = parser.parse_args()
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
    if not args.skip_full_run:
        result = full_run_seconds(args.scale, args.input)
        print(f"full local run at scale {args.scale}, cold process: {result}")


if __name__ == "__main__":
    main()
