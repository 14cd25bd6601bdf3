"""Coverage of a definition by a set of executions: which states were entered, which
transitions (Next, Choice branches and Default, Catch edges, inside Maps and Parallels too) were
taken, and which Retry (per retrier) and Catch (per catcher) paths fired; the rest never ran.

Read from get-execution-history events: a StateEntered's previousEventId is the event the state
was entered after, the StateExited of the state before it in the same scope; a Catch took the
transition when that StateExited follows a failure event; a retrier fired when the engine
recorded a RetryScheduled event (the first retrier whose ErrorEquals names the error matches).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from orchestration.engine import definition_hash
from orchestration.engine.store import ExecutionStore

ALL_ERRORS = "States.ALL"


@dataclass
class Coverage:
    states: dict[str, bool] = field(default_factory=dict)
    transitions: dict[tuple[str, str, str], bool] = field(default_factory=dict)
    """(from, to, how: Next | Choice[i] | Default | Catch[i]) -> taken."""
    retriers: dict[tuple[str, int], bool] = field(default_factory=dict)
    catchers: dict[tuple[str, int], bool] = field(default_factory=dict)

    def never_run(self) -> list[str]:
        lines = [f"state {name}" for name, hit in self.states.items() if not hit]
        lines += [f"{a} -> {b} ({how})" for (a, b, how), hit in self.transitions.items() if not hit]
        lines += [f"{s} Retry[{i}]" for (s, i), hit in self.retriers.items() if not hit]
        lines += [f"{s} Catch[{i}]" for (s, i), hit in self.catchers.items() if not hit]
        return lines

    def summary(self) -> str:
        parts = []
        for label, items in (
            ("states", self.states),
            ("transitions", self.transitions),
            ("retriers", self.retriers),
            ("catchers", self.catchers),
        ):
            parts.append(f"{label} {sum(items.values())}/{len(items)}")
        return ", ".join(parts)


def coverage(document: dict[str, Any], histories: Iterable[list[dict[str, Any]]]) -> Coverage:
    """What `histories` (each one execution's events) exercised of the definition `document`."""
    result = Coverage()
    rules: dict[str, dict[str, Any]] = {}
    _declare(document, result, rules)
    for events in histories:
        by_id = {event["id"]: event for event in events}
        for event in events:
            kind = event["type"]
            if kind.endswith("StateEntered"):
                name = event["stateEnteredEventDetails"]["name"]
                result.states[name] = True
                _take(result, rules, by_id, by_id.get(event["previousEventId"]), name)
            elif kind == "RetryScheduled":
                details = event["retryScheduledEventDetails"]
                index = _matching(rules, details["name"], "Retry", details["error"])
                if index is not None:
                    result.retriers[details["name"], index] = True
    return result


def executions_of(store: ExecutionStore, rendered_text: str) -> list[str]:
    """The store's executions that ran this very definition, newest first: executions of another
    definition, or of an earlier version of this one, would credit states by name that it may
    not have, or have elsewhere."""
    wanted = definition_hash(rendered_text)
    return [
        item["name"]
        for item in store.list()
        if store.describe(item["name"]).get("definitionHash") == wanted
    ]


def _declare(scope: dict[str, Any], result: Coverage, rules: dict[str, dict[str, Any]]) -> None:
    for name, state in scope["States"].items():
        rules[name] = state
        result.states[name] = False
        if "Next" in state:
            result.transitions[name, state["Next"], "Next"] = False
        for index, choice in enumerate(state.get("Choices", [])):
            result.transitions[name, choice["Next"], f"Choice[{index}]"] = False
        if "Default" in state:
            result.transitions[name, state["Default"], "Default"] = False
        for index, catcher in enumerate(state.get("Catch", [])):
            result.transitions[name, catcher["Next"], f"Catch[{index}]"] = False
            result.catchers[name, index] = False
        for index, _ in enumerate(state.get("Retry", [])):
            result.retriers[name, index] = False
        for inner in [
            *state.get("Branches", []),
            state.get("ItemProcessor"),
            state.get("Iterator"),
        ]:
            if inner:
                _declare(inner, result, rules)


def _take(result, rules, by_id, before: dict[str, Any] | None, entered: str) -> None:
    if before is None or not before["type"].endswith("StateExited"):
        return  # the first state of a scope
    source = before["stateExitedEventDetails"]["name"]
    failure = by_id.get(before["previousEventId"])
    failed = failure is not None and failure["type"].endswith(("Failed", "TimedOut"))
    if failed:
        details = next((v for k, v in failure.items() if k.endswith("EventDetails")), {})
        index = _matching(rules, source, "Catch", details.get("error"))
        if index is not None:
            result.catchers[source, index] = True
            result.transitions[source, entered, f"Catch[{index}]"] = True
        return
    state = rules.get(source, {})
    for index, choice in enumerate(state.get("Choices", [])):
        if choice["Next"] == entered:
            result.transitions[source, entered, f"Choice[{index}]"] = True
            return
    how = "Default" if state.get("Default") == entered else "Next"
    if (source, entered, how) in result.transitions:
        result.transitions[source, entered, how] = True


def _matching(rules, state: str, kind: str, error: str | None) -> int | None:
    for index, rule in enumerate(rules.get(state, {}).get(kind, [])):
        if error in rule["ErrorEquals"] or ALL_ERRORS in rule["ErrorEquals"]:
            return index
    return None
