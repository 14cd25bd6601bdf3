import json

import pytest

from jobs.transform_inputs import files_without_lines, resolve_input
from orchestration.errors import UserError
from orchestration.lake import Lake


def _raw(root, table, name="x.tbl", content="1|a|\n"):
    path = root / "raw" / "tpch" / table / "ingest_date=2025-01-01" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    return path


def test_without_manifest_every_raw_file_is_taken_by_table(tmp_path):
    region = _raw(tmp_path, "region")
    nation = _raw(tmp_path, "nation")
    batch = resolve_input(Lake(str(tmp_path)), None)
    assert batch.tables == ["nation", "region"]
    assert batch.files_of("region") == [str(region)]
    assert batch.files_of("nation") == [str(nation)]


def test_manifest_listing_a_missing_file_names_it(tmp_path):
    manifest = tmp_path / "manifests" / "b1.json"
    manifest.parent.mkdir(parents=True)
    gone = str(tmp_path / "raw/tpch/region/ingest_date=2025-01-01/region.tbl")
    manifest.write_text(
        json.dumps(
            {
                "batch_id": "b1",
                "created_at": "now",
                "files": [{"uri": gone, "table": "region", "size": 1, "etag": "e"}],
            }
        )
    )
    with pytest.raises(UserError, match=f"lists missing files: {gone}"):
        resolve_input(Lake(str(tmp_path)), str(manifest))


def test_corrupted_manifest_is_named(tmp_path):
    manifest = tmp_path / "manifests" / "b1.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text('{"batch_id": "b1", "files": [')
    with pytest.raises(UserError, match=f"not valid JSON: {manifest}"):
        resolve_input(Lake(str(tmp_path)), str(manifest))


def test_file_of_a_table_without_schema_is_refused(tmp_path):
    _raw(tmp_path, "partsupp")
    with pytest.raises(UserError, match=r"no raw schema for partsupp \(.*partsupp.*x\.tbl\)"):
        resolve_input(Lake(str(tmp_path)), None)


def test_files_spark_never_saw_are_the_empty_ones():
    paths = ["/l/raw/a.tbl", "/l/raw/b.tbl"]
    assert files_without_lines(paths, {"/l/raw/a.tbl"}) == ["/l/raw/b.tbl"]
