"""Run one execution in this process and SIGKILL it at a named point (driven by test_faults.py).

    python tests/reliability/kill_at.py transform|load_before_merge|commit|after_commit
    python tests/reliability/kill_at.py load_after_other_committed

Why this way: the kill has to land at an exact point (Load between staging and MERGE cannot be
hit by a timer from outside), and production code must not carry test hooks. So this driver is
test code: it wraps, in this process only, the one function at the point (the Glue job through
the engine's documented `overrides`, the warehouse adapter's bulk copy, the engine's local S3
putObject) and kills the process with SIGKILL from inside it, after writing the point's name to
<SFN_ETL_HOME>/killed_at so the test can tell the kill landed where it meant.
  transform          while the real transform job runs: once its first curated file exists (or
                     the job ended), before the Transform state completes
  load_before_merge  inside the load transaction, right after the batch was bulk-copied into the
                     staging table (or, into an empty target, the table), before MERGE and audit
  commit             the Commit state's putObject of the commit marker, before it is written
  after_commit       right after the commit marker was written, before the execution ends
  load_after_other_committed
                     TPC-H and the tests' tiny dataset in one execution: inside TPC-H's load
                     transaction, as load_before_merge, once tiny's new batch has committed
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

from orchestration.core.lake import CURATED, MANIFESTS
from orchestration.core.layout import COMMIT_SUFFIX
from orchestration.core.settings import Settings
from orchestration.engine import RunRequest, run_execution
from tests.reliability.warehouse_state import DATASET, TPCH_ONLY

TWO_SOURCES = {"datasets": [DATASET, "tiny"]}
"""Execution input of the multi-source scenario (tiny registered via SFN_ETL_EXTRA_DATASETS)."""
OTHER_COMMIT_WAIT_SECONDS = 300


def die(point: str, settings: Settings) -> None:
    (settings.home / "killed_at").write_text(point)
    os.kill(os.getpid(), signal.SIGKILL)


def main(point: str) -> int:
    settings = Settings.from_env()
    overrides = {}
    run_input = TPCH_ONLY
    if point == "transform":
        from jobs import transform

        def transform_then_die(argv):
            job = threading.Thread(target=transform.main, args=(argv,), daemon=True)
            job.start()
            curated = Path(settings.open_lake().uri(CURATED))
            while job.is_alive() and not any(curated.rglob("part-*")):
                time.sleep(0.01)
            die(point, settings)

        overrides["glue:transform"] = transform_then_die
    elif point == "load_before_merge":
        from orchestration.warehouse.duckdb_adapter import DuckDBWarehouse

        copy_into = DuckDBWarehouse._copy_into

        def copy_then_die(self, conn, name, table, curated_uri):
            copy_into(self, conn, name, table, curated_uri)
            die(point, settings)

        DuckDBWarehouse._copy_into = copy_then_die
    elif point == "load_after_other_committed":
        from orchestration.warehouse.duckdb_adapter import DuckDBWarehouse

        manifests = Path(settings.open_lake().uri(MANIFESTS))
        committed_before = set(manifests.glob(f"*-tiny{COMMIT_SUFFIX}"))
        copy_into = DuckDBWarehouse._copy_into

        def copy_after_other_committed_then_die(self, conn, name, table, curated_uri):
            if table.schema != DATASET:
                return copy_into(self, conn, name, table, curated_uri)
            copy_into(self, conn, name, table, curated_uri)
            deadline = time.monotonic() + OTHER_COMMIT_WAIT_SECONDS
            while set(manifests.glob(f"*-tiny{COMMIT_SUFFIX}")) == committed_before:
                if time.monotonic() > deadline:
                    raise SystemExit("tiny never committed while TPC-H was loading")
                time.sleep(0.05)
            die(point, settings)

        DuckDBWarehouse._copy_into = copy_after_other_committed_then_die
        run_input = TWO_SOURCES
    elif point in ("commit", "after_commit"):
        from orchestration.engine.handlers import LocalServices

        s3 = LocalServices.s3

        def s3_then_die(self, action, request):
            if action != "putObject" or not request["Key"].endswith(COMMIT_SUFFIX):
                return s3(self, action, request)
            if point == "commit":
                die(point, settings)
            s3(self, action, request)
            die(point, settings)

        LocalServices.s3 = s3_then_die
    else:
        raise SystemExit(f"unknown kill point {point!r}")
    run_execution(settings, RunRequest(input=run_input, time_scale=0.01), overrides=overrides)
    return 3  # the kill point was never reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
