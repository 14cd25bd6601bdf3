"""RedriveExecution, locally: continue a FAILED, TIMED_OUT or ABORTED execution from its
unsuccessful state, with that state's original input.

As the RedriveExecution API reference says: the execution keeps its ARN, input and definition;
the steps that succeeded are not run again; for an inline Map only the iterations that failed or
aborted (or never started) run again; its history goes on with an ExecutionRedriven event; and
describe-execution shows redriveCount and redriveDate. The unsuccessful state is, as in AWS's
"Redriving Map Runs" guide, the state whose <type>StateEntered has no <type>StateExited.

moto's interpreter has no redrive of its own: the program is parsed again with StartAt set to
the unsuccessful state, and moto's iteration worker is wrapped so that an iteration that
succeeded before hands back its recorded output (the output of its last state) without running.
Deviation: a failed iteration runs again from its first state, where AWS resumes inside it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from orchestration.core.errors import UserError
from orchestration.core.settings import Settings
from orchestration.engine import (
    EventListener,
    ExecutionResult,
    RunRequest,
    definition_hash,
    drive_execution,
    lake_lock,
    prepare_resources,
)
from orchestration.engine.definition import load_definition
from orchestration.engine.handlers import OutboxListener
from orchestration.engine.speedups import json_copy
from orchestration.engine.store import ExecutionStore, iso_now

REDRIVABLE_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")
REDRIVABLE_PERIOD = timedelta(days=14)
_CLEARED_ON_REDRIVE = ("stopDate", "output", "outputDetails", "error", "cause")

_reused_lock = threading.Lock()
_reused: dict[str, dict[int, Any]] = {}
"""Map state name -> iteration index -> the output it had: the running redrive's iterations
that are not run again."""


@dataclass(frozen=True)
class RedrivePoint:
    state: str
    """The top-level state the execution restarts from."""
    input: Any
    """Its input when it was entered."""
    succeeded_iterations: dict[int, Any]
    """When it is a Map: index -> output of every iteration that succeeded on that input."""


def redrive_execution(
    settings: Settings,
    name_or_arn: str,
    definition_path: Path | None = None,
    resources_path: Path | None = None,
    time_scale: float = 1.0,
    on_event: EventListener | None = None,
    on_outbox: OutboxListener | None = None,
    overrides: dict[str, Callable[..., Any]] | None = None,
    now: datetime | None = None,
) -> ExecutionResult:
    """Redrive one execution to its end; raises UserError (ExecutionNotRedrivable, ...) first
    if it cannot be redriven."""
    store = ExecutionStore(settings.home)
    record = store.describe(name_or_arn)
    check_redrivable(record, now or datetime.now(UTC))
    definition = load_definition(definition_path)
    recorded_hash = record.get("definitionHash")
    if recorded_hash is not None and recorded_hash != definition_hash(definition.text):
        raise UserError(
            f"ExecutionNotRedrivable: {definition.source} is not the definition execution "
            f"{record['name']} ran ({recorded_hash}); a redrive runs the execution's own"
        )
    events = store.history(record["name"])
    point = find_redrive_point(definition.document, events)
    document = {**definition.document, "StartAt": point.state}

    from orchestration.engine import interpreter

    program = interpreter.parse(json.dumps(document))
    resume = interpreter.Resume(
        next_event_id=max((e["id"] for e in events), default=0) + 1,
        redrive_count=record.get("redriveCount", 0) + 1,
        state_input=point.input,
    )
    request = RunRequest(
        input=json.loads(record["input"]),
        name=record["name"],
        time_scale=time_scale,
        definition_path=definition_path,
        resources_path=resources_path,
    )
    resources = prepare_resources(request, definition, overrides)
    with lake_lock(settings, record["name"]):
        for key in _CLEARED_ON_REDRIVE:
            record.pop(key, None)
        record.update(status="RUNNING", redriveCount=resume.redrive_count, redriveDate=iso_now())
        store.save(record)
        install()
        with _reusing(point):
            return drive_execution(
                settings,
                request,
                record,
                store.reopen(record["name"]),
                program,
                resources,
                None,
                on_event,
                on_outbox,
                overrides,
                resume=resume,
            )


def check_redrivable(record: dict[str, Any], now: datetime) -> None:
    name, status = record["name"], record["status"]
    if status not in REDRIVABLE_STATUSES:
        raise UserError(
            f"ExecutionNotRedrivable: execution {name} is {status} and cannot be redriven "
            f"(only {', '.join(REDRIVABLE_STATUSES)} executions can)"
        )
    stopped = datetime.fromisoformat(record["stopDate"])
    if now - stopped > REDRIVABLE_PERIOD:
        raise UserError(
            f"ExecutionNotRedrivable: execution {name} stopped on {record['stopDate']}, "
            f"more than {REDRIVABLE_PERIOD.days} days ago (the redrivable period)"
        )


def find_redrive_point(document: dict[str, Any], events: list[dict[str, Any]]) -> RedrivePoint:
    """The last top-level state entered and never exited, from the execution's history."""
    top_level = set(document["States"])
    nested = _nested_state_names(document)
    if top_level & nested:
        raise UserError(
            "cannot redrive locally: state name(s) "
            f"{', '.join(sorted(top_level & nested))} are both top-level and inside a Map or "
            "Parallel, so the history does not say which one failed"
        )
    entered: tuple[str, Any] | None = None
    for event in events:
        if event["type"].endswith("StateEntered"):
            details = event["stateEnteredEventDetails"]
            if details["name"] in top_level:
                entered = details["name"], json.loads(details["input"])
        elif (
            event["type"].endswith("StateExited")
            and entered is not None
            and event["stateExitedEventDetails"]["name"] == entered[0]
        ):
            entered = None
    if entered is None:
        raise UserError("ExecutionNotRedrivable: its history has no unsuccessful state")
    state, state_input = entered
    succeeded = {}
    if document["States"][state]["Type"] == "Map":
        succeeded = _succeeded_iterations(events, state, state_input)
    return RedrivePoint(state, state_input, succeeded)


def _succeeded_iterations(
    events: list[dict[str, Any]], state: str, state_input: Any
) -> dict[int, Any]:
    """Index -> output of the iterations of Map `state` that succeeded while it had this input,
    over every attempt (an iteration reused by a redrive has no events of its own)."""
    by_id = {event["id"]: event for event in events}
    same_input, outputs = False, {}
    for event in events:
        if event["type"] == "MapStateEntered":
            details = event["stateEnteredEventDetails"]
            if details["name"] == state:
                same_input = json.loads(details["input"]) == state_input
        elif event["type"] == "MapIterationSucceeded" and same_input:
            details = event["mapIterationSucceededEventDetails"]
            if details["name"] == state:
                last = by_id[event["previousEventId"]]["stateExitedEventDetails"]
                outputs[details["index"]] = json.loads(last["output"])
    return outputs


def _nested_state_names(document: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for state in document["States"].values():
        for inner in [
            *state.get("Branches", []),
            state.get("ItemProcessor"),
            state.get("Iterator"),
        ]:
            if inner:
                names |= set(inner["States"]) | _nested_state_names(inner)
    return names


class _reusing:
    def __init__(self, point: RedrivePoint):
        self._point = point

    def __enter__(self) -> None:
        with _reused_lock:
            _reused[self._point.state] = dict(self._point.succeeded_iterations)

    def __exit__(self, *exc_info: object) -> None:
        with _reused_lock:
            _reused.clear()


_installed = False


def install() -> None:
    """Wrap moto's iteration worker once per process: an iteration the running redrive reuses
    is not evaluated; its output is the one recorded."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        iteration_worker,
    )

    worker = iteration_worker.IterationWorker
    original = worker._eval_job

    def _eval_job(self, env, job) -> None:
        with _reused_lock:
            outputs = _reused.get(self._work_name, {})
            reused = job.job_index in outputs
            output = json_copy(outputs.get(job.job_index))
        if not reused:
            original(self, env, job)
            return
        job.job_output = output

    worker._eval_job = _eval_job
    _installed = True
