"""A stand-in for the pipeline's Lambdas and Glue jobs, for running the real definition through
the engine without Spark: `LocalServices.overrides` for extract, transform, validate and load.

Each declared dataset gets a batch `<base>-<dataset>`. Validate writes what the real job writes
for the state machine to read (validation/<batch>/summary.json, a Parquet file per table), so
ReadValidationSummary, Deliver, the catalog registration and Commit all run for real.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.lake import Lake

BASE = "b1"


class TransformBroke(RuntimeError):
    pass


@dataclass
class FakePipeline:
    lake: Lake
    destinations: dict[str, tuple[str, ...]]
    """Dataset name -> its destinations, in the order Extract lists them."""
    failing_transform: frozenset[str] = frozenset()
    failing_validation: frozenset[str] = frozenset()
    quarantined: dict[str, int] = field(default_factory=dict)
    """Dataset -> rows its transform report says were quarantined (raw table `items`)."""
    table: str = "dim_a"
    calls: list[tuple[str, str]] = field(default_factory=list)
    """(step, dataset) in the order the steps ran."""
    extract_events: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def overrides(self) -> dict[str, Any]:
        return {
            "lambda:extract": self.extract,
            "glue:transform": self.transform,
            "glue:validate": self.validate,
            "lambda:load": self.load,
        }

    def _record(self, step: str, dataset: str) -> None:
        with self._lock:
            self.calls.append((step, dataset))

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
        }

    def transform(self, argv: list[str]) -> int:
        args = _arguments(argv)
        dataset, batch_id = args["--dataset"], args["--batch_id"]
        self._record("transform", dataset)
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
        dataset, batch_id = args["--dataset"], args["--batch_id"]
        self._record("validate", dataset)
        folder = Path(self.lake.root) / "curated" / dataset / self.table / f"batch_id={batch_id}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist([{"a_key": 1}, {"a_key": 2}]), folder / "p.parquet")
        success = dataset not in self.failing_validation
        summary = {
            "batch_id": batch_id,
            "success": success,
            "tables": {self.table: {"success": success}},
            "loads": [{"dataset": dataset, "table": self.table, "curated_uri": str(folder)}],
        }
        self.lake.write_json(self.lake.uri("validation", batch_id, "summary.json"), summary)
        return 0

    def load(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self._record("load", event["dataset"])
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
