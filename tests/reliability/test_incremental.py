"""Incremental batches at scale 0.001: three batches in one run, each file exactly once; a fourth
batch whose validation fails changes nothing and commits nothing; fixed, it loads alone."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.core.lake import Lake
from orchestration.core.layout import (
    commit_marker_uri,
    manifest_uri,
    raw_file_uri,
    summary_bucket_key,
    summary_uri,
)
from orchestration.core.settings import Settings
from orchestration.engine import ExecutionResult, RunRequest, run_execution
from tests.reliability.warehouse_state import (
    TPCH_ONLY,
    audit_rows,
    checksums,
    committed_batches,
    committed_files,
    raw_files,
)

pytestmark = pytest.mark.reliability

SCALE = 0.001


@dataclass
class Runs:
    settings: Settings
    three: ExecutionResult
    three_checksums: dict
    invalid: ExecutionResult
    invalid_checksums: dict
    fixed: ExecutionResult

    @property
    def lake(self) -> Lake:
        return self.settings.open_lake()


BATCH_4 = "ingest_date=2025-01-04"


def _rows(lake: Lake, table: str, batch_4: bool = True) -> int:
    """Lines of the table's raw files (with or without the fourth batch's)."""
    return sum(
        len(Path(uri).read_text().splitlines())
        for uri in raw_files(lake)
        if f"/tpch/{table}/" in uri and (batch_4 or BATCH_4 not in uri)
    )


def _batch_id(result: ExecutionResult) -> str:
    """The id of the execution's one dataset batch, TPC-H's: `<execution batch>-tpch`."""
    exited = [e for e in result.events if e["type"] == "TaskStateExited"]
    extract = next(e for e in exited if e["stateExitedEventDetails"]["name"] == "Extract")
    batch = json.loads(extract["stateExitedEventDetails"]["output"])["batch"]
    (tpch,) = batch["datasets"]
    assert (tpch["dataset"], tpch["batch_id"]) == ("tpch", f"{batch['batch_id']}-tpch")
    return tpch["batch_id"]


def _manifest_files(lake: Lake, result_or_batch) -> list[str]:
    batch_id = result_or_batch if isinstance(result_or_batch, str) else _batch_id(result_or_batch)
    files = lake.read_json(manifest_uri(lake, batch_id))["files"]
    return sorted(raw_file_uri(lake, f["path"]) for f in files)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, spark) -> Runs:
    from transforms.tpch.seed import seed

    root = tmp_path_factory.mktemp("incremental")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SFN_ETL_LAKE", str(root / "lake"))
        patch.setenv("SFN_ETL_HOME", str(root / "home"))
        patch.delenv("SFN_ETL_WAREHOUSE", raising=False)
        settings = Settings.from_env()
        lake = settings.open_lake()

        def run() -> ExecutionResult:
            return run_execution(settings, RunRequest(input=TPCH_ONLY, time_scale=0.01))

        seed(lake, scale=SCALE, batches=4, only_batches={1, 2, 3})
        three = run()
        three_checksums = checksums(settings)

        seed(lake, scale=SCALE, batches=4, only_batches={4})
        lineitem = next(Path(u) for u in raw_files(lake) if f"lineitem/{BATCH_4}" in u)
        good = lineitem.read_text()
        lines = good.splitlines()
        # Quantity 99 breaks the quantity rule (1..50): each such line is quarantined, and 40
        # of them are more than the batch's quarantine allows (1% of its lines, at least 10).
        for number, line in enumerate(lines[:40]):
            fields = line.split("|")
            fields[4] = "99"
            lines[number] = "|".join(fields)
        lineitem.write_text("\n".join(lines) + "\n")
        invalid = run()
        invalid_checksums = checksums(settings)

        lineitem.write_text(good)  # the data is fixed: a new etag, so the file is new data
        fixed = run()
        yield Runs(settings, three, three_checksums, invalid, invalid_checksums, fixed)


def test_three_batches_load_every_file_exactly_once_into_the_expected_warehouse(runs):
    assert runs.three.status == "SUCCEEDED"
    lake = runs.lake
    first_three = [u for u in raw_files(lake) if "ingest_date=2025-01-04" not in u]
    assert _manifest_files(lake, runs.three) == first_three
    rows = {table: count for table, (count, _) in runs.three_checksums.items()}
    assert rows["fact_sales"] == _rows(lake, "lineitem", batch_4=False)
    assert (rows["dim_part"], rows["dim_supplier"], rows["dim_customer"]) == (200, 10, 150)
    assert audit_rows(runs.settings)[0][0] == _batch_id(runs.three)


def test_a_batch_failing_validation_changes_nothing_and_stays_uncommitted(runs):
    # The dataset's iteration catches its failure; the execution then fails as a whole.
    batch_id = _batch_id(runs.invalid)
    _, summary_key = summary_bucket_key(runs.lake, batch_id)
    assert (runs.invalid.status, runs.invalid.record["error"]) == ("FAILED", "DatasetsFailed")
    assert json.loads(runs.invalid.record["cause"]) == [
        {
            "dataset": "tpch",
            "batch_id": batch_id,
            "status": "failed",
            "error": "ValidationFailed",
            "cause": f"Validation failed for tpch batch {batch_id}: nothing was loaded; "
            f"see {summary_key}",
        }
    ]
    assert runs.invalid_checksums == runs.three_checksums
    assert committed_batches(runs.lake) == sorted([_batch_id(runs.three), _batch_id(runs.fixed)])
    batch4 = [u for u in raw_files(runs.lake) if BATCH_4 in u]
    assert _manifest_files(runs.lake, batch_id) == batch4
    assert not runs.lake.exists(commit_marker_uri(runs.lake, batch_id))


def test_the_failed_validation_names_the_quarantine_share_check(runs):
    summary = runs.lake.read_json(summary_uri(runs.lake, _batch_id(runs.invalid)))
    assert summary["success"] is False
    assert "expect_quarantined_share_to_be_at_most" in json.dumps(summary)


def test_the_fixed_batch_loads_alone_nothing_lost_nothing_duplicated(runs):
    assert runs.fixed.status == "SUCCEEDED"
    lake = runs.lake
    batch4 = [u for u in raw_files(lake) if BATCH_4 in u]
    assert _manifest_files(lake, runs.fixed) == batch4
    assert committed_files(lake) == raw_files(lake)  # every file once, none twice
    after = checksums(runs.settings)
    assert after["fact_sales"][0] == _rows(lake, "lineitem")
    assert after["dim_customer"][0] == 150
    assert after["dim_customer"][1] != runs.three_checksums["dim_customer"][1]  # revisions
    loads = [(batch, table) for batch, table, _ in audit_rows(runs.settings)]
    assert len(loads) == len(set(loads))
    assert {batch for batch, _ in loads} == {_batch_id(runs.three), _batch_id(runs.fixed)}
