"""A stand-in for the pipeline's Lambdas and Glue jobs, for running the real definition through
the engine without Spark: `LocalServices.overrides` for extract, transform, validate and load.

Each declared dataset gets a batch `<base>-<dataset>`. Validate writes what the real job writes
for the state machine to read (validation/<batch>/summary.json, a Parquet file per table), so
ReadValidationSummary, Deliver, the catalog registration and Commit all run for real.

Faults: a transform that fails (the job's own error), Glue refusing to start a transform
(`ConcurrentRunsExceededException`, what Glue's throttling looks like to Step Functions), a load
timing out in Redshift, a failed validation. `hold` makes each transform and load take that long,
so that `peak` shows how many ran at once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.core.lake import Lake
from orchestration.engine.handlers import ServiceError

BASE = "b1"


class TransformBroke(RuntimeError):
    pass


class RedshiftTimeoutError(RuntimeError):
    """Named as the load Lambda names a statement Redshift timed out on."""


@dataclass
class FakePipeline:
    lake: Lake
    destinations: dict[str, tuple[str, ...]]
    """Dataset name -> its destinations, in the order Extract lists them."""
    failing_transform: frozenset[str] = frozenset()
    failing_validation: frozenset[str] = frozenset()
    quarantined: dict[str, int] = field(default_factory=dict)
    """Dataset -> rows its transform report says were quarantined (raw table `items`)."""
    tables: tuple[str, ...] = ("dim_a",)
    """The curated tables of every batch, in the order the summary lists them for loading."""
    throttled_transform: dict[str, int] = field(default_factory=dict)
    """Dataset -> how many times Glue refuses to start its transform before running it."""
    timed_out_load: dict[str, int] = field(default_factory=dict)
    """Table -> how many of its loads time out in Redshift before one succeeds."""
    hold: float = 0.0
    """Seconds each transform and each load takes."""
    calls: list[tuple[str, str]] = field(default_factory=list)
    """(step, dataset) in the order the steps ran; a refused or failed attempt counts."""
    job_arguments: list[dict[str, str]] = field(default_factory=list)
    """The arguments of each Glue job run, as the job's main(argv) got them."""
    extract_events: list[dict[str, Any]] = field(default_factory=list)
    load_events: list[dict[str, Any]] = field(default_factory=list)
    peak: Counter = field(default_factory=Counter)
    """Step, and (step, dataset) -> the most runs of it that were under way at once."""
    _running: Counter = field(default_factory=Counter, repr=False)
    _attempts: Counter = field(default_factory=Counter, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def overrides(self) -> dict[str, Any]:
        return {
            "lambda:extract": self.extract,
            "glue:transform": self.transform,
            "glue:validate": self.validate,
            "lambda:load": self.load,
        }

    def _record(self, step: str, dataset: str, table: str | None = None) -> int:
        """Records the call; returns which attempt of (step, dataset, table) it is, from 1.

        Loads count per table: the Map loads a dataset's tables in parallel, so a count per
        dataset would hand the timeout to whichever table happened to start first."""
        with self._lock:
            self.calls.append((step, dataset))
            self._attempts[step, dataset, table] += 1
            return self._attempts[step, dataset, table]

    def _work(self, step: str, dataset: str) -> None:
        with self._lock:
            for key in (step, (step, dataset)):
                self._running[key] += 1
                self.peak[key] = max(self.peak[key], self._running[key])
        time.sleep(self.hold)
        with self._lock:
            for key in (step, (step, dataset)):
                self._running[key] -= 1

    def extract(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.extract_events.append(event)
        chosen = [name for name in self.destinations if name in (event.get("datasets") or [])]
        chosen = chosen or list(self.destinations)
        return {
            "batch_id": BASE,
            "datasets": [self._batch(name) for name in chosen],
            "file_count": len(chosen),
            "has_work": True,
            "unclaimed_files": [],
            "parked_files": [],
            "parked_count": 0,
        }

    def _batch(self, name: str) -> dict[str, Any]:
        batch_id = f"{BASE}-{name}"
        return {
            "dataset": name,
            "batch_id": batch_id,
            "manifest_uri": f"{self.lake.root}/manifests/{batch_id}.json",
            "file_count": 1,
            "tables": ["items"],
            "destinations": {d: d in self.destinations[name] for d in ("warehouse", "catalog")},
            "summary": {"bucket": "local-lake", "key": f"validation/{batch_id}/summary.json"},
            "commit": {"bucket": "local-lake", "key": f"manifests/{batch_id}.committed.json"},
            "failure": {"bucket": "local-lake", "key": f"manifests/{batch_id}.failed.json"},
            "previous_batch_id": None,
        }

    def transform(self, argv: list[str]) -> int:
        args = _arguments(argv)
        self.job_arguments.append(args)
        dataset, batch_id = args["--dataset"], args["--batch_id"]
        attempt = self._record("transform", dataset)
        if attempt <= self.throttled_transform.get(dataset, 0):
            raise ServiceError(
                "glue", "ConcurrentRunsExceededException", "Concurrent runs exceeded"
            )
        self._work("transform", dataset)
        if dataset in self.failing_transform:
            raise TransformBroke(f"{dataset}'s transform broke")
        report = {"raw": {"items": {"quarantined": self.quarantined.get(dataset, 0)}}}
        self.lake.write_json(
            self.lake.uri("curated", dataset, "_reports", f"batch_id={batch_id}", "transform.json"),
            report,
        )
        return 0

    def validate(self, argv: list[str]) -> int:
        args = _arguments(argv)
        self.job_arguments.append(args)
        dataset, batch_id = args["--dataset"], args["--batch_id"]
        self._record("validate", dataset)
        success = dataset not in self.failing_validation
        loads = []
        for table in self.tables:
            folder = Path(self.lake.root) / "curated" / dataset / table / f"batch_id={batch_id}"
            folder.mkdir(parents=True, exist_ok=True)
            rows = [{"a_key": 1}, {"a_key": 2}]
            pq.write_table(pa.Table.from_pylist(rows), folder / "p.parquet")
            loads.append({"dataset": dataset, "table": table, "curated_uri": str(folder)})
        summary = {
            "batch_id": batch_id,
            "success": success,
            "tables": {table: {"success": success} for table in self.tables},
            "loads": loads,
            "set_aside": {"held": {}, "parked_files": []},
        }
        self.lake.write_json(self.lake.uri("validation", batch_id, "summary.json"), summary)
        return 0

    def load(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self._lock:
            self.load_events.append(event)
        attempt = self._record("load", event["dataset"], event["table"])
        self._work("load", event["dataset"])
        if attempt <= self.timed_out_load.get(event["table"], 0):
            raise RedshiftTimeoutError(f"statement on {event['table']} timed out")
        return {
            "dataset": event["dataset"],
            "table": event["table"],
            "rows_staged": 2,
            "inserted": 2,
            "updated": 0,
            "skipped": False,
        }


def _arguments(argv: list[str]) -> dict[str, str]:
    return dict(zip(argv[::2], argv[1::2], strict=True))
