"""PostgreSQL through psycopg 3: the batch is copied in with COPY FROM STDIN.

Rows are streamed from the Parquet files in Arrow record batches, each written as CSV by Arrow's
C++ writer, so the loader holds one batch at a time whatever the table size, and no Python object
is created per row.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import psycopg
import psycopg.errors
import pyarrow.csv as pa_csv

from orchestration.warehouse import curated
from orchestration.warehouse.dbapi import DbApiWarehouse
from orchestration.warehouse.sql import stage_name
from orchestration.warehouse.tables import TableDef, quote

# Arrow writes NULL as an empty unquoted field and "" as a quoted one: PostgreSQL's CSV format
# reads them back as NULL and as the empty string.
_CSV = pa_csv.WriteOptions(include_header=False, quoting_style="needed")


def copy_batches(cursor: psycopg.Cursor, copy_sql: str, batches: Iterator) -> int:
    """COPY record batches FROM STDIN as CSV; return the rows sent."""
    rows = 0
    with cursor.copy(copy_sql) as copy:
        for batch in batches:
            buffer = io.BytesIO()
            pa_csv.write_csv(batch, buffer, _CSV)
            copy.write(buffer.getbuffer())
            rows += batch.num_rows
    return rows


def copy_sql(target: str, table: TableDef) -> str:
    """COPY into `target`: the quoted name of a staging table or a table's qualified name."""
    columns = ", ".join(map(quote, table.column_names))
    return f"COPY {target} ({columns}) FROM STDIN (FORMAT csv)"


# Session settings of the loader: staging lives in temporary tables, which PostgreSQL keeps in
# per-session buffers (temp_buffers, 8MB by default), and the MERGE joins and the duplicate check
# hash a whole batch (work_mem, 4MB by default). Defaults this low make a million-row MERGE spill
# to disk several times over; memory is taken only as a batch needs it.
SESSION_SETTINGS = {"temp_buffers": "1GB", "work_mem": "256MB"}


class PostgresWarehouse(DbApiWarehouse):
    dialect = "postgresql"

    def __init__(
        self,
        dsn: str,
        batch_rows: int = curated.BATCH_ROWS,
        settings: Mapping[str, str] = SESSION_SETTINGS,
    ) -> None:
        self.dsn = dsn
        self.batch_rows = batch_rows
        self.settings = dict(settings)
        self._conn: psycopg.Connection | None = None

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            # autocommit: every statement runs inside an explicit conn.transaction() block.
            conn = psycopg.connect(self.dsn, autocommit=True)
            for name, value in self.settings.items():
                conn.execute("SELECT set_config(%s, %s, false)", (name, value))
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection]:
        conn = self._connection()
        with conn.transaction():
            yield conn

    def _lock(self, conn: psycopg.Connection, key: str) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))

    def _rowcount(self, conn: psycopg.Connection, sql: str) -> int:
        return conn.execute(sql).rowcount

    def _is_duplicate(self, exc: Exception) -> bool:
        return isinstance(exc, psycopg.errors.UniqueViolation)

    def _rejected(self, exc: Exception) -> bool:
        return isinstance(exc, psycopg.DataError | psycopg.IntegrityError)

    def _create_stage(self, conn: psycopg.Connection, table: TableDef) -> None:
        conn.execute(f"CREATE TEMP TABLE {quote(stage_name(table))} (LIKE {table.qualified})")

    def _copy_into(
        self, conn: psycopg.Connection, target: str, table: TableDef, curated_uri: str
    ) -> int:
        with conn.cursor() as cursor:
            rows = copy_batches(
                cursor,
                copy_sql(target, table),
                curated.iter_batches(curated_uri, table, self.batch_rows),
            )
        # Temporary tables are never auto-analyzed and autovacuum is slow to notice a bulk load;
        # without statistics the MERGE join is planned for a handful of rows.
        conn.execute(f"ANALYZE {target}")
        return rows
