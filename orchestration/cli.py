"""The `sfn-etl` command line. Each command group lives in its own module under commands/."""

from __future__ import annotations

import importlib
import sys

import typer

from orchestration.errors import UserError

COMMAND_MODULES = (
    "orchestration.commands.data",
    "orchestration.commands.run",
    "orchestration.commands.deploy",
    "orchestration.commands.load",
    "orchestration.commands.schedule",
)

app = typer.Typer(
    help="Build, run and deploy the Glue + Step Functions ETL pipeline, locally or on AWS.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module_name in COMMAND_MODULES:
    importlib.import_module(module_name).register(app)


def main(argv: list[str] | None = None) -> int:
    try:
        result = app(args=argv, standalone_mode=False)
    except UserError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except SystemExit as exc:
        return int(exc.code or 0)
    except Exception as exc:  # noqa: BLE001 - click's own usage errors arrive here too
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return exc.exit_code
        if isinstance(exc, click.exceptions.Abort):
            return 130
        raise
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
