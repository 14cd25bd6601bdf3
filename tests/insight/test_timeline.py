"""Bars of state durations (orchestration/insight/timeline.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from orchestration.insight.paths import ExecutionPath, StateEntry
from orchestration.insight.timeline import Bar, scope_text, timeline

T0 = datetime.fromisoformat("2025-01-01T00:00:00.000+00:00")


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _path(entries: list[StateEntry], end: float, finished: bool = True) -> ExecutionPath:
    return ExecutionPath({}, entries, frozenset(), T0, _at(end), finished)


def test_each_entry_is_placed_by_its_start_and_sized_by_its_duration():
    entries = [
        StateEntry("Extract", (), _at(0), _at(2), "succeeded"),
        StateEntry("Transform", (("Fan", 1),), _at(2), _at(7), "caught", "X", retries=2),
        StateEntry("Failed", (), _at(9.999), None, "failed"),
    ]
    assert timeline(_path(entries, end=10)) == [
        Bar("Extract", "", "succeeded", left=0.0, width=20.0, seconds=2.0, retries=0),
        Bar("Transform", "Fan[1]", "caught", left=20.0, width=50.0, seconds=5.0, retries=2),
        # A millisecond still shows, and never runs past the end.
        Bar("Failed", "", "failed", left=99.7, width=0.3, seconds=0.001, retries=0),
    ]


def test_an_entry_still_running_reaches_the_last_event():
    entries = [StateEntry("Validate", (), _at(1), None, "running")]
    (bar,) = timeline(_path(entries, end=4, finished=False))
    assert (bar.left, bar.width, bar.seconds) == (25.0, 75.0, 3.0)


def test_an_empty_history_has_no_bars():
    assert timeline(ExecutionPath({}, [], frozenset(), None, None, False)) == []


def test_the_scope_names_iterations_and_branches():
    scope = (("ProcessDatasets", 0), ("Deliver", None), ("LoadTables", 3))
    assert scope_text(scope) == "ProcessDatasets[0] > Deliver > LoadTables[3]"
