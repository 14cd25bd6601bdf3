"""What an execution of the pipeline did, per dataset: outcome, loads, quarantine, verdict.

Read from the execution's history (the outputs of Extract and of the ProcessDatasets Map) and
from each dataset batch's transform report and validation summary in the lake, so it works for
failed executions too.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from orchestration.core.lake import Lake, LakeError
from orchestration.core.layout import report_uri, summary_uri


def summarize_execution(record: dict[str, Any]) -> dict[str, Any]:
    """What any execution did, whatever its definition: status, duration, output or error."""
    summary: dict[str, Any] = {
        "execution": record["name"],
        "status": record["status"],
        "duration_seconds": _duration(record),
    }
    if "output" in record:
        summary["output"] = json.loads(record["output"])
    if record.get("error"):
        summary["error"] = record["error"]
        summary["cause"] = record.get("cause")
    return summary


def summarize(record: dict[str, Any], events: list[dict[str, Any]], lake: Lake) -> dict[str, Any]:
    outputs = _state_outputs(events)
    batch = (outputs.get("Extract") or {}).get("batch") or {}
    outcomes = {
        outcome["dataset"]: outcome
        for outcome in (outputs.get("ProcessDatasets") or {}).get("outcomes") or []
    }
    summary: dict[str, Any] = {
        "execution": record["name"],
        "status": record["status"],
        "duration_seconds": _duration(record),
        "batch_id": batch.get("batch_id"),
        "files": batch.get("file_count", 0),
        "unclaimed_files": batch.get("unclaimed_files") or [],
        "parked_files": batch.get("parked_files") or [],
        "datasets": {
            item["dataset"]: _dataset(lake, item, outcomes.get(item["dataset"]))
            for item in batch.get("datasets") or []
        },
    }
    if record.get("error"):
        summary["error"] = record["error"]
        summary["cause"] = record.get("cause")
    return summary


def _dataset(lake: Lake, item: dict[str, Any], outcome: dict[str, Any] | None) -> dict[str, Any]:
    batch_id = item["batch_id"]
    entry: dict[str, Any] = {
        "batch_id": batch_id,
        "files": item.get("file_count", 0),
        "status": (outcome or {}).get("status", "not finished"),
        "validation": _verdict(_read(lake, summary_uri(lake, batch_id))),
        "tables": {
            load["table"]: _without(load, "table", "dataset")
            for load in (outcome or {}).get("loads") or []
        },
        "catalog_partitions": len((outcome or {}).get("partitions") or []),
    }
    entry.update(_rows_set_aside(_read(lake, report_uri(lake, item["dataset"], batch_id))))
    if outcome and outcome.get("status") == "failed":
        entry["error"] = outcome.get("error")
        entry["cause"] = outcome.get("cause")
    return entry


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


def _read(lake: Lake, uri: str) -> dict[str, Any] | None:
    try:
        return lake.read_json(uri)
    except LakeError:
        return None


def _verdict(validation: dict[str, Any] | None) -> str:
    if validation is None:
        return "not run"
    if validation.get("success"):
        return "passed"
    failed = sorted(t for t, r in validation.get("tables", {}).items() if not r.get("success"))
    return "failed" + (f" ({', '.join(failed)})" if failed else "")


def _rows_set_aside(report: dict[str, Any] | None) -> dict[str, Any]:
    """Quarantined and held rows by raw table, and the files the transform parked."""
    raw = (report or {}).get("raw", {})
    return {
        "quarantined": {table: int(c.get("quarantined", 0)) for table, c in raw.items()},
        "held": {table: int(c.get("held", 0)) for table, c in raw.items()},
        "parked_files": (report or {}).get("parked_files", []),
    }


def _duration(record: dict[str, Any]) -> float | None:
    if not record.get("stopDate"):
        return None
    started = datetime.fromisoformat(record["startDate"])
    stopped = datetime.fromisoformat(record["stopDate"])
    return round((stopped - started).total_seconds(), 2)


def _without(mapping: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k not in keys}
