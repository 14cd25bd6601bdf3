"""DuckDB specifics: the warehouse file, and curated data on S3 streamed in through Arrow."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import boto3
import duckdb
import pyarrow as pa
import pytest
from moto import mock_aws

from orchestration.warehouse import LoadResult, WarehouseConfigError
from orchestration.warehouse.duckdb_adapter import DuckDBWarehouse
from orchestration.warehouse.tables import table_def
from tests.warehouse._datasets import CRM, CRM_ORDERS, SHOP, SHOP_ORDERS, dataset


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


def test_the_warehouse_file_its_folder_and_the_dataset_schema_are_created_on_first_load(
    tmp_path, write_curated
):
    path = tmp_path / "state" / "nested" / "warehouse.duckdb"

    with DuckDBWarehouse(path) as warehouse:
        warehouse.load(
            "b1", "tpch", "dim_date", write_curated("dim_date", [day(19920105, date(1992, 1, 5))])
        )

    with duckdb.connect(str(path), read_only=True) as conn:
        tables = conn.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY 1, 2"
        ).fetchall()
    assert tables == [("tpch", "dim_date"), ("tpch", "etl_load_audit")]


def test_a_dataset_named_like_the_files_database_is_refused_before_any_ddl(tmp_path):
    named_like_file = dataset("warehouse", CRM_ORDERS)
    path = tmp_path / "warehouse.duckdb"

    with (
        DuckDBWarehouse(path) as warehouse,
        pytest.raises(
            WarehouseConfigError,
            match="DuckDB names this file's database 'warehouse', as the dataset",
        ),
    ):
        warehouse.ensure_tables(table_def(named_like_file, CRM_ORDERS))

    with duckdb.connect(str(path), read_only=True) as conn:
        assert conn.execute("SELECT COUNT(*) FROM duckdb_tables()").fetchone() == (0,)


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
            s3.upload_file(str(path), "lake", f"curated/tpch/dim_date/batch_id=b1/{path.name}")
        yield "s3://lake/curated/tpch/dim_date/batch_id=b1"


def test_a_batch_on_s3_is_streamed_in_through_arrow(tmp_path, s3_batch):
    with DuckDBWarehouse(tmp_path / "warehouse.duckdb") as warehouse:
        result = warehouse.load("b1", "tpch", "dim_date", s3_batch)

    assert result == LoadResult(
        "tpch", "dim_date", rows_staged=10, inserted=10, updated=0, skipped=False
    )
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as conn:
        assert conn.execute(
            "SELECT MIN(date), MAX(date), COUNT(*) FROM tpch.dim_date"
        ).fetchall() == [(date(1992, 1, 1), date(1992, 1, 10), 10)]


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
                warehouse.load(batch_id, "tpch", "dim_date", uris[batch_id])
        except BaseException as exc:  # collected: a thread's exception would vanish
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(batch,)) for batch in uris]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with duckdb.connect(str(path), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM tpch.dim_date").fetchone() == (4,)
        assert conn.execute("SELECT count(*) FROM tpch.etl_load_audit").fetchone() == (4,)


def test_parallel_first_loads_of_two_datasets_into_one_file_create_both_schemas(
    tmp_path, write_curated
):
    import threading

    path = tmp_path / "warehouse.duckdb"
    crm, shop = table_def(CRM, CRM_ORDERS), table_def(SHOP, SHOP_ORDERS)
    batches = {
        crm: write_curated(crm, [{"order_id": n, "channel": "web"} for n in range(3)]),
        shop: write_curated(shop, pa.Table.from_pylist([], shop.arrow_schema)),
    }
    errors: list[BaseException] = []

    def load(table) -> None:
        try:
            with DuckDBWarehouse(path) as warehouse:
                warehouse.load_table("b1", table, batches[table])
        except BaseException as exc:  # collected: a thread's exception would vanish
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(table,)) for table in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with duckdb.connect(str(path), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM crm.orders").fetchone() == (3,)
        assert conn.execute("SELECT count(*) FROM shop.orders").fetchone() == (0,)
        assert conn.execute(
            "SELECT batch_id, inserted FROM shop.etl_load_audit UNION ALL "
            "SELECT batch_id, inserted FROM crm.etl_load_audit ORDER BY 2"
        ).fetchall() == [("b1", 0), ("b1", 3)]
