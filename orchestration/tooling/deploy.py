"""`sfn-etl deploy`: upload what `sfn-etl package` built and point AWS resources at it.

Uploads are keyed by content (`<prefix>/<sha256>/<file name>`): an artifact already in the
bucket is never uploaded again, and a key never changes meaning, so a job or function can be
rolled back by pointing it at an older key. Repointing is by name, through boto3: a Glue job
gets the new script and wheel, a Lambda the new zip, a state machine the packaged definition
with its placeholders filled in exactly as Terraform's templatefile() fills them.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.core.errors import UserError
from orchestration.tooling.packaging import (
    GLUE_SCRIPT,
    LAMBDA,
    MANIFEST,
    STATE_MACHINE,
    WHEEL,
    Artifact,
    Package,
    sha256_file,
)

PYTHON_MODULES_ARGUMENT = "--additional-python-modules"

# templatefile(): `${name}` interpolates, `$${` and `%%{` escape, `%{` starts a directive.
_TEMPLATE_TOKEN = re.compile(r"\$\$\{|%%\{|%\{|\$\{([^}]*)\}")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Upload:
    artifact: Artifact
    uri: str
    uploaded: bool
    """False when the bucket already held this content."""


@dataclass(frozen=True)
class Repointed:
    kind: str
    name: str
    changed: bool
    """False when the resource already used these artifacts."""


@dataclass(frozen=True)
class DeployResult:
    uploads: tuple[Upload, ...]
    repointed: tuple[Repointed, ...]


def load_package(dist: Path) -> Package:
    """The package `sfn-etl package` wrote, after checking no artifact changed since."""
    manifest_path = dist / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UserError(f"{manifest_path} not found: run `sfn-etl package` first") from exc
    except json.JSONDecodeError as exc:
        raise UserError(f"{manifest_path}: not valid JSON; run `sfn-etl package` again") from exc
    artifacts = tuple(Artifact(**entry) for entry in manifest["artifacts"])
    for artifact in artifacts:
        path = dist / artifact.path
        if not path.is_file() or sha256_file(path) != artifact.sha256:
            raise UserError(f"{path} changed since it was packaged: run `sfn-etl package` again")
    return Package(dist=dist, version=manifest["version"], artifacts=artifacts)


def artifact_key(prefix: str, artifact: Artifact) -> str:
    return "/".join(p for p in (prefix.strip("/"), artifact.sha256, Path(artifact.path).name) if p)


def deploy(
    package: Package,
    bucket: str,
    prefix: str = "",
    *,
    glue_jobs: Mapping[str, str] | None = None,
    lambdas: Sequence[str] = (),
    state_machine: str | None = None,
    definition_values: Mapping[str, str] | None = None,
    session: Any = None,
) -> DeployResult:
    """Upload every artifact, then repoint the named resources.

    `glue_jobs` maps a job script (transform) to the Glue job that runs it; every function in
    `lambdas` gets the one Lambda zip; `state_machine` gets the packaged definition rendered
    with `definition_values` (Terraform's `definition_substitutions` output).
    """
    glue_jobs = dict(glue_jobs or {})
    scripts = {Path(a.path).stem: a for a in package.of_kind(GLUE_SCRIPT)}
    unknown = sorted(set(glue_jobs) - set(scripts))
    if unknown:
        raise UserError(
            f"no packaged job script {', '.join(unknown)}; scripts: {', '.join(sorted(scripts))}"
        )
    # Rendered before anything is uploaded: a definition that cannot be filled stops the deploy.
    definition = None
    if state_machine:
        if definition_values is None:
            raise UserError("a state machine needs the definition's placeholder values")
        text = package.file(package.one(STATE_MACHINE)).read_text(encoding="utf-8")
        definition = render_definition(text, definition_values)

    if session is None:
        import boto3

        session = boto3.session.Session()
    s3 = session.client("s3")
    uploads = tuple(_upload(s3, package, a, bucket, prefix) for a in package.artifacts)
    uris = {upload.artifact: upload.uri for upload in uploads}

    repointed = []
    if glue_jobs:
        glue = session.client("glue")
        wheel_uri = uris[package.one(WHEEL)]
        for script, job in sorted(glue_jobs.items()):
            changed = repoint_glue_job(glue, job, uris[scripts[script]], wheel_uri)
            repointed.append(Repointed("glue job", job, changed))
    if lambdas:
        client = session.client("lambda")
        code = package.one(LAMBDA)
        key = artifact_key(prefix, code)
        for name in lambdas:
            changed = repoint_lambda(client, name, bucket, key, code.sha256)
            repointed.append(Repointed("lambda", name, changed))
    if state_machine and definition is not None:
        changed = repoint_state_machine(session.client("stepfunctions"), state_machine, definition)
        repointed.append(Repointed("state machine", state_machine, changed))
    return DeployResult(uploads=uploads, repointed=tuple(repointed))


# -- templatefile() ----------------------------------------------------------------------------


def render_definition(text: str, values: Mapping[str, str]) -> str:
    """Fill `${Name}` placeholders as Terraform's templatefile() does; refuse what it refuses."""
    missing: set[str] = set()

    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("$${", "%%{"):
            return token[1:]
        if token == "%{":
            raise UserError(
                "the definition has a template directive (%{...}); only ${Name} is supported"
            )
        name = match.group(1).strip()
        if not _IDENTIFIER.match(name):
            raise UserError(
                f"the definition has ${{{name}}}; only ${{Name}} placeholders are supported"
            )
        if name not in values:
            missing.add(name)
            return token
        return str(values[name])

    rendered = _TEMPLATE_TOKEN.sub(substitute, text)
    if missing:
        raise UserError(
            f"no value for placeholder(s) {', '.join(sorted(missing))} of the definition"
        )
    try:
        json.loads(rendered)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"the filled-in definition is not valid JSON (line {exc.lineno}: {exc.msg})"
        ) from exc
    return rendered


# -- S3 ------------------------------------------------------------------------------------------


def _upload(s3: Any, package: Package, artifact: Artifact, bucket: str, prefix: str) -> Upload:
    key = artifact_key(prefix, artifact)
    uri = f"s3://{bucket}/{key}"
    if _stored_sha256(s3, bucket, key) == artifact.sha256:
        return Upload(artifact=artifact, uri=uri, uploaded=False)
    with _aws_errors(f"upload to {uri}"):
        s3.upload_file(
            str(package.file(artifact)),
            bucket,
            key,
            ExtraArgs={"Metadata": {"sha256": artifact.sha256}},
        )
    return Upload(artifact=artifact, uri=uri, uploaded=True)


def _stored_sha256(s3: Any, bucket: str, key: str) -> str | None:
    from botocore.exceptions import ClientError

    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise _user_error(f"read s3://{bucket}/{key}", exc) from exc
    return head.get("Metadata", {}).get("sha256")


# -- repointing -----------------------------------------------------------------------------------


def repoint_glue_job(glue: Any, job_name: str, script_uri: str, wheel_uri: str) -> bool:
    """Point a job at a script and at the package wheel; keep every other setting.

    UpdateJob replaces the whole definition (an omitted field goes back to its default), so the
    update is the job as it is, with two values changed.
    """
    with _aws_errors(f"read Glue job {job_name!r}"):
        job = glue.get_job(JobName=job_name)["Job"]
    arguments = dict(job.get("DefaultArguments") or {})
    modules = [
        m
        for m in arguments.get(PYTHON_MODULES_ARGUMENT, "").split(",")
        if m and not _is_same_distribution(m, wheel_uri)
    ]
    arguments[PYTHON_MODULES_ARGUMENT] = ",".join([wheel_uri, *modules])
    command = dict(job["Command"], ScriptLocation=script_uri)
    if command == job["Command"] and arguments == job.get("DefaultArguments"):
        return False
    fields = glue.meta.service_model.shape_for("JobUpdate").members
    update = {k: v for k, v in job.items() if k in fields and v not in (None, {}, [])}
    if update.get("WorkerType"):
        # Derived from the workers; AWS refuses both at once.
        update.pop("MaxCapacity", None)
    update.pop("AllocatedCapacity", None)  # deprecated alias of MaxCapacity
    update.update(Command=command, DefaultArguments=arguments)
    with _aws_errors(f"update Glue job {job_name!r}"):
        glue.update_job(JobName=job_name, JobUpdate=update)
    return True


def repoint_lambda(client: Any, name: str, bucket: str, key: str, sha256_hex: str) -> bool:
    with _aws_errors(f"read Lambda function {name!r}"):
        config = client.get_function_configuration(FunctionName=name)
    # Lambda reports the zip's SHA-256 base64-encoded: equal means the code is already there.
    if config.get("CodeSha256") == base64.b64encode(bytes.fromhex(sha256_hex)).decode():
        return False
    with _aws_errors(f"update Lambda function {name!r}"):
        client.update_function_code(FunctionName=name, S3Bucket=bucket, S3Key=key)
        # A second update, or an invocation, during the update would meet the old code or fail.
        client.get_waiter("function_updated_v2").wait(FunctionName=name)
    return True


LIVE_ALIAS = "live"
"""The alias Terraform creates (infra/state_machine.tf) and the schedule starts."""


def repoint_state_machine(sfn: Any, name: str, definition: str) -> bool:
    """Update the definition if it changed, publish it as a new version and move the `live`
    alias to it, as Terraform's `publish = true` and aws_sfn_alias do."""
    arn = _state_machine_arn(sfn, name)
    with _aws_errors(f"read state machine {name!r}"):
        current = sfn.describe_state_machine(stateMachineArn=arn)["definition"]
    if json.loads(current) == json.loads(definition):
        return False
    with _aws_errors(f"update state machine {name!r}"):
        updated = sfn.update_state_machine(stateMachineArn=arn, definition=definition, publish=True)
    point_alias(sfn, arn, LIVE_ALIAS, updated["stateMachineVersionArn"])
    return True


def point_alias(sfn: Any, machine_arn: str, alias: str, version_arn: str) -> None:
    """Route all of `alias` to `version_arn`, creating the alias the first time."""
    routing = [{"stateMachineVersionArn": version_arn, "weight": 100}]
    with _aws_errors(f"list the aliases of {machine_arn}"):
        listed = sfn.list_state_machine_aliases(stateMachineArn=machine_arn)
    existing = [a["stateMachineAliasArn"] for a in listed["stateMachineAliases"]]
    alias_arn = next((arn for arn in existing if arn.rsplit(":", 1)[-1] == alias), None)
    with _aws_errors(f"point alias {alias!r} at {version_arn}"):
        if alias_arn is None:
            sfn.create_state_machine_alias(name=alias, routingConfiguration=routing)
        else:
            sfn.update_state_machine_alias(
                stateMachineAliasArn=alias_arn, routingConfiguration=routing
            )


def _state_machine_arn(sfn: Any, name: str) -> str:
    with _aws_errors("list state machines"):
        for page in sfn.get_paginator("list_state_machines").paginate():
            for machine in page["stateMachines"]:
                if machine["name"] == name:
                    return machine["stateMachineArn"]
    raise UserError(f"no state machine named {name!r} in this account and region")


def _is_same_distribution(module: str, wheel_uri: str) -> bool:
    """An earlier upload of this package's wheel (any version), which the new one replaces."""
    distribution = Path(wheel_uri).name.split("-")[0]
    return (
        module.strip().endswith(".whl") and Path(module.strip()).name.split("-")[0] == distribution
    )


# -- errors -------------------------------------------------------------------------------------


@contextmanager
def _aws_errors(doing: str) -> Iterator[None]:
    """Turn AWS errors a user can fix (missing resource, no credentials, denied) into UserError."""
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import ClientError, NoCredentialsError, NoRegionError, WaiterError

    try:
        yield
    except ClientError as exc:
        raise _user_error(doing, exc) from exc
    except (NoCredentialsError, NoRegionError, WaiterError, S3UploadFailedError) as exc:
        raise UserError(f"cannot {doing}: {exc}") from exc


def _user_error(doing: str, exc: Any) -> UserError:
    error = exc.response.get("Error", {})
    return UserError(f"cannot {doing}: {error.get('Code', 'error')}: {error.get('Message', exc)}")
