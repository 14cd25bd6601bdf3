"""The run summary, per dataset: read from the history (Extract and the ProcessDatasets Map)
and from each dataset batch's transform report and validation summary in the lake."""

from __future__ import annotations

import json

from orchestration.core.lake import Lake
from orchestration.engine.summary import summarize

RECORD = {
    "name": "run-1",
    "status": "SUCCEEDED",
    "startDate": "2025-01-01T00:00:00.000+00:00",
    "stopDate": "2025-01-01T00:00:31.250+00:00",
}


def _exited(kind: str, name: str, output: dict) -> dict:
    details = {"name": name, "output": json.dumps(output)}
    return {"type": f"{kind}StateExited", "stateExitedEventDetails": details}


def _item(dataset: str, batch_id: str, files: int) -> dict:
    """A dataset's entry in Extract's output, as the Map iterates over it."""
    return {
        "dataset": dataset,
        "batch_id": batch_id,
        "manifest_uri": f"/lake/manifests/{batch_id}.json",
        "file_count": files,
        "tables": ["orders"],
        "destinations": {"warehouse": True, "catalog": True},
    }


def test_a_committed_dataset_and_a_failed_one_are_each_reported_with_their_own_outcome(tmp_path):
    lake = Lake(str(tmp_path))
    lake.write_json(
        lake.uri("curated", "tpch", "_reports", "batch_id=b1-tpch", "transform.json"),
        {
            "raw": {"lineitem": {"quarantined": 3, "held": 2}, "orders": {"quarantined": 0}},
            "parked_files": [{"path": "tpch/orders/x.tbl", "table": "orders",
                              "reason": "unreadable: not a gzip file", "lines": 0}],
        },
    )  # fmt: skip
    lake.write_json(lake.uri("validation", "b1-tpch", "summary.json"), {"success": True})
    lake.write_json(
        lake.uri("curated", "nycflights13", "_reports", "batch_id=b1-nycflights13",
                 "transform.json"),
        {"raw": {"flights": {"quarantined": 2}}},
    )  # fmt: skip
    failed_validation = {
        "success": False,
        "tables": {"fact_flights": {"success": False}, "dim_carrier": {"success": True}},
    }
    lake.write_json(lake.uri("validation", "b1-nycflights13", "summary.json"), failed_validation)
    load = {"dataset": "tpch", "table": "fact_sales", "rows_staged": 10, "inserted": 9,
            "updated": 1, "skipped": False}  # fmt: skip
    partition = {"database": "tpch", "table": "fact_sales", "batch_id": "b1-tpch"}
    outcomes = [
        {"dataset": "tpch", "batch_id": "b1-tpch", "status": "committed", "loads": [load],
         "partitions": [partition, {**partition, "table": "dim_part"}]},
        {"dataset": "nycflights13", "batch_id": "b1-nycflights13", "status": "failed",
         "error": "ValidationFailed", "cause": "Validation failed for nycflights13"},
    ]  # fmt: skip
    batch = {
        "batch_id": "b1",
        "file_count": 9,
        "unclaimed_files": [],
        "parked_files": [{"path": "tpch/notes/a.txt", "dataset": "tpch", "table": None,
                          "reason": "no raw table of tpch is declared for folder tpch/notes"}],
        "datasets": [_item("nycflights13", "b1-nycflights13", 2), _item("tpch", "b1-tpch", 7)],
    }  # fmt: skip
    events = [
        _exited("Task", "Extract", {"batch": batch}),
        _exited("Task", "Transform", {"batch": _item("tpch", "b1-tpch", 7)}),
        _exited("Map", "ProcessDatasets", {"batch": batch, "outcomes": outcomes}),
    ]
    record = {**RECORD, "status": "FAILED", "error": "DatasetsFailed", "cause": "[...]"}

    assert summarize(record, events, lake) == {
        "execution": "run-1",
        "status": "FAILED",
        "duration_seconds": 31.25,
        "batch_id": "b1",
        "files": 9,
        "unclaimed_files": [],
        "parked_files": [
            {
                "path": "tpch/notes/a.txt",
                "dataset": "tpch",
                "table": None,
                "reason": "no raw table of tpch is declared for folder tpch/notes",
            }
        ],
        "datasets": {
            "nycflights13": {
                "batch_id": "b1-nycflights13",
                "files": 2,
                "status": "failed",
                "validation": "failed (fact_flights)",
                "tables": {},
                "catalog_partitions": 0,
                "quarantined": {"flights": 2},
                "held": {"flights": 0},
                "parked_files": [],
                "error": "ValidationFailed",
                "cause": "Validation failed for nycflights13",
            },
            "tpch": {
                "batch_id": "b1-tpch",
                "files": 7,
                "status": "committed",
                "validation": "passed",
                "tables": {
                    "fact_sales": {"rows_staged": 10, "inserted": 9, "updated": 1, "skipped": False}
                },
                "catalog_partitions": 2,
                "quarantined": {"lineitem": 3, "orders": 0},
                "held": {"lineitem": 2, "orders": 0},
                "parked_files": [
                    {
                        "path": "tpch/orders/x.tbl",
                        "table": "orders",
                        "reason": "unreadable: not a gzip file",
                        "lines": 0,
                    }
                ],
            },
        },
        "error": "DatasetsFailed",
        "cause": "[...]",
    }


def test_nothing_new_has_no_batch_and_lists_the_raw_files_no_dataset_claims(tmp_path):
    unclaimed = ["/lake/raw/crm/contacts/contacts.csv", "/lake/raw/notes.txt"]
    batch = {"batch_id": None, "datasets": [], "file_count": 0, "has_work": False,
             "unclaimed_files": unclaimed}  # fmt: skip
    events = [_exited("Task", "Extract", {"batch": batch}), _exited("Succeed", "NothingNew", {})]

    result = summarize(RECORD, events, Lake(str(tmp_path)))

    assert (result["batch_id"], result["files"], result["datasets"]) == (None, 0, {})
    assert result["unclaimed_files"] == unclaimed
    assert "error" not in result


def test_a_failed_extract_reports_the_executions_error_and_no_dataset(tmp_path):
    caught = {"config": {"datasets": []}, "error": {"Error": "KeyError", "Cause": "'x'"}}
    events = [_exited("Task", "Extract", caught), _exited("Task", "NotifyFailure", caught)]
    record = {**RECORD, "status": "FAILED", "error": "KeyError", "cause": "'x'"}

    assert summarize(record, events, Lake(str(tmp_path))) == {
        "execution": "run-1",
        "status": "FAILED",
        "duration_seconds": 31.25,
        "batch_id": None,
        "files": 0,
        "unclaimed_files": [],
        "parked_files": [],
        "datasets": {},
        "error": "KeyError",
        "cause": "'x'",
    }


def test_a_dataset_whose_iteration_never_ended_is_not_finished_and_its_validation_not_run(
    tmp_path,
):
    batch = {"batch_id": "b2", "file_count": 1, "unclaimed_files": [],
             "datasets": [_item("tpch", "b2-tpch", 1)]}  # fmt: skip
    running = {key: value for key, value in RECORD.items() if key != "stopDate"}
    events = [_exited("Task", "Extract", {"batch": batch})]

    result = summarize({**running, "status": "RUNNING"}, events, Lake(str(tmp_path)))

    assert result["duration_seconds"] is None
    assert result["datasets"] == {
        "tpch": {
            "batch_id": "b2-tpch",
            "files": 1,
            "status": "not finished",
            "validation": "not run",
            "tables": {},
            "catalog_partitions": 0,
            "quarantined": {},
            "held": {},
            "parked_files": [],
        }
    }
