"""Keys the warehouse already holds, for referential integrity of a batch's facts.

A batch may carry facts whose customers, parts or suppliers arrived with an earlier batch, so
a fact key is valid when it is in the batch's dimension or in the warehouse's. Read straight
from the SFN_ETL_WAREHOUSE URL (DuckDB or PostgreSQL), independent of the load adapters:
validation only reads, and a table the warehouse does not have yet holds no keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from orchestration.errors import UserError

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class KnownKeys:
    """`keys` is None when the warehouse could not be asked; `note` then says why."""

    keys: list[int] | None
    note: str | None = None


def read_keys(url: str, table: str, column: str) -> KnownKeys:
    """Every distinct non-null `column` of `table` in the warehouse at `url`."""
    for name in (table, column):
        if not _IDENTIFIER.match(name):
            raise UserError(f"invalid warehouse identifier {name!r}")
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "duckdb":
        return KnownKeys(_duckdb_keys(_duckdb_path(url), table, column))
    if scheme in ("postgresql", "postgres"):
        return KnownKeys(_postgres_keys(url, table, column))
    if scheme == "redshift-data":
        # The Redshift Data API is asynchronous and the Glue job holds no grant on it; the
        # note in the summary keeps the unchecked keys visible instead of failing every batch.
        return KnownKeys(
            None, f"warehouse keys not checked: {table}.{column} lives in Redshift ({scheme}://)"
        )
    raise UserError(
        f"unsupported warehouse URL scheme {scheme or url!r}: "
        "expected duckdb:///path, postgresql://... or redshift-data://..."
    )


def _duckdb_path(url: str) -> Path:
    rest = url.split("://", 1)[1]
    # duckdb:///./relative.duckdb and duckdb:///absolute.duckdb, as SFN_ETL_WAREHOUSE allows.
    if rest.startswith(("/./", "/../")):
        rest = rest[1:]
    if rest in ("", "/") or "?" in rest:
        raise UserError(f"{url!r}: expected duckdb:///path/to/file.duckdb")
    return Path(rest)


def _duckdb_keys(path: Path, table: str, column: str) -> list[int]:
    import duckdb

    if not path.exists():
        return []
    try:
        conn = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise UserError(f"cannot read the warehouse {path}: {exc}") from exc
    try:
        found = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
        ).fetchone()[0]
        if not found:
            return []
        rows = conn.execute(
            f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL'
        ).fetchall()
    finally:
        conn.close()
    return [row[0] for row in rows]


def _postgres_keys(url: str, table: str, column: str) -> list[int]:
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            if conn.execute("SELECT to_regclass(%s)", [table]).fetchone()[0] is None:
                return []
            rows = conn.execute(
                f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL'
            ).fetchall()
    except psycopg.Error as exc:
        raise UserError(f"cannot read {table}.{column} from the warehouse: {exc}") from exc
    return [row[0] for row in rows]
