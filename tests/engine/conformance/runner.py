"""The conformance suite's one entry point: run a small definition on the local engine, with
Lambda functions mapped to in-test Python callables, and see its outcome and history."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.core.lake import Lake
from orchestration.engine import interpreter
from orchestration.engine.handlers import LocalServices

LAMBDA = "arn:aws:states:::lambda:invoke"


@dataclass(frozen=True)
class Run:
    status: str
    output: Any
    error: str | None
    cause: str | None
    events: list[dict[str, Any]]

    def entered(self) -> list[str]:
        """The names of the states entered, in order."""
        return [
            e["stateEnteredEventDetails"]["name"]
            for e in self.events
            if e["type"].endswith("StateEntered")
        ]

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]


Runner = Callable[..., Run]


def lambda_task(function: str, **fields: Any) -> dict[str, Any]:
    """A Lambda Task in its optimized form, returning the function's payload."""
    return {
        "Type": "Task",
        "Resource": LAMBDA,
        "Parameters": {"FunctionName": function, "Payload.$": "$"},
        "OutputPath": "$.Payload",
        **fields,
    }


def machine(states: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A definition whose StartAt is its first state."""
    return {"StartAt": next(iter(states)), "States": states, **top}


def run_definition(
    workdir: Path,
    definition: dict[str, Any],
    execution_input: Any = None,
    *,
    lambdas: dict[str, Callable[[Any, Any], Any]] | None = None,
    time_scale: float = 0.001,
) -> Run:
    """Run `definition` to its end; `lambdas` maps a function name to handler(event, context).
    `time_scale` compresses retry delays (and Wait states, once the engine scales them)."""
    events: list[dict[str, Any]] = []
    services = LocalServices(
        lake=Lake(str(workdir / "lake")),
        outbox_dir=workdir / "outbox",
        catalog_path=None,
        overrides={f"lambda:{name}": fn for name, fn in (lambdas or {}).items()},
    )
    outcome = interpreter.evaluate(
        json.dumps(definition),
        execution_arn="arn:aws:states:us-east-1:000000000000:execution:sfn-etl:conformance",
        execution_name="conformance",
        execution_input={} if execution_input is None else execution_input,
        start_time="2025-01-01T00:00:00+00:00",
        services=services,
        sink=events.append,
        time_scale=time_scale,
    )
    return Run(outcome.status, outcome.output, outcome.error, outcome.cause, events)
