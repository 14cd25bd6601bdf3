"""The run summary, read from the history and the batch's transform report."""

from __future__ import annotations

import json

from orchestration.engine.summary import summarize
from orchestration.lake import Lake

RECORD = {
    "name": "run-1",
    "status": "SUCCEEDED",
    "startDate": "2025-01-01T00:00:00.000+00:00",
    "stopDate": "2025-01-01T00:00:31.250+00:00",
}


def _exited(name: str, output: dict) -> dict:
    details = {"name": name, "output": json.dumps(output)}
    return {"type": "TaskStateExited", "stateExitedEventDetails": details}


def test_a_succeeded_run_reports_loads_quarantine_and_verdict(tmp_path):
    lake = Lake(str(tmp_path))
    lake.write_json(
        lake.uri("curated", "_reports", "batch_id=b1", "transform.json"),
        {"raw": {"lineitem": {"quarantined": 3}, "orders": {"quarantined": 0}}},
    )
    load = {"table": "fact_sales", "rows_staged": 10, "inserted": 9, "updated": 1, "skipped": False}
    events = [
        _exited("Extract", {"batch": {"batch_id": "b1", "file_count": 7}}),
        _exited("ReadValidationSummary", {"validation": {"summary": {"success": True}}}),
        _exited("Load", {"load": {"tables": [load]}}),
        _exited("Commit", {}),
    ]
    assert summarize(RECORD, events, lake) == {
        "execution": "run-1",
        "status": "SUCCEEDED",
        "duration_seconds": 31.25,
        "batch_id": "b1",
        "files": 7,
        "validation": "passed",
        "tables": {
            "fact_sales": {"rows_staged": 10, "inserted": 9, "updated": 1, "skipped": False}
        },
        "quarantined": {"lineitem": 3, "orders": 0},
        "committed": True,
    }


def test_a_failed_validation_names_the_failing_tables_and_nothing_is_committed(tmp_path):
    summary = {"success": False, "tables": {"dim_part": {"success": False}, "x": {"success": True}}}
    record = {**RECORD, "status": "FAILED", "error": "ValidationFailed", "cause": "see summary"}
    events = [
        _exited("Extract", {"batch": {"batch_id": "b2", "file_count": 2}}),
        _exited("ReadValidationSummary", {"validation": {"summary": summary}}),
    ]
    result = summarize(record, events, Lake(str(tmp_path)))
    assert (result["validation"], result["committed"], result["tables"]) == (
        "failed (dim_part)",
        False,
        {},
    )
    assert (result["error"], result["cause"], result["quarantined"]) == (
        "ValidationFailed",
        "see summary",
        {},
    )


def test_nothing_new_has_no_batch_and_validation_not_run(tmp_path):
    events = [_exited("Extract", {"batch": {"batch_id": None, "file_count": 0}})]
    result = summarize(RECORD, events, Lake(str(tmp_path)))
    assert (result["batch_id"], result["files"], result["validation"]) == (None, 0, "not run")
