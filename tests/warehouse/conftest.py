"""Fixtures for the warehouse tests: a fresh PostgreSQL database per test, curated Parquet."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.warehouse.duckdb_adapter import DuckDBWarehouse
from orchestration.warehouse.postgres_adapter import PostgresWarehouse
from orchestration.warehouse.tables import TableDef, get_table, tables_of

DSN_VARIABLE = "SFN_ETL_TEST_PG_DSN"


@pytest.fixture
def pg_dsn() -> Iterator[str]:
    """The URL of a database of its own for this test, dropped afterwards."""
    server = os.environ.get(DSN_VARIABLE)
    if not server:
        pytest.fail(
            f"{DSN_VARIABLE} is not set: the PostgreSQL tests need a real server. Start one with\n"
            f'    eval "$(bash tests/postgres.sh start)"',
            pytrace=False,
        )
    name = f"sfn_etl_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def write_curated(tmp_path: Path) -> Callable[..., str]:
    """Write rows as a Spark-like curated batch folder: part files plus _SUCCESS and .crc.
    `table` is a TableDef or the name of a tpch table."""

    def write(
        table: TableDef | str, rows: list[dict] | pa.Table, batch_id: str = "b1", parts: int = 1
    ) -> str:
        definition = table if isinstance(table, TableDef) else get_table("tpch", table)
        folder = tmp_path / "curated" / definition.schema / definition.name / f"batch_id={batch_id}"
        folder.mkdir(parents=True, exist_ok=True)
        data = (
            rows
            if isinstance(rows, pa.Table)
            else pa.Table.from_pylist(rows, definition.arrow_schema)
        )
        size = -(-data.num_rows // parts)
        for part in range(parts):
            name = f"part-{part:05d}-{batch_id}-c000.snappy.parquet"
            pq.write_table(data.slice(part * size, size), folder / name)
            (folder / f".{name}.crc").write_bytes(b"not parquet")
        (folder / "_SUCCESS").write_bytes(b"")
        return str(folder)

    return write


@pytest.fixture(scope="session")
def tpch_curated_001(tpch_transformed) -> dict[str, Path]:
    """Every curated table the transform job wrote at TPC-H scale 0.01: table -> its batch
    folder (Spark's part files, _SUCCESS and .crc files), to be read, not changed."""
    batch = f"batch_id={tpch_transformed.batch_id}"
    curated = tpch_transformed.root / "curated" / "tpch"
    return {table.name: curated / table.name / batch for table in tables_of("tpch")}


@pytest.fixture(params=["duckdb", "postgresql"])
def dialect(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def warehouse_url(dialect: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if dialect == "duckdb":
        return f"duckdb://{tmp_path / 'warehouse.duckdb'}"
    return request.getfixturevalue("pg_dsn")


@pytest.fixture
def open_wh(dialect: str, warehouse_url: str) -> Iterator[Callable[[], object]]:
    """Open adapters on the test's warehouse; all are closed at the end of the test."""
    opened = []

    def open_() -> DuckDBWarehouse | PostgresWarehouse:
        if dialect == "duckdb":
            warehouse = DuckDBWarehouse(warehouse_url.removeprefix("duckdb://"))
        else:
            warehouse = PostgresWarehouse(warehouse_url)
        opened.append(warehouse)
        return warehouse

    yield open_
    for warehouse in opened:
        warehouse.close()


@pytest.fixture
def query(dialect: str, warehouse_url: str) -> Callable[[str], list[tuple]]:
    """Run a query on the test's warehouse through a connection of its own."""

    def run(sql: str) -> list[tuple]:
        if dialect == "duckdb":
            # Same configuration as the adapter's connection: DuckDB shares one instance per file
            # within a process and refuses a second, differently configured one.
            with duckdb.connect(warehouse_url.removeprefix("duckdb://")) as conn:
                return conn.execute(sql).fetchall()
        with psycopg.connect(warehouse_url) as conn:
            return conn.execute(sql).fetchall()

    return run


@pytest.fixture
def snapshot(query: Callable[[str], list[tuple]]) -> Callable[[str], tuple[list, list]]:
    """Every row of a table (a TableDef or a tpch table's name) and of its schema's audit
    table, in a stable order."""

    def take(table: TableDef | str) -> tuple[list, list]:
        definition = table if isinstance(table, TableDef) else get_table("tpch", table)
        keys = ", ".join(definition.business_keys)
        return (
            query(f"SELECT * FROM {definition.schema}.{definition.name} ORDER BY {keys}"),
            query(
                f"SELECT * FROM {definition.schema}.etl_load_audit ORDER BY batch_id, table_name"
            ),
        )

    return take
