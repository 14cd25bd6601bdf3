"""`sfn-etl catalog`: the local Glue Data Catalog's tables, or a query over them."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from orchestration.core.settings import Settings
from orchestration.engine.catalog import LocalCatalog


def register(app: typer.Typer) -> None:
    @app.command("catalog")
    def catalog(
        sql: str | None = typer.Option(
            None, "--sql", help='A DuckDB query, e.g. "SELECT COUNT(*) FROM tpch.fact_sales".'
        ),
    ) -> None:
        """List the databases and tables of the local catalog (SFN_ETL_CATALOG) with their
        partitions, or print the rows of a query over them."""
        local = LocalCatalog(Settings.from_env().catalog)
        console = Console()
        if sql is not None:
            columns, rows = local.query(sql)
            result = Table(*columns)
            for row in rows:
                result.add_row(*("NULL" if value is None else str(value) for value in row))
            console.print(result)
            return
        tables = local.tables()
        if not tables:
            console.print(f"no partitions registered in {local.path}")
            return
        summary = Table("database", "table", "partitions", "latest partition")
        for entry in tables:
            summary.add_row(entry.database, entry.table, str(entry.partitions), entry.latest)
        console.print(summary)
