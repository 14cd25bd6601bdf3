"""`sfn-etl package` builds dist/; `sfn-etl deploy` uploads it and repoints AWS resources."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orchestration.core.errors import UserError
from orchestration.core.json_files import read_json_object

DEFAULT_DIST = Path("dist")
DEFAULT_PREFIX = "sfn-etl"
"""infra/'s default artifacts_prefix: the Glue role reads artifacts only under it."""


def register(app: typer.Typer) -> None:
    app.command("package")(package_command)
    app.command("deploy")(deploy_command)


def package_command(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the artifacts to.")] = (
        DEFAULT_DIST
    ),
    tfvars: Annotated[
        Path | None,
        typer.Option(
            "--tfvars",
            help="Where to render the datasets for Terraform "
            "(default: infra/datasets.auto.tfvars.json of the source tree).",
        ),
    ] = None,
) -> None:
    """Build the Glue job scripts, the job wheel, the Lambda zip and the definition into dist/,
    and render the dataset registry into infra/datasets.auto.tfvars.json."""
    from orchestration.tooling.packaging import PROJECT_ROOT, TFVARS, build, write_datasets_tfvars

    package = build(out)
    tfvars = tfvars or PROJECT_ROOT / TFVARS
    write_datasets_tfvars(tfvars)
    typer.echo(f"packaged sfn-etl {package.version} into {out}")
    for artifact in package.artifacts:
        typer.echo(f"  {artifact.path:<40} {artifact.size:>10,} B  sha256 {artifact.sha256[:12]}")
    typer.echo(f"rendered the datasets for Terraform into {tfvars}")


def deploy_command(
    bucket: Annotated[
        str, typer.Option("--bucket", help="Artifacts bucket (terraform output artifacts_bucket).")
    ],
    prefix: Annotated[
        str, typer.Option("--prefix", help="Key prefix (terraform output artifacts_prefix).")
    ] = DEFAULT_PREFIX,
    dist: Annotated[Path, typer.Option("--dist", help="What `sfn-etl package` built.")] = (
        DEFAULT_DIST
    ),
    glue_job: Annotated[
        list[str] | None,
        typer.Option("--glue-job", help="SCRIPT=JOB: point Glue job JOB at jobs/SCRIPT.py."),
    ] = None,
    lambda_function: Annotated[
        list[str] | None,
        typer.Option("--lambda", help="Point this Lambda function at the new zip."),
    ] = None,
    state_machine: Annotated[
        str | None, typer.Option("--state-machine", help="Update this state machine's definition.")
    ] = None,
    definition_values: Annotated[
        Path | None,
        typer.Option(
            "--definition-values",
            help="Placeholder values: terraform output -json definition_substitutions > FILE",
        ),
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="AWS region (default: from the environment).")
    ] = None,
) -> None:
    """Upload dist/ keyed by content hash; optionally repoint Glue jobs, Lambdas, a state machine.

    --glue-job and --lambda can be given more than once.
    """
    import boto3

    from orchestration.tooling.deploy import deploy, load_package

    if state_machine and definition_values is None:
        raise UserError("--state-machine needs --definition-values FILE")
    result = deploy(
        load_package(dist),
        bucket,
        prefix,
        glue_jobs=_parse_glue_jobs(glue_job or []),
        lambdas=lambda_function or [],
        state_machine=state_machine,
        definition_values=_read_values(definition_values) if definition_values else None,
        session=boto3.session.Session(region_name=region),
    )
    for upload in result.uploads:
        status = "uploaded " if upload.uploaded else "unchanged"
        typer.echo(f"{status} {upload.uri}")
    for target in result.repointed:
        status = "repointed" if target.changed else "unchanged"
        typer.echo(f"{status} {target.kind} {target.name}")


def _parse_glue_jobs(pairs: list[str]) -> dict[str, str]:
    jobs = {}
    for pair in pairs:
        script, sep, job = pair.partition("=")
        if not sep or not script or not job:
            raise UserError(
                f"--glue-job {pair!r}: expected SCRIPT=JOB, e.g. transform=sfn-etl-dev-transform"
            )
        jobs[script] = job
    return jobs


def _read_values(path: Path) -> dict[str, str]:
    values = read_json_object(path, "--definition-values file")
    if not all(isinstance(v, str) for v in values.values()):
        raise UserError(f"--definition-values file {path} must hold a JSON object of strings")
    return values
