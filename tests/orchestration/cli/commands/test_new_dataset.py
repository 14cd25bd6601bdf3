"""`sfn-etl new-dataset NAME` (orchestration/tooling/scaffold.py): the files it writes, what it
refuses, and that the dataset it writes works: registered, seeded and transformed into dim_item."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.cli.main import main
from orchestration.core.errors import UserError
from orchestration.core.lake import Lake
from orchestration.tooling.scaffold import scaffold
from transforms.registry import EXTRA_DATASETS_ENV, check_code, get_dataset, resolve

PROJECT = Path(__file__).resolve().parents[4]
RUFF = Path(sys.executable).with_name("ruff")


@pytest.fixture
def root(tmp_path) -> Path:
    """An empty project root: it has a transforms/ folder and nothing else."""
    (tmp_path / "project" / "transforms").mkdir(parents=True)
    return tmp_path / "project"


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def registered(root, monkeypatch):
    """Scaffold a dataset and register it as an out-of-tree one: its package imports as
    top-level `<name>` and its suites come from expectations/<name>/."""
    names = []

    def register(name: str):
        scaffold(root, name)
        names.append(name)
        monkeypatch.syspath_prepend(str(root / "transforms"))
        monkeypatch.setenv(EXTRA_DATASETS_ENV, f"{name}={root / 'expectations' / name}")
        return get_dataset(name)

    yield register
    for module in [m for m in sys.modules if m.partition(".")[0] in names]:
        del sys.modules[module]


def test_scaffold_writes_the_package_its_suite_and_a_test_and_returns_them_in_order(root):
    written = scaffold(root, "shop")

    assert [str(p.relative_to(root)) for p in written] == [
        "transforms/shop/__init__.py",
        "transforms/shop/dataset.py",
        "transforms/shop/dim_item.py",
        "transforms/shop/seed.py",
        "expectations/shop/dim_item.json",
        "tests/transforms/shop/__init__.py",
        "tests/transforms/shop/test_shop.py",
    ]
    assert _files(root) == sorted(str(p.relative_to(root)) for p in written)
    assert 'name="shop"' in (root / "transforms" / "shop" / "dataset.py").read_text()
    assert '"shop", "items"' in (root / "transforms" / "shop" / "seed.py").read_text()
    suite = json.loads((root / "expectations" / "shop" / "dim_item.json").read_text())
    assert suite["name"] == "dim_item"
    test = (root / "tests" / "transforms" / "shop" / "test_shop.py").read_text()
    assert 'DATASET = "shop"' in test
    assert "{" + "name" + "}" not in test  # every placeholder filled


@pytest.mark.skipif(not RUFF.exists(), reason="ruff (a dev dependency) is not installed")
def test_the_scaffolded_code_passes_the_projects_lint_and_format_even_for_a_long_name(root):
    scaffold(root, "a_dataset_name_of_thirty_chars")
    config = ["--config", str(PROJECT / "pyproject.toml")]
    for command in (["check", *config], ["format", "--check", *config]):
        completed = subprocess.run(
            [str(RUFF), *command, str(root)], capture_output=True, text=True, check=False
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr


def test_new_dataset_writes_under_the_current_directory_and_names_each_file(
    root, monkeypatch, capsys
):
    monkeypatch.chdir(root)

    assert main(["new-dataset", "garden"]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"created {root / 'transforms' / 'garden' / '__init__.py'}"
    assert out[-1] == f"created {root / 'tests' / 'transforms' / 'garden' / 'test_garden.py'}"
    assert len(out) == 7


def test_scaffold_refuses_a_dataset_that_exists_and_changes_nothing(root):
    scaffold(root, "shop")
    dataset_py = root / "transforms" / "shop" / "dataset.py"
    dataset_py.write_text("# edited by hand\n")
    before = _files(root)

    with pytest.raises(UserError, match="dataset shop exists already: .*dataset.py"):
        scaffold(root, "shop")

    assert _files(root) == before
    assert dataset_py.read_text() == "# edited by hand\n"


def test_scaffold_refuses_a_dataset_whose_package_folder_exists_even_empty(root):
    (root / "transforms" / "shop").mkdir()

    with pytest.raises(UserError, match="dataset shop exists already"):
        scaffold(root, "shop")

    assert _files(root) == []


@pytest.mark.parametrize("name", ["Shop", "1shop", "shop-2", "my shop", "", "_shop"])
def test_scaffold_refuses_a_name_that_is_not_lower_case_letters_digits_and_underscores(root, name):
    with pytest.raises(UserError, match=r"must match \^\[a-z\]\[a-z0-9_\]\*\$"):
        scaffold(root, name)
    assert _files(root) == []


def test_scaffold_refuses_a_folder_that_is_not_the_project_root(tmp_path):
    with pytest.raises(UserError, match="is not the project root: it has no transforms/ folder"):
        scaffold(tmp_path, "shop")
    assert _files(tmp_path) == []


def test_scaffold_refuses_a_name_a_module_of_transforms_already_has(root):
    (root / "transforms" / "registry.py").write_text("")
    with pytest.raises(UserError):
        scaffold(root, "registry")


def test_the_scaffolded_dataset_passes_every_check_of_the_registry(registered):
    dataset = registered("bakery")

    check_code(dataset)
    assert (dataset.name, dataset.package) == ("bakery", "bakery")
    assert [t.name for t in dataset.raw_tables] == ["items"]
    assert [t.name for t in dataset.curated_tables] == ["dim_item"]
    assert dataset.destinations == ("warehouse", "catalog")


def test_the_scaffolded_seed_lands_one_sample_file_once(registered, tmp_path):
    dataset = registered("florist")
    lake = Lake(str(tmp_path / "lake"))
    seed = resolve(dataset, dataset.seed)

    first, second = seed(lake), seed(lake)

    landed = f"{lake.root}/raw/florist/items/ingest_date=2025-01-01/items.csv"
    assert (first.written, first.rows) == ([landed], {"items": 3})
    assert (second.written, second.unchanged) == ([], [landed])


def test_the_scaffolded_dataset_seeds_and_transforms_into_three_dim_item_rows(
    spark, registered, tmp_path
):
    from jobs.transform import main as transform

    dataset = registered("shop")
    lake = Lake(str(tmp_path / "lake"))
    resolve(dataset, dataset.seed)(lake)

    assert transform(["--dataset", "shop", "--lake", lake.root, "--batch_id", "b1"]) == 0

    rows = spark.read.parquet(f"{lake.root}/curated/shop/dim_item/batch_id=b1").collect()
    assert sorted(map(tuple, rows)) == [
        (1, "kettle", Decimal("24.90")),
        (2, "teapot", Decimal("18.00")),
        (3, "mug", None),
    ]
    report = json.loads(
        Path(lake.root, "curated", "shop", "_reports", "batch_id=b1", "transform.json").read_text()
    )
    assert (report["raw"]["items"]["read"], report["raw"]["items"]["quarantined"]) == (3, 0)
    assert report["curated"]["dim_item"]["written"] == 3
