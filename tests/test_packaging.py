"""`sfn-etl package`: what dist/ holds, that it is reproducible, and that AWS can run it."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from orchestration.cli import main
from orchestration.errors import UserError
from orchestration.packaging import (
    GLUE_SCRIPT,
    LAMBDA,
    PROJECT_ROOT,
    STATE_MACHINE,
    WHEEL,
    build,
    read_project,
)

VERSION = read_project(PROJECT_ROOT).version
WHEEL_FILE = f"sfn_etl-{VERSION}-py3-none-any.whl"
DIST_INFO = f"sfn_etl-{VERSION}.dist-info"

# What the Lambda python3.11 runtime provides besides the standard library.
LAMBDA_RUNTIME_MODULES = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "dateutil",
    "urllib3",
    "six",
)


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    return build(tmp_path_factory.mktemp("dist"))


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_package_builds_job_scripts_wheel_lambda_zip_and_definition(package):
    assert sorted((a.kind, a.path) for a in package.artifacts) == [
        (STATE_MACHINE, "state_machine.asl.json"),
        (GLUE_SCRIPT, "jobs/transform.py"),
        (GLUE_SCRIPT, "jobs/validate.py"),
        (LAMBDA, "lambda.zip"),
        (WHEEL, WHEEL_FILE),
    ]
    for job in ("transform", "validate"):
        source = (PROJECT_ROOT / "jobs" / f"{job}.py").read_bytes()
        assert (package.dist / "jobs" / f"{job}.py").read_bytes() == source
    definition = (PROJECT_ROOT / "orchestration" / "state_machine.asl.json").read_bytes()
    assert (package.dist / "state_machine.asl.json").read_bytes() == definition


def test_manifest_lists_each_artifact_with_its_sha256_and_size(package):
    manifest = json.loads((package.dist / "manifest.json").read_text())
    assert manifest["version"] == VERSION
    assert manifest["artifacts"] == [
        {
            "kind": a.kind,
            "path": a.path,
            "sha256": hashlib.sha256((package.dist / a.path).read_bytes()).hexdigest(),
            "size": (package.dist / a.path).stat().st_size,
        }
        for a in package.artifacts
    ]


def test_rebuilding_an_unchanged_tree_gives_byte_identical_artifacts(package, tmp_path):
    again = build(tmp_path / "again")
    assert [(a.path, a.sha256) for a in again.artifacts] == [
        (a.path, a.sha256) for a in package.artifacts
    ]


def test_wheel_requires_only_what_glue_lacks_at_the_tested_pin(package):
    metadata = _members(package.file(package.one(WHEEL)))[f"{DIST_INFO}/METADATA"].decode()
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert requires == ["Requires-Dist: great-expectations==1.24.1"]
    assert "Name: sfn-etl" in metadata.splitlines()
    assert f"Version: {VERSION}" in metadata.splitlines()


def test_wheel_record_hashes_every_file_it_holds(package):
    members = _members(package.file(package.one(WHEEL)))
    record = members[f"{DIST_INFO}/RECORD"].decode().splitlines()
    expected = [
        f"{name},sha256="
        f"{base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},"
        f"{len(data)}"
        for name, data in sorted(members.items())
        if name != f"{DIST_INFO}/RECORD"
    ]
    assert record == [*expected, f"{DIST_INFO}/RECORD,,"]


def test_wheel_holds_the_packages_the_jobs_import_and_no_tests(package):
    names = set(_members(package.file(package.one(WHEEL))))
    assert {n.split("/")[0] for n in names} == {
        "transforms",
        "jobs",
        "orchestration",
        "expectations",
        DIST_INFO,
    }
    assert {"jobs/runtime.py", "jobs/transform.py", "orchestration/lake.py"} <= names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_pip_installs_the_wheel_with_its_metadata(package, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(package.file(package.one(WHEEL))),
        ],
        check=True,
        timeout=120,
    )
    probe = "import importlib.metadata as m; print(m.version('sfn-etl'), m.requires('sfn-etl'))"
    shown = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            f"import sys; sys.path.insert(0, {str(target)!r}); {probe}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.strip() == f"{VERSION} ['great-expectations==1.24.1']"
    assert (target / "jobs" / "transform.py").read_bytes() == (
        PROJECT_ROOT / "jobs" / "transform.py"
    ).read_bytes()


def test_lambda_zip_holds_the_package_and_no_aws_sdk(package):
    names = set(_members(package.file(package.one(LAMBDA))))
    assert {n.split("/")[0] for n in names} == {"orchestration", "transforms"}
    assert {
        "orchestration/lambdas/extract.py",
        "orchestration/lambdas/load.py",
        "transforms/curated_columns.py",
    } <= names


@pytest.mark.parametrize(
    "modules",
    [
        ("orchestration.lambdas.extract",),
        # On AWS the load Lambda's warehouse is redshift-data://, imported at the first call.
        ("orchestration.lambdas.load", "orchestration.warehouse.redshift_adapter"),
    ],
    ids=["extract", "load"],
)
def test_lambda_code_imports_from_the_zip_with_only_the_runtime_libraries(
    package, tmp_path, modules
):
    # The python3.11 runtime has the standard library and the AWS SDK, nothing else: expose
    # exactly those (-S drops site-packages) and import the code from the zip.
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    for name in LAMBDA_RUNTIME_MODULES:
        module = __import__(name)
        source = Path(module.__file__)
        source = source.parent if source.name == "__init__.py" else source
        (runtime / source.name).symlink_to(source)
    code = (
        "import sys; "
        f"sys.path[:0] = [{str(package.file(package.one(LAMBDA)))!r}, {str(runtime)!r}]; "
        f"import importlib; print([importlib.import_module(m).__name__ for m in {modules!r}])"
    )
    completed = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, check=False
    )
    assert (completed.returncode, completed.stdout.strip()) == (0, str(list(modules))), (
        completed.stderr
    )


def test_package_refuses_a_tree_without_a_job_script(tmp_path):
    root = tmp_path / "tree"
    for name in ("transforms", "jobs", "orchestration", "expectations"):
        shutil.copytree(
            PROJECT_ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(PROJECT_ROOT / "pyproject.toml", root / "pyproject.toml")
    (root / "jobs" / "validate.py").unlink()
    with pytest.raises(UserError) as raised:
        build(tmp_path / "dist", root=root)
    assert str(raised.value) == f"{root / 'jobs' / 'validate.py'} not found"


def test_cli_package_lists_what_it_built(tmp_path, capsys):
    assert main(["package", "--out", str(tmp_path / "dist")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"packaged sfn-etl {VERSION} into {tmp_path / 'dist'}"
    assert sorted(line.split()[0] for line in lines[1:]) == sorted(
        [
            "jobs/transform.py",
            "jobs/validate.py",
            WHEEL_FILE,
            "lambda.zip",
            "state_machine.asl.json",
        ]
    )
