"""Patches that make moto's ASL interpreter cheaper per state without changing what it computes
(bench/bench_engine.py measures the overhead per transition).

- `json_path.parse`, `result_path.parse`: memoized. moto builds a new jsonpath_ng parser (ply
  lex/yacc tables) for every path it evaluates, about 2 ms each; a parsed path is immutable.
- `copy.deepcopy` in moto's interpreter: a state's input, every path it reads and every frame it
  opens is deep-copied, a third of the interpreter's time. Those values are JSON (dicts, lists,
  strings, numbers, booleans, None), which `marshal` copies in C several times faster; any
  other value falls back to `copy.deepcopy`.
- A Parallel branch's thread name: moto names it after the branch's whole program, rendered
  component by component for every branch of every execution.
"""

from __future__ import annotations

import copy
import functools
import marshal
import sys
import threading
import types
from typing import Any

from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branch_worker
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.parser.utils import TMP_THREADS


def json_copy(value: Any, memo: dict | None = None) -> Any:
    """A deep copy of `value`: by marshal when it is made only of built-in types, else by
    `copy.deepcopy`."""
    try:
        return marshal.loads(marshal.dumps(value))
    except ValueError:
        return copy.deepcopy(value, memo)


_JSON_COPY = types.SimpleNamespace(deepcopy=json_copy)


def install() -> None:
    """Apply every patch; call once per process (interpreter.install does)."""
    json_path.parse = functools.lru_cache(maxsize=1024)(json_path.parse)
    result_path.parse = functools.lru_cache(maxsize=1024)(result_path.parse)
    # moto's modules call `copy.deepcopy` through their own `import copy`.
    for name, module in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions.parser") and getattr(module, "copy", None) is copy:
            module.copy = _JSON_COPY
    branch_worker.BranchWorker.start = _start_branch


def _start_branch(self: branch_worker.BranchWorker) -> None:
    if self._worker_thread is not None:
        raise RuntimeError("Attempted to rerun a BranchWorker.")
    self._worker_thread = threading.Thread(
        target=self._thread_routine, name="BranchWorker", daemon=True
    )
    TMP_THREADS.append(self._worker_thread)
    self._worker_thread.start()
