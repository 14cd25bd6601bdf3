"""`sfn-etl load`: load the curated tables of a batch from the lake into the warehouse."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from orchestration.core.errors import UserError
from orchestration.core.lake import CURATED, Lake, LakeError
from orchestration.core.layout import curated_table_uri, curated_uri
from orchestration.core.manifest import read_batch_manifest
from orchestration.core.settings import Settings
from orchestration.warehouse import LoadResult, open_warehouse
from orchestration.warehouse.base import validate_batch_id
from orchestration.warehouse.tables import get_table, tables_of


def batch_dataset(lake: Lake, batch_id: str) -> str:
    """The dataset a batch holds, as its manifest says."""
    try:
        return read_batch_manifest(lake, batch_id).dataset
    except LakeError as exc:
        # The message names the manifest: "missing: <uri>" or "not valid JSON: <uri> ...".
        raise UserError(
            f"cannot tell the dataset of batch {batch_id}: {exc}; give it with --dataset"
        ) from exc


def has_parquet(lake: Lake, folder: str) -> bool:
    """Whether a curated folder holds a Parquet part file."""
    return any(o.uri.endswith(".parquet") for o in lake.list(folder))


def curated_tables(
    settings: Settings, batch_id: str, dataset: str | None = None, table: str | None = None
) -> tuple[str, dict[str, str]]:
    """The batch's dataset, and table -> curated URI for each table of it the batch has Parquet
    for, in load order (dimensions first)."""
    validate_batch_id(batch_id)
    lake = settings.open_lake()
    dataset = dataset or batch_dataset(lake, batch_id)
    names = [get_table(dataset, table).name] if table else [t.name for t in tables_of(dataset)]
    found = {}
    for name in names:
        uri = curated_uri(lake, dataset, name, batch_id)
        if has_parquet(lake, uri):
            found[name] = uri
    if not found:
        where = curated_table_uri(lake, dataset, table) if table else lake.uri(CURATED, dataset)
        raise UserError(f"no curated Parquet for batch {batch_id} under {where}")
    return dataset, found


def load_batch(
    settings: Settings, batch_id: str, dataset: str | None = None, table: str | None = None
) -> list[LoadResult]:
    dataset, tables = curated_tables(settings, batch_id, dataset, table)
    with open_warehouse(settings.warehouse) as warehouse:
        return [warehouse.load(batch_id, dataset, name, uri) for name, uri in tables.items()]


def register(app: typer.Typer) -> None:
    @app.command("load")
    def load(
        batch_id: str = typer.Option(
            ..., "--batch-id", help="The batch whose curated data to load."
        ),
        dataset: str | None = typer.Option(
            None, "--dataset", help="The batch's dataset (default: its manifest's)."
        ),
        table: str | None = typer.Option(None, "--table", help="Only this table."),
    ) -> None:
        """Load a batch's curated tables into the warehouse (SFN_ETL_WAREHOUSE), into the
        dataset's schema: one transaction per table; a batch already loaded is skipped."""
        results = load_batch(Settings.from_env(), batch_id, dataset, table)
        summary = Table("dataset", "table", "staged", "inserted", "updated", "status")
        for r in results:
            status = "skipped (already loaded)" if r.skipped else "loaded"
            counts = (str(n) for n in (r.rows_staged, r.inserted, r.updated))
            summary.add_row(r.dataset, r.table, *counts, status)
        Console().print(summary)
