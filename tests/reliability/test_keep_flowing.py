"""Keep flowing, end to end: the real definition, Lambdas and Glue jobs, day after day on the
tests' `late` (orders and lines that arrive out of order) and `tiny` (shops and sales) datasets.

Each day lands what real deltas bring — lines before their order, a sales delta without its
shops, a stray folder, a file name with brackets, single bad rows of every kind, a 20 MB field,
a drifted file, a batch that keeps failing — and the test asserts the exact rows that land, are
held, quarantined or parked, then that the next day's good files load.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.core.lake import Lake
from orchestration.core.layout import commit_marker_uri, report_uri
from orchestration.core.parked import parked_files
from orchestration.core.settings import Settings
from orchestration.engine import ExecutionResult, RunRequest, run_execution
from tests.conftest import LATE_SUITES, TINY_SUITES
from transforms.registry import EXTRA_DATASETS_ENV

pytestmark = pytest.mark.reliability

TIME_SCALE = 0.01
HUGE = "x" * (20 * 1024 * 1024)


@dataclass
class Days:
    root: Path
    settings: Settings
    results: dict[str, ExecutionResult]

    @property
    def lake(self) -> Lake:
        return self.settings.open_lake()

    def land(self, path: str, content: bytes | str) -> str:
        """Write a raw file at `path` (relative to the raw zone); the path."""
        target = Path(self.lake.uri("raw", path))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    def run(self, day: str) -> ExecutionResult:
        result = run_execution(self.settings, RunRequest(time_scale=TIME_SCALE))
        self.results[day] = result
        return result

    def sql(self, query: str) -> list[tuple]:
        import duckdb

        path = self.settings.warehouse.removeprefix("duckdb:///")
        with duckdb.connect(path, read_only=True) as connection:
            return connection.execute(query).fetchall()

    def batches(self, day: str) -> dict[str, dict]:
        output = _extract_output(self.results[day])
        return {item["dataset"]: item for item in output["datasets"]}

    def report(self, day: str, dataset: str) -> dict:
        batch_id = self.batches(day)[dataset]["batch_id"]
        return self.lake.read_json(report_uri(self.lake, dataset, batch_id))

    def committed(self, day: str, dataset: str) -> bool:
        batch_id = self.batches(day)[dataset]["batch_id"]
        return self.lake.exists(commit_marker_uri(self.lake, batch_id))

    def quarantined(self, day: str, dataset: str, table: str) -> list[tuple[str, str, str]]:
        import duckdb

        uri = self.report(day, dataset)["raw"][table]["quarantine_uri"]
        rows = duckdb.sql(
            f"SELECT source_file, raw_line, reason FROM read_parquet('{uri}/*.parquet')"
        ).fetchall()
        return sorted((self.lake_path(f), line[:40], reason) for f, line, reason in rows)

    def lake_path(self, uri: str) -> str:
        return uri.removeprefix(self.lake.uri("raw") + "/")

    def facts(self) -> list[tuple]:
        return self.sql("SELECT order_id, line_no, customer, qty FROM late.fact_line ORDER BY 1, 2")


def _extract_output(result: ExecutionResult) -> dict:
    exited = [e for e in result.events if e["type"] == "TaskStateExited"]
    extract = next(e for e in exited if e["stateExitedEventDetails"]["name"] == "Extract")
    return json.loads(extract["stateExitedEventDetails"]["output"])["batch"]


def _outcomes(result: ExecutionResult) -> dict[str, str]:
    exited = [e for e in result.events if e["type"] == "MapStateExited"]
    output = json.loads(exited[-1]["stateExitedEventDetails"]["output"])
    return {o["dataset"]: o["status"] for o in output["outcomes"]}


@pytest.fixture(scope="module")
def days(tmp_path_factory, spark):
    root = tmp_path_factory.mktemp("keep_flowing")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(
            EXTRA_DATASETS_ENV,
            f"tests.datasets.late={LATE_SUITES},tests.datasets.tiny={TINY_SUITES}",
        )
        patch.setenv("SFN_ETL_LAKE", str(root / "lake"))
        patch.setenv("SFN_ETL_HOME", str(root / "home"))
        patch.delenv("SFN_ETL_WAREHOUSE", raising=False)
        patch.delenv("SFN_ETL_CATALOG", raising=False)
        yield Days(root, Settings.from_env(), {})


@pytest.fixture(scope="module")
def day1(days) -> Days:
    """Orders 1 and 2; a line of order 3, which has not arrived; a stray folder; shops and a
    sale."""
    days.land("late/orders/ingest_date=2025-01-01/orders.csv", "1,ann\n2,bob\n")
    days.land("late/lines/ingest_date=2025-01-01/lines.csv", "1,1,5\n3,1,2\n")
    days.land("late/returns/ingest_date=2025-01-01/returns.csv", "1,1\n")
    days.land("tiny/shops/ingest_date=2025-01-01/shops.csv", "shop_id,name\n1,north\n2,south\n")
    days.land(
        "tiny/sales/ingest_date=2025-01-01/sales.csv",
        "sale_id,shop_id,amount,sold_on\n10,1,5.00,2025-01-01\n",
    )
    days.run("day1")
    return days


def test_a_line_whose_order_has_not_arrived_is_held_and_the_rest_loads(day1):
    assert day1.results["day1"].status == "SUCCEEDED"
    assert day1.facts() == [(1, 1, "ann", 5)]
    lines = day1.report("day1", "late")["raw"]["lines"]
    assert (lines["read"], lines["held"], lines["quarantined"]) == (2, 1, 0)
    assert day1.committed("day1", "late") and day1.committed("day1", "tiny")


def test_a_file_in_a_folder_no_raw_table_declares_is_parked_and_notified(day1):
    (parked,) = parked_files(day1.lake, "late")
    assert (parked.path, parked.table, parked.reason) == (
        "late/returns/ingest_date=2025-01-01/returns.csv",
        None,
        "no raw table of late is declared for folder late/returns",
    )
    notice = json.loads(_sns(day1)[-1]["Message"])
    assert [p["path"] for p in notice["parked_files"]] == [parked.path]


@pytest.fixture(scope="module")
def day2(day1) -> Days:
    """Yesterday's order's line in a file named with brackets; order 3 (releasing its held
    line), a 20 MB name and order 5; a file of order 5's lines with one bad row of each kind;
    a sales delta without its shops."""
    day1.land("late/lines/ingest_date=2025-01-02/lines [1].csv", "2,1,3\n")
    day1.land("late/orders/ingest_date=2025-01-02/orders.csv", f"3,cyd\n4,{HUGE}\n5,eve\n")
    day1.land(
        "late/lines/ingest_date=2025-01-02/lines.csv",
        b"5,1,1\n5,2,x\n5,3,-1\n5,4,5,extra\n5,5,\xff\n5,6,2\n5,7,3\n5,8,4\n",
    )
    day1.land(
        "tiny/sales/ingest_date=2025-01-02/sales.csv",
        "sale_id,shop_id,amount,sold_on\n11,2,7.00,2025-01-02\n",
    )
    day1.run("day2")
    return day1


def test_lines_of_yesterdays_order_and_the_held_line_load_past_single_bad_rows(day2):
    assert day2.results["day2"].status == "SUCCEEDED"
    assert day2.facts() == [
        (1, 1, "ann", 5),
        (2, 1, "bob", 3),
        (3, 1, "cyd", 2),
        (5, 1, "eve", 1),
        (5, 6, "eve", 2),
        (5, 7, "eve", 3),
        (5, 8, "eve", 4),
    ]
    counts = day2.report("day2", "late")["curated"]["fact_line"]
    assert {k: counts[k] for k in ("read", "held_in", "held", "quarantined", "written")} == {
        "read": 9,
        "held_in": 1,
        "held": 0,
        "quarantined": 4,
        "written": 6,
    }


def test_each_bad_row_is_quarantined_with_its_reason(day2):
    lines = "late/lines/ingest_date=2025-01-02/lines.csv"
    assert day2.quarantined("day2", "late", "lines") == [
        (lines, "5,2,x", "field qty: 'x' is not a valid int"),
        (lines, "5,3,-1", "rule qty_positive: a line orders at least one"),
        (lines, "5,4,5,extra", "expected 3 fields separated by ',', found 4"),
        (lines, "5,5,\ufffd", "line is not valid UTF-8"),
    ]
    orders = "late/orders/ingest_date=2025-01-02/orders.csv"
    assert day2.quarantined("day2", "late", "orders") == [
        (orders, "4," + "x" * 38, "field customer: 20971520 bytes, longer than string(10)")
    ]


def test_a_sales_delta_without_its_shops_finds_the_shops_of_yesterday(day2):
    assert day2.sql(
        "SELECT sale_key, shop_key, amount, sold_on FROM tiny.fact_sale ORDER BY 1"
    ) == [
        (10, 1, Decimal("5.00"), date(2025, 1, 1)),
        (11, 2, Decimal("7.00"), date(2025, 1, 2)),
    ]


@pytest.fixture(scope="module")
def day3(day2) -> Days:
    """A lines file in another layout (four fields on every line) beside good files."""
    day2.land("late/lines/ingest_date=2025-01-03/lines_v2.csv", "6,1,1,x\n6,2,1,x\n")
    day2.land("late/orders/ingest_date=2025-01-03/orders.csv", "6,fay\n")
    day2.land("late/lines/ingest_date=2025-01-03/lines.csv", "6,3,2\n")
    day2.run("day3")
    return day2


def test_a_drifted_file_is_parked_whole_and_the_good_files_beside_it_load(day3):
    assert day3.results["day3"].status == "SUCCEEDED"
    assert day3.facts()[-1] == (6, 3, "fay", 2)
    drifted = "late/lines/ingest_date=2025-01-03/lines_v2.csv"
    parked = {p.path: p for p in parked_files(day3.lake, "late")}
    assert parked[drifted].reason == (
        "2 of 2 lines rejected (more than 50%), e.g. expected 3 fields separated by ',', found 4"
    )
    assert parked[drifted].lines == 2
    assert day3.report("day3", "late")["curated"]["fact_line"]["parked"] == 2
    notice = json.loads(_sns(day3)[-1]["Message"])
    late = next(o for o in notice["datasets"] if o["dataset"] == "late")
    assert late["set_aside"] == {"held": {}, "parked_files": [drifted]}


@pytest.fixture(scope="module")
def failing_days(day3) -> Days:
    """Order 7 with 25 lines, 12 of them malformed: more than the quarantine allows, so the
    batch fails validation, twice (the late dataset's max_attempts); a sale lands each day."""
    lines = "".join(f"7,{n},{'x' if n <= 12 else 1}\n" for n in range(1, 26))
    day3.land("late/lines/ingest_date=2025-01-04/lines.csv", lines)
    day3.land("late/orders/ingest_date=2025-01-04/orders.csv", "7,gus\n")
    for day, sale in (("day4", 12), ("day5", 13)):
        day3.land(
            f"tiny/sales/ingest_date=2025-01-0{day[-1]}/sales.csv",
            f"sale_id,shop_id,amount,sold_on\n{sale},1,1.00,2025-01-04\n",
        )
        day3.run(day)
    return day3


def test_a_failing_batch_fails_alone_while_the_other_dataset_commits(failing_days):
    for day in ("day4", "day5"):
        assert _outcomes(failing_days.results[day]) == {"late": "failed", "tiny": "committed"}
    assert failing_days.facts()[-1] == (6, 3, "fay", 2)
    assert failing_days.sql("SELECT max(sale_key) FROM tiny.fact_sale") == [(13,)]


@pytest.fixture(scope="module")
def day6(failing_days) -> Days:
    """New orders and lines land after the second failure."""
    failing_days.land("late/orders/ingest_date=2025-01-06/orders.csv", "8,hal\n")
    failing_days.land("late/lines/ingest_date=2025-01-06/lines.csv", "8,1,1\n")
    failing_days.run("day6")
    return failing_days


def test_after_max_attempts_the_failing_files_are_parked_and_new_files_flow(day6):
    assert day6.results["day6"].status == "SUCCEEDED"
    assert day6.facts()[-1] == (8, 1, "hal", 1)
    failed_batch = day6.batches("day5")["late"]["batch_id"]
    parked = {p.path: p.reason for p in parked_files(day6.lake, "late")}
    for path in (
        "late/lines/ingest_date=2025-01-04/lines.csv",
        "late/orders/ingest_date=2025-01-04/orders.csv",
    ):
        assert parked[path].startswith(
            f"batch {failed_batch} failed 2 consecutive attempts: ValidationFailed"
        )
    manifest = day6.lake.read_json(day6.batches("day6")["late"]["manifest_uri"])
    assert [f["path"] for f in manifest["files"]] == [
        "late/lines/ingest_date=2025-01-06/lines.csv",
        "late/orders/ingest_date=2025-01-06/orders.csv",
    ]


@pytest.fixture(scope="module")
def day7(day6) -> Days:
    """Orders only: no curated table is built from them, they only join later lines."""
    day6.land("late/orders/ingest_date=2025-01-07/orders.csv", "9,ivy\n")
    day6.run("day7")
    return day6


def test_an_orders_only_extract_commits_and_its_orders_serve_the_next_lines(day7):
    assert _outcomes(day7.results["day7"]) == {"late": "committed"}
    report = day7.report("day7", "late")
    # Orders 1, 2, 3, 5, 6, 8 and 9: 4 was quarantined, 7's file parked.
    assert (report["curated"], report["state"]["orders"]["rows"]) == ({}, 7)
    day7.land("late/lines/ingest_date=2025-01-08/lines.csv", "9,1,4\n")
    day7.run("day8")
    assert day7.facts()[-1] == (9, 1, "ivy", 4)


def test_a_lake_moved_to_another_folder_reprocesses_nothing(day7, tmp_path):
    moved = tmp_path / "moved"
    shutil.copytree(day7.root, moved)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SFN_ETL_LAKE", str(moved / "lake"))
        patch.setenv("SFN_ETL_HOME", str(moved / "home"))
        result = run_execution(Settings.from_env(), RunRequest(time_scale=TIME_SCALE))
    assert result.status == "SUCCEEDED"
    assert _extract_output(result)["has_work"] is False


def _sns(days: Days) -> list[dict]:
    path = days.settings.home / "outbox" / "sns.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]
