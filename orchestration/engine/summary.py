"""What an execution of the pipeline did: batch, loads, quarantine, validation verdict.

Read from the execution's history (outputs of Extract, ReadValidationSummary and Load) and from
the batch's transform report in the lake, so it works for failed executions too.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from orchestration.lake import CURATED, Lake, LakeError

REPORT_PATH = ("_reports", "batch_id={batch_id}", "transform.json")
"""<lake>/curated/_reports/batch_id=<id>/transform.json, as in CONTRACTS.md."""


def summarize(record: dict[str, Any], events: list[dict[str, Any]], lake: Lake) -> dict[str, Any]:
    outputs = _state_outputs(events)
    batch = (outputs.get("Extract") or {}).get("batch") or {}
    batch_id = batch.get("batch_id")
    validation = (outputs.get("ReadValidationSummary") or {}).get("validation", {}).get("summary")
    loads = ((outputs.get("Load") or {}).get("load") or {}).get("tables", [])
    summary: dict[str, Any] = {
        "execution": record["name"],
        "status": record["status"],
        "duration_seconds": _duration(record),
        "batch_id": batch_id,
        "files": batch.get("file_count", 0),
        "validation": _verdict(validation, record),
        "tables": {load["table"]: _without(load, "table") for load in loads},
        "quarantined": _quarantined(lake, batch_id),
        "committed": "Commit" in outputs,
    }
    if record.get("error"):
        summary["error"] = record["error"]
        summary["cause"] = record.get("cause")
    return summary


def _state_outputs(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The last output of each state that exited, by state name."""
    outputs = {}
    for event in events:
        details = event.get("stateExitedEventDetails")
        if details:
            try:
                outputs[details["name"]] = json.loads(details.get("output") or "null")
            except json.JSONDecodeError:
                outputs[details["name"]] = None
    return outputs


def _verdict(validation: dict[str, Any] | None, record: dict[str, Any]) -> str:
    if validation is None:
        return "not run"
    if validation.get("success"):
        return "passed"
    failed = sorted(t for t, r in validation.get("tables", {}).items() if not r.get("success"))
    return "failed" + (f" ({', '.join(failed)})" if failed else "")


def _quarantined(lake: Lake, batch_id: str | None) -> dict[str, int]:
    if not batch_id:
        return {}
    path = (CURATED, *(part.format(batch_id=batch_id) for part in REPORT_PATH))
    try:
        report = lake.read_json(lake.uri(*path))
    except LakeError:
        return {}
    return {table: int(counts.get("quarantined", 0)) for table, counts in report["raw"].items()}


def _duration(record: dict[str, Any]) -> float | None:
    if not record.get("stopDate"):
        return None
    started = datetime.fromisoformat(record["startDate"])
    stopped = datetime.fromisoformat(record["stopDate"])
    return round((stopped - started).total_seconds(), 2)


def _without(mapping: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != key}
