"""Folders by role: which role may import which, read from every import statement of the tree.

A Glue job imports only the core, the transforms and the warehouse adapters it reads keys with;
a Lambda only the core, its own handlers, the warehouse adapters and the pyspark-free dataset
declarations. A wrong import fails here, before it ships in an artifact that lacks the module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("orchestration", "jobs", "transforms")
DECLARATIONS = {"transforms.declaration", "transforms.registry"}
"""The pyspark-free modules of transforms/: what a Lambda may read of the dataset registry."""

ALLOWED = {
    "orchestration.core": {"orchestration.core", *DECLARATIONS},
    "orchestration.warehouse": {"orchestration.warehouse", "orchestration.core", *DECLARATIONS},
    "orchestration.lambdas": {
        "orchestration.lambdas",
        "orchestration.core",
        "orchestration.warehouse",
        *DECLARATIONS,
    },
    "jobs": {"jobs", "transforms", *DECLARATIONS, "orchestration.core", "orchestration.warehouse"},
    "transforms": {"transforms", *DECLARATIONS, "orchestration.core"},
    "transforms.declaration": {"orchestration.core"},
    "transforms.registry": {"transforms.declaration", "orchestration.core"},
    "orchestration.engine": {
        "orchestration.engine",
        "orchestration.core",
        "orchestration.lambdas",
        "orchestration.warehouse",
        "jobs",
        "transforms",
        *DECLARATIONS,
    },
    "orchestration.insight": {
        "orchestration.insight",
        "orchestration.core",
        "orchestration.engine",
        *DECLARATIONS,
    },
    "orchestration.tooling": {
        "orchestration.tooling",
        "orchestration.core",
        "transforms",
        *DECLARATIONS,
    },
    "orchestration.cli": {
        "orchestration.cli",
        "orchestration.core",
        "orchestration.engine",
        "orchestration.lambdas",
        "orchestration.warehouse",
        "orchestration.tooling",
        "orchestration.insight",
        "jobs",
        "transforms",
        *DECLARATIONS,
    },
}


def role(module: str) -> str:
    """The role of a module: its folder under orchestration/, or jobs, or transforms (whose two
    pyspark-free modules are roles of their own)."""
    parts = module.split(".")
    if parts[0] == "orchestration":
        return ".".join(parts[:2])
    if module in DECLARATIONS:
        return module
    return parts[0]


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts).removesuffix(".__init__")] = path
    return modules


def imports_of(path: Path) -> set[str]:
    """Every project module `path` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name.split(".")[0] in PACKAGES}


def test_every_module_of_the_tree_has_a_role_with_rules():
    roles = {role(module) for module in project_modules()} - {"orchestration"}
    assert roles == set(ALLOWED)


@pytest.mark.parametrize("importer", sorted(ALLOWED))
def test_a_role_imports_only_the_roles_it_may(importer):
    wrong = sorted(
        f"{module} imports {imported}"
        for module, path in project_modules().items()
        if role(module) == importer
        for imported in imports_of(path)
        if role(imported) not in ALLOWED[importer] | {importer}
    )
    assert wrong == []


def test_the_rules_catch_a_lambda_importing_the_engine(tmp_path):
    handler = tmp_path / "handler.py"
    handler.write_text("def handler(event, context):\n    from orchestration.engine import x\n")
    imported = imports_of(handler)
    assert imported == {"orchestration.engine"}
    assert role("orchestration.engine") not in ALLOWED["orchestration.lambdas"]
