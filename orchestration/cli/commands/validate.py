"""`sfn-etl validate --batch-id B` runs the validate job locally on a dataset's batch; `sfn-etl
docs` prints where the Data Docs of a validated batch are."""

from __future__ import annotations

import typer

from orchestration.core.errors import UserError
from orchestration.core.lake import VALIDATION, Lake
from orchestration.core.layout import docs_index_uri, summary_uri
from orchestration.core.settings import Settings


def register(app: typer.Typer) -> None:
    app.command("validate")(validate_command)
    app.command("docs")(docs_command)


def validate_command(
    batch_id: str = typer.Option(..., "--batch-id", help="The transformed batch to validate."),
    dataset: str | None = typer.Option(
        None, help="The batch's dataset (default: the one its manifest names)."
    ),
    max_quarantine_share: float | None = typer.Option(
        None,
        help="Largest share of a table's rows the transform may quarantine (default: the "
        "dataset's declared share).",
    ),
    warehouse: str | None = typer.Option(
        None, help="Warehouse URL holding earlier batches' keys (default SFN_ETL_WAREHOUSE)."
    ),
) -> int:
    """Run the expectation suites over a batch's curated tables.

    Exit status: 0 the data passed, 1 it failed (see the summary), 2 validation could not run.
    """
    settings = Settings.from_env()
    argv = ["--JOB_NAME", "validate", "--lake", settings.lake, "--batch_id", batch_id]
    if dataset:
        argv += ["--dataset", dataset]
    if max_quarantine_share is not None:
        argv += ["--max_quarantine_share", str(max_quarantine_share)]
    if warehouse:
        argv += ["--warehouse", warehouse]
    # Imported here: Great Expectations and Spark take seconds to load, other commands need neither.
    from jobs import validate

    validate.main(argv)
    lake = settings.open_lake()
    summary = lake.read_json(summary_uri(lake, batch_id))
    return 0 if summary["success"] else 1


def docs_command(
    batch_id: str | None = typer.Option(
        None, "--batch-id", help="Default: the batch validated last."
    ),
) -> None:
    """Print the path of the Data Docs index page of a validated batch."""
    lake = Settings.from_env().open_lake()
    batch_id = batch_id or _last_validated(lake)
    index = docs_index_uri(lake, batch_id)
    if not lake.exists(index):
        raise UserError(
            f"no Data Docs for batch {batch_id}: {index} is missing; "
            f"run `sfn-etl validate --batch-id {batch_id}`"
        )
    typer.echo(index)


def _last_validated(lake: Lake) -> str:
    root = lake.uri(VALIDATION)
    depth = root.rstrip("/").count("/") + 2
    summaries = [
        o.uri
        for o in lake.list(root)
        if o.uri.endswith("/summary.json") and o.uri.count("/") == depth
    ]
    if not summaries:
        raise UserError(
            f"no validated batch under {root}: run `sfn-etl validate --batch-id ID` first"
        )
    latest = max(
        (lake.read_json(uri) for uri in summaries),
        key=lambda summary: (summary.get("validated_at", ""), summary.get("batch_id", "")),
    )
    return latest["batch_id"]
