"""Run executions on a schedule, locally, the way EventBridge Scheduler would start them.

One execution at a time by default: a tick that comes while one still runs is skipped and
logged. On Ctrl-C the running execution is finished or abandoned, as the user chose; an
abandoned execution leaves its manifest uncommitted, so its files go to the next run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from orchestration.engine.schedule import Schedule


class OnStop(StrEnum):
    finish = "finish"
    abandon = "abandon"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Scheduler:
    schedule: Schedule
    start_execution: Callable[[datetime], object]
    allow_overlap: bool = False
    log: Callable[[str], None] = print
    clock: Callable[[], datetime] = utc_now
    stop_requested: threading.Event = field(default_factory=threading.Event)
    wait: Callable[[float], bool] | None = None
    """Sleep up to the given seconds; True when a stop was requested. Default: real time."""
    _running: list[threading.Thread] = field(default_factory=list)
    started: int = 0
    skipped: int = 0

    def run(self, max_ticks: int | None = None, on_stop: OnStop = OnStop.finish) -> None:
        """Tick until `max_ticks` ticks have passed or Ctrl-C; then honour `on_stop`."""
        began = self.clock()
        moment = began
        ticks = 0
        try:
            while max_ticks is None or ticks < max_ticks:
                due = self.schedule.next_after(moment, began)
                self.log(f"next execution at {due.isoformat()}")
                if self._wait_until(due):
                    break
                moment = due
                ticks += 1
                self._tick(due)
        except KeyboardInterrupt:
            self.log("interrupted")
        self._stop(on_stop)

    def _wait_until(self, due: datetime) -> bool:
        """Sleep until `due`; True when a stop was requested meanwhile."""
        while True:
            remaining = (due - self.clock()).total_seconds()
            if remaining <= 0:
                return False
            wait = self.wait or self.stop_requested.wait
            if wait(min(remaining, 1.0)):
                return True

    def _tick(self, due: datetime) -> None:
        self._running = [t for t in self._running if t.is_alive()]
        if self._running and not self.allow_overlap:
            self.skipped += 1
            self.log(f"tick at {due.isoformat()} skipped: an execution is still running")
            return
        thread = threading.Thread(
            target=self.start_execution,
            args=(due,),
            name=f"execution-{due:%Y%m%dT%H%M}",
            daemon=True,
        )
        thread.start()
        self._running.append(thread)
        self.started += 1
        self.log(f"tick at {due.isoformat()}: execution started")

    def _stop(self, on_stop: OnStop) -> None:
        alive = [t for t in self._running if t.is_alive()]
        if not alive:
            return
        if on_stop is OnStop.abandon:
            self.log(
                f"abandoning {len(alive)} running execution(s): their batches stay uncommitted "
                "and the next run picks their files up"
            )
            return
        self.log(f"waiting for {len(alive)} running execution(s) to finish")
        for thread in alive:
            thread.join()
