"""`sfn-etl load`: load the curated tables of a batch from the lake into the warehouse."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from orchestration.errors import UserError
from orchestration.settings import Settings
from orchestration.warehouse import LoadResult, open_warehouse
from orchestration.warehouse.base import validate_batch_id
from orchestration.warehouse.tables import LOAD_ORDER, get_table


def curated_tables(settings: Settings, batch_id: str, table: str | None = None) -> dict[str, str]:
    """table -> curated URI for each table the batch has Parquet for, dimensions first."""
    validate_batch_id(batch_id)
    lake = settings.open_lake()
    names = [get_table(table).name] if table else list(LOAD_ORDER)
    found = {}
    for name in names:
        uri = lake.uri("curated", name, f"batch_id={batch_id}")
        if any(o.uri.endswith(".parquet") for o in lake.list(uri)):
            found[name] = uri
    if not found:
        where = lake.uri("curated", table) if table else lake.uri("curated")
        raise UserError(f"no curated Parquet for batch {batch_id} under {where}")
    return found


def load_batch(settings: Settings, batch_id: str, table: str | None = None) -> list[LoadResult]:
    tables = curated_tables(settings, batch_id, table)
    with open_warehouse(settings.warehouse) as warehouse:
        return [warehouse.load(batch_id, name, uri) for name, uri in tables.items()]


def register(app: typer.Typer) -> None:
    @app.command("load")
    def load(
        batch_id: str = typer.Option(
            ..., "--batch-id", help="The batch whose curated data to load."
        ),
        table: str | None = typer.Option(None, "--table", help="Only this table."),
    ) -> None:
        """Load a batch's curated tables into the warehouse (SFN_ETL_WAREHOUSE): one
        transaction per table; a batch already loaded is skipped."""
        results = load_batch(Settings.from_env(), batch_id, table)
        summary = Table("table", "staged", "inserted", "updated", "status")
        for r in results:
            status = "skipped (already loaded)" if r.skipped else "loaded"
            summary.add_row(
                r.table, *(str(n) for n in (r.rows_staged, r.inserted, r.updated)), status
            )
        Console().print(summary)
