"""`sfn-etl deploy` against moto (S3, Glue, Lambda, Step Functions) with what package built."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from orchestration.cli.main import main
from orchestration.core.errors import UserError
from orchestration.tooling.deploy import artifact_key, deploy, load_package, render_definition
from orchestration.tooling.packaging import (
    GLUE_SCRIPT,
    LAMBDA,
    STATE_MACHINE,
    WHEEL,
    Package,
    build,
)

BUCKET = "sfn-etl-dev-artifacts"
PREFIX = "sfn-etl"
ROLE = "arn:aws:iam::123456789012:role/sfn-etl-dev"


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Package:
    return build(tmp_path_factory.mktemp("dist"))


@pytest.fixture
def aws(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        session = boto3.session.Session(region_name="eu-west-1")
        s3 = session.client("s3")
        s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        # Versioned, as Terraform makes it: every PUT shows up as a version.
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield session


@pytest.fixture
def glue_update_job(monkeypatch):
    """moto 5.2.5 has no UpdateJob. AWS documents it as replacing the job definition with
    JobUpdate (an omitted field goes back to its default); this does exactly that, so a deploy
    that forgot to carry a setting over would lose it here too."""
    from moto.core.responses import ActionResult
    from moto.glue.responses import GlueResponse

    def update_job(self):
        name = self._get_param("JobName")
        update = self._get_param("JobUpdate")
        self.glue_backend.get_job(name)  # EntityNotFoundException for an unknown job
        fields = {re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower(): v for k, v in update.items()}
        arguments = [
            "role", "command", "description", "log_uri", "execution_property",
            "default_arguments", "non_overridable_arguments", "connections", "max_retries",
            "allocated_capacity", "timeout", "max_capacity", "security_configuration",
            "notification_property", "glue_version", "number_of_workers", "worker_type",
            "code_gen_configuration_nodes", "execution_class", "source_control_details",
        ]  # fmt: skip
        self.glue_backend.create_job(
            name=name, tags={}, **{arg: fields.get(arg) for arg in arguments}
        )
        return ActionResult({"JobName": name})

    monkeypatch.setattr(GlueResponse, "update_job", update_job, raising=False)


def _glue_job(session, name: str, modules: str | None = None) -> None:
    """A job as infra/glue.tf creates it, before any deploy."""
    arguments = {
        "--job-bookmark-option": "job-bookmark-disable",
        "--lake": "s3://sfn-etl-dev-curated",
        "--lake_raw": "s3://sfn-etl-dev-raw/raw",
    }
    if modules:
        arguments["--additional-python-modules"] = modules
    session.client("glue").create_job(
        Name=name,
        Role=ROLE,
        Command={
            "Name": "glueetl",
            "PythonVersion": "3",
            "ScriptLocation": f"s3://{BUCKET}/{PREFIX}/not-deployed/jobs/transform.py",
        },
        DefaultArguments=arguments,
        GlueVersion="5.0",
        WorkerType="G.1X",
        NumberOfWorkers=2,
        Timeout=120,
        MaxRetries=0,
        SecurityConfiguration="sfn-etl-dev",
    )


def _lambda(session, name: str) -> None:
    iam = session.client("iam")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    bootstrap = io.BytesIO()
    with zipfile.ZipFile(bootstrap, "w") as archive:
        archive.writestr("orchestration/lambdas/extract.py", "def handler(e, c):\n    raise\n")
    session.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role,
        Handler="orchestration.lambdas.extract.handler",
        Code={"ZipFile": bootstrap.getvalue()},
    )


def _values(package: Package) -> dict[str, str]:
    """A value for every placeholder of the packaged definition, as Terraform would give."""
    text = package.file(package.one(STATE_MACHINE)).read_text()
    names = set(re.findall(r"(?<!\$)\$\{(\w+)\}", text))
    return {name: f"arn:aws:states:::value/{name}" for name in names}


def _versions(session) -> dict[str, int]:
    listed = session.client("s3").list_object_versions(Bucket=BUCKET).get("Versions", [])
    counts: dict[str, int] = {}
    for version in listed:
        counts[version["Key"]] = counts.get(version["Key"], 0) + 1
    return counts


def test_deploy_uploads_every_artifact_under_its_content_hash(aws, package):
    result = deploy(package, BUCKET, PREFIX, session=aws)

    s3 = aws.client("s3")
    expected = {f"{PREFIX}/{a.sha256}/{Path(a.path).name}": a for a in package.artifacts}
    assert [(u.uri, u.uploaded) for u in result.uploads] == [
        (f"s3://{BUCKET}/{artifact_key(PREFIX, a)}", True) for a in package.artifacts
    ]
    assert _versions(aws) == dict.fromkeys(expected, 1)
    for key, artifact in expected.items():
        stored = s3.get_object(Bucket=BUCKET, Key=key)
        assert stored["Body"].read() == package.file(artifact).read_bytes()
        assert stored["Metadata"] == {"sha256": artifact.sha256}


def test_redeploying_an_unchanged_package_uploads_nothing(aws, package):
    deploy(package, BUCKET, PREFIX, session=aws)
    again = deploy(package, BUCKET, PREFIX, session=aws)

    assert [u.uploaded for u in again.uploads] == [False] * len(package.artifacts)
    assert set(_versions(aws).values()) == {1}


def test_deploy_points_a_glue_job_at_the_new_script_and_wheel_and_keeps_its_settings(
    aws, package, glue_update_job
):
    _glue_job(aws, "sfn-etl-dev-transform")
    before = aws.client("glue").get_job(JobName="sfn-etl-dev-transform")["Job"]

    result = deploy(
        package, BUCKET, PREFIX, glue_jobs={"transform": "sfn-etl-dev-transform"}, session=aws
    )

    job = aws.client("glue").get_job(JobName="sfn-etl-dev-transform")["Job"]
    script = next(a for a in package.of_kind(GLUE_SCRIPT) if a.path == "jobs/transform.py")
    wheel = package.one(WHEEL)
    assert [(r.kind, r.name, r.changed) for r in result.repointed] == [
        ("glue job", "sfn-etl-dev-transform", True)
    ]
    assert job["Command"] == dict(
        before["Command"], ScriptLocation=f"s3://{BUCKET}/{artifact_key(PREFIX, script)}"
    )
    assert job["DefaultArguments"] == dict(
        before["DefaultArguments"],
        **{"--additional-python-modules": f"s3://{BUCKET}/{artifact_key(PREFIX, wheel)}"},
    )
    kept = ("Role", "GlueVersion", "WorkerType", "NumberOfWorkers", "Timeout", "MaxRetries")
    assert {k: job[k] for k in kept + ("SecurityConfiguration",)} == {
        k: before[k] for k in kept + ("SecurityConfiguration",)
    }


def test_deploy_replaces_an_older_wheel_of_the_package_and_keeps_other_modules(
    aws, package, glue_update_job
):
    old = f"s3://{BUCKET}/{PREFIX}/0123/sfn_etl-0.0.9-py3-none-any.whl"
    _glue_job(aws, "sfn-etl-dev-transform", modules=f"{old},pyyaml==6.0.2")

    deploy(package, BUCKET, PREFIX, glue_jobs={"transform": "sfn-etl-dev-transform"}, session=aws)

    arguments = aws.client("glue").get_job(JobName="sfn-etl-dev-transform")["Job"][
        "DefaultArguments"
    ]
    wheel = f"s3://{BUCKET}/{artifact_key(PREFIX, package.one(WHEEL))}"
    assert arguments["--additional-python-modules"] == f"{wheel},pyyaml==6.0.2"


def test_redeploying_leaves_an_up_to_date_glue_job_alone(aws, package, glue_update_job):
    _glue_job(aws, "sfn-etl-dev-transform")
    jobs = {"transform": "sfn-etl-dev-transform"}
    deploy(package, BUCKET, PREFIX, glue_jobs=jobs, session=aws)

    again = deploy(package, BUCKET, PREFIX, glue_jobs=jobs, session=aws)

    assert [r.changed for r in again.repointed] == [False]


def test_deploy_points_lambdas_at_the_new_zip(aws, package):
    _lambda(aws, "sfn-etl-dev-extract")
    _lambda(aws, "sfn-etl-dev-load")
    code = package.one(LAMBDA)

    result = deploy(
        package, BUCKET, PREFIX, lambdas=["sfn-etl-dev-extract", "sfn-etl-dev-load"], session=aws
    )
    again = deploy(package, BUCKET, PREFIX, lambdas=["sfn-etl-dev-extract"], session=aws)

    zip_sha256 = base64.b64encode(bytes.fromhex(code.sha256)).decode()
    for name in ("sfn-etl-dev-extract", "sfn-etl-dev-load"):
        config = aws.client("lambda").get_function_configuration(FunctionName=name)
        assert (config["CodeSha256"], config["CodeSize"]) == (zip_sha256, code.size)
    assert [(r.name, r.changed) for r in result.repointed] == [
        ("sfn-etl-dev-extract", True),
        ("sfn-etl-dev-load", True),
    ]
    assert [(r.name, r.changed) for r in again.repointed] == [("sfn-etl-dev-extract", False)]


def test_deploy_updates_a_state_machine_with_the_filled_in_definition(aws, package):
    values = _values(package)
    sfn = aws.client("stepfunctions")
    text = package.file(package.one(STATE_MACHINE)).read_text()
    stale = json.loads(render_definition(text, values))
    stale["Comment"] = "deployed by an older package"
    arn = sfn.create_state_machine(name="sfn-etl-dev", definition=json.dumps(stale), roleArn=ROLE)[
        "stateMachineArn"
    ]

    result = deploy(
        package, BUCKET, PREFIX, state_machine="sfn-etl-dev", definition_values=values, session=aws
    )
    again = deploy(
        package, BUCKET, PREFIX, state_machine="sfn-etl-dev", definition_values=values, session=aws
    )

    deployed = json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"])
    expected = json.loads(text)
    assert json.dumps(deployed).count("arn:aws:states:::value/") == sum(
        text.count(f"${{{name}}}") for name in values
    )
    assert deployed["States"].keys() == expected["States"].keys()
    assert deployed["Comment"] == expected["Comment"]
    assert [r.changed for r in result.repointed] == [True]
    assert [r.changed for r in again.repointed] == [False]


def test_deploy_gives_the_state_machine_the_catalog_database_prefix(aws, package):
    # Terraform's value (infra/catalog.tf): the environment's name, Glue-safe, then "_".
    values = dict(_values(package), CatalogDatabasePrefix="sfn_etl_dev_")
    text = package.file(package.one(STATE_MACHINE)).read_text()
    sfn = aws.client("stepfunctions")
    arn = sfn.create_state_machine(
        name="sfn-etl-dev", definition=render_definition(text, _values(package)), roleArn=ROLE
    )["stateMachineArn"]

    deploy(
        package, BUCKET, PREFIX, state_machine="sfn-etl-dev", definition_values=values, session=aws
    )

    deployed = sfn.describe_state_machine(stateMachineArn=arn)["definition"]
    assert text.count("${CatalogDatabasePrefix}") >= 1
    assert deployed.count("sfn_etl_dev_") == text.count("${CatalogDatabasePrefix}")
    assert "${" not in deployed


def test_a_missing_placeholder_value_stops_the_deploy_before_any_upload(aws, package):
    values = _values(package)
    missing = sorted(values)[0]
    del values[missing]
    with pytest.raises(UserError) as raised:
        deploy(package, BUCKET, PREFIX, state_machine="m", definition_values=values, session=aws)
    assert str(raised.value) == f"no value for placeholder(s) {missing} of the definition"
    assert _versions(aws) == {}


def test_deploy_names_the_missing_glue_job(aws, package, glue_update_job):
    with pytest.raises(UserError) as raised:
        deploy(package, BUCKET, PREFIX, glue_jobs={"transform": "nope"}, session=aws)
    assert str(raised.value).startswith("cannot read Glue job 'nope': EntityNotFoundException")


def test_deploy_refuses_a_job_script_it_did_not_package(aws, package):
    with pytest.raises(UserError) as raised:
        deploy(package, BUCKET, PREFIX, glue_jobs={"extract": "x"}, session=aws)
    assert str(raised.value) == "no packaged job script extract; scripts: transform, validate"


def test_deploy_refuses_an_artifact_changed_since_packaging(package, tmp_path):
    dist = tmp_path / "dist"
    shutil.copytree(package.dist, dist)
    (dist / "jobs" / "transform.py").write_text("# edited after packaging\n")
    with pytest.raises(UserError) as raised:
        load_package(dist)
    assert str(raised.value) == (
        f"{dist / 'jobs' / 'transform.py'} changed since it was packaged: "
        "run `sfn-etl package` again"
    )


def test_render_definition_follows_templatefile_escapes():
    text = '{"a": "${Name}", "b": "$${Literal}", "c": "%%{x}"}'
    assert render_definition(text, {"Name": "v"}) == '{"a": "v", "b": "${Literal}", "c": "%{x}"}'


def test_cli_deploy_uploads_and_repoints_by_name(aws, package, capsys):
    _lambda(aws, "sfn-etl-dev-extract")
    argv = ["deploy", "--bucket", BUCKET, "--prefix", PREFIX, "--dist", str(package.dist)]

    assert main([*argv, "--lambda", "sfn-etl-dev-extract"]) == 0
    assert main(argv) == 0

    lines = capsys.readouterr().out.splitlines()
    uris = [f"s3://{BUCKET}/{artifact_key(PREFIX, a)}" for a in package.artifacts]
    assert lines == [
        *(f"uploaded  {uri}" for uri in uris),
        "repointed lambda sfn-etl-dev-extract",
        *(f"unchanged {uri}" for uri in uris),
    ]


def test_cli_deploy_without_a_package_says_to_build_one(tmp_path, capsys):
    assert main(["deploy", "--bucket", BUCKET, "--dist", str(tmp_path)]) == 2
    assert f"{tmp_path / 'manifest.json'} not found: run `sfn-etl package` first" in (
        capsys.readouterr().err.replace("\n", "")
    )


def test_a_changed_definition_is_published_as_a_version_the_live_alias_moves_to(aws, package):
    values = _values(package)
    sfn = aws.client("stepfunctions")
    arn = sfn.create_state_machine(
        name="sfn-etl-dev", definition=json.dumps({"Comment": "old"}), roleArn=ROLE
    )["stateMachineArn"]

    deploy(
        package, BUCKET, PREFIX, state_machine="sfn-etl-dev", definition_values=values, session=aws
    )
    first = sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]
    assert [a["stateMachineAliasArn"] for a in first] == [f"{arn}:live"]
    routing = sfn.describe_state_machine_alias(stateMachineAliasArn=f"{arn}:live")[
        "routingConfiguration"
    ]
    assert routing == [{"stateMachineVersionArn": f"{arn}:1", "weight": 100}]

    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps({"Comment": "drifted"}))
    deploy(
        package, BUCKET, PREFIX, state_machine="sfn-etl-dev", definition_values=values, session=aws
    )
    routing = sfn.describe_state_machine_alias(stateMachineAliasArn=f"{arn}:live")[
        "routingConfiguration"
    ]
    assert routing == [{"stateMachineVersionArn": f"{arn}:2", "weight": 100}]
    # moto has no ListStateMachineVersions: read the published version itself.
    published = sfn.describe_state_machine(stateMachineArn=f"{arn}:2")["definition"]
    assert (
        json.loads(published)["Comment"]
        == json.loads(package.file(package.one(STATE_MACHINE)).read_text())["Comment"]
    )


def test_cli_deploy_refuses_definition_values_that_are_not_strings(package, tmp_path, capsys):
    values = tmp_path / "values.json"
    values.write_text('{"ExtractFunctionArn": 1}')
    argv = ["deploy", "--bucket", BUCKET, "--dist", str(package.dist)]

    assert main([*argv, "--state-machine", "m", "--definition-values", str(values)]) == 2
    assert f"--definition-values file {values} must hold a JSON object of strings" in (
        capsys.readouterr().err.replace("\n", "")
    )
