"""The load transaction for warehouses reached through a DB-API connection (DuckDB, PostgreSQL).

An adapter supplies the connection, the transaction, a lock and the bulk copy; the order of the
statements and the checks between them live here once.
"""

from __future__ import annotations

from abc import abstractmethod
from contextlib import AbstractContextManager
from typing import Any

from orchestration.warehouse import curated
from orchestration.warehouse.base import (
    DuplicateKeyError,
    LoadRejectedError,
    LoadResult,
    Warehouse,
    WarehouseError,
    validate_batch_id,
)
from orchestration.warehouse.sql import (
    audit_exists_sql,
    audit_select_sql,
    audit_values_sql,
    changes_name,
    duplicate_key_sql,
    is_empty_sql,
    merge_statements,
    stage_name,
)
from orchestration.warehouse.tables import TableDef, ddl_statements, quote


class DbApiWarehouse(Warehouse):
    @abstractmethod
    def _transaction(self) -> AbstractContextManager[Any]:
        """A context with an open transaction on the connection it yields: committed when the
        block ends, rolled back when it raises."""

    @abstractmethod
    def _lock(self, conn: Any, key: str) -> None:
        """Serialize transactions taking the same key until the current one ends."""

    @abstractmethod
    def _create_stage(self, conn: Any, table: TableDef) -> None:
        """Create the empty temporary staging table of `table`."""

    @abstractmethod
    def _copy_into(self, conn: Any, target: str, table: TableDef, curated_uri: str) -> int:
        """Bulk-copy the batch into `target`, the quoted name of the staging table or the
        qualified name of the table; return the rows."""

    @abstractmethod
    def _rowcount(self, conn: Any, sql: str) -> int:
        """Execute a DML statement and return the number of rows it affected."""

    @abstractmethod
    def _is_duplicate(self, exc: Exception) -> bool:
        """Whether a driver error is a primary key violation."""

    @abstractmethod
    def _rejected(self, exc: Exception) -> bool:
        """Whether a driver error means the data was refused (not a lost connection)."""

    def _fetchone(self, conn: Any, sql: str) -> tuple | None:
        return conn.execute(sql).fetchone()

    def ensure_tables(self, table: TableDef) -> None:
        """The table's schema, audit table and table, created when missing."""
        with self._transaction() as conn:
            self._lock(conn, "sfn_etl_ddl")
            for statement in ddl_statements(self.dialect, table):
                conn.execute(statement)

    def load_table(self, batch_id: str, table: TableDef, curated_uri: str) -> LoadResult:
        validate_batch_id(batch_id)
        self.ensure_tables(table)
        try:
            with self._transaction() as conn:
                return self._load(conn, table, batch_id, curated_uri)
        except WarehouseError:
            raise
        except Exception as exc:
            if self._is_duplicate(exc):
                key = curated.find_duplicate_key(curated_uri, table)
                raise DuplicateKeyError(table.label, table.business_keys, key) from exc
            if self._rejected(exc):
                raise LoadRejectedError(
                    f"{table.label}: batch {batch_id} from {curated_uri} was not loaded: {exc}"
                ) from exc
            raise

    def _load(self, conn: Any, table: TableDef, batch_id: str, curated_uri: str) -> LoadResult:
        # Loads of one table take turns, so a concurrent load of the same batch sees the audit
        # row of the first once it commits, and skips.
        self._lock(conn, f"sfn_etl_load:{table.label}")
        if self._fetchone(conn, audit_exists_sql(table, batch_id)) is not None:
            return LoadResult.skipped_batch(table.schema, table.name)
        if self._fetchone(conn, is_empty_sql(table))[0]:
            # Into an empty target MERGE would insert every row: copy the batch straight in,
            # which halves the work of a first load. The primary key still refuses a duplicate.
            rows = self._copy_into(conn, table.qualified, table, curated_uri)
            conn.execute(audit_values_sql(table, batch_id, rows))
            return LoadResult(table.schema, table.name, rows, rows, 0, False)
        return self._merge(conn, table, batch_id, curated_uri)

    def _merge(self, conn: Any, table: TableDef, batch_id: str, curated_uri: str) -> LoadResult:
        self._create_stage(conn, table)
        staged = self._copy_into(conn, quote(stage_name(table)), table, curated_uri)
        duplicate = self._fetchone(conn, duplicate_key_sql(table))
        if duplicate is not None:
            raise DuplicateKeyError(table.label, table.business_keys, tuple(duplicate))
        guard, changes, audit_insert, merge = merge_statements(table, batch_id)
        conn.execute(guard)
        conn.execute(changes)
        conn.execute(audit_insert)
        rows_staged, inserted, updated = self._fetchone(conn, audit_select_sql(table, batch_id))
        merged = self._rowcount(conn, merge)
        for name in (changes_name(table), stage_name(table)):
            conn.execute(f"DROP TABLE {quote(name)}")
        # Cross-checks of the counts the audit row reports; a mismatch is a bug, never data.
        if rows_staged != staged or merged != inserted + updated:
            raise WarehouseError(
                f"{table.label}: batch {batch_id}: counts disagree (wrote {staged} rows to "
                f"staging, audit says {rows_staged} staged, {inserted} new, {updated} changed; "
                f"MERGE touched {merged}); rolled back"
            )
        return LoadResult(
            table.schema, table.name, int(rows_staged), int(inserted), int(updated), False
        )
