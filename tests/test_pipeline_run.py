"""End to end: the real definition, extract and load Lambdas and Glue jobs, on a local lake at
scale 0.01 into DuckDB. One lake for the module: a full run, then a permanent failure on the
next batch, then a run that recovers the failed batch through a flaky transform."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

import pytest

from orchestration.engine import ExecutionResult, RunRequest, run_execution
from orchestration.engine.handlers import ServiceError
from orchestration.lake import Lake
from orchestration.lambdas.extract import extract, is_committed
from orchestration.settings import Settings

TABLES = ("fact_sales", "dim_customer", "dim_supplier", "dim_part", "dim_date")
TIME_SCALE = 0.01


@dataclass
class Pipeline:
    settings: Settings
    lake: Lake

    def run(self, request: RunRequest | None = None, **overrides) -> ExecutionResult:
        return run_execution(
            self.settings, request or RunRequest(time_scale=TIME_SCALE), overrides=overrides
        )

    def warehouse(self) -> dict[str, object]:
        """Row counts of every table, and the audit trail."""
        import duckdb

        path = self.settings.warehouse.removeprefix("duckdb:///")
        with duckdb.connect(path, read_only=True) as connection:
            counts = {
                table: connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                for table in TABLES
            }
            audit = connection.execute(
                "SELECT batch_id, count(*) FROM etl_load_audit GROUP BY 1 ORDER BY 1"
            ).fetchall()
        return {"counts": counts, "audit": audit}

    def report(self, batch_id: str) -> dict:
        return self.lake.read_json(
            self.lake.uri("curated", "_reports", f"batch_id={batch_id}", "transform.json")
        )

    def outbox(self, kind: str) -> list[dict]:
        path = self.settings.home / "outbox" / f"{kind}.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Pipeline:
    from orchestration.seed import seed

    root = tmp_path_factory.mktemp("pipeline")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SFN_ETL_LAKE", str(root / "lake"))
        patch.setenv("SFN_ETL_HOME", str(root / "home"))
        patch.delenv("SFN_ETL_WAREHOUSE", raising=False)
        settings = Settings.from_env()
        seed(settings.open_lake(), scale=0.01, batches=3, only_batches={1, 2})
        yield Pipeline(settings, settings.open_lake())


@pytest.fixture(scope="module")
def full_run(pipeline) -> ExecutionResult:
    return pipeline.run()


@dataclass
class FailedRun:
    result: ExecutionResult
    warehouse_before: dict


@pytest.fixture(scope="module")
def failed_run(pipeline, full_run) -> FailedRun:
    """Batch 3 lands; its transform fails for good."""
    from orchestration.seed import seed

    seed(pipeline.lake, scale=0.01, batches=3, only_batches={3})
    before = pipeline.warehouse()

    def broken_transform(argv):
        raise OSError("No space left on device: curated/fact_sales")

    request = RunRequest(input={"max_concurrency": 2, "note": "nightly"}, time_scale=TIME_SCALE)
    result = pipeline.run(request, **{"glue:transform": broken_transform})
    return FailedRun(result, before)


@pytest.fixture(scope="module")
def recovered_run(pipeline, failed_run) -> ExecutionResult:
    """Glue throttles the transform twice, then runs the real job."""
    from jobs import transform

    attempts = []

    def throttled_twice(argv):
        attempts.append(argv)
        if len(attempts) <= 2:
            raise ServiceError(
                "glue", "ConcurrentRunsExceededException", "Concurrent runs exceeded"
            )
        return transform.main(argv)

    return pipeline.run(**{"glue:transform": throttled_twice})


def _batch(result: ExecutionResult) -> dict:
    exited = [e for e in result.events if e["type"] == "TaskStateExited"]
    extract_exit = next(e for e in exited if e["stateExitedEventDetails"]["name"] == "Extract")
    return json.loads(extract_exit["stateExitedEventDetails"]["output"])["batch"]


def test_a_full_local_run_at_scale_001_succeeds_and_loads_the_warehouse(pipeline, full_run):
    assert full_run.status == "SUCCEEDED"
    batch = _batch(full_run)
    report = pipeline.report(batch["batch_id"])
    warehouse = pipeline.warehouse()
    assert warehouse["counts"] == {table: report["curated"][table]["written"] for table in TABLES}
    assert warehouse["counts"]["fact_sales"] > 0
    assert warehouse["audit"] == [(batch["batch_id"], len(TABLES))]
    assert is_committed(pipeline.lake, batch["batch_id"])
    loads = {load["table"]: load for load in full_run.output["load"]["tables"]}
    assert sorted(loads) == sorted(TABLES)
    assert [m["Subject"] for m in pipeline.outbox("sns")] == ["sfn-etl: batch committed"]


def test_a_permanent_failure_notifies_dead_letters_and_leaves_warehouse_and_bookmark(
    pipeline, failed_run
):
    result = failed_run.result
    assert (result.status, result.record["error"]) == ("FAILED", "States.TaskFailed")
    job_run = json.loads(result.record["cause"])
    assert job_run["ErrorMessage"] == "OSError: No space left on device: curated/fact_sales"

    notice = json.loads(pipeline.outbox("sns")[-1]["Message"])
    assert (notice["status"], notice["error"]) == ("FAILED", "States.TaskFailed")
    assert "No space left on device" in notice["cause"]
    dead_letter = json.loads(pipeline.outbox("sqs")[-1]["MessageBody"])
    assert dead_letter["input"] == {"max_concurrency": 2, "note": "nightly"}
    assert dead_letter["execution"] == result.record["executionArn"]

    assert pipeline.warehouse() == failed_run.warehouse_before
    assert not is_committed(pipeline.lake, _batch(result)["batch_id"])


def test_the_next_run_retries_a_throttled_transform_and_loads_the_files_left_uncommitted(
    pipeline, failed_run, recovered_run
):
    assert recovered_run.status == "SUCCEEDED"
    failed_files = pipeline.lake.read_json(_batch(failed_run.result)["manifest_uri"])["files"]
    recovered = _batch(recovered_run)
    recovered_files = pipeline.lake.read_json(recovered["manifest_uri"])["files"]
    assert [f["uri"] for f in recovered_files] == [f["uri"] for f in failed_files]

    retries = [
        e["retryScheduledEventDetails"]
        for e in recovered_run.events
        if e["type"] == "RetryScheduled"
    ]
    assert [(r["name"], r["error"], r["retryCount"]) for r in retries] == [
        ("Transform", "Glue.ConcurrentRunsExceededException", 1),
        ("Transform", "Glue.ConcurrentRunsExceededException", 2),
    ]
    for retry, cap in zip(retries, (10, 20), strict=True):
        assert 0 <= retry["delaySeconds"] <= cap
        assert retry["sleptSeconds"] == pytest.approx(retry["delaySeconds"] * TIME_SCALE, abs=0.001)

    warehouse = pipeline.warehouse()
    assert warehouse["counts"]["fact_sales"] == (
        failed_run.warehouse_before["counts"]["fact_sales"]
        + pipeline.report(recovered["batch_id"])["curated"]["fact_sales"]["written"]
    )
    assert is_committed(pipeline.lake, recovered["batch_id"])


def test_a_run_with_nothing_new_succeeds_without_starting_spark(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    lake.write_text(lake.uri("raw", "tpch", "region", "ingest_date=2025-01-01", "region.tbl"), "0|")
    batch = extract(lake, batch_id="done")
    lake.write_json(lake.uri(batch["commit"]["key"]), {"tables": []})
    # Other CLI commands may import pyspark modules; what must not happen is a JVM (a gateway).
    probe = (
        "import sys; from orchestration.cli import main; code = main(['run', '--json']); "
        "context = sys.modules.get('pyspark.context'); "
        "assert context is None or context.SparkContext._gateway is None, 'Spark started'; "
        "sys.exit(code)"
    )
    env = {**os.environ, "SFN_ETL_LAKE": lake.root, "SFN_ETL_HOME": str(tmp_path / "home")}
    env.pop("SFN_ETL_WAREHOUSE", None)
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env
    )
    assert completed.returncode == 0, completed.stderr
    summary = json.loads(completed.stdout)
    assert (summary["status"], summary["batch_id"], summary["files"]) == ("SUCCEEDED", None, 0)
    history = tmp_path / "home" / "executions" / summary["execution"] / "history.jsonl"
    types = [json.loads(line)["type"] for line in history.read_text().splitlines()]
    assert "TaskScheduled" in types  # Extract ran
    assert types[-3:] == ["SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"]
    assert not any("glue" in line for line in history.read_text().splitlines())
