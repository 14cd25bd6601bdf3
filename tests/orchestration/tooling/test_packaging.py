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

from orchestration.cli.main import main
from orchestration.core.errors import UserError
from orchestration.tooling.packaging import (
    GLUE_JOBS,
    GLUE_SCRIPT,
    LAMBDA,
    PROJECT_ROOT,
    STATE_MACHINE,
    WHEEL,
    WHEEL_PACKAGES,
    build,
    packaged_datasets,
    read_project,
    render_datasets,
)
from transforms.declaration import CuratedTable, Dataset, Field, RawTable

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


@pytest.fixture(scope="module")
def installed(package, tmp_path_factory) -> Path:
    """The wheel as Glue's pip installs it, into a folder of its own."""
    target = tmp_path_factory.mktemp("site")
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
    return target


@pytest.fixture(scope="module")
def lambda_root(package, tmp_path_factory) -> Path:
    """The Lambda zip extracted, as the runtime extracts it to /var/task."""
    root = tmp_path_factory.mktemp("task")
    with zipfile.ZipFile(package.file(package.one(LAMBDA))) as archive:
        archive.extractall(root)
    return root


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _isolated(path: Path, code: str) -> subprocess.CompletedProcess:
    """`code` in a Python with only the standard library and `path`: -I ignores the environment
    and -S site-packages, so pyspark and the rest of the virtualenv cannot be imported."""
    return subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            f"import sys; sys.path.insert(0, {str(path)!r}); {code}",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _declared() -> dict[str, list[str]]:
    """Every packaged dataset and its curated tables, as this process's registry reads them."""
    return {d.name: sorted(t.name for t in d.curated_tables) for d in packaged_datasets()}


# What loading the registry in a bare interpreter reports: dataset -> its curated tables.
REGISTRY_PROBE = (
    "import json; from transforms.registry import datasets; "
    "print(json.dumps({n: sorted(t.name for t in d.curated_tables) "
    "for n, d in sorted(datasets().items())}))"
)


def test_package_builds_job_scripts_wheel_lambda_zip_and_definition(package):
    assert sorted((a.kind, a.path) for a in package.artifacts) == sorted(
        [
            (STATE_MACHINE, "state_machine.asl.json"),
            *((GLUE_SCRIPT, f"jobs/{job}.py") for job in GLUE_JOBS),
            (LAMBDA, "lambda.zip"),
            (WHEEL, WHEEL_FILE),
        ]
    )
    # One job definition per script serves every dataset: no per-dataset job.
    assert GLUE_JOBS == ("transform", "validate")
    for job in GLUE_JOBS:
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
    assert {
        "jobs/runtime.py",
        "jobs/transform.py",
        "jobs/transformation/inputs.py",
        "jobs/validation/checks.py",
        "orchestration/__init__.py",
        "orchestration/core/lake.py",
        "orchestration/warehouse/duckdb_adapter.py",
    } <= names
    roles = {n.split("/")[1] for n in names if n.startswith("orchestration/") and n.count("/") > 1}
    assert roles == {"core", "warehouse"}  # no engine, CLI, Lambda handlers or tooling
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_wheel_holds_every_dataset_package_and_its_suites(package):
    names = set(_members(package.file(package.one(WHEEL))))
    expected = {
        path.relative_to(PROJECT_ROOT).as_posix()
        for dataset in packaged_datasets()
        for folder, pattern in (
            (PROJECT_ROOT.joinpath(*dataset.package.split(".")), "*.py"),
            (Path(dataset.suites), "*.json"),
        )
        for path in folder.glob(pattern)
    }
    assert len({n.split("/")[1] for n in expected}) == len(packaged_datasets()) >= 1
    assert sorted(expected - names) == []


def test_pip_installs_the_wheel_with_its_metadata(installed):
    probe = "import importlib.metadata as m; print(m.version('sfn-etl'), m.requires('sfn-etl'))"
    shown = _isolated(installed, probe)
    assert shown.stdout.strip() == f"{VERSION} ['great-expectations==1.24.1']", shown.stderr
    assert (installed / "jobs" / "transform.py").read_bytes() == (
        PROJECT_ROOT / "jobs" / "transform.py"
    ).read_bytes()


def test_installed_wheel_declares_every_dataset_with_its_builders(installed):
    # check_code finds every build and seed module the declarations name, as the jobs need.
    probe = (
        "from transforms.registry import check_code, datasets; "
        "[check_code(d) for d in datasets().values()]; "
        f"{REGISTRY_PROBE}"
    )
    shown = _isolated(installed, probe)
    assert (shown.returncode, shown.stdout.strip()) == (0, json.dumps(_declared())), shown.stderr


def test_lambda_zip_holds_its_roles_and_the_declarations_without_builders(package):
    names = set(_members(package.file(package.one(LAMBDA))))
    declarations = {
        "transforms/__init__.py",
        "transforms/declaration.py",
        "transforms/registry.py",
        *(
            f"{dataset.package.replace('.', '/')}/{module}"
            for dataset in packaged_datasets()
            for module in ("__init__.py", "dataset.py")
        ),
    }
    suites = {
        f"expectations/{dataset.name}/{table.name}.json"
        for dataset in packaged_datasets()
        for table in dataset.curated_tables
    }
    assert {n.split("/")[0] for n in names} == {"orchestration", "transforms", "expectations"}
    assert {n for n in names if n.startswith("transforms/")} == declarations
    assert {n for n in names if n.startswith("expectations/")} == suites
    assert {"orchestration/lambdas/extract.py", "orchestration/lambdas/load.py"} <= names
    roles = {n.split("/")[1] for n in names if n.startswith("orchestration/") and n.count("/") > 1}
    assert roles == {"core", "lambdas", "warehouse"}  # no engine, CLI, tooling
    assert "transforms/split.py" not in names
    builders = {
        f"{dataset.package.replace('.', '/')}/{reference.partition(':')[0]}.py"
        for dataset in packaged_datasets()
        for reference in [*(t.build for t in dataset.curated_tables), dataset.seed or ""]
        if reference
    }
    assert builders and builders & names == set()


def test_lambda_zip_loads_every_dataset_declaration_without_pyspark(lambda_root):
    # Only the standard library and the extracted zip: the registry and the declarations must
    # import, and find their suites, with no pyspark and nothing else of the virtualenv.
    shown = _isolated(lambda_root, f"{REGISTRY_PROBE}; assert 'pyspark' not in sys.modules")
    assert (shown.returncode, shown.stdout.strip()) == (0, json.dumps(_declared())), shown.stderr


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


# What Glue 5.0 has that the virtualenv also has for tests and the CLI: a Glue job that imports
# one of these fails there.
NOT_ON_GLUE = ("typer", "rich", "moto", "duckdb", "psycopg", "chispa", "pytest", "hcl2")


def test_the_glue_jobs_import_from_the_wheel_with_only_what_glue_provides(installed):
    # The virtualenv's libraries (Spark, Great Expectations) but not this source tree: the
    # editable install's finder is removed, the libraries Glue lacks refuse to import.
    code = f"""
import importlib, importlib.abc, sys
def editable(hook):
    return "editable" in (getattr(hook, "__module__", "") or "") + type(hook).__module__
sys.meta_path = [f for f in sys.meta_path if not editable(f)]
sys.path_hooks = [h for h in sys.path_hooks if not editable(h)]
sys.path = [p for p in sys.path if "__editable__" not in p]
sys.path_importer_cache.clear()
try:
    import orchestration
    raise SystemExit(f"the source tree is importable: {{orchestration.__path__}}")
except ImportError:
    pass
class NotOnGlue(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {NOT_ON_GLUE!r}:
            raise ImportError(f"{{name}} is not on Glue")
sys.meta_path.insert(0, NotOnGlue())
sys.path.insert(0, {str(installed)!r})
for name in ("jobs.transform", "jobs.validate"):
    module = importlib.import_module(name)
    assert module.__file__.startswith({str(installed)!r}), module.__file__
roles = sorted({{m.split(".")[1] for m in sys.modules if m.startswith("orchestration.")}})
print(roles)
"""
    completed = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=False
    )
    assert (completed.returncode, completed.stdout.strip()) == (0, "['core', 'warehouse']"), (
        completed.stderr[-3000:]
    )


def _source_tree(root: Path) -> Path:
    """A copy of what `sfn-etl package` builds from: the packages and pyproject.toml."""
    for name in sorted({package.split("/")[0] for package in WHEEL_PACKAGES}):
        shutil.copytree(
            PROJECT_ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(PROJECT_ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def test_package_refuses_a_tree_without_a_job_script(tmp_path):
    root = _source_tree(tmp_path / "tree")
    (root / "jobs" / "validate.py").unlink()
    with pytest.raises(UserError) as raised:
        build(tmp_path / "dist", root=root)
    assert str(raised.value) == f"{root / 'jobs' / 'validate.py'} not found"


def test_package_refuses_a_tree_without_a_suite_the_lambda_ships(tmp_path):
    root = _source_tree(tmp_path / "tree")
    dataset = packaged_datasets()[0]
    suite = root / "expectations" / dataset.name / f"{dataset.curated_tables[0].name}.json"
    suite.unlink()
    with pytest.raises(UserError) as raised:
        build(tmp_path / "dist", root=root)
    assert str(raised.value) == f"{suite} not found"


def test_datasets_render_for_terraform_with_glue_types_and_the_batch_partition():
    every_type = (
        Field("id", "int", key=True),
        Field("big", "bigint"),
        Field("ratio", "double"),
        Field("flag", "boolean"),
        Field("day", "date"),
        Field("at", "timestamp"),
        Field("amount", "decimal(15, 2)"),
        Field("code", "string(3)"),
    )
    dataset = Dataset(
        name="sample",
        description="every column type",
        raw_tables=(RawTable(name="raw", fields=every_type),),
        curated_tables=(
            CuratedTable(
                name="dim_sample", columns=every_type, build="b:f", inputs=("raw",), source="raw"
            ),
        ),
        destinations=("warehouse", "catalog"),
    )

    rendered = render_datasets([dataset])

    assert json.loads(rendered) == {
        "datasets": {
            "sample": {
                "description": "every column type",
                "destinations": ["warehouse", "catalog"],
                "tables": {
                    "dim_sample": {
                        "columns": [
                            {"name": "id", "type": "int"},
                            {"name": "big", "type": "bigint"},
                            {"name": "ratio", "type": "double"},
                            {"name": "flag", "type": "boolean"},
                            {"name": "day", "type": "date"},
                            {"name": "at", "type": "timestamp"},
                            {"name": "amount", "type": "decimal(15,2)"},
                            {"name": "code", "type": "varchar(3)"},
                        ],
                        "partition_keys": [{"name": "batch_id", "type": "string"}],
                    }
                },
            }
        }
    }
    assert rendered.endswith("}\n") and rendered == render_datasets([dataset])


def test_packaged_datasets_leave_out_those_added_from_elsewhere(tmp_path, monkeypatch):
    # A dataset from SFN_ETL_EXTRA_DATASETS (a test's, an out-of-tree one) is never deployed.
    package = tmp_path / "extra_sample"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "dataset.py").write_text(
        "from transforms.declaration import CuratedTable, Dataset, Field, RawTable\n"
        "KEY = (Field('id', 'int', key=True),)\n"
        "DATASET = Dataset(name='extra_sample', description='elsewhere',\n"
        "    raw_tables=(RawTable(name='extra_raw', fields=KEY),),\n"
        "    curated_tables=(CuratedTable(name='extra_dim', columns=KEY, build='b:f',\n"
        "        inputs=('extra_raw',), source='extra_raw'),))\n"
    )
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "extra_dim.json").write_text('{"name": "extra_dim", "expectations": []}')
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("SFN_ETL_EXTRA_DATASETS", f"extra_sample={suites}")
    from transforms.registry import datasets

    assert "extra_sample" in datasets()
    assert "extra_sample" not in [d.name for d in packaged_datasets()]
    assert packaged_datasets()


def test_cli_package_lists_what_it_built_and_renders_the_datasets(tmp_path, capsys):
    tfvars = tmp_path / "infra" / "datasets.auto.tfvars.json"
    assert main(["package", "--out", str(tmp_path / "dist"), "--tfvars", str(tfvars)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"packaged sfn-etl {VERSION} into {tmp_path / 'dist'}"
    assert sorted(line.split()[0] for line in lines[1:-1]) == sorted(
        [
            *(f"jobs/{job}.py" for job in GLUE_JOBS),
            WHEEL_FILE,
            "lambda.zip",
            "state_machine.asl.json",
        ]
    )
    assert lines[-1] == f"rendered the datasets for Terraform into {tfvars}"
    assert tfvars.read_text() == render_datasets(packaged_datasets())
