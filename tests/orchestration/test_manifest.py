from datetime import UTC, datetime

import pytest

from orchestration.errors import UserError
from orchestration.lake import Lake
from orchestration.layout import manifest_uri
from orchestration.manifest import (
    Manifest,
    check_batch_id,
    claim,
    new_batch_id,
    read_manifest,
)
from transforms.registry import datasets


def test_batch_ids_sort_by_time():
    early = new_batch_id(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    late = new_batch_id(datetime(2026, 1, 2, 3, 4, 6, tzinfo=UTC))
    assert early.startswith("20260102T030405Z-") and early < late
    assert check_batch_id(early) == early


def test_a_dataset_batch_id_ends_with_its_dataset():
    batch_id = new_batch_id(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), dataset="tpch")
    assert batch_id.startswith("20260102T030405Z-") and batch_id.endswith("-tpch")
    assert check_batch_id(batch_id) == batch_id


@pytest.mark.parametrize("bad", ["", "../etc", "a b", "x;drop"])
def test_unsafe_batch_ids_are_refused(bad):
    with pytest.raises(UserError, match="invalid batch id"):
        check_batch_id(bad)


def test_manifest_round_trips_through_the_lake(tmp_path):
    lake = Lake(str(tmp_path))
    payload = {
        "batch_id": "b1",
        "dataset": "tpch",
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


def test_a_file_belongs_to_the_dataset_and_table_whose_folder_holds_it(tmp_path):
    lake = Lake(str(tmp_path))
    every = list(datasets().values())
    assert claim(lake, f"{tmp_path}/raw/tpch/orders/ingest_date=d/o.tbl", every) == (
        "tpch",
        "orders",
    )
    assert claim(lake, f"{tmp_path}/raw/nycflights13/flights/d/f.csv.gz", every) == (
        "nycflights13",
        "flights",
    )


def test_a_file_no_declared_folder_holds_is_claimed_by_nobody(tmp_path):
    lake = Lake(str(tmp_path))
    every = list(datasets().values())
    assert claim(lake, f"{tmp_path}/raw/stray.tbl", every) is None
    assert claim(lake, f"{tmp_path}/raw/tpch/partsupp/d/p.tbl", every) is None
    # A folder name that merely starts like a declared one is another folder.
    assert claim(lake, f"{tmp_path}/raw/tpch/orders_old/d/o.tbl", every) is None


def test_a_file_outside_the_raw_zone_is_refused(tmp_path):
    with pytest.raises(UserError, match="is not under the raw zone"):
        claim(Lake(str(tmp_path)), "/elsewhere/x.tbl", [])
