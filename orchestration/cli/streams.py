"""Keeping stdout for the command's result while a run prints as it goes."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

STDOUT_FD = 1
STDERR_FD = 2


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send everything written to stdout meanwhile to stderr, at the descriptor level too.

    Python's redirect_stdout alone does not reach the Spark driver's JVM or any other child
    process: they inherit descriptor 1 and would mix their lines into a `--json` summary."""
    sys.stdout.flush()
    saved = os.dup(STDOUT_FD)
    os.dup2(STDERR_FD, STDOUT_FD)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, STDOUT_FD)
        os.close(saved)
