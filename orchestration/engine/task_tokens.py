""".waitForTaskToken tasks, answered from another process through a mailbox of files.

A Task whose resource ends in `.waitForTaskToken` sends its Parameters (with $$.Task.Token) to
its local handler (a Lambda, the SNS or SQS outbox), then waits, as on AWS, until someone calls
SendTaskSuccess, SendTaskFailure or SendTaskHeartbeat with the token; locally that is
`sfn-etl task success|failure|heartbeat TOKEN`, from any process on the same SFN_ETL_HOME:

<home>/task-tokens/<token>.json           who waits (execution, state) and whether it still does
<home>/task-tokens/<token>.answers.jsonl  heartbeats and the answer, appended by the CLI

The waiting execution polls the answers and hands them to moto's callback endpoint, so moto's
own HeartbeatSeconds and TimeoutSeconds handling and history events (TaskSubmitted, then
TaskSucceeded, TaskFailed or TaskTimedOut) apply unchanged.
"""

from __future__ import annotations

import fcntl
import json
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orchestration.core.errors import UserError

MAILBOX_FOLDER = "task-tokens"
POLL_SECONDS = 0.1
WAITING, CLOSED = "WAITING", "CLOSED"
_TOKEN = re.compile(r"^[0-9A-Za-z_-]{1,1024}$")


class Mailbox:
    """The task tokens of every local execution under one state directory."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    @classmethod
    def under(cls, home: Path) -> Mailbox:
        return cls(Path(home) / MAILBOX_FOLDER)

    # -- the waiting execution ------------------------------------------------------------

    def open(self, token: str, execution_arn: str, state_name: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._write(token, {"executionArn": execution_arn, "state": state_name, "status": WAITING})

    def close(self, token: str) -> None:
        """The task ended (answered, timed out, or its execution stopped): refuse answers."""
        ticket = self._ticket(token)
        self._write(token, {**ticket, "status": CLOSED})

    def answers(self, token: str, offset: int) -> tuple[list[dict[str, Any]], int]:
        """The answers appended since byte `offset`, and the offset after them."""
        path = self._answers_path(token)
        if not path.exists():
            return [], offset
        with path.open("rb") as handle:
            handle.seek(offset)
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]  # a line being appended is read next time
        lines = complete.decode("utf-8").splitlines()
        return [json.loads(line) for line in lines], offset + len(complete)

    # -- the answering CLI ----------------------------------------------------------------

    def send_success(self, token: str, output: str) -> None:
        try:
            json.loads(output)
        except json.JSONDecodeError as exc:
            raise UserError(f"InvalidOutput: --output is not JSON: {exc.msg}") from exc
        self._answer(token, {"kind": "success", "output": output})

    def send_failure(self, token: str, error: str | None, cause: str | None) -> None:
        self._answer(token, {"kind": "failure", "error": error, "cause": cause})

    def send_heartbeat(self, token: str) -> None:
        self._answer(token, {"kind": "heartbeat"})

    def _answer(self, token: str, answer: dict[str, Any]) -> None:
        ticket = self._ticket(token)
        if ticket["status"] != WAITING:
            raise UserError(
                f"TaskTimedOut: the task of token {token} ({ticket['state']} in "
                f"{ticket['executionArn']}) has already been closed"
            )
        with self._answers_path(token).open("a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(json.dumps(answer, separators=(",", ":")) + "\n")

    def _ticket(self, token: str) -> dict[str, Any]:
        if not _TOKEN.match(token):
            raise UserError(f"InvalidToken: {token!r} is not a task token")
        try:
            return json.loads((self.folder / f"{token}.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UserError(
                f"TaskDoesNotExist: no task has token {token} under {self.folder}"
            ) from None

    def _answers_path(self, token: str) -> Path:
        return self.folder / f"{token}.answers.jsonl"

    def _write(self, token: str, ticket: dict[str, Any]) -> None:
        path = self.folder / f"{token}.json"
        partial = path.with_suffix(".json.partial")
        partial.write_text(json.dumps(ticket), encoding="utf-8")
        partial.replace(path)


MailboxOf = Callable[[], Mailbox | None]


def install(mailbox_of: MailboxOf) -> None:
    """Wrap moto's task-token Tasks; `mailbox_of()` is the running execution's mailbox (None
    outside an execution with one: the wait is moto's alone, in process). Imports moto here:
    the answering CLI needs only the Mailbox."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        resource,
        state_task_service_callback,
    )
    from moto.stepfunctions.parser.asl.eval.callback.callback import HeartbeatTimeoutError

    wait_for_token = resource.ResourceCondition.WaitForTaskToken
    callback_task = state_task_service_callback.StateTaskServiceCallback
    original_body = callback_task._eval_body
    original_wait = callback_task._eval_integration_pattern
    if getattr(original_body, "_uses_mailbox", False):
        return

    def _eval_body(self, env):
        mailbox = mailbox_of()
        if mailbox is None or self.resource.condition != wait_for_token:
            return original_body(self, env)
        # moto's body makes the token, sends the Parameters, then waits: the ticket must exist
        # as soon as the token does, since the receiver may answer before the wait starts.
        context_object = env.states.context_object
        make_token = context_object.update_task_token
        opened: list[str] = []

        def update_task_token() -> str:
            token = make_token()
            execution_arn = context_object.context_object_data["Execution"]["Id"]
            mailbox.open(token, execution_arn, self.name)
            opened.append(token)
            return token

        context_object.update_task_token = update_task_token
        try:
            return original_body(self, env)
        finally:
            del context_object.update_task_token
            for token in opened:
                mailbox.close(token)

    def _eval_integration_pattern(self, env, **arguments):
        mailbox = mailbox_of()
        if mailbox is None or self.resource.condition != wait_for_token:
            return original_wait(self, env, **arguments)
        token = env.states.context_object.context_object_data["Task"]["Token"]
        done = threading.Event()
        poller = threading.Thread(
            target=_forward_answers,
            args=(mailbox, token, env, done),
            name=f"task-token-{token}",
            daemon=True,
        )
        poller.start()
        try:
            return original_wait(self, env, **arguments)
        except HeartbeatTimeoutError:
            # moto reports it as States.Timeout; AWS names a missed heartbeat apart.
            raise _heartbeat_timed_out(self, env) from None
        finally:
            done.set()
            poller.join()

    _eval_body._uses_mailbox = True
    callback_task._eval_body = _eval_body
    callback_task._eval_integration_pattern = _eval_integration_pattern


def _heartbeat_timed_out(task: Any, env: Any) -> Exception:
    from moto.stepfunctions.parser.api import HistoryEventType, TaskTimedOutEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name import (
        failure_event,
        states_error_name,
        states_error_name_type,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    heartbeat = states_error_name_type.StatesErrorNameType.StatesHeartbeatTimeout
    details = TaskTimedOutEventDetails(
        resourceType=task._get_sfn_resource_type(),
        resource=task._get_sfn_resource(),
        error=heartbeat.to_name(),
    )
    return failure_event.FailureEventException(
        failure_event.FailureEvent(
            env=env,
            error_name=states_error_name.StatesErrorName(typ=heartbeat),
            event_type=HistoryEventType.TaskTimedOut,
            event_details=EventDetails(taskTimedOutEventDetails=details),
        )
    )


def _forward_answers(mailbox: Mailbox, token: str, env: Any, done: threading.Event) -> None:
    """Hands the CLI's answers to moto's callback endpoint (of moto's Environment `env`) until
    the task ends."""
    from moto.stepfunctions.parser.asl.eval.callback.callback import (
        CallbackOutcomeFailure,
        CallbackOutcomeSuccess,
    )

    pool, offset, pending_heartbeats = env.callback_pool_manager, 0, 0
    while not done.wait(POLL_SECONDS):
        answers, offset = mailbox.answers(token, offset)
        for answer in answers:
            if answer["kind"] == "heartbeat":
                pending_heartbeats += 1
            elif answer["kind"] == "success":
                pool.notify(token, CallbackOutcomeSuccess(token, answer["output"]))
                return
            else:
                pool.notify(token, CallbackOutcomeFailure(token, answer["error"], answer["cause"]))
                return
        # moto sets the heartbeat endpoint up just after the wait starts: keep a heartbeat that
        # came before it for the next poll instead of losing it.
        while pending_heartbeats and pool.heartbeat(token):
            pending_heartbeats -= 1
