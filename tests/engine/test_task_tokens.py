""".waitForTaskToken: a local execution waits until a second process answers with
`sfn-etl task success|failure|heartbeat TOKEN`, as SendTaskSuccess/Failure/Heartbeat on AWS."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from orchestration.core.settings import Settings
from orchestration.engine import ExecutionResult, RunRequest, run_execution
from orchestration.engine.task_tokens import Mailbox

CLI = str(Path(sys.executable).with_name("sfn-etl"))


def _definition(tmp_path: Path, heartbeat_seconds: int) -> Path:
    document = {
        "StartAt": "AskApproval",
        "States": {
            "AskApproval": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "HeartbeatSeconds": heartbeat_seconds,
                "Parameters": {
                    "QueueUrl": "https://sqs.us-east-1.amazonaws.com/000000000000/approvals",
                    "MessageBody": {"token.$": "$$.Task.Token", "batch.$": "$.batch"},
                },
                "Catch": [{"ErrorEquals": ["Rejected"], "Next": "WasRejected"}],
                "End": True,
            },
            "WasRejected": {"Type": "Pass", "End": True},
        },
    }
    path = tmp_path / "approval.asl.json"
    path.write_text(json.dumps(document))
    return path


class Waiting:
    """An execution running in a thread, and the token its task sent to the SQS outbox."""

    def __init__(self, definition: Path):
        self.settings = Settings.from_env()
        self._result: list[ExecutionResult] = []
        request = RunRequest(input={"batch": "b7"}, definition_path=definition)
        self._thread = threading.Thread(
            target=lambda: self._result.append(run_execution(self.settings, request))
        )
        self._thread.start()
        outbox = self.settings.home / "outbox" / "sqs.jsonl"
        deadline = time.monotonic() + 30
        while not outbox.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        self.message = json.loads(json.loads(outbox.read_text().splitlines()[0])["MessageBody"])
        self.token = self.message["token"]

    def result(self) -> ExecutionResult:
        self._thread.join(timeout=30)
        return self._result[0]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=60)


def test_a_second_process_answering_success_ends_the_task_with_its_output(lake_root, tmp_path):
    waiting = Waiting(_definition(tmp_path, heartbeat_seconds=30))
    assert waiting.message["batch"] == "b7"
    assert _cli("task", "heartbeat", waiting.token).returncode == 0
    answered = _cli("task", "success", waiting.token, "--output", '{"approved": true}')
    assert answered.returncode == 0, answered.stderr
    result = waiting.result()
    assert result.status == "SUCCEEDED"
    assert result.output == {"approved": True}
    assert [e["type"] for e in result.events] == [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSubmitted",
        "TaskSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]


def test_a_failure_answer_fails_the_task_with_its_error_which_catch_matches(lake_root, tmp_path):
    waiting = Waiting(_definition(tmp_path, heartbeat_seconds=30))
    answered = _cli("task", "failure", waiting.token, "--error", "Rejected", "--cause", "no")
    assert answered.returncode == 0, answered.stderr
    result = waiting.result()
    assert result.status == "SUCCEEDED"
    failed = next(e for e in result.events if e["type"] == "TaskFailed")
    assert failed["taskFailedEventDetails"]["error"] == "Rejected"
    assert failed["taskFailedEventDetails"]["cause"] == "no"
    assert result.output == {"Error": "Rejected", "Cause": "no"}


def test_no_heartbeat_within_heartbeat_seconds_times_the_task_out(lake_root, tmp_path):
    waiting = Waiting(_definition(tmp_path, heartbeat_seconds=1))
    result = waiting.result()
    assert result.status == "FAILED"
    assert result.record["error"] == "States.HeartbeatTimeout"
    assert "TaskTimedOut" in [e["type"] for e in result.events]
    late = _cli("task", "success", waiting.token, "--output", "{}")
    assert late.returncode == 2
    assert late.stderr.startswith(f"error: TaskTimedOut: the task of token {waiting.token} ")


def test_heartbeats_keep_a_task_alive_past_heartbeat_seconds(lake_root, tmp_path):
    waiting = Waiting(_definition(tmp_path, heartbeat_seconds=2))
    # In process: a CLI process starting takes too long to time a 2 s heartbeat on a busy box.
    mailbox = Mailbox.under(waiting.settings.home)
    for _ in range(4):
        time.sleep(1)
        mailbox.send_heartbeat(waiting.token)
    mailbox.send_success(waiting.token, '"late"')
    result = waiting.result()
    assert result.status == "SUCCEEDED"
    assert result.output == "late"


def test_an_unknown_token_is_refused_as_task_does_not_exist(lake_root):
    refused = _cli("task", "heartbeat", "0f3c")
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: TaskDoesNotExist: no task has token 0f3c under ")


def test_success_output_must_be_json(tmp_path):
    mailbox = Mailbox.under(tmp_path)
    mailbox.open("t1", "arn:execution", "AskApproval")
    with pytest.raises(Exception, match="InvalidOutput: --output is not JSON"):
        mailbox.send_success("t1", "{nope")
    assert mailbox.answers("t1", 0) == ([], 0)


def test_answers_are_read_once_each_from_the_offset_returned(tmp_path):
    mailbox = Mailbox.under(tmp_path)
    mailbox.open("t1", "arn:execution", "AskApproval")
    mailbox.send_heartbeat("t1")
    first, offset = mailbox.answers("t1", 0)
    mailbox.send_failure("t1", "E", "C")
    second, _ = mailbox.answers("t1", offset)
    assert first == [{"kind": "heartbeat"}]
    assert second == [{"kind": "failure", "error": "E", "cause": "C"}]
