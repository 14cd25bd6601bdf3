"""Shared fixtures: one SparkSession for the whole run, and a lake seeded once at scale 0.01."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("SFN_ETL_SHUFFLE_PARTITIONS", "2")
os.environ.setdefault("SFN_ETL_SPARK_MASTER", "local[2]")


@pytest.fixture(scope="session")
def spark():
    from jobs.runtime import local_session

    session = local_session("sfn-etl-tests")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def seeded_raw(tmp_path_factory) -> Path:
    """Raw TPC-H extracts at scale 0.01 in 3 daily batches; copy it before changing it."""
    from orchestration.core.lake import Lake
    from transforms.tpch.seed import seed

    root = tmp_path_factory.mktemp("seeded") / "lake"
    seed(Lake(str(root)), scale=0.01, batches=3)
    return root


@dataclass(frozen=True)
class TransformedLake:
    root: Path
    batch_id: str


@pytest.fixture(scope="session")
def tpch_transformed(spark, seeded_raw, tmp_path_factory) -> TransformedLake:
    """The seeded lake after one run of the transform job: the curated TPC-H outputs the tests
    read, built once per session. Copy it before changing it."""
    from jobs.transform import main

    root = tmp_path_factory.mktemp("transformed") / "lake"
    shutil.copytree(seeded_raw, root)
    batch_id = "t1"
    assert main(["--dataset", "tpch", "--lake", str(root), "--batch_id", batch_id]) == 0
    return TransformedLake(root, batch_id)


@pytest.fixture
def lake_root(tmp_path, monkeypatch) -> Path:
    """An empty lake and state directory of this test's own, in the environment."""
    root = tmp_path / "lake"
    monkeypatch.setenv("SFN_ETL_LAKE", str(root))
    monkeypatch.setenv("SFN_ETL_HOME", str(tmp_path / "home"))
    return root


TINY_SUITES = Path(__file__).resolve().parent / "datasets" / "tiny" / "expectations"


@pytest.fixture
def tiny(monkeypatch):
    """The tests' own tiny dataset (tests/datasets/tiny), registered next to the shipped ones."""
    from transforms.registry import EXTRA_DATASETS_ENV, get_dataset

    monkeypatch.setenv(EXTRA_DATASETS_ENV, f"tests.datasets.tiny={TINY_SUITES}")
    return get_dataset("tiny")


LATE_SUITES = Path(__file__).resolve().parent / "datasets" / "late" / "expectations"


@pytest.fixture
def late(monkeypatch):
    """The tests' dataset of orders and lines that arrive out of order (tests/datasets/late)."""
    from transforms.registry import EXTRA_DATASETS_ENV, get_dataset

    monkeypatch.setenv(EXTRA_DATASETS_ENV, f"tests.datasets.late={LATE_SUITES}")
    return get_dataset("late")


def pytest_terminal_summary(terminalreporter, config) -> None:
    """The coverage of the shipped definition by every local execution this session ran (each
    test's executions live in an SFN_ETL_HOME of its own under the session's temporary folder;
    under pytest-xdist each worker's folder is inside the controller's)."""
    # pytest keeps its TempPathFactory private; it is the one the tests' tmp_path came from.
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None:
        return
    basetemp = factory.getbasetemp()
    from orchestration.engine.definition import load_definition
    from orchestration.engine.store import ExecutionStore
    from orchestration.insight.coverage import coverage, executions_of

    definition = load_definition()
    histories = []
    records = basetemp.rglob("executions/*/execution.json")
    for home in sorted({record.parent.parent.parent for record in records}):
        store = ExecutionStore(home)
        histories += [store.history(name) for name in executions_of(store, definition.text)]
    if not histories:
        return
    report = coverage(definition.document, histories)
    terminalreporter.section("coverage of the shipped definition")
    terminalreporter.write_line(f"{len(histories)} executions: {report.summary()}")
    for line in report.never_run():
        terminalreporter.write_line(f"  never run: {line}")
