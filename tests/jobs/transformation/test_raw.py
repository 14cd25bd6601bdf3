"""A raw table's files in the transform job: broken files are parked whole, names are literal.

Run through the job on the tests' `late` dataset, as in test_history.py.
"""

from __future__ import annotations

import json
from pathlib import Path

from jobs.transform import run_transform
from jobs.transformation.inputs import BatchInput
from jobs.transformation.raw import latest_partitions
from orchestration.core.lake import Lake
from orchestration.core.layout import parked_marker_uri, raw_file_uri
from orchestration.core.manifest import ManifestFile

BATCH = "20250101T060000Z-aaaaaa-late"


def _land(root: Path, table: str, name: str, content: bytes) -> ManifestFile:
    path = f"late/{table}/ingest_date=2025-01-01/{name}"
    (root / "raw" / path).parent.mkdir(parents=True, exist_ok=True)
    (root / "raw" / path).write_bytes(content)
    return ManifestFile(path=path, table=table, size=len(content), etag=f"etag-{name}")


def _run(spark, lake: Lake, dataset, files) -> dict:
    batch = BatchInput(
        dataset=dataset,
        manifest_uri=None,
        files=tuple(files),
        uris={f.path: raw_file_uri(lake, f.path) for f in files},
    )
    return run_transform(spark, lake, BATCH, batch)


def _facts(spark, root: Path) -> list[tuple]:
    path = root / "curated" / "late" / "fact_line" / f"batch_id={BATCH}"
    return sorted(tuple(r) for r in spark.read.parquet(str(path)).collect())


def test_a_file_whose_every_line_has_another_field_count_is_parked_and_the_rest_loads(
    late, spark, tmp_path
):
    root = tmp_path / "lake"
    lake = Lake(str(root))
    orders = _land(root, "orders", "orders.csv", b"1,ann\n")
    good = _land(root, "lines", "good.csv", b"1,1,5\n")
    drifted = _land(root, "lines", "drifted.csv", b"1,2,5,extra\n1,3,6,extra\n")
    report = _run(spark, lake, late, [orders, good, drifted])
    assert _facts(spark, root) == [(1, 1, "ann", 5)]
    reason = (
        "2 of 2 lines rejected (more than 50%), e.g. expected 3 fields separated by ',', found 4"
    )
    assert report["parked_files"] == [
        {"path": drifted.path, "table": "lines", "reason": reason, "lines": 2}
    ]
    marker = json.loads(Path(parked_marker_uri(lake, drifted.path)).read_text())
    assert marker | {"parked_at": None} == {
        "path": drifted.path,
        "dataset": "late",
        "table": "lines",
        "size": drifted.size,
        "etag": drifted.etag,
        "reason": reason,
        "batch_id": BATCH,
        "parked_at": None,
        "lines": 2,
    }
    lines = report["raw"]["lines"]
    assert (lines["read"], lines["parked"], lines["good"], lines["quarantined"]) == (3, 2, 1, 0)
    assert report["curated"]["fact_line"]["parked"] == 2


def test_one_bad_line_in_a_file_is_quarantined_and_the_file_is_not_parked(late, spark, tmp_path):
    root = tmp_path / "lake"
    lake = Lake(str(root))
    orders = _land(root, "orders", "orders.csv", b"1,ann\n")
    lines = _land(root, "lines", "lines.csv", b"1,1,5\n1,2,5\n1,3,x\n")
    report = _run(spark, lake, late, [orders, lines])
    assert report["parked_files"] == []
    assert _facts(spark, root) == [(1, 1, "ann", 5), (1, 2, "ann", 5)]
    assert report["raw"]["lines"]["quarantined"] == 1


def test_a_file_spark_cannot_read_is_parked_with_the_error(late, spark, tmp_path):
    root = tmp_path / "lake"
    lake = Lake(str(root))
    orders = _land(root, "orders", "orders.csv", b"1,ann\n")
    good = _land(root, "lines", "good.csv", b"1,1,5\n")
    corrupt = _land(root, "lines", "corrupt.csv.gz", b"this is not gzip at all\n" * 4)
    report = _run(spark, lake, late, [orders, good, corrupt])
    assert _facts(spark, root) == [(1, 1, "ann", 5)]
    (parked,) = report["parked_files"]
    assert parked == {
        "path": corrupt.path,
        "table": "lines",
        "reason": "unreadable: java.io.IOException: not a gzip file",
        "lines": 0,
    }


def test_file_names_with_glob_characters_and_non_ascii_are_read_literally(late, spark, tmp_path):
    root = tmp_path / "lake"
    lake = Lake(str(root))
    orders = _land(root, "orders", "orders [1].csv", b"1,ann\n")
    odd = [
        _land(root, "lines", "lines*?.csv", b"1,1,5\n"),
        _land(root, "lines", "l{a,b} 'q\".csv", b"1,2,6\n"),
        _land(root, "lines", "été+50%.csv", b"1,3,x\n1,4,7\n1,5,8\n"),
    ]
    report = _run(spark, lake, late, [orders, *odd])
    assert _facts(spark, root) == [
        (1, 1, "ann", 5),
        (1, 2, "ann", 6),
        (1, 4, "ann", 7),
        (1, 5, "ann", 8),
    ]
    quarantined = spark.read.parquet(report["raw"]["lines"]["quarantine_uri"]).collect()
    assert [(r.source_file, r.raw_line) for r in quarantined] == [
        (raw_file_uri(lake, odd[2].path), "1,3,x")
    ]


def test_rule_breakers_and_gate_counts_leave_out_the_parked_files_lines(spark, tmp_path):
    from jobs.transformation.raw import read_raw_table
    from transforms.declaration import Field, RawTable, Rule

    table = RawTable(
        "counts",
        (Field("id", "int", key=True), Field("qty", "int")),
        rules=(
            Rule("qty_not_negative", "qty >= 0", "qty cannot be negative"),
            Rule("qty_small", "qty < 10", "qty of 10 or more", gate=True, mostly=0.5),
        ),
    )
    kept = tmp_path / "kept.csv"
    kept.write_text("1,5\n2,-1\n3,50\n4,x\n")
    # Two of three lines malformed: parked, so its one good line (7,1) counts nowhere.
    parked = tmp_path / "parked.csv"
    parked.write_text("5,x\n6,y\n7,1\n")

    read = read_raw_table(spark, table, [str(kept), str(parked)])

    assert list(read.parked) == [str(parked)]
    # kept.csv: 3 lines parse, 1 breaks the row rule; the gate sees the other two, 50 breaks it.
    assert (read.counts["read"], read.counts["good"], read.counts["parked"]) == (7, 2, 3)
    assert read.counts["gates"] == {
        "qty_small": {"rows": 2, "broken": 1, "mostly": 0.5, "reason": "qty of 10 or more"}
    }
    assert sorted(tuple(r) for r in read.latest.select("id", "qty").collect()) == [(1, 5), (3, 50)]
    for frame in read.persisted:
        frame.unpersist()


def test_a_small_delta_gets_a_partition_per_core_whatever_the_shuffle_partitions():
    assert latest_partitions(60_000, cores=2, ceiling=200) == 2
    assert latest_partitions(0, cores=4, ceiling=8) == 4


def test_a_large_table_gets_a_partition_per_half_million_rows_up_to_the_shuffle_partitions():
    assert latest_partitions(1_500_000, cores=2, ceiling=200) == 3
    assert latest_partitions(1_500_001, cores=2, ceiling=200) == 4
    assert latest_partitions(6_001_215, cores=2, ceiling=8) == 8


def test_a_session_of_fewer_shuffle_partitions_than_cores_keeps_its_count():
    assert latest_partitions(10, cores=4, ceiling=1) == 1


def test_a_small_batch_keeps_a_partition_per_core_in_a_session_of_many_shuffle_partitions(
    late, spark, tmp_path
):
    root = tmp_path / "lake"
    lake = Lake(str(root))
    orders = _land(root, "orders", "orders.csv", b"".join(b"%d,c%d\n" % (n, n) for n in range(40)))
    lines = _land(root, "lines", "lines.csv", b"".join(b"%d,1,5\n" % n for n in range(40)))
    before = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", "16")
    try:
        report = _run(spark, lake, late, [orders, lines])
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", before)
    assert len(_facts(spark, root)) == 40
    orders_state = Path(report["state"]["orders"]["uri"])
    assert report["state"]["orders"]["rows"] == 40
    assert len(list(orders_state.glob("part-*.parquet"))) == spark.sparkContext.defaultParallelism
