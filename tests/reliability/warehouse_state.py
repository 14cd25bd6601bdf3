"""Helpers of the fault suite: full-table checksums of the warehouse, the lake's bookmarks.

Most of the suite seeds TPC-H only, so those executions are restricted to it (TPCH_ONLY) and
their warehouse state is the tables of the "tpch" schema and that schema's audit table; the
multi-source scenario names its datasets."""

from __future__ import annotations

from orchestration.core.lake import MANIFESTS, Lake
from orchestration.core.layout import COMMIT_SUFFIX, manifest_uri, raw_file_uri, raw_root
from orchestration.core.settings import Settings
from orchestration.warehouse.factory import duckdb_path
from orchestration.warehouse.tables import tables_of

DATASET = "tpch"
TPCH_ONLY = {"datasets": [DATASET]}
"""Execution input restricting a run to the one dataset the suite seeds."""


def _connect(settings: Settings):
    import duckdb

    return duckdb.connect(duckdb_path(settings.warehouse), read_only=True)


def checksums(settings: Settings, dataset: str = DATASET) -> dict[str, tuple[int, int]]:
    """(rows, order-independent checksum of every column of every row) of each curated table.

    `sum(hash(t))` hashes the whole row as a struct, so any changed, missing or duplicated row
    changes it; rows of a table that does not exist yet count as (0, 0)."""
    with _connect(settings) as connection:
        existing = {
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = ?", [dataset]
            ).fetchall()
        }
        return {
            table: tuple(
                int(v or 0)
                for v in connection.execute(
                    f'SELECT count(*), sum(hash(t)) FROM "{dataset}"."{table}" AS t'
                ).fetchone()
            )
            if table in existing
            else (0, 0)
            for table in (t.name for t in tables_of(dataset))
        }


def audit_rows(settings: Settings, dataset: str = DATASET) -> list[tuple[str, str, int]]:
    """(batch_id, table, rows staged) of every load into the dataset's schema, sorted."""
    audit = tables_of(dataset)[0].audit
    with _connect(settings) as connection:
        return sorted(
            connection.execute(f"SELECT batch_id, table_name, rows_staged FROM {audit}").fetchall()
        )


def committed_batches(lake: Lake) -> list[str]:
    return sorted(
        obj.uri.rsplit("/", 1)[-1].removesuffix(COMMIT_SUFFIX)
        for obj in lake.list(lake.uri(MANIFESTS))
        if obj.uri.endswith(COMMIT_SUFFIX)
    )


def committed_files(lake: Lake) -> list[str]:
    """Raw file URIs of every committed manifest, with repeats (a file committed twice shows
    twice)."""
    files = []
    for batch_id in committed_batches(lake):
        manifest = lake.read_json(manifest_uri(lake, batch_id))
        files.extend(raw_file_uri(lake, f["path"]) for f in manifest["files"])
    return sorted(files)


def raw_files(lake: Lake) -> list[str]:
    return sorted(obj.uri for obj in lake.list(raw_root(lake)))
