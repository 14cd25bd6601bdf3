"""`sfn-etl package`: build, from this source tree, the artifacts AWS runs.

dist/ gets the Glue job scripts (jobs/<name>.py, the entry points Glue runs as __main__), a
wheel for the jobs (`--additional-python-modules`: the transforms, the jobs' helpers, the core
and the warehouse adapters), the Lambda zip (the core, the handlers, the warehouse adapters and
the dataset declarations; boto3 comes from the Lambda runtime), the state
machine definition with its placeholders, and manifest.json listing each artifact with its
SHA-256. Next to that, infra/datasets.auto.tfvars.json renders the dataset registry for
Terraform, which creates a Glue Data Catalog table per curated table from it.

Every archive is byte-for-byte reproducible (sorted entries, fixed timestamps and modes): an
unchanged tree gives unchanged hashes, so `sfn-etl deploy` uploads nothing new.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import tomllib
import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from orchestration.core.errors import UserError
from transforms.declaration import ColumnType, Dataset
from transforms.registry import select

PROJECT_ROOT = Path(__file__).resolve().parents[2]

GLUE_JOBS = ("transform", "validate")
"""Job scripts in jobs/; infra/glue.tf creates a Glue job per name (tests/infra checks it) and
`sfn-etl job NAME` runs them locally (orchestration/cli/commands/data.py)."""

LAMBDAS = ("extract", "load")
"""Handler modules in orchestration/lambdas/; infra/lambda.tf creates a function per name."""

ROLE_ROOT = "orchestration/__init__.py"
"""The package of the roles (orchestration/<role>/): each runtime ships it with its roles only."""
WHEEL_PACKAGES = (
    "transforms",
    "jobs",
    "expectations",
    "orchestration/core",
    "orchestration/warehouse",
)
"""What the Glue jobs import (tests/test_import_rules.py): no engine, CLI, Lambda or tooling."""
LAMBDA_PACKAGES = ("orchestration/core", "orchestration/lambdas", "orchestration/warehouse")
"""What the Lambdas import, besides the dataset declarations: no engine, CLI, tooling or jobs."""
REGISTRY_MODULES = ("transforms/__init__.py", "transforms/declaration.py", "transforms/registry.py")
"""What the Lambdas import to read the dataset registry; each dataset adds its `__init__.py`,
`dataset.py` and suites. Its builders stay out: they import pyspark, which Lambda lacks."""
PACKAGED_SUFFIXES = (".py", ".json")

GLUE_REQUIREMENTS = ("great-expectations",)
"""What the jobs import that Glue 5.0 does not provide (it has Spark, boto3, pandas, pyarrow).
Pins come from pyproject.toml so the jobs run the versions the tests ran."""

DEFINITION = "orchestration/state_machine.asl.json"
MANIFEST = "manifest.json"
LAMBDA_ZIP = "lambda.zip"

# Zip entries carry a timestamp; a fixed one keeps rebuilt archives identical.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)

TFVARS = "infra/datasets.auto.tfvars.json"
"""Terraform loads *.auto.tfvars.json of its root module by itself: no -var-file to forget."""
PARTITION_KEYS = ({"name": "batch_id", "type": "string"},)
"""orchestration.core.layout.curated_uri writes each batch to `batch_id=<id>/`: a Hive partition."""

GLUE_SCRIPT = "glue-script"
WHEEL = "wheel"
LAMBDA = "lambda-zip"
STATE_MACHINE = "definition"


@dataclass(frozen=True)
class Artifact:
    kind: str
    path: str
    """Relative to the dist directory, with forward slashes."""
    sha256: str
    size: int


@dataclass(frozen=True)
class Package:
    dist: Path
    version: str
    artifacts: tuple[Artifact, ...]

    def of_kind(self, kind: str) -> list[Artifact]:
        return [a for a in self.artifacts if a.kind == kind]

    def one(self, kind: str) -> Artifact:
        (artifact,) = self.of_kind(kind)
        return artifact

    def file(self, artifact: Artifact) -> Path:
        return self.dist / artifact.path


@dataclass(frozen=True)
class Project:
    name: str
    version: str
    summary: str
    requires_python: str
    dependencies: tuple[str, ...]


def build(dist: Path, root: Path = PROJECT_ROOT) -> Package:
    """Write every artifact and the manifest into `dist`; return what was written."""
    project = read_project(root)
    dist.mkdir(parents=True, exist_ok=True)
    artifacts = [
        *(
            _copy(root / "jobs" / f"{job}.py", dist, f"jobs/{job}.py", GLUE_SCRIPT)
            for job in GLUE_JOBS
        ),
        _write_wheel(project, root, dist),
        _write_lambda_zip(root, dist),
        _copy_definition(root, dist),
    ]
    artifacts.sort(key=lambda a: a.path)
    package = Package(dist=dist, version=project.version, artifacts=tuple(artifacts))
    manifest = {
        "distribution": project.name,
        "version": project.version,
        "artifacts": [asdict(a) for a in package.artifacts],
    }
    (dist / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return package


def packaged_datasets() -> list[Dataset]:
    """The registry's datasets that live in this tree (transforms/<name>/), in name order; not
    those SFN_ETL_EXTRA_DATASETS adds, which are never packaged or deployed."""
    return [d for d in select(None) if d.package == f"transforms.{d.name}"]


def glue_type(column: ColumnType) -> str:
    """The Glue Data Catalog (Hive) type of a declared column type.

    string(N) becomes varchar(N): N counts UTF-8 bytes and varchar characters, and a character
    is at least one byte, so every value the transform lets through fits.
    """
    if column.kind == "string":
        return f"varchar({column.length})"
    return column.spark_name


def render_datasets(datasets: Iterable[Dataset]) -> str:
    """The `datasets` variable of infra/ as a tfvars JSON document: per dataset its
    destinations and curated tables, each with its columns in Glue types and its partition
    keys. Sorted keys and a trailing newline, so an unchanged registry renders the same bytes."""
    rendered = {
        dataset.name: {
            "description": dataset.description,
            "destinations": list(dataset.destinations),
            "tables": {
                table.name: {
                    "columns": [
                        {"name": column.name, "type": glue_type(column.column_type)}
                        for column in table.columns
                    ],
                    "partition_keys": list(PARTITION_KEYS),
                }
                for table in dataset.curated_tables
            },
        }
        for dataset in datasets
    }
    return json.dumps({"datasets": rendered}, indent=2, sort_keys=True) + "\n"


def write_datasets_tfvars(path: Path) -> None:
    """Render the packaged datasets into `path` (infra/ reads PROJECT_ROOT / TFVARS)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, render_datasets(packaged_datasets()).encode())


def read_project(root: Path) -> Project:
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        raise UserError(f"{pyproject} not found: `sfn-etl package` builds from a source checkout")
    table = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    return Project(
        name=table["name"],
        version=table["version"],
        summary=table.get("description", ""),
        requires_python=table.get("requires-python", ""),
        dependencies=tuple(table.get("dependencies", ())),
    )


def glue_requirements(project: Project) -> list[str]:
    """The pyproject.toml requirement of each name in GLUE_REQUIREMENTS."""
    pinned = {_requirement_name(req): req for req in project.dependencies}
    missing = [name for name in GLUE_REQUIREMENTS if _normalize(name) not in pinned]
    if missing:
        raise UserError(f"pyproject.toml [project].dependencies lacks {', '.join(missing)}")
    return [pinned[_normalize(name)] for name in GLUE_REQUIREMENTS]


def wheel_name(project: Project) -> str:
    return f"{_wheel_stem(project)}-py3-none-any.whl"


def _wheel_stem(project: Project) -> str:
    """PEP 427: `-` inside the name would split the file name's fields, so it becomes `_`."""
    return f"{_normalize(project.name).replace('-', '_')}-{project.version}"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# -- artifacts ----------------------------------------------------------------------------------


def _copy(source: Path, dist: Path, relative: str, kind: str) -> Artifact:
    if not source.is_file():
        raise UserError(f"{source} not found")
    target = dist / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(target, source.read_bytes())
    return _artifact(dist, relative, kind)


def _copy_definition(root: Path, dist: Path) -> Artifact:
    source = root / DEFINITION
    try:
        json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UserError(f"{source} not found") from exc
    except json.JSONDecodeError as exc:
        raise UserError(f"{source}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    return _copy(source, dist, Path(DEFINITION).name, STATE_MACHINE)


def _write_wheel(project: Project, root: Path, dist: Path) -> Artifact:
    """A PEP 427 wheel written directly rather than by the build backend: setuptools would
    declare every dependency of the CLI (pyspark, moto, duckdb, ...) and Glue would pip-install
    them over its own Spark; here Requires-Dist is only what Glue lacks. It also needs no build
    tools beyond the standard library, so nothing is downloaded at build time."""
    name = wheel_name(project)
    dist_info = f"{_wheel_stem(project)}.dist-info"
    metadata = [
        "Metadata-Version: 2.1",
        f"Name: {project.name}",
        f"Version: {project.version}",
        f"Summary: {project.summary}",
    ]
    if project.requires_python:
        metadata.append(f"Requires-Python: {project.requires_python}")
    metadata += [f"Requires-Dist: {req}" for req in glue_requirements(project)]
    wheel = [
        "Wheel-Version: 1.0",
        "Generator: orchestration.tooling.packaging",
        "Root-Is-Purelib: true",
        "Tag: py3-none-any",
    ]
    entries = dict(_package_files(root, WHEEL_PACKAGES))
    entries[ROLE_ROOT] = _read(root, ROLE_ROOT)
    entries[f"{dist_info}/METADATA"] = ("\n".join(metadata) + "\n").encode()
    entries[f"{dist_info}/WHEEL"] = ("\n".join(wheel) + "\n").encode()
    record = [
        f"{arcname},sha256={_record_digest(data)},{len(data)}"
        for arcname, data in sorted(entries.items())
    ]
    record.append(f"{dist_info}/RECORD,,")
    entries[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    _write_zip(dist / name, entries.items())
    return _artifact(dist, name, WHEEL)


def _write_lambda_zip(root: Path, dist: Path) -> Artifact:
    for handler in LAMBDAS:
        if not (root / "orchestration" / "lambdas" / f"{handler}.py").is_file():
            raise UserError(f"orchestration/lambdas/{handler}.py not found")
    entries = [
        *_package_files(root, LAMBDA_PACKAGES),
        (ROLE_ROOT, _read(root, ROLE_ROOT)),
        *_declaration_files(root),
    ]
    _write_zip(dist / LAMBDA_ZIP, entries)
    return _artifact(dist, LAMBDA_ZIP, LAMBDA)


def _declaration_files(root: Path) -> list[tuple[str, bytes]]:
    """What loading the registry reads: its modules and, per dataset, the package's
    `__init__.py` and `dataset.py` and the suites (the registry checks every table has one)."""
    relatives = list(REGISTRY_MODULES)
    for dataset in packaged_datasets():
        package = Path(*dataset.package.split("."))
        relatives += [(package / "__init__.py").as_posix(), (package / "dataset.py").as_posix()]
        # The registry resolves suites in the tree it is imported from; the same folder here.
        suites = Path(dataset.suites).relative_to(PROJECT_ROOT)
        relatives += [(suites / f"{t.name}.json").as_posix() for t in dataset.curated_tables]
    return [(relative, _read(root, relative)) for relative in relatives]


def _read(root: Path, relative: str) -> bytes:
    path = root / relative
    if not path.is_file():
        raise UserError(f"{path} not found")
    return path.read_bytes()


def _package_files(root: Path, packages: Iterable[str]) -> list[tuple[str, bytes]]:
    files = []
    for package in packages:
        base = root / package
        if not (base / "__init__.py").is_file():
            raise UserError(f"{base} is not a Python package")
        for path in base.rglob("*"):
            relative = path.relative_to(root)
            if (
                path.is_file()
                and path.suffix in PACKAGED_SUFFIXES
                and not any(part.startswith((".", "__pycache__")) for part in relative.parts)
            ):
                files.append((relative.as_posix(), path.read_bytes()))
    return sorted(files)


def _write_zip(path: Path, entries: Iterable[tuple[str, bytes]]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with zipfile.ZipFile(tmp, "w") as archive:
        for arcname, data in sorted(entries):
            info = zipfile.ZipInfo(arcname, date_time=_ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    os.replace(tmp, path)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _artifact(dist: Path, relative: str, kind: str) -> Artifact:
    path = dist / relative
    return Artifact(kind=kind, path=relative, sha256=sha256_file(path), size=path.stat().st_size)


def _record_digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return _normalize(match.group(1)) if match else ""


def _normalize(name: str) -> str:
    """PEP 503: runs of -, _ and . are one hyphen, case-insensitive."""
    return re.sub(r"[-_.]+", "-", name).lower()
