"""Progress of the Spark stages of Glue jobs running in this process, on stderr.

A daemon thread polls the active SparkContext's statusTracker (every 2 s). On a terminal the
active stages share one live line, redrawn in place; otherwise (a pipe, a CI log) a stage gets a
plain line once it has run for 10 s, again at most every 10 s, and a last one when it completes,
so short stages print nothing. stdout is never written: `--json` output stays clean.

Glue jobs of one execution run in parallel on the one warm SparkContext: `watch_spark_stages`
counts the jobs under way, starts the thread with the first and stops it with the last. Under
`--isolated` each job is its own spark-submit driver, out of this process's reach.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO

POLL_SECONDS = 2.0
PLAIN_LINE_SECONDS = 10.0
_ERASE = "\r\x1b[2K"


@dataclass(frozen=True)
class StageSnapshot:
    stage_id: int
    name: str
    completed_tasks: int
    total_tasks: int

    def line(self) -> str:
        return (
            f"stage {self.stage_id}: {self.completed_tasks}/{self.total_tasks} tasks ({self.name})"
        )


class StageReporter:
    """Turns successive snapshots of the active stages into lines on `stream`."""

    def __init__(
        self,
        stream: TextIO,
        live: bool,
        plain_line_seconds: float = PLAIN_LINE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.stream = stream
        self.live = live
        self.plain_line_seconds = plain_line_seconds
        self._clock = clock
        self._first_seen: dict[int, float] = {}
        self._last_line: dict[int, float] = {}
        self._active: dict[int, StageSnapshot] = {}
        self._drawn = False
        self._lock = threading.Lock()

    def update(self, active: list[StageSnapshot], finished: list[StageSnapshot]) -> None:
        """`active`: the stages running now; `finished`: stages active before that ended."""
        now = self._clock()
        with self._lock:
            self._active = {stage.stage_id: stage for stage in active}
            if self.live:
                self._draw()
                return
            for stage in finished:
                if stage.stage_id in self._last_line:
                    self._write(stage.line() + "\n")
                self._first_seen.pop(stage.stage_id, None)
                self._last_line.pop(stage.stage_id, None)
            for stage in active:
                first = self._first_seen.setdefault(stage.stage_id, now)
                last = self._last_line.get(stage.stage_id)
                due = first if last is None else last
                if now - due >= self.plain_line_seconds:
                    self._write(stage.line() + "\n")
                    self._last_line[stage.stage_id] = now

    def erase(self) -> None:
        """Clear the live line before another line is printed; the next poll redraws it."""
        with self._lock:
            if self._drawn:
                self._write(_ERASE)
                self._drawn = False

    def _draw(self) -> None:
        if not self._active:
            if self._drawn:
                self._write(_ERASE)
                self._drawn = False
            return
        text = " · ".join(stage.line() for _, stage in sorted(self._active.items()))
        self._write(f"{_ERASE}⚙ {text}")
        self._drawn = True

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def _active_spark_context() -> Any:
    # SparkContext.getOrCreate() would start a context; the class attribute only looks.
    from pyspark import SparkContext

    return SparkContext._active_spark_context


class SparkStageWatcher:
    """Polls the stages of the active SparkContext on a daemon thread and feeds a reporter."""

    def __init__(
        self,
        reporter: StageReporter,
        interval: float = POLL_SECONDS,
        context: Callable[[], Any] = _active_spark_context,
    ):
        self.reporter = reporter
        self.interval = interval
        self._context = context
        self._active: dict[int, StageSnapshot] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="spark-stage-progress", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stops polling after one last poll, so that stages that just ended report it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._poll_quietly()
        self.reporter.erase()

    def poll(self) -> None:
        context = self._context()
        if context is None:
            return  # the job has not created its session yet
        tracker = context.statusTracker()
        active = {}
        for stage_id in tracker.getActiveStageIds():
            snapshot = _snapshot(tracker.getStageInfo(stage_id))
            if snapshot is not None:
                active[stage_id] = snapshot
        finished = []
        for stage_id in sorted(self._active.keys() - active.keys()):
            # The final counts; a stage Spark already forgot keeps what was last seen.
            finished.append(_snapshot(tracker.getStageInfo(stage_id)) or self._active[stage_id])
        self._active = active
        self.reporter.update(sorted(active.values(), key=lambda s: s.stage_id), finished)

    def _run(self) -> None:
        while not self._stop.wait(self.interval) and self._poll_quietly():
            pass

    def _poll_quietly(self) -> bool:
        """Polls; False once the context went away under it (py4j raises when the JVM stops):
        progress must never fail the job it reports on."""
        try:
            self.poll()
        except Exception:  # noqa: BLE001 - any py4j or attribute error of a stopping context
            return False
        return True


def _snapshot(info: Any) -> StageSnapshot | None:
    if info is None:
        return None
    return StageSnapshot(info.stageId, info.name, info.numCompletedTasks, info.numTasks)


_watch_lock = threading.Lock()
_watchers = 0
_watcher: SparkStageWatcher | None = None


@contextmanager
def watch_spark_stages(stream: TextIO | None = None) -> Iterator[None]:
    """Show Spark stage progress on `stream` (stderr) while the block runs; nests and overlaps
    across threads: one watcher for every job under way."""
    global _watchers, _watcher
    with _watch_lock:
        _watchers += 1
        if _watcher is None:
            out = stream or sys.stderr
            _watcher = SparkStageWatcher(StageReporter(out, live=out.isatty()))
            _watcher.start()
    try:
        yield
    finally:
        with _watch_lock:
            _watchers -= 1
            if _watchers == 0 and _watcher is not None:
                _watcher.stop()
                _watcher = None


def erase_live_line() -> None:
    """Called before any other progress line is printed on the same terminal."""
    watcher = _watcher
    if watcher is not None:
        watcher.reporter.erase()
