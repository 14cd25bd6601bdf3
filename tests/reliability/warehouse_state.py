"""Helpers of the fault suite: full-table checksums of the warehouse, the lake's bookmarks."""

from __future__ import annotations

from orchestration.lake import Lake
from orchestration.lambdas.extract import COMMIT_SUFFIX
from orchestration.settings import Settings

TABLES = ("fact_sales", "dim_customer", "dim_supplier", "dim_part", "dim_date")
AUDIT = "etl_load_audit"


def checksums(settings: Settings) -> dict[str, tuple[int, int]]:
    """(rows, order-independent checksum of every column of every row) of each curated table.

    `sum(hash(t))` hashes the whole row as a struct, so any changed, missing or duplicated row
    changes it; rows of a table that does not exist yet count as (0, 0)."""
    import duckdb

    path = settings.warehouse.removeprefix("duckdb:///")
    with duckdb.connect(path, read_only=True) as connection:
        existing = {row[0] for row in connection.execute("SHOW TABLES").fetchall()}
        return {
            table: tuple(
                int(v or 0)
                for v in connection.execute(
                    f'SELECT count(*), sum(hash(t)) FROM "{table}" AS t'
                ).fetchone()
            )
            if table in existing
            else (0, 0)
            for table in TABLES
        }


def audit_rows(settings: Settings) -> list[tuple[str, str, int]]:
    """(batch_id, table, rows staged) of every load, sorted."""
    import duckdb

    path = settings.warehouse.removeprefix("duckdb:///")
    with duckdb.connect(path, read_only=True) as connection:
        return sorted(
            connection.execute(f"SELECT batch_id, table_name, rows_staged FROM {AUDIT}").fetchall()
        )


def committed_batches(lake: Lake) -> list[str]:
    return sorted(
        obj.uri.rsplit("/", 1)[-1].removesuffix(COMMIT_SUFFIX)
        for obj in lake.list(lake.uri("manifests"))
        if obj.uri.endswith(COMMIT_SUFFIX)
    )


def committed_files(lake: Lake) -> list[str]:
    """Raw file URIs of every committed manifest, with repeats (a file committed twice shows
    twice)."""
    files = []
    for batch_id in committed_batches(lake):
        manifest = lake.read_json(lake.uri("manifests", f"{batch_id}.json"))
        files.extend(f["uri"] for f in manifest["files"])
    return sorted(files)


def raw_files(lake: Lake) -> list[str]:
    return sorted(obj.uri for obj in lake.list(lake.uri("raw")))
