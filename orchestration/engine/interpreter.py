"""The adapter on moto's ASL interpreter (moto==5.2.5, `moto.stepfunctions.parser`): runs one
execution in process, without boto3 or a moto backend, and streams its history events.

`install()` patches moto once per process: the Task hook points (tasks.py), and
- `jsonata._eval_jsonata`: moto leaves the JSONata evaluator unset; jsonata-python fills it;
- `CustomErrorName` where moto re-raises an error it caught (a Fail state's ErrorPath, a Map
  iteration, a Parallel branch, a mocked Throw): moto refuses names starting with "States.",
  so the definition's Fail could not carry States.TaskFailed on; AWS keeps the name;
- speedups.install(): memoized path parsing, JSON copies, cheap thread names (performance
  only, same results);
- timing.install(): Wait states on the time scale, Task timeouts that abandon the handler;
- fidelity.install(): the patches that restore documented AWS behaviour (fidelity.py).
tests/engine/test_interpreter.py pins the interpreter's known deviations from AWS.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.stepfunctions.parser.api import (
    ExecutionRedrivenEventDetails,
    ExecutionStartedEventDetails,
    HistoryEventExecutionDataDetails,
    HistoryEventType,
    StateMachineType,
)
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
    CustomErrorName,
)
from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
    StatesErrorName,
)
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
    iteration_worker,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branches_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task import mock_eval_utils
from moto.stepfunctions.parser.asl.component.state.fail import state_fail
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.evaluation_details import AWSExecutionDetails
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.eval.event.event_manager import (
    EventHistoryContext,
    EventManager,
)
from moto.stepfunctions.parser.asl.eval.program_state import (
    ProgramEnded,
    ProgramError,
    ProgramStopped,
    ProgramTimedOut,
)
from moto.stepfunctions.parser.asl.eval.states import (
    ContextObjectData,
    ExecutionData,
    StateMachineData,
)
from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str
from moto.stepfunctions.parser.mocking.mock_config import MockTestCase
from moto.stepfunctions.parser.utils import TMP_THREADS

from orchestration.engine import fidelity, speedups, task_tokens, tasks, timing
from orchestration.engine.definition import (
    ACCOUNT,
    REGION,
    ROLE_ARN,
    STATE_MACHINE_ARN,
)
from orchestration.engine.handlers import LocalServices

RETRY_EVENT = "RetryScheduled"
"""A local history event (not in AWS's history): the delay the retrier chose before a retry."""

EventSink = Callable[[dict[str, Any]], None]

_install_lock = threading.Lock()
_installed = False


@dataclass(frozen=True)
class Resume:
    """Continues a stopped execution (RedriveExecution): its history goes on from
    `next_event_id` with an ExecutionRedriven event, and the program (whose StartAt is the
    unsuccessful state) starts on `state_input`; $$.Execution.Input stays the original input."""

    next_event_id: int
    redrive_count: int
    state_input: Any


@dataclass(frozen=True)
class Outcome:
    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None


class RecordingEventManager(EventManager):
    """Passes every history event to a sink as it is recorded, and tracks per thread which
    state is failing, so the retrier's sleep can be recorded against it."""

    def __init__(self, sink: EventSink):
        super().__init__()
        self._sink = sink
        self._thread_state = threading.local()

    def _publish_history_event(
        self, event_id, source_event_id, event_type, timestamp, event_details
    ):
        super()._publish_history_event(
            event_id, source_event_id, event_type, timestamp, event_details
        )
        event = self._history_event_list[-1]
        event_type = event["type"] = str(getattr(event_type, "value", event_type))
        current = self._thread_state
        if event_type.endswith("StateEntered"):
            current.state, current.failures = event["stateEnteredEventDetails"]["name"], 0
        elif event_type.endswith(("Failed", "TimedOut")) and event_details:
            current.failures = getattr(current, "failures", 0) + 1
            current.error = next(iter(event_details.values())).get("error")
            current.failed_event_id = event_id
        tasks.recorded_in_this_thread(self)
        self._sink(event)

    def record_retry(self, delay_seconds: float, slept_seconds: float) -> None:
        current = self._thread_state
        details = {
            "name": getattr(current, "state", None),
            "error": getattr(current, "error", None),
            "retryCount": getattr(current, "failures", 0),
            "delaySeconds": round(delay_seconds, 3),
            "sleptSeconds": round(slept_seconds, 3),
        }
        self.add_event(
            context=EventHistoryContext(getattr(current, "failed_event_id", 0)),
            event_type=RETRY_EVENT,
            event_details={"retryScheduledEventDetails": details},
            update_source_event_id=False,
        )


def install() -> None:
    """Patch the interpreter once per process; idempotent."""
    global _installed
    with _install_lock:
        if _installed:
            return
        import jsonata

        # Every failure is in the execution history; moto would also log each one, traceback
        # and all, as it handles it.
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        moto_jsonata._eval_jsonata = lambda expression: _eval_jsonata(jsonata, expression)
        tasks.install()
        timing.install()
        task_tokens.install(_active_mailbox)
        fidelity.install()
        for module in (state_fail, iteration_worker, branches_decl, mock_eval_utils):
            module.CustomErrorName = reraised_error_name
        speedups.install()
        _installed = True


def evaluate(
    definition: str | EvalComponent,
    *,
    execution_arn: str,
    execution_name: str,
    state_machine_arn: str = STATE_MACHINE_ARN,
    execution_input: Any,
    start_time: str,
    services: LocalServices,
    sink: EventSink,
    time_scale: float = 1.0,
    mock_test_case: MockTestCase | None = None,
    resume: Resume | None = None,
) -> Outcome:
    """Run one execution to its end in this process, without boto3 or a moto backend.

    `definition` is ASL text or a program parsed from it for this execution only (moto's
    components keep per-execution state, so a parsed program is not reused)."""
    install()
    program = parse(definition) if isinstance(definition, str) else definition
    events = RecordingEventManager(sink)
    env = Environment(
        aws_execution_details=AWSExecutionDetails(ACCOUNT, REGION, ROLE_ARN),
        execution_type=StateMachineType.STANDARD,
        context=ContextObjectData(
            Execution=ExecutionData(
                Id=execution_arn,
                Input=execution_input,
                Name=execution_name,
                RoleArn=ROLE_ARN,
                StartTime=start_time,
            ),
            StateMachine=StateMachineData(
                Id=state_machine_arn, Name=state_machine_arn.rsplit(":", 1)[-1]
            ),
        ),
        event_history_context=EventHistoryContext.of_program_start(),
        cloud_watch_logging_session=None,
        activity_store={},
        mock_test_case=mock_test_case,
    )
    env.event_manager = events
    with tasks.active(services, events, time_scale):
        if resume is None:
            events.add_event(
                context=env.event_history_context,
                event_type=HistoryEventType.ExecutionStarted,
                event_details=EventDetails(
                    executionStartedEventDetails=ExecutionStartedEventDetails(
                        input=to_json_str(execution_input),
                        inputDetails=HistoryEventExecutionDataDetails(truncated=False),
                        roleArn=ROLE_ARN,
                    )
                ),
                update_source_event_id=False,
            )
        else:
            _open_redrive(events, env, resume)
        first_thread = len(TMP_THREADS)
        try:
            program.eval(env)
        except KeyboardInterrupt:
            # No drain: the user wants out, not to wait for the running job to finish.
            env.set_stop(stop_date=None, cause="interrupted by the user", error="Interrupted")
            return Outcome("ABORTED", error="Interrupted", cause="interrupted by the user")
        _drain(first_thread)
    return _outcome(env)


def _open_redrive(events: RecordingEventManager, env: Environment, resume: Resume) -> None:
    events._event_id_gen._next_id = resume.next_event_id
    env.event_history_context = EventHistoryContext(resume.next_event_id - 1)
    env.states.reset(input_value=resume.state_input)
    events.add_event(
        context=env.event_history_context,
        event_type=HistoryEventType.ExecutionRedriven,
        event_details=EventDetails(
            executionRedrivenEventDetails=ExecutionRedrivenEventDetails(
                redriveCount=resume.redrive_count
            )
        ),
    )


def _active_mailbox() -> task_tokens.Mailbox | None:
    services = tasks.active_services()
    if services is None or services.task_tokens_dir is None:
        return None
    return task_tokens.Mailbox(services.task_tokens_dir)


def _drain(first_thread: int) -> None:
    """Wait for the threads this execution started. When one Map iteration fails, moto ends
    the execution but lets the others run on (as AWS lets started Lambda invocations finish);
    a process exiting under them would abort inside native code (DuckDB, the JVM)."""
    while alive := [t for t in TMP_THREADS[first_thread:] if t.is_alive()]:
        for thread in alive:
            thread.join()
    # moto only appends to this list; keep a long-lived process (the scheduler) from growing it.
    del TMP_THREADS[first_thread:]


def reraised_error_name(error_name: str | None) -> ErrorName:
    """The name of an error raised again: a States.* name as itself, any other as moto would."""
    if error_name and error_name.startswith("States."):
        with contextlib.suppress(ValueError):
            return StatesErrorName.from_name(error_name)
    return CustomErrorName(error_name)


def parse(definition_text: str) -> EvalComponent:
    return AmazonStateLanguageParser.parse(definition_text)[0]


def _outcome(env: Environment) -> Outcome:
    state = env.program_state()
    if isinstance(state, ProgramEnded):
        return Outcome("SUCCEEDED", output=env.states.get_input())
    if isinstance(state, ProgramError):
        return Outcome("FAILED", error=state.error.get("error"), cause=state.error.get("cause"))
    if isinstance(state, ProgramTimedOut):
        return Outcome("TIMED_OUT")
    if isinstance(state, ProgramStopped):
        return Outcome("ABORTED", error=state.error, cause=state.cause)
    raise RuntimeError(f"the interpreter ended in an unknown state {state!r}")


def _eval_jsonata(jsonata_module: Any, expression: str) -> Any:
    try:
        compiled = jsonata_module.Jsonata(expression)
        fidelity.bind_jsonata_functions(compiled)
        return compiled.evaluate(None)
    except Exception as exc:  # noqa: BLE001 - moto expects its own exception type
        raise moto_jsonata.JSONataException("UNKNOWN", str(exc)) from exc
