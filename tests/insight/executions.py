"""Real executions for the insight tests, run by the engine without Spark: the shipped
definition with the fake pipeline (tests/engine/fake_pipeline.py), or a small definition of a
test's own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestration.core.lake import Lake
from orchestration.core.settings import Settings
from orchestration.engine import ExecutionResult, RunRequest, run_execution
from tests.engine.fake_pipeline import FakePipeline

BOTH = ("warehouse", "catalog")


def run_mixed(lake_root: Path, name: str = "mixed", **changes: Any) -> ExecutionResult:
    """alpha: Glue refuses its transform once (one retry), then it commits with 3 quarantined
    rows and tables dim_a, fact_b; beta: its transform breaks, the iteration's Catch takes it.
    The execution ends FAILED (DatasetsFailed)."""
    fields = {
        "failing_transform": frozenset({"beta"}),
        "throttled_transform": {"alpha": 1},
        "tables": ("dim_a", "fact_b"),
        "quarantined": {"alpha": 3},
    }
    pipeline = FakePipeline(Lake(str(lake_root)), {"alpha": BOTH, "beta": ("warehouse",)},
                            **(fields | changes))  # fmt: skip
    request = RunRequest(name=name, time_scale=0.001)
    return run_execution(Settings.from_env(), request, overrides=pipeline.overrides())


def run_definition(
    tmp_path: Path, document: dict[str, Any], execution_input: Any = None, name: str = "small"
) -> ExecutionResult:
    """One execution of a definition of the test's own (states that need no service)."""
    path = tmp_path / f"{name}.asl.json"
    path.write_text(json.dumps(document))
    request = RunRequest(name=name, input=execution_input or {}, definition_path=path)
    return run_execution(Settings.from_env(), request)


CAUGHT_MAP_AND_PARALLEL = {
    "StartAt": "Fan",
    "States": {
        "Fan": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "Boom",
                "States": {"Boom": {"Type": "Fail", "Error": "Bad", "Cause": "always"}},
            },
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.fan_error", "Next": "Both"}],
            "Next": "Both",
        },
        "Both": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "Broken", "States": {"Broken": {"Type": "Fail", "Error": "E2"}}},
                {"StartAt": "Fine", "States": {"Fine": {"Type": "Pass", "End": True}}},
            ],
            "Catch": [{"ErrorEquals": ["E2"], "ResultPath": "$.both_error", "Next": "Big"}],
            "Next": "Big",
        },
        "Big": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.items[0]", "NumericGreaterThan": 5, "Next": "Never"}],
            "Default": "Give up",
        },
        "Never": {"Type": "Succeed"},
        "Give up": {"Type": "Fail", "Error": "Final"},
    },
}
"""With items [1]: the iteration of Fan fails and its Catch takes it; Both's branch Broken
fails and its Catch takes it; Big goes by its default to Give up, which fails the execution."""
