"""The local engine: one execution of the state machine in this process, with no AWS account.

The definition is validated before anything runs; the execution, its history and the outbox are
persisted under the state directory (Settings.home). See interpreter.py for how Task resources
map to local handlers and handlers.py for the handlers themselves.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestration.core.errors import UserError
from orchestration.core.settings import Settings
from orchestration.engine.definition import (
    STATE_MACHINE_NAME,
    Definition,
    load_definition,
    state_machine_arn,
)
from orchestration.engine.handlers import LocalServices, NestedRunner, OutboxListener, ServiceError
from orchestration.engine.resources import ResourceMap, check_resources, load_resource_map
from orchestration.engine.store import (
    ExecutionStore,
    HistoryWriter,
    execution_arn,
    iso_now,
    new_execution_name,
)
from orchestration.engine.task_tokens import Mailbox

EventListener = Callable[[dict[str, Any]], None]
_STATE_MACHINE_NAME = re.compile(r"^[0-9A-Za-z_-]{1,80}$")
TERMINAL_EVENTS = frozenset(
    ("ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut")
)


@dataclass(frozen=True)
class RunRequest:
    input: dict[str, Any] = field(default_factory=dict)
    name: str | None = None
    isolated: bool = False
    """spark-submit each Glue job in its own process, as Glue would, instead of in process."""
    mock_config: Path | None = None
    test_case: str | None = None
    time_scale: float = 1.0
    """Multiplies every retry delay and Wait state; tests compress time with it, never skipping
    the retry or the Wait. Task timeouts stay wall-clock time (timing.py)."""
    definition_path: Path | None = None
    resources_path: Path | None = None
    """The resources mapping (resources.py); None: the nearest pyproject.toml's."""
    state_machine: str | None = None
    """Its name (in ARNs and the mock config); None: the definition file's name up to its first
    dot, `sfn-etl` for the built-in definition."""


@dataclass
class ExecutionResult:
    record: dict[str, Any]
    """In the shape of describe-execution."""
    events: list[dict[str, Any]]
    """In the shape of get-execution-history's events."""

    @property
    def status(self) -> str:
        return self.record["status"]

    @property
    def output(self) -> Any:
        return json.loads(self.record["output"]) if "output" in self.record else None


def run_execution(
    settings: Settings,
    request: RunRequest,
    on_event: EventListener | None = None,
    on_outbox: OutboxListener | None = None,
    overrides: dict[str, Callable[..., Any]] | None = None,
) -> ExecutionResult:
    """Run one execution to its end; raises UserError before starting if anything is invalid."""
    definition = load_definition(request.definition_path)
    resources = prepare_resources(request, definition, overrides)
    mock_test_case = _mock_test_case(request, definition.state_names())
    if request.time_scale < 0:
        raise UserError(f"time scale must be zero or more, got {request.time_scale}")

    name = request.name or new_execution_name()
    with lake_lock(settings, name):
        return _run_locked(
            settings,
            request,
            name,
            definition,
            resources,
            mock_test_case,
            on_event,
            on_outbox,
            overrides,
        )


def prepare_resources(
    request: RunRequest, definition: Definition, overrides: dict[str, Callable[..., Any]] | None
) -> ResourceMap:
    """The resources mapping, once every Task state is checked to have a local handler: before
    anything runs."""
    resources = load_resource_map(request.resources_path, request.definition_path)
    resources.make_importable()
    check_resources(definition, resources, (overrides or {}).keys())
    return resources


def _run_locked(
    settings: Settings,
    request: RunRequest,
    name: str,
    definition: Definition,
    resources: ResourceMap,
    mock_test_case: Any,
    on_event: EventListener | None,
    on_outbox: OutboxListener | None,
    overrides: dict[str, Callable[..., Any]] | None,
) -> ExecutionResult:
    machine = state_machine_name(request)
    record: dict[str, Any] = {
        "executionArn": execution_arn(name, machine),
        "stateMachineArn": state_machine_arn(machine),
        "name": name,
        "status": "RUNNING",
        "startDate": iso_now(),
        "input": json.dumps(request.input, separators=(",", ":")),
        "inputDetails": {"included": True},
        "definitionHash": definition_hash(definition.text),
    }
    history = ExecutionStore(settings.home).create(record)
    return drive_execution(
        settings,
        request,
        record,
        history,
        definition.program,
        resources,
        mock_test_case,
        on_event,
        on_outbox,
        overrides,
    )


def definition_hash(rendered_text: str) -> str:
    """What a local execution records as `definitionHash`: which definition content it ran."""
    return "sha256:" + hashlib.sha256(rendered_text.encode("utf-8")).hexdigest()


def drive_execution(
    settings: Settings,
    request: RunRequest,
    record: dict[str, Any],
    history: HistoryWriter,
    program: Any,
    resources: ResourceMap,
    mock_test_case: Any,
    on_event: EventListener | None,
    on_outbox: OutboxListener | None,
    overrides: dict[str, Callable[..., Any]] | None,
    resume: Any = None,
) -> ExecutionResult:
    """Evaluate `program` for the execution `record` (RUNNING, saved), appending to its history,
    and save the record at its end; `resume` (interpreter.Resume) continues a redriven one."""
    from orchestration.engine import interpreter

    store = ExecutionStore(settings.home)
    events: list[dict[str, Any]] = []

    def sink(event: dict[str, Any]) -> None:
        # Map iterations still running when the execution failed report on; AWS records nothing
        # after the execution's last event, so neither does the history.
        if events and events[-1]["type"] in TERMINAL_EVENTS:
            return
        events.append(event)
        history.append(event)
        if on_event is not None:
            on_event(event)

    services = LocalServices(
        lake=settings.open_lake(),
        outbox_dir=settings.home / "outbox",
        catalog_path=settings.catalog,
        isolated=request.isolated,
        on_outbox=on_outbox,
        overrides=overrides or {},
        task_tokens_dir=Mailbox.under(settings.home).folder,
        resources=resources,
    )
    services.run_nested = _nested_runner(settings, request, services, on_outbox, overrides)
    try:
        outcome = interpreter.evaluate(
            program,
            execution_arn=record["executionArn"],
            state_machine_arn=record["stateMachineArn"],
            execution_name=record["name"],
            execution_input=request.input,
            start_time=record["startDate"],
            services=services,
            sink=sink,
            time_scale=request.time_scale,
            mock_test_case=mock_test_case,
            resume=resume,
        )
    finally:
        history.close()
    record["status"] = outcome.status
    record["stopDate"] = iso_now()
    if outcome.status == "SUCCEEDED":
        record["output"] = json.dumps(outcome.output, separators=(",", ":"), default=str)
        record["outputDetails"] = {"included": True}
    if outcome.error is not None:
        record["error"] = outcome.error
    if outcome.cause is not None:
        record["cause"] = outcome.cause
    store.save(record)
    return ExecutionResult(record=record, events=events)


def lock_path(settings: Settings) -> Path:
    """One lock file per lake root under the state directory: runs on one lake conflict."""
    digest = hashlib.sha256(settings.lake.encode()).hexdigest()[:16]
    return settings.home / "locks" / f"lake-{digest}.lock"


@contextlib.contextmanager
def lake_lock(settings: Settings, execution_name: str) -> Iterator[None]:
    """Hold an exclusive, non-blocking flock on the lake's lock file for the whole execution.

    A second execution on the same lake is refused before it writes anything. The kernel
    releases an flock when its holder's file descriptor closes, and that includes a process
    killed with SIGKILL: a crashed run never leaves a stale lock, so no cleanup is needed. The
    holder's pid and execution name are written into the file only to word the refusal.
    """
    path = lock_path(settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise UserError(
            f"cannot create the execution lock {path}: {exc.strerror or exc} "
            f"(is the state directory {settings.home} writable?)"
        ) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            raise UserError(
                f"another execution is running on lake {settings.lake} "
                f"(pid {holder.get('pid', '?')}, execution {holder.get('execution', '?')}); "
                "wait for it to finish, or stop it, and run again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(
            fd,
            json.dumps(
                {"pid": os.getpid(), "execution": execution_name, "lake": settings.lake}
            ).encode(),
            0,
        )
        yield
    finally:
        os.close(fd)  # releases the flock


def _read_holder(fd: int) -> dict[str, Any]:
    try:
        return json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (OSError, ValueError):
        return {}


def _mock_test_case(request: RunRequest, state_names: set[str]):
    if (request.mock_config is None) != (request.test_case is None):
        raise UserError("--mock-config and --test-case go together: give both or neither")
    if request.mock_config is None:
        return None
    from orchestration.engine.mock_config import load_test_case

    machine = state_machine_name(request)
    return load_test_case(request.mock_config, request.test_case, machine, state_names)


def state_machine_name(request: RunRequest) -> str:
    """`--state-machine`, else the definition file's name up to its first dot."""
    if request.state_machine is not None:
        name = request.state_machine
    elif request.definition_path is None:
        name = STATE_MACHINE_NAME
    else:
        name = Path(request.definition_path).name.split(".")[0]
    if not _STATE_MACHINE_NAME.match(name):
        raise UserError(
            f"invalid state machine name {name!r}: up to 80 letters, digits, - or _ "
            "(name it with --state-machine)"
        )
    return name


def _nested_runner(
    settings: Settings,
    parent: RunRequest,
    services: LocalServices,
    on_outbox: OutboxListener | None,
    overrides: dict[str, Callable[..., Any]] | None,
) -> NestedRunner:
    """states:startExecution: an execution of its own in the store, run to its end under the
    parent's lake lock, with the parent's mapping (checked with it before anything ran)."""

    def run(definition_path: Path, machine: str, execution_input: Any, name: str | None):
        name = name or new_execution_name()
        if (ExecutionStore(settings.home).root / name).exists():
            raise ServiceError(
                "states", "ExecutionAlreadyExists", f"Execution Already Exists: '{name}'"
            )
        request = RunRequest(
            input=execution_input,
            name=name,
            isolated=parent.isolated,
            time_scale=parent.time_scale,
            definition_path=definition_path,
            state_machine=machine,
        )
        definition = load_definition(definition_path)
        try:
            return _run_locked(
                settings,
                request,
                name,
                definition,
                services.resources,
                None,
                None,
                on_outbox,
                overrides,
            ).record
        except UserError as exc:
            raise ServiceError("states", "InvalidName", str(exc)) from exc

    return run
