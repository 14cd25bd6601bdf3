"""`sfn-etl task success|failure|heartbeat TOKEN`: answer a local `.waitForTaskToken` task, as
`aws stepfunctions send-task-success|send-task-failure|send-task-heartbeat` answer one on AWS."""

from __future__ import annotations

import typer

from orchestration.core.settings import Settings

task_app = typer.Typer(help="Answer tasks waiting for a task token (.waitForTaskToken).")


def register(app: typer.Typer) -> None:
    app.add_typer(task_app, name="task")


def _mailbox():
    from orchestration.engine.task_tokens import Mailbox

    return Mailbox.under(Settings.from_env().home)


@task_app.command("success")
def success_command(
    token: str = typer.Argument(..., help="The task token ($$.Task.Token) the task sent."),
    output: str = typer.Option(..., "--output", help="The task's output, a JSON value."),
) -> None:
    """SendTaskSuccess: the waiting task succeeds with this output."""
    _mailbox().send_success(token, output)


@task_app.command("failure")
def failure_command(
    token: str = typer.Argument(..., help="The task token ($$.Task.Token) the task sent."),
    error: str = typer.Option(None, "--error", help="The error name Retry and Catch match."),
    cause: str = typer.Option(None, "--cause", help="A more detailed explanation."),
) -> None:
    """SendTaskFailure: the waiting task fails with this error and cause."""
    _mailbox().send_failure(token, error, cause)


@task_app.command("heartbeat")
def heartbeat_command(
    token: str = typer.Argument(..., help="The task token ($$.Task.Token) the task sent."),
) -> None:
    """SendTaskHeartbeat: the task is still being worked on (restarts HeartbeatSeconds)."""
    _mailbox().send_heartbeat(token)
