"""`sfn-etl run` runs one execution locally; `sfn-etl executions list|describe|history` show them
in the shapes of the AWS CLI's list-executions, describe-execution and get-execution-history."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from orchestration.cli.streams import stdout_to_stderr
from orchestration.core.errors import UserError
from orchestration.core.settings import Settings

executions_app = typer.Typer(help="Executions run locally (kept under SFN_ETL_HOME).")


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)
    app.add_typer(executions_app, name="executions")


def run_command(
    datasets: list[str] = typer.Option(
        None, "--dataset", help="Only this dataset (repeatable; default: every dataset)."
    ),
    input_json: str = typer.Option("{}", "--input", help="Execution input, a JSON object."),
    name: str = typer.Option(None, help="Execution name (default: unique and time-sortable)."),
    isolated: bool = typer.Option(
        False, "--isolated", help="spark-submit each Glue job in its own process, as Glue does."
    ),
    mock_config: Annotated[
        Path | None,
        typer.Option(help="Step Functions Local mock configuration file (with --test-case)."),
    ] = None,
    test_case: str = typer.Option(None, help="Test case of --mock-config whose states to mock."),
    time_scale: float = typer.Option(
        1.0,
        help="Multiply retry delays and Wait states by this (e.g. 0.01 to compress time in a "
        "demo); Task timeouts stay wall-clock time.",
    ),
    definition: Annotated[
        Path | None,
        typer.Option(help="Run this ASL definition instead of the pipeline's."),
    ] = None,
    resources: Annotated[
        Path | None,
        typer.Option(
            help="Where the definition's Lambdas, Glue jobs and state machines run locally (TOML "
            "or JSON; default: [tool.sfn-etl.resources] in the nearest pyproject.toml)."
        ),
    ] = None,
    state_machine: str = typer.Option(
        None,
        help="The state machine's name, in ARNs and --mock-config (default: the definition "
        "file's name, sfn-etl for the pipeline's).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> int:
    """Run the state machine once, locally; exit 0 only if the execution SUCCEEDED."""
    from orchestration.engine import RunRequest, run_execution
    from orchestration.engine.progress import Progress
    from orchestration.engine.summary import summarize, summarize_execution

    execution_input = parse_execution_input(input_json)
    if datasets:
        from transforms.registry import select

        execution_input["datasets"] = [d.name for d in select(datasets)]
    request = RunRequest(
        input=execution_input,
        name=name,
        isolated=isolated,
        mock_config=mock_config,
        test_case=test_case,
        time_scale=time_scale,
        definition_path=definition,
        resources_path=resources,
        state_machine=state_machine,
    )
    settings = Settings.from_env()
    progress = Progress(Console(stderr=True, soft_wrap=True))
    stdout = sys.stdout
    # Jobs and handlers print as they run; stdout carries only the summary.
    with stdout_to_stderr():
        result = run_execution(settings, request, progress.on_event, progress.on_outbox)
    console = Console(file=stdout, width=None if stdout.isatty() else 1000)
    if definition is not None:
        # Another definition's outputs say nothing of datasets: its summary is the execution's.
        summary = summarize_execution(result.record)
    else:
        summary = summarize(result.record, result.events, settings.open_lake())
    if as_json:
        stdout.write(json.dumps(summary, indent=2) + "\n")
    elif definition is not None:
        _print_execution(console, summary)
    else:
        _print_summary(console, summary)
    return 0 if result.status == "SUCCEEDED" else 1


@executions_app.command("list")
def list_command(
    status: str = typer.Option(None, "--status-filter", help="RUNNING, SUCCEEDED, FAILED, ..."),
    max_items: int = typer.Option(None, help="Show at most this many (newest first)."),
    as_json: bool = typer.Option(False, "--json", help="Print as list-executions JSON."),
) -> None:
    """List executions, newest first."""
    items = _store().list(status)[: max_items or None]
    if as_json:
        _print_json({"executions": items})
        return
    table = Table("name", "status", "startDate", "stopDate", box=None)
    for item in items:
        table.add_row(
            item["name"], _status(item["status"]), item["startDate"], item.get("stopDate")
        )
    _stdout_console().print(table)


@executions_app.command("describe")
def describe_command(
    name: str = typer.Argument(..., help="Execution name or ARN."),
    as_json: bool = typer.Option(False, "--json", help="Print as describe-execution JSON."),
) -> None:
    """Describe one execution: status, input, output or error and cause."""
    record = _store().describe(name)
    if as_json:
        _print_json(record)
        return
    table = Table(show_header=False, box=None)
    for key, value in record.items():
        shown = _status(value) if key == "status" else value
        table.add_row(key, shown if isinstance(shown, str) else json.dumps(shown))
    _stdout_console().print(table)


@executions_app.command("redrive")
def redrive_command(
    name: str = typer.Argument(..., help="Execution name or ARN (FAILED, TIMED_OUT or ABORTED)."),
    definition: Annotated[
        Path | None,
        typer.Option(help="The ASL definition the execution ran, if not the pipeline's."),
    ] = None,
    resources: Annotated[
        Path | None,
        typer.Option(help="Resources mapping (TOML or JSON), as for `run --resources`."),
    ] = None,
    time_scale: float = typer.Option(1.0, help="Multiply retry delays and waits by this."),
) -> int:
    """Redrive an execution, as RedriveExecution: from its unsuccessful state, with that state's
    input; steps and Map iterations that succeeded are not run again."""
    from orchestration.engine.progress import Progress
    from orchestration.engine.redrive import redrive_execution

    progress = Progress(Console(stderr=True, soft_wrap=True))
    with stdout_to_stderr():
        result = redrive_execution(
            Settings.from_env(),
            name,
            definition_path=definition,
            resources_path=resources,
            time_scale=time_scale,
            on_event=progress.on_event,
            on_outbox=progress.on_outbox,
        )
    record = result.record
    status, count = _status(record["status"]), record["redriveCount"]
    line = f"execution {record['name']} {status} (redrive {count})"
    if record.get("error"):
        line += f"\n  error: {record['error']}: {record.get('cause')}"
    _stdout_console().print(line, highlight=False)
    return 0 if result.status == "SUCCEEDED" else 1


@executions_app.command("history")
def history_command(
    name: str = typer.Argument(..., help="Execution name or ARN."),
    reverse_order: bool = typer.Option(False, help="Newest event first."),
    as_json: bool = typer.Option(False, "--json", help="Print as get-execution-history JSON."),
) -> None:
    """The history events of one execution."""
    events = _store().history(name)
    if reverse_order:
        events.reverse()
    if as_json:
        _print_json({"events": events})
        return
    table = Table("id", "timestamp", "type", "details", box=None)
    for event in events:
        details = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
        brief = {k: v for k, v in details.items() if k in ("name", "error", "cause", "resource")}
        if event["type"] == "RetryScheduled":
            brief = details
        table.add_row(str(event["id"]), event["timestamp"], event["type"], _brief(brief))
    _stdout_console().print(table)


def parse_execution_input(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"--input is not JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(value, dict):
        raise UserError("--input must be a JSON object, e.g. '{\"max_concurrency\": 2}'")
    return value


def _store():
    from orchestration.engine.store import ExecutionStore

    return ExecutionStore(Settings.from_env().home)


def _stdout_console() -> Console:
    # Piped output is for reading in full: no terminal width to truncate columns to.
    return Console(width=None if sys.stdout.isatty() else 1000)


def _print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2) + "\n")


def _status(status: str) -> str:
    colour = {"SUCCEEDED": "green", "FAILED": "red", "RUNNING": "cyan"}.get(status, "yellow")
    return f"[{colour}]{status}[/]"


def _brief(details: dict[str, Any], limit: int = 100) -> str:
    text = " ".join(f"{k}={v}" for k, v in details.items())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _print_parked(console: Console, parked: dict[str, Any], indent: str) -> None:
    console.print(
        f"{indent}[yellow]parked {parked['path']}[/]: {parked['reason']} "
        "(sfn-etl parked show/release)",
        highlight=False,
    )


def _print_outcome(console: Console, summary: dict[str, Any]) -> None:
    duration = summary["duration_seconds"]
    console.print(
        f"execution {summary['execution']} {_status(summary['status'])} in {duration:.1f} s",
        highlight=False,
    )
    if summary.get("error"):
        console.print(f"  error: {summary['error']}: {summary.get('cause')}", highlight=False)


def _print_execution(console: Console, summary: dict[str, Any]) -> None:
    _print_outcome(console, summary)
    if "output" in summary:
        console.print(f"  output: {json.dumps(summary['output'])}", highlight=False)


def _print_summary(console: Console, summary: dict[str, Any]) -> None:
    _print_outcome(console, summary)
    for uri in summary["unclaimed_files"]:
        console.print(f"  [yellow]no dataset claims {uri}[/]: left in place", highlight=False)
    for parked in summary["parked_files"]:
        _print_parked(console, parked, "  ")
    if not summary["batch_id"]:
        if summary["status"] == "SUCCEEDED":
            console.print("  nothing new: no uncommitted raw files", highlight=False)
        return
    for name, entry in sorted(summary["datasets"].items()):
        status = entry["status"]
        colour = {"committed": "green", "failed": "red"}.get(status, "yellow")
        console.print(
            f"  {name}: [{colour}]{status}[/] batch {entry['batch_id']} "
            f"({entry['files']} files), validation {entry['validation']}",
            highlight=False,
        )
        if entry.get("error"):
            console.print(f"    {entry['error']}: {entry.get('cause')}", highlight=False)
        quarantined = entry["quarantined"]
        details = ", ".join(f"{t} {rows}" for t, rows in sorted(quarantined.items()) if rows)
        console.print(
            f"    quarantined rows: {sum(quarantined.values())}"
            + (f" ({details})" if details else ""),
            highlight=False,
        )
        held = {t: rows for t, rows in entry["held"].items() if rows}
        if held:
            details = ", ".join(f"{t} {rows}" for t, rows in sorted(held.items()))
            console.print(
                f"    held rows (waiting for their parent): {sum(held.values())} ({details})",
                highlight=False,
            )
        for parked in entry["parked_files"]:
            _print_parked(console, parked, "    ")
        if entry["tables"]:
            table = Table("table", "staged", "inserted", "updated", "skipped", box=None)
            for table_name, load in sorted(entry["tables"].items()):
                table.add_row(
                    f"{name}.{table_name}",
                    *(str(load.get(key, "")) for key in ("rows_staged", "inserted", "updated")),
                    str(load.get("skipped", "")),
                )
            console.print(table)
        if entry["catalog_partitions"]:
            console.print(
                f"    catalog: {entry['catalog_partitions']} partitions registered",
                highlight=False,
            )
