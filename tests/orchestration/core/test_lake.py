import hashlib
import shutil

import pytest

from orchestration.core.lake import LOCAL_BUCKET, Lake, LakeError, normalize_uri, split_s3_uri


def test_zones_live_under_the_root_unless_moved(tmp_path):
    lake = Lake("s3://bucket/prefix", {"raw": "s3://raw-bucket"})
    assert lake.uri("curated", "fact_sales") == "s3://bucket/prefix/curated/fact_sales"
    assert lake.uri("raw", "tpch", "x.tbl") == "s3://raw-bucket/tpch/x.tbl"
    assert lake.bucket_key("validation", "b1", "summary.json") == (
        "bucket",
        "prefix/validation/b1/summary.json",
    )


def test_local_objects_are_addressed_through_the_local_bucket(tmp_path):
    lake = Lake(str(tmp_path))
    assert lake.bucket_key("manifests", "b1.json") == (LOCAL_BUCKET, "manifests/b1.json")


def test_write_then_list_skips_hidden_and_underscore_names(tmp_path):
    lake = Lake(str(tmp_path))
    lake.write_json(lake.uri("manifests", "b1.json"), {"a": 1})
    lake.write_text(lake.uri("manifests", "_tmp", "x"), "x")
    lake.write_text(lake.uri("manifests", ".hidden"), "x")
    listed = lake.list(lake.uri("manifests"))
    assert [o.uri for o in listed] == [str(tmp_path / "manifests" / "b1.json")]
    assert listed[0].size == len('{\n  "a": 1\n}\n')
    assert lake.read_json(listed[0].uri) == {"a": 1}


def test_reading_a_missing_object_names_it(tmp_path):
    with pytest.raises(LakeError, match=f"missing: {tmp_path}/nope.json"):
        Lake(str(tmp_path)).read_json(str(tmp_path / "nope.json"))


def test_unwritable_lake_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(LakeError, match=f"cannot write {blocker}/x.json"):
        Lake(str(tmp_path)).write_json(str(blocker / "x.json"), {})


def test_spark_file_uris_compare_as_plain_paths():
    assert normalize_uri("file:///a/b.tbl") == "/a/b.tbl"
    assert normalize_uri("file:/a/b.tbl") == "/a/b.tbl"
    assert normalize_uri("s3a://bkt/k") == "s3://bkt/k"
    assert normalize_uri("s3n://bkt/k") == "s3://bkt/k"
    assert normalize_uri("/a/b.tbl") == "/a/b.tbl"


def test_s3_uris_split_into_bucket_and_key():
    assert split_s3_uri("s3://bkt/a/b.parquet") == ("bkt", "a/b.parquet")
    assert split_s3_uri("s3://bkt/prefix/") == ("bkt", "prefix/")
    assert split_s3_uri("s3://bkt") == ("bkt", "")


def test_listing_without_checksums_reads_no_file(tmp_path, monkeypatch):
    lake = Lake(str(tmp_path))
    lake.write_text(lake.uri("raw", "t", "x.tbl"), "1|a|\n")
    monkeypatch.setattr("pathlib.Path.open", lambda *a, **k: pytest.fail("a file was read"))
    (listed,) = lake.list(lake.uri("raw"))
    assert (listed.size, listed.etag) == (5, None)


def test_a_local_checksum_is_the_md5_of_the_content(tmp_path):
    lake = Lake(str(tmp_path))
    lake.write_text(lake.uri("raw", "t", "x.tbl"), "1|a|\n")
    (listed,) = lake.list(lake.uri("raw"), checksums=True)
    assert listed.etag == hashlib.md5(b"1|a|\n", usedforsecurity=False).hexdigest()


def test_a_same_size_rewrite_changes_the_checksum_and_a_copy_keeps_it(tmp_path):
    lake = Lake(str(tmp_path / "a"))
    uri = lake.uri("raw", "t", "x.tbl")
    lake.write_text(uri, "1|old|\n")
    (before,) = lake.list(lake.uri("raw"), checksums=True)
    lake.write_text(uri, "1|new|\n")
    (after,) = lake.list(lake.uri("raw"), checksums=True)
    assert before.size == after.size and before.etag != after.etag
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    (copied,) = Lake(str(tmp_path / "b")).list(str(tmp_path / "b" / "raw"), checksums=True)
    assert copied.etag == after.etag


def test_listing_a_zone_at_a_bucket_root_finds_its_objects(monkeypatch):
    import boto3
    from moto import mock_aws

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="raw-bucket")
        s3.put_object(Bucket="raw-bucket", Key="tpch/region/d/region.tbl", Body=b"0|A|c|\n")
        s3.put_object(Bucket="raw-bucket", Key="_staging/x", Body=b"x")
        lake = Lake("s3://lake/p", {"raw": "s3://raw-bucket"})
        listed = lake.list(lake.uri("raw"))
    assert [(o.uri, o.size) for o in listed] == [("s3://raw-bucket/tpch/region/d/region.tbl", 7)]
