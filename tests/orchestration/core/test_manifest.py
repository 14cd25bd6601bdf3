from datetime import UTC, datetime

import pytest

from orchestration.core.errors import UserError
from orchestration.core.lake import Lake
from orchestration.core.layout import manifest_uri
from orchestration.core.manifest import (
    Attempts,
    DatasetIndex,
    Manifest,
    ManifestFile,
    check_batch_id,
    claim,
    claimer,
    new_batch_id,
    raw_prefixes,
    read_index,
    read_manifest,
    write_index,
)
from transforms.declaration import Dataset, Field, RawTable
from transforms.registry import datasets, get_dataset


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
        "batch_id": "b2",
        "dataset": "tpch",
        "created_at": "2026-01-01T00:00:00+00:00",
        "previous_batch_id": "b1",
        "files": [{"path": "tpch/region/d/r.tbl", "table": "region", "size": 3, "etag": "e"}],
    }
    lake.write_json(manifest_uri(lake, "b2"), payload)
    manifest = read_manifest(lake, manifest_uri(lake, "b2"))
    assert manifest.files == (ManifestFile("tpch/region/d/r.tbl", "region", 3, "e"),)
    assert (manifest.tables, manifest.previous_batch_id) == (["region"], "b1")
    assert manifest.to_json() == payload


def _one_file(**named) -> dict:
    """A manifest of a batch before any other, of one region file named as `named` says."""
    entry = {**named, "table": "region", "size": 3, "etag": "e"}
    return {"batch_id": "b1", "dataset": "tpch", "created_at": "x", "files": [entry]}


def test_a_manifest_naming_absolute_uris_reads_as_paths_in_the_raw_zone(tmp_path):
    payload = _one_file(uri=f"{tmp_path}/raw/tpch/region/d/r.tbl")
    manifest = Manifest.from_json(payload, "m.json", Lake(str(tmp_path)))
    assert manifest.files == (ManifestFile("tpch/region/d/r.tbl", "region", 3, "e"),)
    assert manifest.previous_batch_id is None


def test_a_manifest_naming_a_uri_outside_the_raw_zone_is_refused_naming_it(tmp_path):
    payload = _one_file(uri="/old/lake/raw/tpch/region/r.tbl")
    with pytest.raises(UserError) as raised:
        Manifest.from_json(payload, "m.json", Lake(str(tmp_path)))
    assert str(raised.value) == (
        f"manifest m.json: /old/lake/raw/tpch/region/r.tbl is not under the raw zone "
        f"{tmp_path}/raw/"
    )


@pytest.mark.parametrize("path", ["", "/abs/r.tbl", "tpch/../../curated/x"])
def test_a_manifest_path_that_is_not_relative_to_the_raw_zone_is_corrupted(tmp_path, path):
    with pytest.raises(UserError) as raised:
        Manifest.from_json(_one_file(path=path), "m.json", Lake(str(tmp_path)))
    assert str(raised.value) == (
        f'corrupted manifest m.json: ValueError("file path {path!r} is not relative to the raw '
        f'zone")'
    )


def test_manifest_missing_its_files_is_corrupted(tmp_path):
    with pytest.raises(UserError, match=r"corrupted manifest m.json: KeyError\('files'\)"):
        Manifest.from_json({"batch_id": "b1", "created_at": "x"}, "m.json", Lake(str(tmp_path)))


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


def test_a_file_path_is_claimed_like_its_uri():
    claim_path = claimer(list(datasets().values()))
    assert claim_path("tpch/orders/ingest_date=d/o.tbl") == ("tpch", "orders")
    assert claim_path("tpch/partsupp/d/p.tbl") is None
    assert claim_path("tpch/orders_old/d/o.tbl") is None


def test_a_datasets_raw_prefixes_are_its_own_and_each_declared_folder_outside_it():
    columns = (Field("id", "int", key=True),)
    dataset = Dataset(
        name="shop",
        description="",
        raw_tables=(
            RawTable("orders", columns),
            RawTable("items", columns, folder="feeds/shop_items/"),
            RawTable("returns", columns, folder="shop/returns/v2"),
            RawTable("refunds", columns, folder="feeds/shop_items/refunds"),
        ),
        curated_tables=(),
    )
    assert raw_prefixes(dataset) == ["shop", "feeds/shop_items"]
    assert raw_prefixes(get_dataset("tpch")) == ["tpch"]


def test_an_index_round_trips_through_the_lake(tmp_path):
    lake = Lake(str(tmp_path))
    index = DatasetIndex(
        dataset="tpch",
        consumed={"tpch/orders/o.tbl": "e1"},
        open_batches=("b3-tpch",),
        last_committed="b2-tpch",
        attempts={"tpch/lineitem/l.tbl": Attempts("e2", 1, "States.TaskFailed: x", ("b1-tpch",))},
        checksums={"tpch/orders/o.tbl": (5, 1700000000000000000, "e1")},
    )
    write_index(lake, index)
    assert lake.read_json(f"{tmp_path}/manifests/_index/tpch.json") == {
        "dataset": "tpch",
        "consumed": {"tpch/orders/o.tbl": "e1"},
        "open_batches": ["b3-tpch"],
        "last_committed": "b2-tpch",
        "attempts": {
            "tpch/lineitem/l.tbl": {
                "etag": "e2",
                "count": 1,
                "last_error": "States.TaskFailed: x",
                "batches": ["b1-tpch"],
            }
        },
        "checksums": {"tpch/orders/o.tbl": [5, 1700000000000000000, "e1"]},
    }
    assert read_index(lake, "tpch") == index
    assert read_index(lake, "nycflights13") is None


def test_a_corrupted_index_is_refused_naming_it_and_how_to_rebuild_it(tmp_path):
    lake = Lake(str(tmp_path))
    uri = f"{tmp_path}/manifests/_index/tpch.json"
    lake.write_json(uri, {"dataset": "tpch"})
    with pytest.raises(UserError) as raised:
        read_index(lake, "tpch")
    assert str(raised.value) == (
        f"corrupted index {uri}: KeyError('last_committed'); delete it and the next extract "
        "rebuilds it from the committed manifests"
    )
