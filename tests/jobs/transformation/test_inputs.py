import json

import pytest

from jobs.transformation.inputs import (
    files_without_lines,
    literal_path,
    normalized_uri_column,
    resolve_input,
)
from orchestration.core.errors import UserError
from orchestration.core.lake import Lake, normalize_uri


def _raw(root, table, name="x.tbl", content="1|a|\n"):
    path = root / "raw" / "tpch" / table / "ingest_date=2025-01-01" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    return path


def test_without_manifest_every_raw_file_is_taken_by_table(tmp_path):
    region = _raw(tmp_path, "region")
    nation = _raw(tmp_path, "nation")
    batch = resolve_input(Lake(str(tmp_path)), None, "tpch")
    assert batch.dataset.name == "tpch"
    assert batch.tables == ["nation", "region"]
    assert [batch.uris[f.path] for f in batch.files_of("region")] == [str(region)]
    assert [batch.uris[f.path] for f in batch.files_of("nation")] == [str(nation)]


def test_manifest_listing_a_missing_file_names_it(tmp_path):
    manifest = tmp_path / "manifests" / "b1.json"
    manifest.parent.mkdir(parents=True)
    gone = str(tmp_path / "raw/tpch/region/ingest_date=2025-01-01/region.tbl")
    manifest.write_text(
        json.dumps(
            {
                "batch_id": "b1",
                "dataset": "tpch",
                "created_at": "now",
                "files": [{"uri": gone, "table": "region", "size": 1, "etag": "e"}],
            }
        )
    )
    missing = "tpch/region/ingest_date=2025-01-01/region.tbl"
    with pytest.raises(UserError, match=f"lists missing files: {missing}"):
        resolve_input(Lake(str(tmp_path)), str(manifest), None)


def test_corrupted_manifest_is_named(tmp_path):
    manifest = tmp_path / "manifests" / "b1.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text('{"batch_id": "b1", "files": [')
    with pytest.raises(UserError, match=f"not valid JSON: {manifest}"):
        resolve_input(Lake(str(tmp_path)), str(manifest), None)


def test_a_file_no_raw_table_claims_is_not_taken(tmp_path):
    _raw(tmp_path, "partsupp")
    _raw(tmp_path, "region")
    batch = resolve_input(Lake(str(tmp_path)), None, "tpch")
    assert [f.path for f in batch.files] == ["tpch/region/ingest_date=2025-01-01/x.tbl"]


def test_a_manifest_of_another_dataset_is_refused(tmp_path):
    manifest = tmp_path / "manifests" / "b1.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(
        json.dumps({"batch_id": "b1", "dataset": "tpch", "created_at": "now", "files": []})
    )
    with pytest.raises(UserError, match="--dataset nycflights13 but manifest .* a batch of tpch"):
        resolve_input(Lake(str(tmp_path)), str(manifest), "nycflights13")


def test_files_spark_never_saw_are_the_empty_ones():
    paths = ["/l/raw/a.tbl", "/l/raw/b.tbl"]
    assert files_without_lines(paths, {"/l/raw/a.tbl"}) == ["/l/raw/b.tbl"]


SPARK_URIS = [
    "file:/lake/raw/a.tbl",
    "file:///lake/raw/a.tbl",
    "file:lake/a.tbl",
    "/lake/raw/a.tbl",
    "s3://bkt/raw/a.tbl",
    "s3a://bkt/raw/a.tbl",
    "s3n://bkt/raw/a.tbl",
    "hdfs://nn/raw/a.tbl",
    "/lake/file:/a.tbl",
    "",
]


def test_the_spark_column_normalises_as_normalize_uri_does(spark):
    frame = spark.createDataFrame([(u,) for u in SPARK_URIS], "uri string")
    rows = frame.select("uri", normalized_uri_column(frame["uri"]).alias("normal")).collect()
    assert {r["uri"]: r["normal"] for r in rows} == {u: normalize_uri(u) for u in SPARK_URIS}
    assert normalize_uri("file:///lake/raw/a.tbl") == "/lake/raw/a.tbl"
    assert normalize_uri("s3n://bkt/raw/a.tbl") == "s3://bkt/raw/a.tbl"


def test_glob_characters_of_a_file_name_are_escaped_for_hadoop():
    assert literal_path("/l/raw/a [1]*?{x,y}.tbl") == r"/l/raw/a \[1\]\*\?\{x,y\}.tbl"
    assert literal_path("s3://b/raw/plain name é.tbl") == "s3://b/raw/plain name é.tbl"
