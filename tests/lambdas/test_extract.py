"""The extract Lambda: new raw files become a batch; only committed batches consume files."""

from __future__ import annotations

import hashlib

import boto3
import pytest
from moto import mock_aws

from orchestration.lake import Lake
from orchestration.lambdas.extract import extract, handler, is_committed

NOTHING_NEW = {
    "batch_id": None,
    "manifest_uri": None,
    "datasets": [],
    "file_count": 0,
    "has_work": False,
    "summary": None,
    "commit": None,
}


def _land(lake: Lake, table: str, day: str, text: str = "1|x|\n") -> str:
    uri = lake.uri("raw", "tpch", table, f"ingest_date={day}", f"{table}.tbl")
    lake.write_text(uri, text)
    return uri


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _commit(lake: Lake, batch: dict) -> None:
    lake.write_json(lake.uri(batch["commit"]["key"]), {"tables": []})


def test_new_files_become_a_batch_with_a_manifest_and_the_keys_the_definition_reads(tmp_path):
    lake = Lake(str(tmp_path))
    orders = _land(lake, "orders", "2025-01-01", "1|a|\n")
    lineitem = _land(lake, "lineitem", "2025-01-01", "1|1|\n")
    batch = extract(lake, batch_id="b1")
    assert batch == {
        "batch_id": "b1",
        "manifest_uri": lake.uri("manifests", "b1.json"),
        "datasets": ["lineitem", "orders"],
        "file_count": 2,
        "has_work": True,
        "summary": {"bucket": "local-lake", "key": "validation/b1/summary.json"},
        "commit": {"bucket": "local-lake", "key": "manifests/b1.committed.json"},
    }
    manifest = lake.read_json(batch["manifest_uri"])
    assert manifest["batch_id"] == "b1"
    assert manifest["files"] == [
        {"uri": lineitem, "table": "lineitem", "size": 5, "etag": _md5(b"1|1|\n")},
        {"uri": orders, "table": "orders", "size": 5, "etag": _md5(b"1|a|\n")},
    ]


def test_an_uncommitted_batch_leaves_its_files_for_the_next_run(tmp_path):
    lake = Lake(str(tmp_path))
    _land(lake, "orders", "2025-01-01")
    first = extract(lake, batch_id="failed")
    second = extract(lake, batch_id="retry")
    assert (first["file_count"], second["file_count"]) == (1, 1)
    assert not is_committed(lake, "failed")


def test_committed_files_are_consumed_and_only_later_files_are_new(tmp_path):
    lake = Lake(str(tmp_path))
    _land(lake, "orders", "2025-01-01")
    _commit(lake, extract(lake, batch_id="b1"))
    assert is_committed(lake, "b1")
    assert extract(lake, batch_id="b2") == NOTHING_NEW
    later = _land(lake, "orders", "2025-01-02")
    batch = extract(lake, batch_id="b3")
    assert [f["uri"] for f in lake.read_json(batch["manifest_uri"])["files"]] == [later]


def test_a_committed_file_rewritten_with_new_content_is_new_data(tmp_path):
    lake = Lake(str(tmp_path))
    _land(lake, "customer", "2025-01-01", "1|old|\n")
    _commit(lake, extract(lake, batch_id="b1"))
    _land(lake, "customer", "2025-01-01", "1|new|\n")
    assert extract(lake, batch_id="b2")["file_count"] == 1


def test_an_empty_lake_has_nothing_new(tmp_path):
    assert extract(Lake(str(tmp_path / "empty"))) == NOTHING_NEW


def test_the_handler_uses_the_lake_from_the_environment(lake_root):
    _land(Lake(str(lake_root)), "part", "2025-01-01")
    batch = handler({"execution_id": "arn:exec"}, None)
    assert (batch["has_work"], batch["datasets"]) == (True, ["part"])
    assert batch["manifest_uri"].startswith(str(lake_root) + "/manifests/")


@pytest.fixture
def s3_lake(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="lake")
        yield Lake("s3://lake/prod")


def test_on_s3_new_objects_are_listed_through_boto3_and_addressed_by_bucket_and_key(s3_lake):
    uri = _land(s3_lake, "orders", "2025-01-01")
    batch = extract(s3_lake, batch_id="b1")
    assert batch["summary"] == {"bucket": "lake", "key": "prod/validation/b1/summary.json"}
    assert batch["commit"] == {"bucket": "lake", "key": "prod/manifests/b1.committed.json"}
    files = s3_lake.read_json(batch["manifest_uri"])["files"]
    assert [(f["uri"], f["table"], f["size"]) for f in files] == [(uri, "orders", 5)]
    s3_lake.write_json("s3://lake/" + batch["commit"]["key"], {"tables": []})
    assert extract(s3_lake) == NOTHING_NEW
