"""Keys the warehouse already holds, for referential integrity of a batch's facts.

A batch may carry facts whose customers, parts or suppliers arrived with an earlier batch, so
a fact key is valid when it is in the batch's dimension or in the warehouse's. Read straight
from the SFN_ETL_WAREHOUSE URL (DuckDB or PostgreSQL), independent of the load adapters:
validation only reads, and a schema or table the warehouse does not have yet holds no keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestration.core.errors import UserError
from orchestration.warehouse.factory import duckdb_path
from orchestration.warehouse.tables import quote


@dataclass(frozen=True)
class KnownKeys:
    """`keys` is None when the warehouse could not be asked; `note` then says why."""

    keys: list[int] | None
    note: str | None = None


def read_keys(url: str, schema: str, table: str, column: str) -> KnownKeys:
    """Every distinct non-null `column` of `schema.table` (a dataset's schema) in the warehouse
    at `url`."""
    qualified = f"{quote(schema)}.{quote(table)}"
    select = f"SELECT DISTINCT {quote(column)} FROM {qualified} WHERE {quote(column)} IS NOT NULL"
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "duckdb":
        return KnownKeys(_duckdb_keys(Path(duckdb_path(url)), schema, table, select))
    if scheme in ("postgresql", "postgres"):
        return KnownKeys(_postgres_keys(url, qualified, select))
    if scheme == "redshift-data":
        # The Redshift Data API is asynchronous and the Glue job holds no grant on it; the
        # note in the summary keeps the unchecked keys visible instead of failing every batch.
        return KnownKeys(
            None,
            f"warehouse keys not checked: {schema}.{table}.{column} lives in Redshift "
            f"({scheme}://)",
        )
    raise UserError(
        f"unsupported warehouse URL scheme {scheme or url!r}: "
        "expected duckdb:///path, postgresql://... or redshift-data://..."
    )


def _duckdb_keys(path: Path, schema: str, table: str, select: str) -> list[int]:
    import duckdb

    from orchestration.warehouse.duckdb_adapter import writer_lock

    if not path.exists():
        return []
    # The same configuration and lock as the load's connections: DuckDB refuses a read-only
    # connection to a file this process has open for writing (another dataset's load, when the
    # datasets' iterations run in parallel), and a read between two writes sees a whole load.
    with writer_lock(path):
        try:
            conn = duckdb.connect(str(path))
        except duckdb.Error as exc:
            raise UserError(f"cannot read the warehouse {path}: {exc}") from exc
        return _keys_of(conn, schema, table, select)


def _keys_of(conn, schema: str, table: str, select: str) -> list[int]:
    try:
        found = conn.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ?",
            [schema, table],
        ).fetchone()[0]
        if not found:
            return []
        rows = conn.execute(select).fetchall()
    finally:
        conn.close()
    return [row[0] for row in rows]


def _postgres_keys(url: str, qualified: str, select: str) -> list[int]:
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            # NULL for a missing schema as for a missing table.
            if conn.execute("SELECT to_regclass(%s)", [qualified]).fetchone()[0] is None:
                return []
            rows = conn.execute(select).fetchall()
    except psycopg.Error as exc:
        raise UserError(f"cannot read {select!r} from the warehouse: {exc}") from exc
    return [row[0] for row in rows]
