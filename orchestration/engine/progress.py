"""Live progress of a local execution: one line per state entered, succeeded, failed or retrying."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from rich.console import Console
from rich.markup import escape

from orchestration.engine.interpreter import RETRY_EVENT
from orchestration.engine.spark_progress import erase_live_line

_ANNOUNCED = ("TaskStateEntered", "MapStateEntered", "ParallelStateEntered")
_FAILED = (
    "TaskFailed",
    "TaskTimedOut",
    "LambdaFunctionFailed",
    "LambdaFunctionTimedOut",
    "MapStateFailed",
    "ParallelStateFailed",
)


class Progress:
    """Feed it history events (`on_event`) and outbox messages (`on_outbox`)."""

    def __init__(self, console: Console):
        self.console = console
        self._entered: dict[tuple[int, str], float] = {}
        self._current: dict[int, str] = {}
        self._failing: set[tuple[int, str]] = set()
        self._lock = threading.Lock()

    def on_event(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        thread = threading.get_ident()
        with self._lock:
            if kind.endswith("StateEntered"):
                name = event["stateEnteredEventDetails"]["name"]
                self._failing.discard((thread, name))
                self._entered[(thread, name)] = time.monotonic()
                self._current[thread] = name
                if kind in _ANNOUNCED:
                    self._line(f"[cyan]▶[/] {escape(name)}")
            elif kind.endswith("StateExited"):
                name = event["stateExitedEventDetails"]["name"]
                if (thread, name) in self._failing:
                    # Exiting after a failure means a Catch took it; the next state says where.
                    self._failing.discard((thread, name))
                    self._line(f"[yellow]↪[/] {escape(name)} caught")
                else:
                    self._line(f"[green]✓[/] {escape(name)} {self._elapsed(thread, name)}")
            elif kind in _FAILED:
                details = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
                name = self._current.get(thread, "?")
                self._failing.add((thread, name))
                parts = [f"[red]✗[/] {escape(name)}", self._elapsed(thread, name)]
                if details.get("error"):
                    parts.append(f"[red]{escape(str(details['error']))}[/]")
                if details.get("cause"):
                    parts.append(escape(_short(details["cause"])))
                self._line(" ".join(part for part in parts if part))
            elif kind == RETRY_EVENT:
                retry = event["retryScheduledEventDetails"]
                self._failing.discard((thread, str(retry["name"])))
                self._line(
                    f"[yellow]↻[/] {escape(str(retry['name']))} retry {retry['retryCount']} "
                    f"after {escape(str(retry['error']))} in {retry['delaySeconds']:.2f} s"
                    + (
                        f" (waited {retry['sleptSeconds']:.3f} s)"
                        if retry["sleptSeconds"] != retry["delaySeconds"]
                        else ""
                    )
                )
            elif kind == "ExecutionFailed":
                details = event["executionFailedEventDetails"]
                self._line(f"[bold red]execution failed[/] {escape(str(details.get('error')))}")

    def on_outbox(self, kind: str, record: dict[str, Any]) -> None:
        if kind == "sns":
            target, body = record.get("TopicArn", ""), record.get("Message", "")
        elif kind == "events":
            target = f"{record.get('EventBusName', '')} {record.get('DetailType', '')}"
            body = record.get("Detail", "")
        else:
            target, body = record.get("QueueUrl", ""), record.get("MessageBody", "")
        with self._lock:
            self._line(
                f"[magenta]✉[/] {kind} {escape(target.rsplit(':', 1)[-1].rsplit('/', 1)[-1])}: "
                f"{escape(_short(body, 160))}"
            )

    def _elapsed(self, thread: int, name: str) -> str:
        started = self._entered.get((thread, name))
        return "" if started is None else f"[dim]{time.monotonic() - started:.2f} s[/]"

    def _line(self, markup: str) -> None:
        erase_live_line()  # a Spark stage line drawn in place on the same terminal
        self.console.print(markup, highlight=False)


def _short(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
