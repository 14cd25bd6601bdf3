"""`sfn-etl console`: the local, read-only web console (orchestration/insight/console/)."""

from __future__ import annotations

from pathlib import Path

import typer

from orchestration.core.settings import Settings
from orchestration.engine.definition import load_definition
from orchestration.insight.console.server import HOST, Console, make_server

DEFAULT_PORT = 8008


def register(app: typer.Typer) -> None:
    app.command("console")(console_command)


def console_command(
    port: int = typer.Option(DEFAULT_PORT, "--port", help="Port on 127.0.0.1; 0 picks a free one."),
    definition: Path = typer.Option(
        None, "--definition", help="The ASL file the graphs draw (default: the shipped one)."
    ),
) -> None:
    """Serve the executions, their graphs, timelines, datasets, validation and history on
    http://127.0.0.1:PORT/ until Ctrl-C; read-only."""
    console = Console(Settings.from_env(), load_definition(definition).document)
    server = make_server(console, port)
    typer.echo(f"sfn-etl console on http://{HOST}:{server.server_port}/ (Ctrl-C stops it)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        typer.echo("stopped")
    finally:
        server.server_close()
