"""`sfn-etl coverage [EXECUTION...]`: what a set of local executions exercised of the definition."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orchestration.core.settings import Settings


def register(app: typer.Typer) -> None:
    app.command("coverage")(coverage_command)


def coverage_command(
    executions: list[str] = typer.Argument(
        None, help="Execution names (default: every one that ran this definition)."
    ),
    definition: Annotated[
        Path | None, typer.Option(help="The ASL definition (default: the pipeline's).")
    ] = None,
) -> None:
    """States, transitions, Retry and Catch paths the executions ran, and those never run."""
    from orchestration.engine.definition import load_definition
    from orchestration.engine.store import ExecutionStore
    from orchestration.insight.coverage import coverage, executions_of

    store = ExecutionStore(Settings.from_env().home)
    loaded = load_definition(definition)
    names = executions or executions_of(store, loaded.text)
    report = coverage(loaded.document, (store.history(n) for n in names))
    typer.echo(f"{len(names)} executions: {report.summary()}")
    for line in report.never_run():
        typer.echo(f"  never run: {line}")
