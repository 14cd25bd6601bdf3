"""`sfn-etl schedule` runs executions on an EventBridge Scheduler expression; `sfn-etl watch`
starts one when new raw files have settled (the local S3 Object Created trigger)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Console

from orchestration.cli.commands.run import parse_execution_input
from orchestration.core.errors import UserError
from orchestration.core.settings import Settings
from orchestration.engine.schedule import DEFAULT_SCHEDULE, parse_schedule
from orchestration.engine.scheduler import OnStop, Scheduler, utc_now


def register(app: typer.Typer) -> None:
    app.command("schedule")(schedule_command)
    app.command("watch")(watch_command)


RunOnce = Callable[[dict[str, Any]], str]
"""Runs one execution with the given input to its end; returns its name and status."""

# Time and the execution are looked up here at call time, so a test can monkeypatch a fake
# clock and sleep (and a fake execution) without the commands growing test-only options.
clock: Callable[[], datetime] = utc_now
monotonic: Callable[[], float] = time.monotonic
sleep: Callable[[float], bool] | None = None
"""Sleep up to the given seconds; True when a stop was requested. None: real time."""


def schedule_command(
    expression: str = typer.Option(
        DEFAULT_SCHEDULE,
        "--expression",
        help='EventBridge Scheduler expression: "rate(15 minutes)" or "cron(0 2 * * ? *)" (UTC).',
    ),
    allow_overlap: bool = typer.Option(
        False,
        "--allow-overlap",
        help="Start a tick's execution even while one runs (default: skip the tick and log it). "
        "The engine still refuses a second execution on the same lake.",
    ),
    on_stop: Annotated[
        OnStop,
        typer.Option(
            "--on-stop",
            help="On Ctrl-C: finish the running execution, or abandon it (its files stay "
            "uncommitted for the next run).",
        ),
    ] = OnStop.finish,
    max_executions: int = typer.Option(
        None, "--max-executions", min=1, help="Stop after this many ticks (started or skipped)."
    ),
    input_json: str = typer.Option("{}", "--input", help="Input of every execution, JSON."),
    time_scale: float = typer.Option(1.0, help="Multiply retry delays by this."),
) -> int:
    """Run executions on a schedule, locally, as EventBridge Scheduler would start them."""
    schedule = parse_schedule(expression)
    execution_input = parse_execution_input(input_json)
    run_once = make_run_once(time_scale)
    log = _logger()

    def start(due: datetime) -> None:
        _run_logged(run_once, {**execution_input}, log, f"tick at {due.isoformat()}")

    scheduler = Scheduler(
        schedule, start, allow_overlap=allow_overlap, log=log, clock=clock, wait=sleep
    )
    log(f"schedule {expression}: Ctrl-C stops ({on_stop.value} the running execution)")
    scheduler.run(max_ticks=max_executions, on_stop=OnStop(on_stop))
    log(f"stopped: {scheduler.started} execution(s) started, {scheduler.skipped} tick(s) skipped")
    return 0


def watch_command(
    poll_seconds: float = typer.Option(10.0, "--poll-seconds", min=0.1, help="Poll interval."),
    quiet_seconds: float = typer.Option(
        60.0,
        "--quiet-seconds",
        min=0.0,
        help="Start an execution once no new raw file arrived for this long.",
    ),
    max_executions: int = typer.Option(
        None, "--max-executions", min=1, help="Stop after this many executions."
    ),
    input_json: str = typer.Option("{}", "--input", help="Input of every execution, JSON."),
    time_scale: float = typer.Option(1.0, help="Multiply retry delays by this."),
) -> int:
    """Poll the raw zone; start an execution when uncommitted files have settled."""
    from orchestration.engine.watch import Watcher

    execution_input = parse_execution_input(input_json)
    run_once = make_run_once(time_scale)
    log = _logger()
    settings = Settings.from_env()
    watcher = Watcher(
        settings.open_lake(),
        lambda: _run_logged(run_once, {**execution_input}, log, "new raw files"),
        poll_seconds=poll_seconds,
        quiet_seconds=quiet_seconds,
        log=log,
        clock=monotonic,
        wait=sleep,
    )
    log(f"watching {settings.open_lake().uri('raw')} every {poll_seconds:g} s; Ctrl-C stops")
    watcher.run(max_executions=max_executions)
    log(f"stopped: {watcher.started} execution(s) started")
    return 0


def make_run_once(time_scale: float) -> RunOnce:
    """One real execution through the engine (the same path as `sfn-etl run`)."""

    def run_once(execution_input: dict[str, Any]) -> str:
        from orchestration.engine import RunRequest, run_execution
        from orchestration.engine.progress import Progress

        progress = Progress(Console(stderr=True, soft_wrap=True))
        request = RunRequest(input=execution_input, time_scale=time_scale)
        result = run_execution(Settings.from_env(), request, progress.on_event, progress.on_outbox)
        return f"{result.record['name']} {result.status}"

    return run_once


def _run_logged(run_once: RunOnce, execution_input: dict[str, Any], log, why: str) -> None:
    try:
        outcome = run_once(execution_input)
    except UserError as exc:
        # e.g. another execution holds the lake's lock: refused, nothing written.
        log(f"{why}: execution refused: {exc}")
        return
    except Exception as exc:  # noqa: BLE001 - a schedule outlives one broken execution
        log(f"{why}: execution crashed: {type(exc).__name__}: {exc}")
        return
    log(f"{why}: execution {outcome}")


def _logger() -> Callable[[str], None]:
    console = Console(stderr=True, soft_wrap=True, highlight=False)

    def log(message: str) -> None:
        console.print(f"[dim]{utc_now():%Y-%m-%dT%H:%M:%SZ}[/] {message}", markup=True)

    return log
