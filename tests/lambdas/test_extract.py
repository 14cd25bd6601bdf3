"""The extract Lambda: new raw files become a batch; only committed batches consume files;
strays and files of a batch that keeps failing are parked, and the history is read from the
dataset's index."""

from __future__ import annotations

import hashlib
import shutil
from contextlib import contextmanager

import boto3
import pytest
from moto import mock_aws

from orchestration.core.lake import Lake
from orchestration.core.layout import commit_marker_uri, index_uri, manifest_uri, parked_marker_uri
from orchestration.core.parked import ParkedFile, park, parked_files, release
from orchestration.lambdas.extract import extract, handler, uncommitted_files

NOTHING_NEW = {
    "batch_id": None,
    "datasets": [],
    "file_count": 0,
    "has_work": False,
    "unclaimed_files": [],
    "parked_files": [],
    "parked_count": 0,
}
ORDERS_DAY_1 = "tpch/orders/ingest_date=2025-01-01/orders.tbl"


def _land(lake: Lake, table: str, day: str, text: str = "1|x|\n", dataset: str = "tpch") -> str:
    uri = lake.uri("raw", dataset, table, f"ingest_date={day}", f"{table}.tbl")
    lake.write_text(uri, text)
    return uri


def _land_path(lake: Lake, path: str, text: str = "1|x|\n") -> str:
    lake.write_text(lake.uri("raw", path), text)
    return path


def _is_committed(lake: Lake, batch_id: str) -> bool:
    return lake.exists(commit_marker_uri(lake, batch_id))


def _etag(uri: str) -> str:
    """A local file's etag in a manifest: the MD5 of its content."""
    with open(uri, "rb") as handle:
        return hashlib.md5(handle.read(), usedforsecurity=False).hexdigest()


def _batch(extracted: dict, dataset: str = "tpch") -> dict:
    (batch,) = [b for b in extracted["datasets"] if b["dataset"] == dataset]
    return batch


def _commit(lake: Lake, extracted: dict, dataset: str = "tpch") -> None:
    """What the state machine's Commit writes after every destination succeeded."""
    lake.write_json(lake.uri(_batch(extracted, dataset)["commit"]["key"]), {"tables": []})


def _fail(lake: Lake, extracted: dict, error: str = "States.TaskFailed", cause: str = "boom"):
    """What the state machine's RecordDatasetFailure writes: the caught error."""
    key = _batch(extracted)["failure"]["key"]
    lake.write_json(lake.uri(key), {"Error": error, "Cause": cause})


def _manifest_paths(lake: Lake, extracted: dict, dataset: str = "tpch") -> list[str]:
    return [f["path"] for f in lake.read_json(_batch(extracted, dataset)["manifest_uri"])["files"]]


def _index(lake: Lake, dataset: str = "tpch") -> dict:
    return lake.read_json(index_uri(lake, dataset))


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
                "failure": {"bucket": "local-lake", "key": "manifests/b1-tpch.failed.json"},
                "previous_batch_id": None,
            }
        ],
        "file_count": 2,
        "has_work": True,
        "unclaimed_files": [],
        "parked_files": [],
        "parked_count": 0,
    }
    manifest = lake.read_json(batch["datasets"][0]["manifest_uri"])
    assert (manifest["batch_id"], manifest["dataset"]) == ("b1-tpch", "tpch")
    assert manifest["previous_batch_id"] is None
    assert manifest["files"] == [
        {
            "path": "tpch/lineitem/ingest_date=2025-01-01/lineitem.tbl",
            "table": "lineitem",
            "size": 5,
            "etag": _etag(lineitem),
        },
        {"path": ORDERS_DAY_1, "table": "orders", "size": 5, "etag": _etag(orders)},
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
    _land(lake, "orders", "2025-01-02")
    later = extract(lake, batch_id="b3")
    assert _manifest_paths(lake, later) == ["tpch/orders/ingest_date=2025-01-02/orders.tbl"]
    assert _batch(later)["previous_batch_id"] == "b1-tpch"
    assert lake.read_json(manifest_uri(lake, "b3-tpch"))["previous_batch_id"] == "b1-tpch"


def test_each_dataset_with_new_files_gets_its_own_batch(tmp_path):
    lake = Lake(str(tmp_path))
    _land(lake, "orders", "2025-01-01")
    _land(lake, "airlines", "2013-01-01", "carrier,name\n", dataset="nycflights13")
    extracted = extract(lake, batch_id="b1")
    assert [(b["dataset"], b["batch_id"]) for b in extracted["datasets"]] == [
        ("nycflights13", "b1-nycflights13"),
        ("tpch", "b1-tpch"),
    ]
    assert _manifest_paths(lake, extracted, "tpch") == [ORDERS_DAY_1]
    assert _manifest_paths(lake, extracted, "nycflights13") == [
        "nycflights13/airlines/ingest_date=2013-01-01/airlines.tbl"
    ]
    assert extracted["datasets"][0]["destinations"] == {"warehouse": True, "catalog": True}


def test_one_dataset_committing_leaves_the_other_datasets_files_new(tmp_path):
    lake = Lake(str(tmp_path))
    _land(lake, "orders", "2025-01-01")
    _land(lake, "airlines", "2013-01-01", "carrier,name\n", dataset="nycflights13")
    _commit(lake, extract(lake, batch_id="b1"), "tpch")
    again = extract(lake, batch_id="b2")
    assert [b["dataset"] for b in again["datasets"]] == ["nycflights13"]
    assert _manifest_paths(lake, again, "nycflights13") == [
        "nycflights13/airlines/ingest_date=2013-01-01/airlines.tbl"
    ]


def test_an_extract_restricted_to_some_datasets_leaves_the_others(tmp_path):
    lake = Lake(str(tmp_path))
    _land(lake, "orders", "2025-01-01")
    _land(lake, "airlines", "2013-01-01", "carrier,name\n", dataset="nycflights13")
    extracted = extract(lake, ["tpch"], batch_id="b1")
    assert [b["dataset"] for b in extracted["datasets"]] == ["tpch"]


def test_a_file_outside_every_datasets_folders_is_listed_unclaimed_and_never_taken(tmp_path):
    lake = Lake(str(tmp_path))
    loose = lake.uri("raw", "loose.tbl")
    lake.write_text(loose, "1|x|\n")
    landing = lake.uri("raw", "landing", "2025-01-01", "orders.tbl")
    lake.write_text(landing, "1|x|\n")
    assert extract(lake, batch_id="b1") == {**NOTHING_NEW, "unclaimed_files": [landing, loose]}
    _land(lake, "orders", "2025-01-01")
    extracted = extract(lake, batch_id="b2")
    assert extracted["unclaimed_files"] == [landing, loose]
    assert extracted["parked_files"] == []
    assert _manifest_paths(lake, extracted) == [ORDERS_DAY_1]
    assert parked_files(lake) == []


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
    assert batch["failure"] == {"bucket": "lake", "key": "prod/manifests/b1-tpch.failed.json"}
    files = s3_lake.read_json(batch["manifest_uri"])["files"]
    assert [(f["path"], f["table"], f["size"]) for f in files] == [(ORDERS_DAY_1, "orders", 5)]
    assert uri == "s3://lake/prod/raw/" + ORDERS_DAY_1
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


# -- history: the index, moved lakes, failed and killed batches ------------------------------


def test_a_moved_lake_takes_nothing_new(tmp_path):
    lake = Lake(str(tmp_path / "here"))
    _land(lake, "orders", "2025-01-01")
    _land(lake, "customer", "2025-01-01")
    _commit(lake, extract(lake, batch_id="b1"))
    shutil.copytree(tmp_path / "here", tmp_path / "there")
    moved = Lake(str(tmp_path / "there"))
    assert extract(moved, batch_id="b2") == NOTHING_NEW
    _land(moved, "orders", "2025-01-02")
    assert _manifest_paths(moved, extract(moved, batch_id="b3")) == [
        "tpch/orders/ingest_date=2025-01-02/orders.tbl"
    ]


def test_manifests_naming_absolute_uris_build_the_index_once_and_the_lake_then_moves(tmp_path):
    """A lake from before manifests named files by path: its first run reads them, once."""
    old = Lake(str(tmp_path / "old"))
    orders = _land(old, "orders", "2025-01-01")
    old.write_json(
        manifest_uri(old, "b0-tpch"),
        {
            "batch_id": "b0-tpch",
            "dataset": "tpch",
            "created_at": "2025-01-01T00:00:00+00:00",
            "files": [{"uri": orders, "table": "orders", "size": 5, "etag": _etag(orders)}],
        },
    )
    old.write_json(commit_marker_uri(old, "b0-tpch"), {"tables": []})
    assert extract(old, batch_id="b1") == NOTHING_NEW
    mtime_ns = (tmp_path / "old" / "raw" / ORDERS_DAY_1).stat().st_mtime_ns
    assert _index(old) == {
        "dataset": "tpch",
        "consumed": {ORDERS_DAY_1: _etag(orders)},
        "open_batches": [],
        "last_committed": "b0-tpch",
        "attempts": {},
        "checksums": {ORDERS_DAY_1: [5, mtime_ns, _etag(orders)]},
    }
    shutil.copytree(tmp_path / "old", tmp_path / "new")
    moved = Lake(str(tmp_path / "new"))
    assert extract(moved, batch_id="b2") == NOTHING_NEW


def test_with_an_index_the_committed_history_is_not_read_again(tmp_path):
    lake = Lake(str(tmp_path))
    _land(lake, "orders", "2025-01-01")
    _commit(lake, extract(lake, batch_id="b1"))
    assert extract(lake, batch_id="b2") == NOTHING_NEW  # settles b1 in the index
    lake.write_text(manifest_uri(lake, "b1-tpch"), "not JSON any more")
    _land(lake, "orders", "2025-01-02")
    assert _manifest_paths(lake, extract(lake, batch_id="b3")) == [
        "tpch/orders/ingest_date=2025-01-02/orders.tbl"
    ]


def test_only_new_or_changed_local_files_are_read_to_hash_them(tmp_path, monkeypatch):
    import orchestration.core.lake

    lake = Lake(str(tmp_path))
    _land(lake, "orders", "2025-01-01")
    _commit(lake, extract(lake, batch_id="b1"))
    hashed = []
    md5 = orchestration.core.lake._md5
    monkeypatch.setattr(
        orchestration.core.lake, "_md5", lambda path: hashed.append(path) or md5(path)
    )
    assert extract(lake, batch_id="b2") == NOTHING_NEW
    assert hashed == []
    later = _land(lake, "orders", "2025-01-02")
    assert extract(lake, batch_id="b3")["file_count"] == 1
    assert [str(p) for p in hashed] == [later]


def test_a_failed_batch_is_retried_with_its_attempt_counted(tmp_path):
    lake = Lake(str(tmp_path))
    orders = _land(lake, "orders", "2025-01-01")
    _fail(lake, extract(lake, batch_id="b1"), cause="Glue job run failed")
    retry = extract(lake, batch_id="b2")
    assert _manifest_paths(lake, retry) == [ORDERS_DAY_1]
    assert _index(lake)["attempts"] == {
        ORDERS_DAY_1: {
            "etag": _etag(orders),
            "count": 1,
            "last_error": "States.TaskFailed: Glue job run failed",
            "batches": ["b1-tpch"],
        }
    }
    assert _index(lake)["open_batches"] == ["b2-tpch"]


def test_after_max_attempts_failures_the_files_are_parked_and_a_new_file_is_taken_alone(tmp_path):
    lake = Lake(str(tmp_path))
    orders = _land(lake, "orders", "2025-01-01")
    cause = '{"errorMessage": "manifest lists\\n missing files", "errorType": "UserError"}'
    extracted = extract(lake, batch_id="b1")
    for attempt in ("b2", "b3"):
        _fail(lake, extracted, error="Glue.AWSGlueException", cause=cause)
        extracted = extract(lake, batch_id=attempt)
        assert _manifest_paths(lake, extracted) == [ORDERS_DAY_1]
    _fail(lake, extracted, error="Glue.AWSGlueException", cause=cause)
    _land(lake, "orders", "2025-01-02")
    after = extract(lake, batch_id="b4")

    reason = (
        "batch b3-tpch failed 3 consecutive attempts: "
        "Glue.AWSGlueException: manifest lists missing files"
    )
    assert after["parked_files"] == [
        {"path": ORDERS_DAY_1, "dataset": "tpch", "table": "orders", "reason": reason}
    ]
    assert (after["parked_count"], after["has_work"]) == (1, True)
    assert _manifest_paths(lake, after) == ["tpch/orders/ingest_date=2025-01-02/orders.tbl"]
    (parked,) = parked_files(lake)
    assert (parked.path, parked.table, parked.etag, parked.batch_id, parked.reason) == (
        ORDERS_DAY_1,
        "orders",
        _etag(orders),
        "b3-tpch",
        reason,
    )
    assert _index(lake)["attempts"] == {}
    _commit(lake, after)
    assert extract(lake, batch_id="b5") == NOTHING_NEW


def test_a_parked_then_released_file_is_taken_again(tmp_path):
    lake = Lake(str(tmp_path))
    _land(lake, "orders", "2025-01-01")
    extracted = extract(lake, batch_id="b1")
    for attempt in ("b2", "b3", "b4"):
        _fail(lake, extracted)
        extracted = extract(lake, batch_id=attempt)
    assert extracted == {
        **NOTHING_NEW,
        "parked_files": [
            {
                "path": ORDERS_DAY_1,
                "dataset": "tpch",
                "table": "orders",
                "reason": "batch b3-tpch failed 3 consecutive attempts: States.TaskFailed: boom",
            }
        ],
        "parked_count": 1,
    }
    assert extract(lake, batch_id="b5") == NOTHING_NEW
    release(lake, ORDERS_DAY_1)
    again = extract(lake, batch_id="b6")
    assert _manifest_paths(lake, again) == [ORDERS_DAY_1]
    assert _index(lake)["attempts"] == {}


def test_a_killed_batch_is_retaken_without_counting_an_attempt(tmp_path):
    lake = Lake(str(tmp_path))
    _land(lake, "orders", "2025-01-01")
    extract(lake, batch_id="killed")
    retry = extract(lake, batch_id="b2")
    assert _manifest_paths(lake, retry) == [ORDERS_DAY_1]
    assert (_index(lake)["attempts"], _index(lake)["open_batches"]) == ({}, ["b2-tpch"])


def test_a_file_the_transform_parked_in_a_committed_batch_is_not_consumed(tmp_path):
    lake = Lake(str(tmp_path))
    orders = _land(lake, "orders", "2025-01-01")
    customer = _land(lake, "customer", "2025-01-01")
    extracted = extract(lake, batch_id="b1")
    customer_path = "tpch/customer/ingest_date=2025-01-01/customer.tbl"
    transform_parked = ParkedFile(
        path=customer_path,
        dataset="tpch",
        table="customer",
        size=5,
        etag=_etag(customer),
        reason="80% of its lines rejected",
        batch_id="b1-tpch",
        parked_at="2025-01-01T00:00:00+00:00",
        lines=1,
    )
    park(lake, transform_parked)
    _commit(lake, extracted)
    assert extract(lake, batch_id="b2") == NOTHING_NEW
    assert _index(lake)["consumed"] == {ORDERS_DAY_1: _etag(orders)}
    release(lake, customer_path)
    assert _manifest_paths(lake, extract(lake, batch_id="b3")) == [customer_path]


def test_uncommitted_files_are_what_the_next_run_takes_and_reading_them_writes_nothing(tmp_path):
    lake = Lake(str(tmp_path))
    _land(lake, "orders", "2025-01-01")
    _commit(lake, extract(lake, batch_id="b1"))
    later = _land(lake, "orders", "2025-01-02")
    _land_path(lake, "tpch/partsupp/p.tbl")
    before = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert uncommitted_files(lake) == [(later, _etag(later))]
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == before


# -- parking strays; file names --------------------------------------------------------------


def test_a_file_in_a_folder_no_raw_table_is_declared_for_is_parked_and_a_good_file_is_taken(
    tmp_path,
):
    lake = Lake(str(tmp_path))
    stray = _land_path(lake, "tpch/partsupp/ingest_date=2025-01-01/partsupp.tbl", "1|2|\n")
    _land(lake, "orders", "2025-01-01")
    extracted = extract(lake, batch_id="b1")
    reason = "no raw table of tpch is declared for folder tpch/partsupp"
    assert extracted["parked_files"] == [
        {"path": stray, "dataset": "tpch", "table": None, "reason": reason}
    ]
    assert extracted["parked_count"] == 1
    assert extracted["unclaimed_files"] == []
    assert _manifest_paths(lake, extracted) == [ORDERS_DAY_1]
    marker = lake.read_json(parked_marker_uri(lake, stray))
    assert {k: v for k, v in marker.items() if k != "parked_at"} == {
        "path": stray,
        "dataset": "tpch",
        "table": None,
        "size": 5,
        "etag": _etag(lake.uri("raw", stray)),
        "reason": reason,
        "batch_id": None,
        "lines": None,
    }
    assert extract(lake, batch_id="b2")["parked_files"] == []  # parked once


def test_a_run_that_only_parks_has_no_work_but_lists_what_it_parked(tmp_path):
    lake = Lake(str(tmp_path))
    _land_path(lake, "nycflights13/loose.csv")
    assert extract(lake, batch_id="b1") == {
        **NOTHING_NEW,
        "parked_files": [
            {
                "path": "nycflights13/loose.csv",
                "dataset": "nycflights13",
                "table": None,
                "reason": "no raw table of nycflights13 is declared for folder nycflights13",
            }
        ],
        "parked_count": 1,
    }


def test_a_run_restricted_to_one_dataset_parks_nothing_of_another(tmp_path):
    lake = Lake(str(tmp_path))
    _land_path(lake, "nycflights13/loose.csv")
    assert extract(lake, ["tpch"], batch_id="b1") == NOTHING_NEW
    assert parked_files(lake) == []


@pytest.mark.parametrize(
    "name",
    [
        "orders 1.tbl",
        "orders[1].tbl",
        "orders*.tbl",
        "orders?.tbl",
        'it\'s "x".tbl',
        "ördérs-日本.tbl",
    ],
)
def test_file_names_with_spaces_globs_quotes_and_non_ascii_are_taken_and_named_exactly(
    tmp_path, name
):
    lake = Lake(str(tmp_path))
    path = _land_path(lake, f"tpch/orders/ingest_date=2025-01-01/{name}")
    extracted = extract(lake, batch_id="b1")
    assert _manifest_paths(lake, extracted) == [path]
    _commit(lake, extracted)
    assert extract(lake, batch_id="b2") == NOTHING_NEW


@contextmanager
def _s3_requests():
    """The S3 operations sent meanwhile, by name, as botocore sends them (each page counts)."""
    sent: list[str] = []

    def hook(event_name: str, **_) -> None:
        sent.append(event_name.rsplit(".", 1)[-1])

    events = boto3.DEFAULT_SESSION.events
    events.register_first("before-send.s3", hook)
    try:
        yield sent
    finally:
        events.unregister("before-send.s3", hook)


def test_on_s3_a_run_with_an_index_makes_the_same_requests_whatever_the_history(s3_lake):
    runs = []
    for day in range(1, 5):
        _land(s3_lake, "orders", f"2025-01-0{day}")
        with _s3_requests() as sent:
            extracted = extract(s3_lake, ["tpch"], batch_id=f"b{day}")
        s3_lake.write_json("s3://lake/" + _batch(extracted)["commit"]["key"], {"tables": []})
        runs.append(sent)
    # Every run after the first (which builds the index) settles the run before it.
    assert (
        runs[1]
        == runs[2]
        == runs[3]
        == [
            "GetObject",  # the index
            "ListObjectsV2",  # the dataset's parked markers
            "ListObjectsV2",  # the commit marker of the open batch
            "GetObject",  # its manifest
            "ListObjectsV2",  # the top of the raw zone
            "ListObjectsV2",  # raw/tpch/
            "PutObject",  # the new manifest
            "PutObject",  # the index
        ]
    )
