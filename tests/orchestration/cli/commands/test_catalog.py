"""`sfn-etl catalog` (orchestration/cli/commands/catalog.py), through the real CLI entry point."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.cli.main import main
from orchestration.engine.catalog import LocalCatalog


@pytest.fixture
def catalog_path(tmp_path, monkeypatch):
    path = tmp_path / "meta" / "glue.duckdb"
    monkeypatch.setenv("SFN_ETL_CATALOG", str(path))
    monkeypatch.setenv("SFN_ETL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "400")  # rich wraps long paths at the terminal width
    return path


def register(catalog_path, tmp_path, database: str, table: str, batch_id: str, rows: list[dict]):
    folder = tmp_path / "lake" / "curated" / database / table / f"batch_id={batch_id}"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), folder / "part-00000.parquet")
    partition = {"Values": [batch_id], "StorageDescriptor": {"Location": str(folder)}}
    response = LocalCatalog(catalog_path).batch_create_partition(
        {"DatabaseName": database, "TableName": table, "PartitionInputList": [partition]}
    )
    assert response == {"Errors": []}


def cells(output: str) -> list[list[str]]:
    """The words of each line of a rich table, without its column rules."""
    return [[w for w in line.split() if w not in ("│", "┃")] for line in output.splitlines()]


def test_catalog_lists_databases_tables_and_partition_counts(catalog_path, tmp_path, capsys):
    register(catalog_path, tmp_path, "tpch", "fact_sales", "b1", [{"order_key": 1}])
    register(catalog_path, tmp_path, "tpch", "fact_sales", "b2", [{"order_key": 2}])
    register(catalog_path, tmp_path, "crm", "orders", "b7", [{"order_id": 3}])

    assert main(["catalog"]) == 0

    rows = cells(capsys.readouterr().out)
    assert ["database", "table", "partitions", "latest", "partition"] in rows
    assert ["crm", "orders", "1", "b7"] in rows
    assert ["tpch", "fact_sales", "2", "b2"] in rows


def test_catalog_sql_prints_the_rows_of_a_query(catalog_path, tmp_path, capsys):
    register(catalog_path, tmp_path, "tpch", "dim_part", "b1", [{"part_key": 1, "brand": None}])
    register(catalog_path, tmp_path, "tpch", "dim_part", "b2", [{"part_key": 2, "brand": "B#9"}])

    sql = "SELECT batch_id, part_key, brand FROM tpch.dim_part ORDER BY part_key"
    assert main(["catalog", "--sql", sql]) == 0

    rows = cells(capsys.readouterr().out)
    assert rows.index(["batch_id", "part_key", "brand"]) < rows.index(["b1", "1", "NULL"])
    assert rows.index(["b1", "1", "NULL"]) < rows.index(["b2", "2", "B#9"])


def test_an_empty_catalog_says_where_it_looked(catalog_path, capsys):
    assert main(["catalog"]) == 0

    assert capsys.readouterr().out == f"no partitions registered in {catalog_path}\n"


def test_a_failing_query_is_a_user_error(catalog_path, tmp_path, capsys):
    register(catalog_path, tmp_path, "tpch", "dim_part", "b1", [{"part_key": 1}])

    assert main(["catalog", "--sql", "SELECT * FROM tpch.nope"]) == 2

    assert capsys.readouterr().err.startswith("error: query failed: Catalog Error: Table")
