"""`sfn-etl watch`: poll the raw zone and start an execution once a burst of files has settled.

The local stand-in for the S3 "Object Created" trigger, with the debounce EventBridge does not
give: an execution starts only when there are uncommitted raw files and the set of them has not
changed for `quiet_seconds`, so a burst of files makes one execution. Executions run one at a
time, in this process. After an execution the files it left uncommitted (a failed run) are not
retried until the raw files change (a new file, or a fixed file with a new etag), so a broken
batch does not loop; a fixed one is picked up on the next quiet period.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from orchestration.core.lake import Lake
from orchestration.lambdas.extract import uncommitted_files


@dataclass
class Watcher:
    lake: Lake
    start_execution: Callable[[], object]
    """Runs one execution to its end (synchronously)."""
    poll_seconds: float = 10.0
    quiet_seconds: float = 60.0
    log: Callable[[str], None] = print
    clock: Callable[[], float] = time.monotonic
    stop_requested: threading.Event = field(default_factory=threading.Event)
    wait: Callable[[float], bool] | None = None
    """Sleep up to the given seconds; True when a stop was requested. Default: real time."""
    started: int = 0

    def pending(self) -> frozenset[tuple[str, str]]:
        return frozenset(uncommitted_files(self.lake))

    def run(self, max_executions: int | None = None) -> None:
        """Poll until `max_executions` executions have run or a stop (Ctrl-C) is requested."""
        seen = frozenset()
        changed_at = self.clock()
        attempted: frozenset[tuple[str, str]] | None = None
        wait = self.wait or self.stop_requested.wait
        try:
            while max_executions is None or self.started < max_executions:
                pending = self.pending()
                now = self.clock()
                if pending != seen:
                    seen, changed_at = pending, now
                    if pending and pending != attempted:
                        self.log(
                            f"{len(pending)} uncommitted raw file(s); starting an execution "
                            f"after {self.quiet_seconds:g} s without new files"
                        )
                elif pending and pending != attempted and now - changed_at >= self.quiet_seconds:
                    self.log(f"quiet for {now - changed_at:g} s: execution started")
                    self.started += 1
                    self.start_execution()
                    attempted = self.pending()
                    seen, changed_at = attempted, self.clock()
                    if attempted:
                        self.log(
                            f"{len(attempted)} raw file(s) still uncommitted: waiting for the raw "
                            "files to change before the next execution"
                        )
                    continue
                if wait(self.poll_seconds):
                    break
        except KeyboardInterrupt:
            self.log("interrupted: a running execution is abandoned, its batch stays uncommitted")
