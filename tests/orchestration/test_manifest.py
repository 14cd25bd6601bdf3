from datetime import UTC, datetime

import pytest

from orchestration.errors import UserError
from orchestration.lake import Lake
from orchestration.manifest import (
    Manifest,
    check_batch_id,
    manifest_uri,
    new_batch_id,
    raw_table_of,
    read_manifest,
)


def test_batch_ids_sort_by_time():
    early = new_batch_id(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    late = new_batch_id(datetime(2026, 1, 2, 3, 4, 6, tzinfo=UTC))
    assert early.startswith("20260102T030405Z-") and early < late
    assert check_batch_id(early) == early


@pytest.mark.parametrize("bad", ["", "../etc", "a b", "x;drop"])
def test_unsafe_batch_ids_are_refused(bad):
    with pytest.raises(UserError, match="invalid batch id"):
        check_batch_id(bad)


def test_manifest_round_trips_through_the_lake(tmp_path):
    lake = Lake(str(tmp_path))
    payload = {
        "batch_id": "b1",
        "created_at": "2026-01-01T00:00:00+00:00",
        "files": [{"uri": "/x/raw/tpch/region/d/r.tbl", "table": "region", "size": 3, "etag": "e"}],
    }
    lake.write_json(manifest_uri(lake, "b1"), payload)
    manifest = read_manifest(lake, manifest_uri(lake, "b1"))
    assert manifest.tables == ["region"]
    assert manifest.to_json() == payload


def test_manifest_missing_its_files_is_corrupted(tmp_path):
    with pytest.raises(UserError, match=r"corrupted manifest m.json: KeyError\('files'\)"):
        Manifest.from_json({"batch_id": "b1", "created_at": "x"}, "m.json")


def test_table_comes_from_the_raw_layout(tmp_path):
    lake = Lake(str(tmp_path))
    assert raw_table_of(lake, f"{tmp_path}/raw/tpch/orders/ingest_date=d/o.tbl") == "orders"
    with pytest.raises(UserError, match="not laid out as raw/<dataset>/<table>/<file>"):
        raw_table_of(lake, f"{tmp_path}/raw/stray.tbl")
