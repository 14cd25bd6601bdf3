"""`sfn-etl parked list | show | release` (orchestration/cli/commands/parked.py)."""

from __future__ import annotations

import json

import pytest

from orchestration.cli.main import main
from orchestration.core.lake import Lake
from orchestration.core.manifest import Attempts, DatasetIndex, read_index, write_index
from orchestration.core.parked import ParkedFile, park, parked_files
from orchestration.lambdas.extract import extract

ORDERS = "tpch/orders/ingest_date=2025-01-01/orders.tbl"
LINEITEM = "tpch/lineitem/ingest_date=2025-01-01/lineitem.tbl"
STRAY = "tpch/partsupp/ingest_date=2025-01-01/partsupp.tbl"
FLIGHTS = "nycflights13/flights/ingest_date=2013-01-01/flights.csv"
FAILED = "batch b3-tpch failed 3 consecutive attempts: States.TaskFailed: boom"


def _parked(path: str, table: str | None, dataset: str = "tpch", **changes) -> ParkedFile:
    fields = {
        "path": path,
        "dataset": dataset,
        "table": table,
        "size": 5,
        "etag": "e1",
        "reason": FAILED,
        "batch_id": "b3-tpch",
        "parked_at": "2025-01-02T00:00:00+00:00",
    }
    return ParkedFile(**(fields | changes))


@pytest.fixture
def lake(lake_root) -> Lake:
    """A lake whose raw files are all parked: two tpch files after failed batches, a tpch stray
    parked by Extract, and a nycflights13 file the transform parked."""
    lake = Lake(str(lake_root))
    for path in (ORDERS, LINEITEM, STRAY, FLIGHTS):
        lake.write_text(lake.uri("raw", path), "1|x|\n")
    park(lake, _parked(ORDERS, "orders"))
    park(lake, _parked(LINEITEM, "lineitem"))
    stray_reason = "no raw table of tpch is declared for folder tpch/partsupp"
    park(lake, _parked(STRAY, None, reason=stray_reason, batch_id=None))
    park(
        lake,
        _parked(FLIGHTS, "flights", "nycflights13", reason="90% of its lines rejected", lines=10),
    )
    return lake


def test_list_prints_each_parked_file_with_where_it_belongs_and_why(lake, capsys):
    assert main(["parked", "list", "--dataset", "tpch"]) == 0
    assert capsys.readouterr().out == (
        f"{LINEITEM}\n"
        f"  tpch.lineitem, parked 2025-01-02T00:00:00+00:00: {FAILED}\n"
        f"{ORDERS}\n"
        f"  tpch.orders, parked 2025-01-02T00:00:00+00:00: {FAILED}\n"
        f"{STRAY}\n"
        "  tpch, no table, parked 2025-01-02T00:00:00+00:00: no raw table of tpch is declared "
        "for folder tpch/partsupp\n"
        "3 parked file(s); `sfn-etl parked release PATH` gives one back to the next execution\n"
    )


def test_list_as_json_prints_every_marker(lake, capsys):
    assert main(["parked", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [p["path"] for p in listed] == [FLIGHTS, LINEITEM, ORDERS, STRAY]
    assert listed[0] == {
        "path": FLIGHTS,
        "dataset": "nycflights13",
        "table": "flights",
        "size": 5,
        "etag": "e1",
        "reason": "90% of its lines rejected",
        "batch_id": "b3-tpch",
        "parked_at": "2025-01-02T00:00:00+00:00",
        "lines": 10,
    }


def test_list_of_a_lake_without_parked_files_says_so(lake_root, capsys):
    assert main(["parked", "list"]) == 0
    assert capsys.readouterr().out == f"no parked files in {lake_root}\n"


def test_show_prints_the_marker_of_one_file(lake, lake_root, capsys):
    assert main(["parked", "show", FLIGHTS]) == 0
    assert capsys.readouterr().out == (
        f"path:      {FLIGHTS}\n"
        f"uri:       {lake_root}/raw/{FLIGHTS}\n"
        "dataset:   nycflights13\n"
        "table:     flights\n"
        "size:      5 bytes\n"
        "etag:      e1\n"
        "lines:     10\n"
        "parked by: batch b3-tpch\n"
        "parked at: 2025-01-02T00:00:00+00:00\n"
        "reason:    90% of its lines rejected\n"
    )


def test_show_accepts_the_files_uri_and_names_a_stray_as_parked_by_extract(lake, capsys):
    assert main(["parked", "show", lake.uri("raw", STRAY)]) == 0
    out = capsys.readouterr().out
    assert "table:     (no raw table declared for its folder)\n" in out
    assert "parked by: extract\n" in out


def test_show_of_a_file_that_is_not_parked_exits_2_naming_it(lake, capsys):
    assert main(["parked", "show", "tpch/orders/nope.tbl"]) == 2
    assert capsys.readouterr().err == "error: tpch/orders/nope.tbl is not parked\n"


def test_released_files_are_taken_by_the_next_extract(lake, capsys):
    write_index(
        lake,
        DatasetIndex(dataset="tpch", attempts={ORDERS: Attempts("e1", 2, "boom", ("b1", "b2"))}),
    )
    assert main(["parked", "release", ORDERS, LINEITEM]) == 0
    assert capsys.readouterr().out == (
        f"released {ORDERS} (tpch.orders)\n"
        f"released {LINEITEM} (tpch.lineitem)\n"
        "2 file(s) released: the next execution takes them\n"
    )
    assert read_index(lake, "tpch").attempts == {}
    extracted = extract(lake, ["tpch"], batch_id="b4")
    (batch,) = extracted["datasets"]
    assert [f["path"] for f in lake.read_json(batch["manifest_uri"])["files"]] == [
        LINEITEM,
        ORDERS,
    ]


def test_release_all_of_a_dataset_leaves_the_other_datasets_files_parked(lake, capsys):
    assert main(["parked", "release", "--dataset", "tpch", "--all"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "3 file(s) released: the next execution takes them"
    )
    assert [p.path for p in parked_files(lake)] == [FLIGHTS]
    assert main(["parked", "release", "--dataset", "tpch", "--all"]) == 0
    assert capsys.readouterr().out == "no parked files of tpch\n"


def test_release_of_a_path_that_is_not_parked_releases_nothing(lake, capsys):
    assert main(["parked", "release", ORDERS, "tpch/orders/nope.tbl"]) == 2
    assert capsys.readouterr().err == "error: tpch/orders/nope.tbl is not parked\n"
    assert [p.path for p in parked_files(lake)] == [FLIGHTS, LINEITEM, ORDERS, STRAY]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "name the files to release: PATH... or --dataset D --all"),
        (["--all"], "--all releases one dataset's parked files: add --dataset D"),
        ([ORDERS, "--dataset", "tpch", "--all"], "give PATHs or --dataset D --all, not both"),
        (
            [ORDERS, "--dataset", "tpch"],
            "--dataset goes with --all; to release some files, name their paths",
        ),
    ],
)
def test_release_refuses_an_ambiguous_request(lake, capsys, args, message):
    assert main(["parked", "release", *args]) == 2
    assert capsys.readouterr().err == f"error: {message}\n"
    assert len(parked_files(lake)) == 4
