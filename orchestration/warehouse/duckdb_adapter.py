"""DuckDB, the embedded default warehouse: one file, no server.

Local curated data is staged with read_parquet; curated data on S3 is streamed in through Arrow
(DuckDB's own S3 support is an extension it would download at run time).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from orchestration.warehouse import curated
from orchestration.warehouse.base import WarehouseConfigError
from orchestration.warehouse.dbapi import DbApiWarehouse
from orchestration.warehouse.sql import literal, stage_name
from orchestration.warehouse.tables import TableDef, quote

_WRITERS: dict[Path, threading.Lock] = {}
_WRITERS_GUARD = threading.Lock()


def writer_lock(path: Path) -> threading.Lock:
    """The lock every writer of the DuckDB file at `path` in this process takes."""
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(path.resolve(), threading.Lock())


class DuckDBWarehouse(DbApiWarehouse):
    dialect = "duckdb"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._conn: duckdb.DuckDBPyConnection | None = None

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = duckdb.connect(str(self.path))
            # Parquet written with UTC-adjusted timestamps reads as TIMESTAMPTZ, which a
            # TIMESTAMP column takes in the session's time zone: UTC, as the Arrow path reads it.
            self._conn.execute("SET TimeZone = 'UTC'")
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        # A DuckDB file has one writing process, and concurrent transactions of that process
        # (the Load Map's parallel iterations) conflict on the catalog: one writer at a time.
        with writer_lock(self.path):
            conn = self._connection()
            conn.execute("BEGIN TRANSACTION")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def ensure_tables(self, table: TableDef) -> None:
        (database,) = self._connection().execute("SELECT current_database()").fetchone()
        if table.schema == database:
            # DuckDB names a file's database after the file: "x"."t" would be ambiguous.
            raise WarehouseConfigError(
                f"{self.path}: DuckDB names this file's database {database!r}, as the dataset "
                f"{table.schema!r}; give the warehouse file another name (SFN_ETL_WAREHOUSE)"
            )
        super().ensure_tables(table)

    def _lock(self, conn: Any, key: str) -> None:
        """Transactions on one file are already serialized by `_transaction`."""

    def _rowcount(self, conn: duckdb.DuckDBPyConnection, sql: str) -> int:
        row = conn.execute(sql).fetchone()
        return int(row[0]) if row else 0

    def _is_duplicate(self, exc: Exception) -> bool:
        return isinstance(exc, duckdb.ConstraintException) and "duplicate key" in str(exc)

    def _rejected(self, exc: Exception) -> bool:
        return isinstance(exc, duckdb.DataError | duckdb.IntegrityError)

    def _create_stage(self, conn: duckdb.DuckDBPyConnection, table: TableDef) -> None:
        columns = ", ".join(c.ddl(self.dialect) for c in table.columns)
        conn.execute(f"CREATE TEMP TABLE {quote(stage_name(table))} ({columns})")

    def _copy_into(
        self, conn: duckdb.DuckDBPyConnection, target: str, table: TableDef, curated_uri: str
    ) -> int:
        names = ", ".join(map(quote, table.column_names))
        insert = f"INSERT INTO {target} ({names}) SELECT {names} FROM"
        if curated_uri.startswith("s3://"):
            reader = pa.RecordBatchReader.from_batches(
                table.arrow_schema, curated.iter_batches(curated_uri, table)
            )
            conn.register("sfn_etl_source", reader)
            try:
                return self._rowcount(conn, f"{insert} sfn_etl_source")
            finally:
                conn.unregister("sfn_etl_source")
        files = ", ".join(literal(f) for f in curated.check_files(curated_uri, table))
        return self._rowcount(conn, f"{insert} read_parquet([{files}])")
