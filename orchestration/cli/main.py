"""The `sfn-etl` command line. Each command group lives in its own module under commands/."""

from __future__ import annotations

import importlib
import sys

import typer

from orchestration.core.errors import UserError

COMMAND_MODULES = (
    "orchestration.cli.commands.data",
    "orchestration.cli.commands.run",
    "orchestration.cli.commands.deploy",
    "orchestration.cli.commands.load",
    "orchestration.cli.commands.schedule",
    "orchestration.cli.commands.validate",
    "orchestration.cli.commands.catalog",
    "orchestration.cli.commands.parked",
    "orchestration.cli.commands.graph",
    "orchestration.cli.commands.console",
    "orchestration.cli.commands.cost",
    "orchestration.cli.commands.task",
    "orchestration.cli.commands.coverage",
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
    except typer.Abort:
        return 130
    except Exception as exc:
        # Usage errors are click exceptions of whichever click typer bundles: shown, not raised.
        show = getattr(exc, "show", None)
        exit_code = getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            return exit_code
        raise
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
