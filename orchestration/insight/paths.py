"""What happened to each state of one execution, read from its history events alone.

Every event names the event before it in its own thread (`previousEventId`), so the history is
a tree: a Map iteration's events chain back to its MapIterationStarted, a Parallel branch's to
its ParallelStateStarted. Walking that tree gives each event its scope, the iterations and
branches it runs in, e.g. (("ProcessDatasets", 0), ("LoadTables", 1)); an entry of a state is
then paired with its exit inside one scope, even when iterations of one Map run at once.

An entry ends one of four ways: succeeded (exited), caught (exited right after a failure event,
so a Catch took it), failed (never exited in a finished execution: the error left the state, or
the state is a Fail) or running (never exited, the execution has not ended). Retries are the
engine's RetryScheduled events (orchestration/engine/interpreter.py), one per retry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from orchestration.engine import TERMINAL_EVENTS
from orchestration.engine.interpreter import RETRY_EVENT

Scope = tuple[tuple[str, int | None], ...]
"""The Map iterations (state, index) and Parallel states (state, None) an event runs inside."""

SUCCEEDED = "succeeded"
CAUGHT = "caught"
FAILED = "failed"
RUNNING = "running"
RETRIED = "retried"
NOT_REACHED = "not reached"


@dataclass
class StateEntry:
    """One entry into a state and how it ended."""

    name: str
    scope: Scope
    entered_at: datetime
    exited_at: datetime | None = None
    outcome: str = RUNNING
    error: str | None = None
    """The error a Catch took, when the failure event names it."""
    retries: int = 0


@dataclass
class StateRun:
    """Every entry of one state, summed: inside a Map a state is entered once per iteration."""

    name: str
    entries: list[StateEntry] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for entry in self.entries if entry.outcome == outcome)

    @property
    def retries(self) -> int:
        return sum(entry.retries for entry in self.entries)

    @property
    def caught_errors(self) -> list[str]:
        errors = (e.error for e in self.entries if e.outcome == CAUGHT and e.error)
        return list(dict.fromkeys(errors))

    @property
    def status(self) -> str:
        """The worst thing that happened to the state: what the picture colours it by."""
        if not self.entries:
            return NOT_REACHED
        for outcome in (FAILED, RUNNING, CAUGHT):
            if self.count(outcome):
                return outcome
        return RETRIED if self.retries else SUCCEEDED

    def describe(self) -> str:
        """One line, e.g. "entered 2x, retried 1x, caught 1 (States.TaskFailed)"."""
        if not self.entries:
            return NOT_REACHED
        parts = [f"entered {len(self.entries)}x"] if len(self.entries) > 1 else []
        if self.retries:
            parts.append(f"retried {self.retries}x")
        if caught := self.count(CAUGHT):
            errors = ", ".join(self.caught_errors)
            parts.append(f"caught {caught}" + (f" ({errors})" if errors else ""))
        for outcome in (FAILED, RUNNING):
            if count := self.count(outcome):
                parts.append(f"{outcome} {count}" if len(self.entries) > 1 else outcome)
        return ", ".join(parts) or SUCCEEDED


@dataclass(frozen=True)
class ExecutionPath:
    runs: dict[str, StateRun]
    entries: list[StateEntry]
    """In the order the states were entered."""
    transitions: frozenset[tuple[str, str, bool]]
    """(from state, to state, through a Catch) for every transition taken."""
    started_at: datetime | None
    ended_at: datetime | None
    """The last event's time: the end of a finished execution, "so far" of a running one."""
    finished: bool

    def run(self, name: str) -> StateRun:
        return self.runs.get(name) or StateRun(name)


def trace(events: list[dict[str, Any]]) -> ExecutionPath:
    """The path of one execution through its states, from get-execution-history events."""
    by_id: dict[int, dict[str, Any]] = {}
    scopes: dict[int, Scope] = {}
    open_entries: dict[tuple[Scope, str], list[StateEntry]] = {}
    entry_of_exit: dict[int, StateEntry] = {}
    entries: list[StateEntry] = []
    transitions: set[tuple[str, str, bool]] = set()

    # An event's previous event always has a smaller id, so one pass in id order sees it first.
    for event in sorted(events, key=lambda e: e["id"]):
        event_id, kind = event["id"], event["type"]
        by_id[event_id] = event
        previous = by_id.get(event.get("previousEventId") or 0)
        scope = _scope(previous, scopes)
        if kind.endswith("StateEntered"):
            name = event["stateEnteredEventDetails"]["name"]
            entry = StateEntry(name, scope, _time(event))
            entries.append(entry)
            open_entries.setdefault((scope, name), []).append(entry)
            left = entry_of_exit.get(previous["id"]) if previous is not None else None
            if left is not None:
                transitions.add((left.name, name, left.outcome == CAUGHT))
        elif kind.endswith("StateExited"):
            name = event["stateExitedEventDetails"]["name"]
            # A Map's or Parallel's exit follows its last inner event: step out of that scope.
            scope = _outside(scope, name)
            waiting = open_entries.get((scope, name))
            if waiting:  # else an exit with no entry: a history torn by a crash
                entry = waiting.pop()
                entry.exited_at = _time(event)
                entry.outcome = SUCCEEDED
                if previous is not None and _is_failure(previous["type"]):
                    entry.outcome = CAUGHT
                    entry.error = _details(previous).get("error")
                entry_of_exit[event_id] = entry
        elif kind == RETRY_EVENT:
            name = event["retryScheduledEventDetails"]["name"]
            waiting = open_entries.get((scope, name))
            if waiting:
                waiting[-1].retries += 1
        scopes[event_id] = _event_scope(event, previous, scope, entry_of_exit)

    finished = bool(events) and max(events, key=lambda e: e["id"])["type"] in TERMINAL_EVENTS
    for entry in entries:
        if entry.exited_at is None and finished:
            entry.outcome = FAILED
    runs: dict[str, StateRun] = {}
    for entry in entries:
        runs.setdefault(entry.name, StateRun(entry.name)).entries.append(entry)
    times = [_time(e) for e in events]
    return ExecutionPath(
        runs=runs,
        entries=entries,
        transitions=frozenset(transitions),
        started_at=min(times) if times else None,
        ended_at=max(times) if times else None,
        finished=finished,
    )


def _scope(previous: dict[str, Any] | None, scopes: dict[int, Scope]) -> Scope:
    return () if previous is None else scopes.get(previous["id"], ())


def _event_scope(
    event: dict[str, Any],
    previous: dict[str, Any] | None,
    scope: Scope,
    entry_of_exit: dict[int, StateEntry],
) -> Scope:
    """The scope the events after this one in its thread run in."""
    kind = event["type"]
    if kind == "MapIterationStarted":
        details = event["mapIterationStartedEventDetails"]
        return (*_outside(scope, details["name"]), (details["name"], details["index"]))
    if kind == "ParallelStateStarted" and previous is not None:
        return (*scope, (previous["stateEnteredEventDetails"]["name"], None))
    if kind.endswith("StateExited") and event["id"] in entry_of_exit:
        return entry_of_exit[event["id"]].scope
    return scope


def _outside(scope: Scope, state: str) -> Scope:
    """`scope` left at the frame of `state` (a Map or Parallel): an iteration's first event may
    follow the last event of another iteration that ran on the same worker thread, and a Map's
    exit follows whichever iteration ended last, however deep that iteration's own events were."""
    for depth in range(len(scope) - 1, -1, -1):
        if scope[depth][0] == state:
            return scope[:depth]
    return scope


def _is_failure(kind: str) -> bool:
    """A state's failure (TaskFailed, MapStateFailed, ...): not one iteration's, which the Map
    may tolerate, nor the execution's."""
    return kind.endswith(("Failed", "TimedOut")) and not kind.startswith(("MapIteration", "Exec"))


def _details(event: dict[str, Any]) -> dict[str, Any]:
    return next((v for k, v in event.items() if k.endswith("EventDetails")), None) or {}


def _time(event: dict[str, Any]) -> datetime:
    stamp = event["timestamp"]
    return stamp if isinstance(stamp, datetime) else datetime.fromisoformat(stamp)
