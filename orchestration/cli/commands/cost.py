"""`sfn-etl cost`: what an execution would cost on AWS, from its history, infra/ and a dated
price file."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from orchestration.core.errors import UserError
from orchestration.core.settings import Settings

DEFAULT_INFRA = Path(__file__).resolve().parents[3] / "infra"
"""The source tree's Terraform configuration."""


def register(app: typer.Typer) -> None:
    app.command("cost")(cost_command)


def cost_command(
    name: str = typer.Argument(None, help="Execution name or ARN (default: the newest)."),
    monthly: bool = typer.Option(
        False, "--monthly", help="Also the cost of a month (30 days) of the configured schedule."
    ),
    region: str = typer.Option(
        None, "--region", help="Price in this region (default: infra's aws_region)."
    ),
    prices_file: Path = typer.Option(
        None,
        "--prices",
        envvar="SFN_ETL_PRICES",
        help="A prices file in the format of orchestration/insight/prices/*.json.",
    ),
    infra: Path = typer.Option(DEFAULT_INFRA, "--infra", help="The Terraform configuration."),
    as_json: bool = typer.Option(False, "--json", help="Print the cost as JSON."),
) -> None:
    """Price one local execution at AWS's list prices: Step Functions transitions, Glue
    DPU-seconds, Lambda requests and GB-seconds, Redshift Serverless RPU-seconds, SNS, SQS, S3."""
    from orchestration.engine.store import ExecutionStore
    from orchestration.insight.cost import execution_cost
    from orchestration.insight.prices import load_prices
    from orchestration.insight.terraform_config import read_terraform_config

    store = ExecutionStore(Settings.from_env().home)
    if name is None:
        executions = store.list()
        if not executions:
            raise UserError(f"no executions under {store.root}: run `sfn-etl run` first")
        # Started last, whatever its name: a name given with --name need not sort by time.
        name = max(executions, key=lambda item: item["startDate"])["name"]
    record = store.describe(name)
    config = read_terraform_config(infra)
    prices = load_prices(region or config.region, prices_file)
    cost = execution_cost(
        record["name"],
        store.history(name),
        config,
        prices,
        monthly_from=datetime.now(UTC) if monthly else None,
    )
    if as_json:
        sys.stdout.write(json.dumps(cost.to_json(), indent=2) + "\n")
        return
    console = Console(width=None if sys.stdout.isatty() else 1000)
    console.print(
        f"execution {cost.execution} ({record['status']}) at prices of {cost.prices_date} "
        f"({cost.region}), {_shown(prices.source)}",
        highlight=False,
    )
    table = Table("service", "usage", "USD", box=None)
    for item in cost.items:
        table.add_row(item.service, item.usage, _usd(item.cost))
    table.add_row("total", "", _usd(cost.total))
    console.print(table)
    if cost.executions_per_month is not None:
        console.print(
            f"a month: {cost.executions_per_month.normalize():f} executions of {cost.schedule} in "
            f"30 days = {_usd(cost.monthly_total)}",
            highlight=False,
        )
    for note in cost.notes:
        console.print(f"note: {note}", highlight=False)
    for missing in cost.not_counted:
        console.print(f"not counted: {missing}", highlight=False)


def _usd(amount: Decimal) -> str:
    # Per-request prices are millionths of a dollar: cents would show them as zero.
    return f"${amount:.10f}".rstrip("0").rstrip(".") if amount else "$0"


def _shown(path: str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return path
