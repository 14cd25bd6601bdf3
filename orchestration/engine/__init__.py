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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestration.core.errors import UserError
from orchestration.core.settings import Settings
from orchestration.engine.definition import STATE_MACHINE_ARN, STATE_MACHINE_NAME, load_definition
from orchestration.engine.handlers import LocalServices, OutboxListener
from orchestration.engine.store import ExecutionStore, execution_arn, iso_now, new_execution_name

EventListener = Callable[[dict[str, Any]], None]
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
    """Multiplies every retry delay; tests compress time with it, never skipping the retry."""
    definition_path: Path | None = None


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
    mock_test_case = _mock_test_case(request, definition.state_names())
    if request.time_scale < 0:
        raise UserError(f"time scale must be zero or more, got {request.time_scale}")

    name = request.name or new_execution_name()
    with lake_lock(settings, name):
        return _run_locked(
            settings,
            request,
            name,
            definition.program,
            mock_test_case,
            on_event,
            on_outbox,
            overrides,
        )


def _run_locked(
    settings: Settings,
    request: RunRequest,
    name: str,
    program: Any,
    mock_test_case: Any,
    on_event: EventListener | None,
    on_outbox: OutboxListener | None,
    overrides: dict[str, Callable[..., Any]] | None,
) -> ExecutionResult:
    from orchestration.engine import interpreter

    record: dict[str, Any] = {
        "executionArn": execution_arn(name),
        "stateMachineArn": STATE_MACHINE_ARN,
        "name": name,
        "status": "RUNNING",
        "startDate": iso_now(),
        "input": json.dumps(request.input, separators=(",", ":")),
        "inputDetails": {"included": True},
    }
    store = ExecutionStore(settings.home)
    history = store.create(record)
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
    )
    try:
        outcome = interpreter.evaluate(
            program,
            execution_arn=record["executionArn"],
            execution_name=name,
            execution_input=request.input,
            start_time=record["startDate"],
            services=services,
            sink=sink,
            time_scale=request.time_scale,
            mock_test_case=mock_test_case,
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

    return load_test_case(request.mock_config, request.test_case, STATE_MACHINE_NAME, state_names)
