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
