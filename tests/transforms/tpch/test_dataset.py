"""The TPC-H dataset through the generic transform job: the star schema it has always produced."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from chispa import assert_df_equality

from jobs.transform import main
from orchestration.core.errors import UserError
from orchestration.core.lake import Lake
from orchestration.core.layout import report_uri
from transforms.schemas import QUARANTINE_SCHEMA, spark_schema
from transforms.tpch.dataset import DATASET

REPO = Path(__file__).resolve().parents[3]


def _raw_line_count(root: Path, table: str) -> int:
    return sum(
        len(path.read_bytes().splitlines())
        for path in (root / "raw" / "tpch" / table).rglob("*.tbl")
    )


@pytest.fixture(scope="module")
def transformed(tpch_transformed):
    root = tpch_transformed.root
    report_path = report_uri(Lake(str(root)), "tpch", tpch_transformed.batch_id)
    return root, json.loads(Path(report_path).read_text())


def test_counts_reconcile_for_every_curated_table(transformed):
    root, report = transformed
    for table, counts in report["curated"].items():
        if counts["source_table"] is None:
            continue
        assert counts["read"] == _raw_line_count(root, counts["source_table"]), table
        assert counts["written"] + counts["quarantined"] + counts["duplicates"] == counts["read"]
        assert counts["generated"] == 0


def test_scale_001_batch_writes_the_expected_rows(transformed):
    _, report = transformed
    written = {table: counts["written"] for table, counts in report["curated"].items()}
    # dim_date spans 1992-01-01 (first order) to 1998-12-25 (last receipt) at this scale.
    assert written == {
        "fact_sales": 60175,
        "dim_customer": 1500,
        "dim_supplier": 100,
        "dim_part": 2000,
        "dim_date": 2551,
    }
    # The last batch re-lands 30 revised customers plus nation and region: those are the repeats.
    duplicates = {table: counts["duplicates"] for table, counts in report["raw"].items()}
    assert duplicates == {
        "customer": 30,
        "nation": 25,
        "region": 5,
        "lineitem": 0,
        "orders": 0,
        "part": 0,
        "supplier": 0,
    }


def test_revised_customer_rows_win_over_the_first_extract(spark, transformed):
    root, _ = transformed
    customers = spark.read.parquet(str(root / "curated/tpch/dim_customer/batch_id=t1"))
    changed = customers.where("customer_key = 50").collect()[0]
    original = (root / "raw/tpch/customer/ingest_date=2025-01-01/customer.tbl").read_text()
    first_balance = [line for line in original.splitlines() if line.startswith("50|")][0]
    assert changed.account_balance == round(
        __import__("decimal").Decimal(first_balance.split("|")[5]) + 100, 2
    )


def test_curated_tables_have_the_declared_schemas(spark, transformed):
    root, _ = transformed
    for table in DATASET.curated_tables:
        schema = spark_schema(table.columns)
        stored = spark.read.parquet(str(root / "curated/tpch" / table.name / "batch_id=t1")).schema
        assert [(f.name, f.dataType) for f in stored] == [(f.name, f.dataType) for f in schema]


def _write(root: Path, table: str, content: bytes, day: str = "2025-01-01") -> Path:
    path = root / "raw" / "tpch" / table / f"ingest_date={day}" / f"{table}.tbl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_malformed_rows_of_a_mostly_good_file_and_empty_files_are_quarantined_with_reasons(
    spark, tmp_path
):
    root = tmp_path / "lake"
    part = _write(
        root,
        "part",
        b"1|name|Manufacturer#1|Brand#13|TYPE|7|JUMBO PKG|901.00|c|\n"
        b"2,name,Manufacturer#1,Brand#13,TYPE,7,JUMBO PKG,901.00,c\n"
        b"3|n\xffme|Manufacturer#1|Brand#13|TYPE|7|JUMBO PKG|901.00|c|\n"
        b"4|name|Manufacturer#1|Brand#13|TYPE|7|JUMBO PKG|901.00|c|\n"
        b"5|name|Manufacturer#1|Brand#13|TYPE|7|JUMBO PKG|901.00|c|\n",
    )
    empty = _write(root, "part", b"", day="2025-01-02")

    assert main(["--dataset", "tpch", "--lake", str(root), "--batch_id", "bad1"]) == 0

    quarantine = spark.read.parquet(str(root / "quarantine/tpch/part/batch_id=bad1"))
    expected = spark.createDataFrame(
        [
            (
                str(part),
                "2,name,Manufacturer#1,Brand#13,TYPE,7,JUMBO PKG,901.00,c",
                "expected 9 fields separated by '|', found 1",
            ),
            (
                str(part),
                "3|n\ufffdme|Manufacturer#1|Brand#13|TYPE|7|JUMBO PKG|901.00|c|",
                "line is not valid UTF-8",
            ),
            (str(empty), "", "empty file: no data lines"),
        ],
        QUARANTINE_SCHEMA,
    )
    assert_df_equality(quarantine, expected, ignore_row_order=True, ignore_nullable=True)
    report = json.loads(Path(report_uri(Lake(str(root)), "tpch", "bad1")).read_text())
    assert report["raw"]["part"]["read"] == 6
    assert report["raw"]["part"]["quarantined"] == 3
    assert report["raw"]["part"]["parked_files"] == []
    assert report["curated"]["dim_part"]["written"] == 3


def test_missing_raw_prefix_is_a_clear_error(tmp_path):
    with pytest.raises(UserError, match=r"no raw files of tpch under .*/lake/raw"):
        main(["--dataset", "tpch", "--lake", str(tmp_path / "lake")])


def test_script_runs_as_glue_would_and_reports_bad_arguments_in_one_line(tmp_path):
    root = tmp_path / "lake"
    _write(root, "part", b"1|name|Manufacturer#1|Brand#13|TYPE|7|JUMBO PKG|901.00|c|\n")
    script = str(REPO / "jobs" / "transform.py")

    refused = subprocess.run(
        [
            sys.executable,
            script,
            "--dataset",
            "tpch",
            "--lake",
            str(root),
            "--batch_id",
            "no spaces",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "error: invalid batch id 'no spaces': use letters, digits, '_', '.', '-'"
    )

    # As with an activated virtualenv: spark-submit finds Spark and Python through PATH.
    venv_bin = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}"}
    ran = subprocess.run(
        [
            "spark-submit",
            script,
            "--JOB_NAME",
            "transform",
            "--dataset",
            "tpch",
            "--lake",
            str(root),
            "--batch_id",
            "s1",
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "curated dim_part     written=1" in ran.stdout
    assert list((root / "curated/tpch/dim_part/batch_id=s1").glob("part-*.parquet"))
