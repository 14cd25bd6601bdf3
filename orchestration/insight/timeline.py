"""A timeline of one execution: a bar per state entry, placed by when it was entered and how long
it ran, as shares of the execution's span (paths.py pairs each entry with its exit)."""

from __future__ import annotations

from dataclasses import dataclass

from orchestration.insight.paths import ExecutionPath, Scope

MIN_WIDTH = 0.3
"""Percent: an entry of a millisecond still shows."""


@dataclass(frozen=True)
class Bar:
    state: str
    where: str
    """The iterations and branches it ran in, e.g. `ProcessDatasets[0] > Deliver`."""
    outcome: str
    left: float
    """Percent of the execution's span before it was entered."""
    width: float
    """Percent of the span it ran; to the span's end if it never exited."""
    seconds: float
    retries: int


def timeline(path: ExecutionPath) -> list[Bar]:
    if path.started_at is None or path.ended_at is None:
        return []
    span = (path.ended_at - path.started_at).total_seconds()
    bars = []
    for entry in path.entries:
        until = entry.exited_at or path.ended_at
        seconds = (until - entry.entered_at).total_seconds()
        offset = (entry.entered_at - path.started_at).total_seconds()
        left = min(100 * offset / span if span else 0.0, 100 - MIN_WIDTH)
        width = max(100 * seconds / span if span else 100.0, MIN_WIDTH)
        bars.append(
            Bar(
                state=entry.name,
                where=scope_text(entry.scope),
                outcome=entry.outcome,
                left=round(left, 2),
                width=round(min(width, 100 - left), 2),
                seconds=round(seconds, 3),
                retries=entry.retries,
            )
        )
    return bars


def scope_text(scope: Scope) -> str:
    return " > ".join(name if index is None else f"{name}[{index}]" for name, index in scope)
