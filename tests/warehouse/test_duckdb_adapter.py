"""DuckDB specifics: the warehouse file, and curated data on S3 streamed in through Arrow."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import boto3
import duckdb
import pytest
from moto import mock_aws

from orchestration.warehouse import LoadResult
from orchestration.warehouse.duckdb_adapter import DuckDBWarehouse


def day(key: int, when: date) -> dict:
    return {
        "date_key": key,
        "date": when,
        "year": when.year,
        "quarter": 1,
        "month": when.month,
        "month_name": "January",
        "day_of_month": when.day,
        "day_of_week": 1,
        "day_name": "Sunday",
        "week_of_year": 1,
        "is_weekend": True,
    }


def test_the_warehouse_file_and_its_folder_are_created_on_first_load(tmp_path, write_curated):
    path = tmp_path / "state" / "nested" / "warehouse.duckdb"

    with DuckDBWarehouse(path) as warehouse:
        warehouse.load(
            "b1", "dim_date", write_curated("dim_date", [day(19920105, date(1992, 1, 5))])
        )

    with duckdb.connect(str(path), read_only=True) as conn:
        tables = conn.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()
    assert tables == [("dim_date",), ("etl_load_audit",)]


@pytest.fixture
def s3_batch(monkeypatch, write_curated):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    rows = [day(19920100 + d, date(1992, 1, d)) for d in range(1, 11)]
    local = Path(write_curated("dim_date", rows, "b1", parts=3))
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="lake")
        for path in local.iterdir():
            s3.upload_file(str(path), "lake", f"curated/dim_date/batch_id=b1/{path.name}")
        yield "s3://lake/curated/dim_date/batch_id=b1"


def test_a_batch_on_s3_is_streamed_in_through_arrow(tmp_path, s3_batch):
    with DuckDBWarehouse(tmp_path / "warehouse.duckdb") as warehouse:
        result = warehouse.load("b1", "dim_date", s3_batch)

    assert result == LoadResult("dim_date", rows_staged=10, inserted=10, updated=0, skipped=False)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT MIN(date), MAX(date), COUNT(*) FROM dim_date").fetchall() == [
            (date(1992, 1, 1), date(1992, 1, 10), 10)
        ]


def test_parallel_loads_of_different_tables_into_one_file_all_apply(tmp_path, write_curated):
    import threading

    path = tmp_path / "warehouse.duckdb"
    uris = {
        f"b{n}": write_curated("dim_date", [day(19920100 + n, date(1992, 1, n))], f"b{n}")
        for n in range(1, 5)
    }
    errors: list[BaseException] = []

    def load(batch_id: str) -> None:
        try:
            with DuckDBWarehouse(path) as warehouse:
                warehouse.load(batch_id, "dim_date", uris[batch_id])
        except BaseException as exc:  # collected: a thread's exception would vanish
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(batch,)) for batch in uris]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with duckdb.connect(str(path), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM dim_date").fetchone() == (4,)
        assert conn.execute("SELECT count(*) FROM etl_load_audit").fetchone() == (4,)
