"""The local Glue Data Catalog: the partitions the state machine registers, queryable in DuckDB.

On AWS the Catalog destination of a dataset calls `glue:batchCreatePartition`, registering a
batch's curated folder as a partition of the dataset's Glue table so Athena can query it. Locally
`LocalCatalog.batch_create_partition` takes the same request and answers like Glue: per-partition
problems (a partition already registered) are entries of `Errors`, not exceptions. It keeps one
DuckDB file (Settings.catalog) holding every partition and, per table, a view
`"<database>"."<table>"` over the Parquet of its partitions, so `SELECT * FROM tpch.fact_sales`
works in DuckDB as it does in Athena; `batch_id` comes from each folder's `batch_id=<id>` name.

Only local partitions are accepted: DuckDB reads S3 through its httpfs extension, which it would
download at run time, so a location on S3 is refused as a whole request, before anything is
recorded (register S3 partitions in the AWS Glue Data Catalog).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from orchestration.core.errors import UserError
from orchestration.core.lake import normalize_uri
from orchestration.warehouse.base import CuratedDataError, InvalidNameError
from orchestration.warehouse.curated import part_files
from orchestration.warehouse.duckdb_adapter import writer_lock
from orchestration.warehouse.sql import literal
from orchestration.warehouse.tables import quote, validate_identifier, validate_schema

PARTITIONS = '"sfn_etl_catalog"."partitions"'
"""Every registered partition; in a schema no database may be named after (validate_schema)."""
MAX_PARTITIONS = 100
"""Glue's limit of partitions per BatchCreatePartition request."""
ALREADY_EXISTS = "AlreadyExistsException"
INVALID_INPUT = "InvalidInputException"
INTERNAL = "InternalServiceException"


class CatalogError(UserError):
    """A request Glue would refuse as a whole; `code` is the Glue error code it would give."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CatalogTable:
    database: str
    table: str
    partitions: int
    latest: str
    """The greatest partition value: batch ids sort by time."""


@dataclass(frozen=True)
class _Partition:
    value: str
    location: str


class LocalCatalog:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def batch_create_partition(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Register partitions as Glue's BatchCreatePartition does; returns `{"Errors": [...]}`
        with an entry per partition not registered."""
        database, table = _names(request)
        inputs = request.get("PartitionInputList")
        if not isinstance(inputs, list) or not 1 <= len(inputs) <= MAX_PARTITIONS:
            raise CatalogError(
                INVALID_INPUT, f"PartitionInputList must list 1 to {MAX_PARTITIONS} partitions"
            )
        errors: list[dict[str, Any]] = []
        partitions = []
        for item in inputs:
            partition = _partition(item, errors)
            if partition is not None:
                partitions.append(partition)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One writer of the file at a time in this process, as for the DuckDB warehouse.
        with writer_lock(self.path), duckdb.connect(str(self.path)) as conn:
            (file_database,) = conn.execute("SELECT current_database()").fetchone()
            if database == file_database:
                raise CatalogError(
                    INVALID_INPUT,
                    f"{self.path}: DuckDB names this file's database {file_database!r}, as the "
                    "database of the request; give the catalog file another name (SFN_ETL_CATALOG)",
                )
            conn.execute("BEGIN TRANSACTION")
            try:
                added = self._insert(conn, database, table, partitions, errors)
                if added:
                    self._replace_view(conn, database, table)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        return {"Errors": errors}

    def _insert(
        self,
        conn: duckdb.DuckDBPyConnection,
        database: str,
        table: str,
        partitions: list[_Partition],
        errors: list[dict[str, Any]],
    ) -> int:
        conn.execute("CREATE SCHEMA IF NOT EXISTS sfn_etl_catalog")
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {PARTITIONS} (database_name VARCHAR NOT NULL, "
            "table_name VARCHAR NOT NULL, partition_value VARCHAR NOT NULL, "
            "location VARCHAR NOT NULL, PRIMARY KEY (database_name, table_name, partition_value))"
        )
        added = 0
        for partition in partitions:
            key = [database, table, partition.value]
            exists = conn.execute(
                f"SELECT 1 FROM {PARTITIONS} WHERE database_name = ? AND table_name = ? "
                "AND partition_value = ?",
                key,
            ).fetchone()
            if exists:
                message = "Partition already exists."
                errors.append(_error([partition.value], ALREADY_EXISTS, message))
                continue
            insert = f"INSERT INTO {PARTITIONS} VALUES (?, ?, ?, ?)"
            conn.execute(insert, [*key, partition.location])
            added += 1
        return added

    def _replace_view(self, conn: duckdb.DuckDBPyConnection, database: str, table: str) -> None:
        locations = conn.execute(
            f"SELECT location FROM {PARTITIONS} WHERE database_name = ? AND table_name = ? "
            "ORDER BY partition_value",
            [database, table],
        ).fetchall()
        files = ", ".join(literal(f"{location}/*.parquet") for (location,) in locations)
        # hive_types_autocast off: batch_id stays text even when a batch id looks like a number
        # or a date; union_by_name: a column added in a later batch reads as NULL before it.
        try:
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(database)}")
            conn.execute(
                f"CREATE OR REPLACE VIEW {quote(database)}.{quote(table)} AS SELECT * FROM "
                f"read_parquet([{files}], hive_partitioning = true, union_by_name = true, "
                "hive_types_autocast = false)"
            )
        except duckdb.Error as exc:
            # A partition registered earlier whose files were since removed or rewritten.
            raise CatalogError(
                INTERNAL, f"{database}.{table}: cannot read its partitions: {exc}"
            ) from exc

    def tables(self) -> list[CatalogTable]:
        """Every registered table, by database and name; none before the first registration."""
        if not self.path.exists():
            return []
        with duckdb.connect(str(self.path), read_only=True) as conn:
            rows = conn.execute(
                f"SELECT database_name, table_name, COUNT(*), MAX(partition_value) "
                f"FROM {PARTITIONS} GROUP BY 1, 2 ORDER BY 1, 2"
            ).fetchall()
        return [CatalogTable(*row) for row in rows]

    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        """The column names and rows of a query; read-only, so a query changes nothing."""
        if not self.path.exists():
            raise UserError(f"the catalog {self.path} does not exist yet: nothing is registered")
        with duckdb.connect(str(self.path), read_only=True) as conn:
            try:
                cursor = conn.execute(sql)
                columns = [column[0] for column in cursor.description or []]
                return columns, cursor.fetchall() if columns else []
            except duckdb.Error as exc:
                raise UserError(f"query failed: {exc}") from exc


def _names(request: Mapping[str, Any]) -> tuple[str, str]:
    if not isinstance(request, Mapping):
        raise CatalogError(INVALID_INPUT, "the request must be an object")
    try:
        database = validate_schema(request.get("DatabaseName"))
        table = validate_identifier(request.get("TableName"), "TableName")
    except InvalidNameError as exc:
        raise CatalogError(INVALID_INPUT, str(exc)) from exc
    return database, table


def _partition(item: object, errors: list[dict[str, Any]]) -> _Partition | None:
    """The partition an entry of PartitionInputList describes; None, with an entry in `errors`,
    when it cannot be registered."""
    values = item.get("Values") if isinstance(item, Mapping) else None
    if not isinstance(values, list) or len(values) != 1 or not isinstance(values[0], str):
        errors.append(
            _error(
                values,
                INVALID_INPUT,
                "Values must hold one string: the table's one partition key is batch_id",
            )
        )
        return None
    descriptor = item.get("StorageDescriptor")
    location = descriptor.get("Location") if isinstance(descriptor, Mapping) else None
    if not isinstance(location, str) or not location:
        errors.append(_error(values, INVALID_INPUT, "StorageDescriptor.Location is missing"))
        return None
    location = normalize_uri(location).rstrip("/")
    if location.startswith("s3://"):
        raise CatalogError(
            INVALID_INPUT,
            f"{location}: the local catalog reads local folders only (DuckDB would download its "
            "S3 extension); register partitions on S3 in the AWS Glue Data Catalog",
        )
    location = str(Path(location).resolve())
    try:
        part_files(location)
    except CuratedDataError as exc:
        # DuckDB cannot build a view over a folder without Parquet.
        errors.append(_error(values, INVALID_INPUT, str(exc)))
        return None
    return _Partition(values[0], location)


def _error(values: object, code: str, message: str) -> dict[str, Any]:
    return {"PartitionValues": values, "ErrorDetail": {"ErrorCode": code, "ErrorMessage": message}}
