"""`sfn-etl seed` lands sample raw extracts; `sfn-etl job NAME -- ARGS` runs a Glue job locally."""

from __future__ import annotations

import importlib
import time
from datetime import date

import typer

from orchestration.errors import UserError
from orchestration.seed import DEFAULT_FIRST_INGEST_DATE, seed
from orchestration.settings import Settings

JOBS = ("transform", "validate")


def register(app: typer.Typer) -> None:
    app.command("seed")(seed_command)
    app.command(
        "job",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )(job_command)


def seed_command(
    scale: float = typer.Option(0.01, help="TPC-H scale factor (0.01 is about 86k rows)."),
    batches: int = typer.Option(3, help="Daily extracts to split orders and lineitem into."),
    first_ingest_date: str = typer.Option(
        DEFAULT_FIRST_INGEST_DATE.isoformat(), help="ingest_date of the first batch."
    ),
    only: list[int] = typer.Option(
        None, help="Land only these batches (1-based), e.g. --only 4 for a late extract."
    ),
) -> None:
    """Generate TPC-H with tpchgen-cli and land it as raw extracts in the lake."""
    settings = Settings.from_env()
    try:
        first = date.fromisoformat(first_ingest_date)
    except ValueError as exc:
        raise UserError(f"--first-ingest-date: {first_ingest_date!r} is not YYYY-MM-DD") from exc
    started = time.perf_counter()
    result = seed(settings.open_lake(), scale, batches, first, set(only) if only else None)
    elapsed = time.perf_counter() - started
    typer.echo(
        f"seeded {settings.lake}: {len(result.written)} files written, "
        f"{len(result.unchanged)} unchanged ({elapsed:.1f} s)"
    )
    for table, rows in sorted(result.rows.items()):
        typer.echo(f"  {table:<17} {rows:>10,} rows")


def job_command(ctx: typer.Context, name: str = typer.Argument(..., help="transform | validate")):
    """Run a Glue job script on the local runtime: `sfn-etl job transform -- --batch_id B`."""
    if name not in JOBS:
        raise UserError(f"unknown job {name!r}; jobs: {', '.join(JOBS)}")
    argv = list(ctx.args)
    if "--lake" not in argv:
        argv += ["--lake", Settings.from_env().lake]
    module = importlib.import_module(f"jobs.{name}")
    return module.main(argv)
