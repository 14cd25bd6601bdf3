"""The local Glue Data Catalog (orchestration/engine/catalog.py): Glue's answers, DuckDB views."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.core.errors import UserError
from orchestration.engine.catalog import CatalogError, CatalogTable, LocalCatalog


@pytest.fixture
def catalog(tmp_path) -> LocalCatalog:
    return LocalCatalog(tmp_path / "home" / "catalog.duckdb")


@pytest.fixture
def batch(tmp_path):
    """Write a Spark-like curated batch folder of `rows`; return its path."""

    def write(database: str, table: str, batch_id: str, rows: list[dict]) -> str:
        folder = tmp_path / "lake" / "curated" / database / table / f"batch_id={batch_id}"
        folder.mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(rows), folder / "part-00000-c000.snappy.parquet")
        (folder / ".part-00000-c000.snappy.parquet.crc").write_bytes(b"not parquet")
        (folder / "_SUCCESS").write_bytes(b"")
        return str(folder)

    return write


def request(database: str, table: str, *partitions: tuple[str, str]) -> dict:
    """A BatchCreatePartition request as the state machine's Catalog destination sends it."""
    return {
        "DatabaseName": database,
        "TableName": table,
        "PartitionInputList": [
            {
                "Values": [batch_id],
                "StorageDescriptor": {
                    "Location": location,
                    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                },
            }
            for batch_id, location in partitions
        ],
    }


def test_registered_partitions_are_queryable_as_database_dot_table_with_their_batch_id(
    catalog, batch
):
    b1 = batch("tpch", "fact_sales", "b1", [{"order_key": 1, "revenue": 9.5}])
    b2 = batch("tpch", "fact_sales", "b2", [{"order_key": 2, "revenue": 1.0}])

    first = catalog.batch_create_partition(request("tpch", "fact_sales", ("b1", b1)))
    second = catalog.batch_create_partition(request("tpch", "fact_sales", ("b2", b2)))

    assert first == {"Errors": []}
    assert second == {"Errors": []}
    assert catalog.query("SELECT * FROM tpch.fact_sales ORDER BY order_key") == (
        ["order_key", "revenue", "batch_id"],
        [(1, 9.5, "b1"), (2, 1.0, "b2")],
    )


def test_a_partition_registered_again_is_an_already_exists_entry_not_an_exception(catalog, batch):
    b1 = batch("tpch", "dim_part", "b1", [{"part_key": 1}])
    b2 = batch("tpch", "dim_part", "b2", [{"part_key": 2}])
    catalog.batch_create_partition(request("tpch", "dim_part", ("b1", b1)))

    again = catalog.batch_create_partition(request("tpch", "dim_part", ("b1", b2), ("b2", b2)))

    assert again == {
        "Errors": [
            {
                "PartitionValues": ["b1"],
                "ErrorDetail": {
                    "ErrorCode": "AlreadyExistsException",
                    "ErrorMessage": "Partition already exists.",
                },
            }
        ]
    }
    # b1 keeps its first location; b2 was registered.
    assert catalog.query("SELECT batch_id, part_key FROM tpch.dim_part ORDER BY 1")[1] == [
        ("b1", 1),
        ("b2", 2),
    ]


def test_two_databases_with_a_table_of_one_name_have_their_own_views(catalog, batch):
    shop = batch("shop", "orders", "b1", [{"order_id": 1, "amount": 2.5}])
    crm = batch("crm", "orders", "b1", [{"order_id": 7, "channel": "web"}])

    catalog.batch_create_partition(request("shop", "orders", ("b1", shop)))
    catalog.batch_create_partition(request("crm", "orders", ("b1", crm)))

    assert catalog.query("SELECT * FROM shop.orders")[1] == [(1, 2.5, "b1")]
    assert catalog.query("SELECT * FROM crm.orders")[1] == [(7, "web", "b1")]


def test_a_column_added_in_a_later_batch_reads_as_null_before_it(catalog, batch):
    old = batch("tpch", "dim_part", "b1", [{"part_key": 1}])
    new = batch("tpch", "dim_part", "b2", [{"part_key": 2, "brand": "Brand#13"}])

    catalog.batch_create_partition(request("tpch", "dim_part", ("b1", old), ("b2", new)))

    assert catalog.query("SELECT part_key, brand FROM tpch.dim_part ORDER BY 1")[1] == [
        (1, None),
        (2, "Brand#13"),
    ]


def test_a_batch_id_that_looks_like_a_number_stays_text(catalog, batch):
    folder = batch("tpch", "dim_date", "20240101", [{"date_key": 1}])

    catalog.batch_create_partition(request("tpch", "dim_date", ("20240101", folder)))

    assert catalog.query("SELECT batch_id FROM tpch.dim_date")[1] == [("20240101",)]


def test_tables_lists_each_table_with_its_partition_count_and_latest_partition(catalog, batch):
    assert catalog.tables() == []
    assert not catalog.path.exists()
    for batch_id in ("b1", "b2"):
        folder = batch("tpch", "fact_sales", batch_id, [{"order_key": 1}])
        catalog.batch_create_partition(request("tpch", "fact_sales", (batch_id, folder)))
    folder = batch("crm", "orders", "b9", [{"order_id": 1}])
    catalog.batch_create_partition(request("crm", "orders", ("b9", folder)))

    assert catalog.tables() == [
        CatalogTable("crm", "orders", 1, "b9"),
        CatalogTable("tpch", "fact_sales", 2, "b2"),
    ]


def test_a_location_on_s3_is_refused_before_anything_is_recorded(catalog, batch):
    local = batch("tpch", "dim_part", "b1", [{"part_key": 1}])
    s3 = "s3://lake-bucket/curated/tpch/dim_part/batch_id=b2"

    with pytest.raises(CatalogError, match="the local catalog reads local folders only") as raised:
        catalog.batch_create_partition(request("tpch", "dim_part", ("b1", local), ("b2", s3)))

    assert raised.value.code == "InvalidInputException"
    assert catalog.tables() == []


def test_a_location_without_parquet_is_an_error_entry_and_the_others_register(
    catalog, batch, tmp_path
):
    empty = tmp_path / "lake" / "curated" / "tpch" / "dim_part" / "batch_id=b0"
    empty.mkdir(parents=True)
    (empty / "_SUCCESS").write_bytes(b"")
    good = batch("tpch", "dim_part", "b1", [{"part_key": 1}])

    response = catalog.batch_create_partition(
        request("tpch", "dim_part", ("b0", str(empty)), ("b1", good))
    )

    assert response == {
        "Errors": [
            {
                "PartitionValues": ["b0"],
                "ErrorDetail": {
                    "ErrorCode": "InvalidInputException",
                    "ErrorMessage": f"no *.parquet files under {empty}",
                },
            }
        ]
    }
    assert catalog.tables() == [CatalogTable("tpch", "dim_part", 1, "b1")]


def test_a_partition_input_without_one_value_or_a_location_is_an_error_entry(catalog, batch):
    good = batch("tpch", "dim_part", "b1", [{"part_key": 1}])
    inputs = [
        {"Values": ["b1", "extra"], "StorageDescriptor": {"Location": good}},
        {"Values": ["b1"]},
    ]

    response = catalog.batch_create_partition(
        {"DatabaseName": "tpch", "TableName": "dim_part", "PartitionInputList": inputs}
    )

    assert [(e["PartitionValues"], e["ErrorDetail"]["ErrorCode"]) for e in response["Errors"]] == [
        (["b1", "extra"], "InvalidInputException"),
        (["b1"], "InvalidInputException"),
    ]
    assert response["Errors"][1]["ErrorDetail"]["ErrorMessage"] == (
        "StorageDescriptor.Location is missing"
    )
    assert catalog.tables() == []


@pytest.mark.parametrize(
    ("database", "table", "inputs", "message"),
    [
        ('tpch"; DROP', "dim_part", 1, "invalid schema 'tpch\"; DROP'"),
        ("tpch", "Dim_Part", 1, "invalid TableName 'Dim_Part'"),
        ("temp", "dim_part", 1, "schema 'temp' is reserved"),
        ("sfn_etl_catalog", "partitions", 1, "schema 'sfn_etl_catalog' is reserved"),
        ("tpch", "dim_part", 0, "PartitionInputList must list 1 to 100 partitions"),
        ("tpch", "dim_part", 101, "PartitionInputList must list 1 to 100 partitions"),
    ],
)
def test_a_request_glue_would_refuse_raises_invalid_input(
    catalog, batch, database, table, inputs, message
):
    folder = batch("tpch", "dim_part", "b1", [{"part_key": 1}])
    partitions = [(f"b{n}", folder) for n in range(inputs)]

    with pytest.raises(CatalogError, match=message) as raised:
        catalog.batch_create_partition(request(database, table, *partitions))

    assert raised.value.code == "InvalidInputException"


def test_a_database_named_like_the_catalog_file_is_refused(tmp_path, batch):
    folder = batch("catalog", "orders", "b1", [{"order_id": 1}])

    with pytest.raises(CatalogError, match="DuckDB names this file's database 'catalog'"):
        LocalCatalog(tmp_path / "catalog.duckdb").batch_create_partition(
            request("catalog", "orders", ("b1", folder))
        )


def test_a_file_uri_location_is_registered_as_its_path(catalog, batch):
    folder = batch("tpch", "dim_part", "b1", [{"part_key": 1}])

    catalog.batch_create_partition(request("tpch", "dim_part", ("b1", f"file://{folder}/")))

    with duckdb.connect(str(catalog.path), read_only=True) as conn:
        assert conn.execute("SELECT location FROM sfn_etl_catalog.partitions").fetchall() == [
            (folder,)
        ]


def test_when_an_earlier_partitions_files_are_gone_a_new_one_is_not_recorded(catalog, batch):
    b1 = batch("tpch", "dim_part", "b1", [{"part_key": 1}])
    catalog.batch_create_partition(request("tpch", "dim_part", ("b1", b1)))
    for path in Path(b1).glob("*.parquet"):
        path.unlink()
    b2 = batch("tpch", "dim_part", "b2", [{"part_key": 2}])

    with pytest.raises(CatalogError, match="tpch.dim_part: cannot read its partitions") as raised:
        catalog.batch_create_partition(request("tpch", "dim_part", ("b2", b2)))

    assert raised.value.code == "InternalServiceException"
    assert catalog.tables() == [CatalogTable("tpch", "dim_part", 1, "b1")]


def test_concurrent_registrations_in_one_process_all_apply(catalog, batch):
    folders = {f"b{n}": batch("tpch", "fact_sales", f"b{n}", [{"order_key": n}]) for n in range(6)}
    errors: list[BaseException] = []

    def register(batch_id: str) -> None:
        try:
            catalog.batch_create_partition(
                request("tpch", "fact_sales", (batch_id, folders[batch_id]))
            )
        except BaseException as exc:  # collected: a thread's exception would vanish
            errors.append(exc)

    threads = [threading.Thread(target=register, args=(b,)) for b in folders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert catalog.query("SELECT COUNT(*), SUM(order_key) FROM tpch.fact_sales")[1] == [(6, 15)]


def test_a_query_cannot_change_the_catalog_and_a_failing_one_is_a_user_error(catalog, batch):
    folder = batch("tpch", "dim_part", "b1", [{"part_key": 1}])
    catalog.batch_create_partition(request("tpch", "dim_part", ("b1", folder)))

    with pytest.raises(UserError, match="query failed: .*read-only"):
        catalog.query("DROP VIEW tpch.dim_part")
    with pytest.raises(UserError, match="query failed: .*nope"):
        catalog.query("SELECT * FROM tpch.nope")

    assert catalog.query("SELECT part_key FROM tpch.dim_part")[1] == [(1,)]


def test_querying_before_anything_is_registered_says_so(catalog):
    with pytest.raises(UserError, match="does not exist yet: nothing is registered"):
        catalog.query("SELECT 1")
