"""Time in the local engine: how long a Wait state sleeps, and how long a Task may run.

moto 5.2.5 hook points, patched once per process (interpreter.install):
- `WaitFunction._wait_interval`: every Wait (Seconds, SecondsPath, Timestamp, TimestampPath)
  sleeps its delay × the run's time scale, as the retrier's backoff does (tasks.py). The history
  keeps AWS's WaitStateEntered/WaitStateExited and gains nothing;
- `Timestamp._get_wait_seconds`: the delay until a Timestamp counted in UTC (moto subtracts the
  local wall-clock time from a UTC timestamp, off by the machine's UTC offset);
- `StateTask._evaluate_with_timeout`: the Task's work runs on a worker thread and the state fails
  with States.Timeout once TimeoutSeconds (or TimeoutSecondsPath) has passed, as moto does; what
  moto lacks is letting go of it: the abandoned worker's late events never reach the history, its
  late result or error is dropped, and the execution does not wait for it to end.

TimeoutSeconds is wall-clock time, never scaled: it bounds a handler's real work, which the time
scale does not compress (a Spark job takes as long at --time-scale 0.01), whereas Wait and retry
delays are the engine's own idling, which it may.
"""

from __future__ import annotations

import datetime
import threading
import time
from typing import Any

from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import EvalTimeoutError
from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import Timestamp
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
    WaitFunction,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment

from orchestration.engine import tasks
from orchestration.engine.speedups import json_copy

_SETTLING_SUFFIXES = ("Succeeded", "Failed", "TimedOut")
"""A Task's worker that has recorded one of these has its outcome: it is no longer abandoned."""


def install() -> None:
    WaitFunction._wait_interval = _scaled_wait
    Timestamp._get_wait_seconds = _seconds_until_timestamp
    StateTask._evaluate_with_timeout = _evaluate_with_timeout


def _scaled_wait(self: WaitFunction, env: Environment, wait_seconds: int) -> None:
    deadline = time.monotonic() + max(wait_seconds, 0) * tasks.time_scale()
    # program_state_event fires when the execution (or this branch) stops or fails: the Wait
    # ends with it, as moto's does.
    while env.is_running() and (remaining := deadline - time.monotonic()) > 0:
        env.program_state_event.wait(remaining)


def _seconds_until_timestamp(self: Timestamp, env: Environment) -> int:
    self.string.eval(env=env)
    text = env.stack.pop()
    moment = self._from_timestamp_string(timestamp=text)
    if moment is None:
        raise FailureEventException(self._create_failure_event(env, text))
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    return int((moment - now).total_seconds())


class _EventGate:
    """The worker's view of the history: forwards events until the state stops waiting."""

    def __init__(self, event_manager: Any):
        self._event_manager = event_manager
        self._lock = threading.Lock()
        self._open = True
        self._settled = False

    def add_event(self, *args: Any, **kwargs: Any) -> None:
        event_type = kwargs.get("event_type", args[1] if len(args) > 1 else "")
        with self._lock:
            if not self._open:
                return
            self._settled |= str(getattr(event_type, "value", event_type)).endswith(
                _SETTLING_SUFFIXES
            )
            self._event_manager.add_event(*args, **kwargs)

    def close(self) -> bool:
        """Stop forwarding; True if the worker had already recorded its outcome."""
        with self._lock:
            self._open = False
            return self._settled

    def __getattr__(self, name: str) -> Any:
        return getattr(self._event_manager, name)


def _evaluate_with_timeout(self: ExecutionState, env: Environment) -> None:
    self.timeout.eval(env=env)
    timeout_seconds = env.stack.pop()

    frame = env.open_frame()
    frame.states.reset(input_value=env.states.get_input())
    frame.stack = json_copy(env.stack)
    gate = _EventGate(env.event_manager)
    frame.event_manager = gate
    outcome: list[tuple[Any, Exception | None]] = []
    ended = threading.Event()

    def work() -> None:
        try:
            self._eval_execution(frame)
            outcome.append((frame.stack[-1], None))
        except Exception as exc:  # noqa: BLE001 - the state's own error handling takes it
            outcome.append((None, exc))
        ended.set()

    # Not in moto's TMP_THREADS: the execution must not wait for an abandoned handler.
    threading.Thread(target=work, name=f"task {self.name}", daemon=True).start()
    if not ended.wait(timeout_seconds) and not gate.close():
        frame.set_ended()
        env.close_frame(frame)
        raise EvalTimeoutError()
    # In time, or it recorded its outcome just as the timeout came: it is about to return.
    ended.wait()
    gate.close()
    frame.set_ended()
    env.close_frame(frame)
    output, error = outcome[0]
    if error is not None:
        raise error

    # From here on as moto's ExecutionState._evaluate_with_timeout.
    env.stack.append(output)
    if not self._is_language_query_jsonpath():
        env.states.set_result(output)
    if self.assign_decl:
        self.assign_decl.eval(env=env)
    if self.result_selector:
        self.result_selector.eval(env=env)
    if self.result_path:
        self.result_path.eval(env)
    else:
        env.states.reset(input_value=env.stack.pop())
