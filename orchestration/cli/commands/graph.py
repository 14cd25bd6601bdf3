"""`sfn-etl graph`: the picture of the definition, coloured by an execution when one is named
(orchestration/insight/graph.py)."""

from __future__ import annotations

from pathlib import Path

import typer

from orchestration.core.settings import Settings
from orchestration.engine.definition import load_definition
from orchestration.engine.store import ExecutionStore
from orchestration.insight.graph import build_graph, write
from orchestration.insight.paths import trace


def register(app: typer.Typer) -> None:
    app.command("graph")(graph_command)


def graph_command(
    execution: str = typer.Option(
        None, "--execution", help="Colour each state by what happened to it in this execution."
    ),
    definition: Path = typer.Option(
        None, "--definition", help="The ASL file (default: the shipped state machine)."
    ),
    output: Path = typer.Option(
        None, "-o", "--output", help="Write FILE.svg, FILE.png or FILE.dot; default: DOT on stdout."
    ),
) -> None:
    """Draw the state machine with Graphviz: Map and Parallel as clusters, Choice rules, Catch
    edges dashed, Retry on the state."""
    loaded = load_definition(definition)
    path = title = None
    if execution is not None:
        store = ExecutionStore(Settings.from_env().home)
        record = store.describe(execution)
        path = trace(store.history(execution))
        title = f"execution {record['name']}: {record['status']}"
        unknown = sorted(set(path.runs) - loaded.state_names())
        if unknown:
            typer.echo(
                f"warning: execution {record['name']} ran states this definition lacks: "
                f"{', '.join(unknown)}",
                err=True,
            )
    graph = build_graph(loaded.document, path, title)
    if output is None:
        typer.echo(graph.source, nl=False)
        return
    write(graph, output)
    typer.echo(f"wrote {output}")
