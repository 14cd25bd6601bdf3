"""The extract Lambda: new raw files become a batch; only committed batches consume files."""

from __future__ import annotations

import hashlib

import boto3
import pytest
from moto import mock_aws

from orchestration.lake import Lake
from orchestration.lambdas.extract import extract, handler
from orchestration.layout import commit_marker_uri

NOTHING_NEW = {
    "batch_id": None,
    "datasets": [],
    "file_count": 0,
    "has_work": False,
    "unclaimed_files": [],
}


def _land(lake: Lake, table: str, day: str, text: str = "1|x|\n", dataset: str = "tpch") -> str:
    uri = lake.uri("raw", dataset, table, f"ingest_date={day}", f"{table}.tbl")
    lake.write_text(uri, text)
    return uri


def _is_committed(lake: Lake, batch_id: str) -> bool:
    return lake.exists(commit_marker_uri(lake, batch_id))


def _etag(uri: str) -> str:
    """A local file's etag in a manifest: the MD5 of its content."""
    with open(uri, "rb") as handle:
        return hashlib.md5(handle.read(), usedforsecurity=False).hexdigest()


def _commit(lake: Lake, extracted: dict, dataset: str = "tpch") -> None:
    (batch,) = [b for b in extracted["datasets"] if b["dataset"] == dataset]
    lake.write_json(lake.uri(batch["commit"]["key"]), {"tables": []})


def _manifest_files(lake: Lake, extracted: dict, dataset: str = "tpch") -> list[str]:
    (batch,) = [b for b in extracted["datasets"] if b["dataset"] == dataset]
    return [f["uri"] for f in lake.read_json(batch["manifest_uri"])["files"]]


def test_new_files_become_a_batch_with_a_manifest_and_the_keys_the_definition_reads(tmp_path):
    lake = Lake(str(tmp_path))
    orders = _land(lake, "orders", "2025-01-01", "1|a|\n")
    lineitem = _land(lake, "lineitem", "2025-01-01", "1|1|\n")
    batch = extract(lake, batch_id="b1")
    assert batch == {
        "batch_id": "b1",
        "datasets": [
            {
                "dataset": "tpch",
                "batch_id": "b1-tpch",
                "manifest_uri": lake.uri("manifests", "b1-tpch.json"),
                "file_count": 2,
                "tables": ["lineitem", "orders"],
                "destinations": {"warehouse": True, "catalog": True},
                "summary": {"bucket": "local-lake", "key": "validation/b1-tpch/summary.json"},
                "commit": {"bucket": "local-lake", "key": "manifests/b1-tpch.committed.json"},
            }
        ],
        "file_count": 2,
        "has_work": True,
        "unclaimed_files": [],
    }
    manifest = lake.read_json(batch["datasets"][0]["manifest_uri"])
    assert (manifest["batch_id"], manifest["dataset"]) == ("b1-tpch", "tpch")
    assert manifest["files"] == [
        {"uri": lineitem, "table": "lineitem", "size": 5, "etag": _etag(lineitem)},
        {"uri": orders, "table": "orders", "size": 5, "etag": _etag(orders)},
    ]


def test_an_uncommitted_batch_leaves_its_files_for_the_next_run(tmp_path):
    lake = Lake(str(tmp_path))
    _land(lake, "orders", "2025-01-01")
    first = extract(lake, batch_id="failed")
    second = extract(lake, batch_id="retry")
    assert (first["file_count"], second["file_count"]) == (1, 1)
    assert not _is_committed(lake, "failed-tpch")


def test_committed_files_are_consumed_and_only_later_files_are_new(tmp_path):
    lake = Lake(str(tmp_path))
    _land(lake, "orders", "2025-01-01")
    _commit(lake, extract(lake, batch_id="b1"))
    assert _is_committed(lake, "b1-tpch")
    assert extract(lake, batch_id="b2") == NOTHING_NEW
    later = _land(lake, "orders", "2025-01-02")
    assert _manifest_files(lake, extract(lake, batch_id="b3")) == [later]


def test_each_dataset_with_new_files_gets_its_own_batch(tmp_path):
    lake = Lake(str(tmp_path))
    orders = _land(lake, "orders", "2025-01-01")
    airlines = _land(lake, "airlines", "2013-01-01", "carrier,name\n", dataset="nycflights13")
    extracted = extract(lake, batch_id="b1")
    assert [(b["dataset"], b["batch_id"]) for b in extracted["datasets"]] == [
        ("nycflights13", "b1-nycflights13"),
        ("tpch", "b1-tpch"),
    ]
    assert _manifest_files(lake, extracted, "tpch") == [orders]
    assert _manifest_files(lake, extracted, "nycflights13") == [airlines]
    assert extracted["datasets"][0]["destinations"] == {"warehouse": True, "catalog": True}


def test_one_dataset_committing_leaves_the_other_datasets_files_new(tmp_path):
    lake = Lake(str(tmp_path))
    _land(lake, "orders", "2025-01-01")
    airlines = _land(lake, "airlines", "2013-01-01", "carrier,name\n", dataset="nycflights13")
    _commit(lake, extract(lake, batch_id="b1"), "tpch")
    again = extract(lake, batch_id="b2")
    assert [b["dataset"] for b in again["datasets"]] == ["nycflights13"]
    assert _manifest_files(lake, again, "nycflights13") == [airlines]


def test_an_extract_restricted_to_some_datasets_leaves_the_others(tmp_path):
    lake = Lake(str(tmp_path))
    _land(lake, "orders", "2025-01-01")
    _land(lake, "airlines", "2013-01-01", "carrier,name\n", dataset="nycflights13")
    extracted = extract(lake, ["tpch"], batch_id="b1")
    assert [b["dataset"] for b in extracted["datasets"]] == ["tpch"]


def test_a_file_no_dataset_claims_is_listed_and_never_taken(tmp_path):
    lake = Lake(str(tmp_path))
    stray = _land(lake, "partsupp", "2025-01-01")
    assert extract(lake, batch_id="b1") == {**NOTHING_NEW, "unclaimed_files": [stray]}
    orders = _land(lake, "orders", "2025-01-01")
    extracted = extract(lake, batch_id="b2")
    assert extracted["unclaimed_files"] == [stray]
    assert _manifest_files(lake, extracted) == [orders]


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
    batch = handler({"execution_id": "arn:exec", "datasets": []}, None)
    assert batch["has_work"] is True
    assert [b["tables"] for b in batch["datasets"]] == [["part"]]
    assert batch["datasets"][0]["manifest_uri"].startswith(str(lake_root) + "/manifests/")


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
    (batch,) = extract(s3_lake, batch_id="b1")["datasets"]
    assert batch["summary"] == {"bucket": "lake", "key": "prod/validation/b1-tpch/summary.json"}
    assert batch["commit"] == {"bucket": "lake", "key": "prod/manifests/b1-tpch.committed.json"}
    files = s3_lake.read_json(batch["manifest_uri"])["files"]
    assert [(f["uri"], f["table"], f["size"]) for f in files] == [(uri, "orders", 5)]
    s3_lake.write_json("s3://lake/" + batch["commit"]["key"], {"tables": []})
    assert extract(s3_lake) == NOTHING_NEW


# -- S3 Object Created events through EventBridge ---------------------------------------------


def _object_created(bucket: str, key: str) -> dict:
    return {
        "version": "0",
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": bucket}, "object": {"key": key, "size": 5}},
    }


def test_an_object_created_event_makes_a_batch_of_every_uncommitted_raw_file(lake_root):
    lake = Lake(str(lake_root))
    _land(lake, "orders", "2025-01-01")
    _land(lake, "lineitem", "2025-01-01")
    key = "raw/tpch/orders/ingest_date=2025-01-01/orders.tbl"
    batch = handler(_object_created("local-lake", key), None)
    assert (batch["has_work"], batch["file_count"]) == (True, 2)
    assert [b["tables"] for b in batch["datasets"]] == [["lineitem", "orders"]]
    assert batch["trigger"] == {"source": "aws.s3", "bucket": "local-lake", "key": key}


def test_a_second_event_of_a_committed_burst_finds_nothing_new(lake_root):
    lake = Lake(str(lake_root))
    _land(lake, "orders", "2025-01-01")
    _land(lake, "lineitem", "2025-01-01")
    first = handler(_object_created("local-lake", "raw/tpch/orders/x.tbl"), None)
    _commit(lake, first)
    second = handler(_object_created("local-lake", "raw/tpch/lineitem/x.tbl"), None)
    assert {k: v for k, v in second.items() if k != "trigger"} == NOTHING_NEW


def test_an_event_for_an_object_outside_the_raw_zone_starts_no_batch(lake_root):
    lake = Lake(str(lake_root))
    _land(lake, "orders", "2025-01-01")
    batch = handler(_object_created("local-lake", "curated/fact_sales/part-0.parquet"), None)
    assert batch == {
        **NOTHING_NEW,
        "trigger": {
            "source": "aws.s3",
            "bucket": "local-lake",
            "key": "curated/fact_sales/part-0.parquet",
            "ignored": "not under the raw zone",
        },
    }
    assert lake.list(lake.uri("manifests")) == []


def test_an_event_from_another_bucket_starts_no_batch(lake_root):
    _land(Lake(str(lake_root)), "orders", "2025-01-01")
    batch = handler(_object_created("someone-else", "raw/tpch/orders/o.tbl"), None)
    assert (batch["has_work"], batch["trigger"]["ignored"]) == (False, "not under the raw zone")


def test_a_scheduled_invocation_carries_no_trigger_key(lake_root):
    _land(Lake(str(lake_root)), "orders", "2025-01-01")
    batch = handler({"execution_id": "arn:aws:states:...:execution:sfn-etl:x"}, None)
    assert batch["has_work"] is True
    assert "trigger" not in batch


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (
            {"source": "aws.s3", "detail-type": "Object Deleted", "detail": {}},
            "unsupported S3 event detail-type 'Object Deleted': expected 'Object Created'",
        ),
        (
            {"source": "aws.s3", "detail-type": "Object Created", "detail": {"bucket": {}}},
            "S3 Object Created event without detail.bucket.name/detail.object.key",
        ),
    ],
)
def test_a_malformed_s3_event_fails_with_the_reason(lake_root, event, message):
    from orchestration.lambdas.extract import InvalidEvent

    with pytest.raises(InvalidEvent) as raised:
        handler(event, None)
    assert str(raised.value) == message


def test_an_object_created_event_on_an_s3_lake_matches_the_raw_bucket_and_prefix():
    from orchestration.lambdas.extract import _in_raw_zone

    lake = Lake("s3://lake-bucket/prod", {"raw": "s3://raw-bucket/landing"})
    assert _in_raw_zone(lake, "raw-bucket", "landing/tpch/orders/o.tbl")
    assert not _in_raw_zone(lake, "lake-bucket", "prod/raw/tpch/orders/o.tbl")
    assert not _in_raw_zone(lake, "raw-bucket", "landing-old/o.tbl")
