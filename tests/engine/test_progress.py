"""Live progress lines for states entered, succeeded, failed, retried and caught."""

from __future__ import annotations

import io
import queue
import re
import threading

from rich.console import Console

from orchestration.engine.progress import Progress


def _entered(kind: str, name: str) -> dict:
    return {"type": f"{kind}StateEntered", "stateEnteredEventDetails": {"name": name}}


def _exited(kind: str, name: str) -> dict:
    return {"type": f"{kind}StateExited", "stateExitedEventDetails": {"name": name}}


def _lines(events: list[dict]) -> list[str]:
    out = io.StringIO()
    progress = Progress(Console(file=out, width=200, color_system=None))
    for event in events:
        progress.on_event(event)
    # Durations vary run to run; everything else is exact.
    return [re.sub(r"^(\S \S+) \d+\.\d\d s", r"\1", line) for line in out.getvalue().splitlines()]


def test_tasks_are_announced_and_every_state_reports_its_exit():
    assert _lines(
        [_entered("Pass", "ApplyDefaults"), _exited("Pass", "ApplyDefaults"),
         _entered("Task", "Extract"), _exited("Task", "Extract")]
    ) == ["✓ ApplyDefaults", "▶ Extract", "✓ Extract"]  # fmt: skip


def test_a_failure_then_a_retry_then_success_reads_as_such():
    failed = {"type": "TaskFailed", "taskFailedEventDetails": {"error": "Glue.X", "cause": "slow"}}
    retry = {
        "type": "RetryScheduled",
        "retryScheduledEventDetails": {"name": "Transform", "error": "Glue.X", "retryCount": 1,
                                       "delaySeconds": 4.0, "sleptSeconds": 0.004},
    }  # fmt: skip
    lines = _lines([_entered("Task", "Transform"), failed, retry, _exited("Task", "Transform")])
    assert lines[0] == "▶ Transform"
    assert lines[1] == "✗ Transform Glue.X slow"
    assert lines[2] == "↻ Transform retry 1 after Glue.X in 4.00 s (waited 0.004 s)"
    assert lines[3] == "✓ Transform"


def test_a_caught_failure_is_not_reported_as_success():
    failed = {"type": "TaskFailed", "taskFailedEventDetails": {"error": "E", "cause": "c"}}
    lines = _lines([_entered("Task", "Validate"), failed, _exited("Task", "Validate")])
    assert lines[-1] == "↪ Validate caught"


def test_outbox_messages_are_shown_with_their_target():
    out = io.StringIO()
    progress = Progress(Console(file=out, width=200, color_system=None))
    progress.on_outbox("sqs", {"QueueUrl": "https://sqs/000/sfn-etl-dlq", "MessageBody": "{}"})
    assert out.getvalue() == "✉ sqs sfn-etl-dlq: {}\n"


def test_a_failed_map_is_reported_failed_then_caught():
    lines = _lines(
        [_entered("Map", "LoadTables"), {"type": "MapStateFailed"}, _exited("Map", "LoadTables")]
    )
    assert lines == ["▶ LoadTables", "✗ LoadTables", "↪ LoadTables caught"]


def test_a_parallel_state_is_announced_and_its_failure_reported_then_caught():
    lines = _lines(
        [_entered("Parallel", "Deliver"), {"type": "ParallelStateFailed"},
         _exited("Parallel", "Deliver")]
    )  # fmt: skip
    assert lines == ["▶ Deliver", "✗ Deliver", "↪ Deliver caught"]


def test_a_choice_or_pass_is_not_announced_but_reports_its_exit():
    lines = _lines([_entered("Choice", "ToCatalog"), _exited("Choice", "ToCatalog")])
    assert lines == ["✓ ToCatalog"]


class _Worker:
    """A thread kept alive across steps, as a Map iteration's thread is."""

    def __init__(self):
        self._jobs: queue.Queue = queue.Queue()
        self._done: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        while (job := self._jobs.get()) is not None:
            job()
            self._done.put(None)

    def run(self, job):
        self._jobs.put(job)
        self._done.get(timeout=5)

    def stop(self):
        self._jobs.put(None)
        self._thread.join(5)


def test_concurrent_iterations_of_the_same_state_are_told_apart_by_thread():
    out = io.StringIO()
    progress = Progress(Console(file=out, width=200, color_system=None))
    alpha, beta = _Worker(), _Worker()
    failed = {"type": "TaskFailed", "taskFailedEventDetails": {"error": "States.TaskFailed"}}
    try:
        alpha.run(lambda: progress.on_event(_entered("Task", "Transform")))
        beta.run(lambda: progress.on_event(_entered("Task", "Transform")))
        beta.run(lambda: progress.on_event(failed))
        alpha.run(lambda: progress.on_event(_exited("Task", "Transform")))
        beta.run(lambda: progress.on_event(_exited("Task", "Transform")))
    finally:
        alpha.stop()
        beta.stop()
    lines = [re.sub(r" \d+\.\d\d s", "", line) for line in out.getvalue().splitlines()]
    assert lines == [
        "▶ Transform",
        "▶ Transform",
        "✗ Transform States.TaskFailed",
        "✓ Transform",
        "↪ Transform caught",
    ]
