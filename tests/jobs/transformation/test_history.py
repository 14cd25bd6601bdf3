"""Batches that build on earlier ones: parents persist as state, children wait for parents.

Run through the transform job on the tests' `late` dataset (orders and their lines), one batch
after another, each naming the previous committed batch as a manifest from Extract would.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from chispa import assert_df_equality

from jobs.transform import run_transform
from jobs.transformation.history import batch_time
from jobs.transformation.inputs import BatchInput
from orchestration.core.lake import Lake
from orchestration.core.layout import held_uri, quarantine_uri, raw_file_uri, report_uri
from orchestration.core.manifest import ManifestFile
from transforms.schemas import QUARANTINE_SCHEMA

DAY1 = "20250101T060000Z-aaaaaa-late"
DAY2 = "20250102T060000Z-bbbbbb-late"
DAY4 = "20250104T070000Z-cccccc-late"


def _land(root: Path, table: str, day: str, text: str, name: str | None = None) -> ManifestFile:
    path = f"late/{table}/ingest_date={day}/{name or table + '.csv'}"
    (root / "raw" / path).parent.mkdir(parents=True, exist_ok=True)
    (root / "raw" / path).write_text(text, encoding="utf-8")
    return ManifestFile(path=path, table=table, size=len(text), etag=f"etag-{path}")


def _run(spark, lake: Lake, dataset, batch_id: str, files, previous: str | None) -> dict:
    batch = BatchInput(
        dataset=dataset,
        manifest_uri=None,
        files=tuple(files),
        uris={f.path: raw_file_uri(lake, f.path) for f in files},
        previous_batch_id=previous,
    )
    report = run_transform(spark, lake, batch_id, batch)
    lake.write_json(report_uri(lake, "late", batch_id), report)
    return report


def _facts(spark, root: Path, batch_id: str) -> list[tuple]:
    path = root / "curated" / "late" / "fact_line" / f"batch_id={batch_id}"
    return sorted(tuple(r) for r in spark.read.parquet(str(path)).collect())


def test_lines_whose_order_came_yesterday_load(late, spark, tmp_path):
    root = tmp_path / "lake"
    lake = Lake(str(root))
    orders = _land(root, "orders", "2025-01-01", "1,ann\n2,bob\n")
    _run(spark, lake, late, DAY1, [orders], None)
    lines = _land(root, "lines", "2025-01-02", "1,1,5\n2,1,3\n2,2,1\n")
    report = _run(spark, lake, late, DAY2, [lines], DAY1)
    assert _facts(spark, root, DAY2) == [(1, 1, "ann", 5), (2, 1, "bob", 3), (2, 2, "bob", 1)]
    assert report["raw"]["lines"]["held"] == 0
    assert report["curated"]["fact_line"]["written"] == 3


def test_an_orders_only_batch_writes_no_curated_table_and_hands_its_orders_on(
    late, spark, tmp_path
):
    root = tmp_path / "lake"
    lake = Lake(str(root))
    report = _run(spark, lake, late, DAY1, [_land(root, "orders", "2025-01-01", "1,ann\n")], None)
    assert report["curated"] == {}
    assert report["state"]["orders"]["rows"] == 1
    assert report["raw"]["orders"]["good"] == 1


def test_a_newer_order_replaces_the_known_one_and_older_orders_stay_known(late, spark, tmp_path):
    root = tmp_path / "lake"
    lake = Lake(str(root))
    _run(spark, lake, late, DAY1, [_land(root, "orders", "2025-01-01", "1,ann\n2,bob\n")], None)
    renamed = _land(root, "orders", "2025-01-02", "2,bea\n")
    lines = _land(root, "lines", "2025-01-02", "1,1,5\n2,1,3\n")
    report = _run(spark, lake, late, DAY2, [renamed, lines], DAY1)
    assert _facts(spark, root, DAY2) == [(1, 1, "ann", 5), (2, 1, "bea", 3)]
    assert report["state"]["orders"]["rows"] == 2


def test_a_line_before_its_order_is_held_then_loads_when_the_order_arrives(late, spark, tmp_path):
    root = tmp_path / "lake"
    lake = Lake(str(root))
    order1 = _land(root, "orders", "2025-01-01", "1,ann\n")
    early = _land(root, "lines", "2025-01-01", "1,1,5\n7,1,2\n7,2,4\n")
    first = _run(spark, lake, late, DAY1, [order1, early], None)
    assert _facts(spark, root, DAY1) == [(1, 1, "ann", 5)]
    assert (first["raw"]["lines"]["held"], first["raw"]["lines"]["held_in"]) == (2, 0)
    assert first["held"]["lines"]["rows"] == 2
    held = spark.read.parquet(held_uri(lake, "late", "lines", DAY1))
    assert sorted((r.order_id, r.line_no, r.held_since) for r in held.collect()) == [
        (7, 1, datetime(2025, 1, 1, 6, 0)),
        (7, 2, datetime(2025, 1, 1, 6, 0)),
    ]

    order7 = _land(root, "orders", "2025-01-02", "7,cyd\n")
    second = _run(spark, lake, late, DAY2, [order7], DAY1)
    assert _facts(spark, root, DAY2) == [(7, 1, "cyd", 2), (7, 2, "cyd", 4)]
    counts = second["curated"]["fact_line"]
    assert {k: counts[k] for k in ("read", "held_in", "held", "written", "quarantined")} == {
        "read": 0,
        "held_in": 2,
        "held": 0,
        "written": 2,
        "quarantined": 0,
    }
    assert second["held"] == {}


def test_a_held_line_resent_with_the_batch_is_counted_once_as_a_duplicate(late, spark, tmp_path):
    root = tmp_path / "lake"
    lake = Lake(str(root))
    _run(spark, lake, late, DAY1, [_land(root, "lines", "2025-01-01", "7,1,2\n")], None)
    resent = _land(root, "lines", "2025-01-02", "7,1,9\n")
    order7 = _land(root, "orders", "2025-01-02", "7,cyd\n")
    report = _run(spark, lake, late, DAY2, [resent, order7], DAY1)
    assert _facts(spark, root, DAY2) == [(7, 1, "cyd", 9)]
    counts = report["curated"]["fact_line"]
    assert (counts["read"], counts["held_in"], counts["duplicates"], counts["written"]) == (
        1,
        1,
        1,
        1,
    )


def test_a_line_held_longer_than_declared_is_quarantined_with_the_reason(late, spark, tmp_path):
    root = tmp_path / "lake"
    lake = Lake(str(root))
    early = _land(root, "lines", "2025-01-01", "7,1,2\n")
    _run(spark, lake, late, DAY1, [early], None)
    _run(spark, lake, late, DAY2, [_land(root, "orders", "2025-01-02", "1,ann\n")], DAY1)
    unrelated = _land(root, "orders", "2025-01-04", "2,bob\n")
    report = _run(spark, lake, late, DAY4, [unrelated], DAY2)
    quarantine = spark.read.parquet(quarantine_uri(lake, "late", "lines", DAY4))
    expected = spark.createDataFrame(
        [
            (
                raw_file_uri(lake, early.path),
                "7,1,2",
                "orders order_id=7 has not arrived; held since 2025-01-01 06:00:00Z, "
                "longer than 2.0 days",
            )
        ],
        QUARANTINE_SCHEMA,
    )
    assert_df_equality(quarantine, expected, ignore_nullable=True)
    assert report["raw"]["lines"]["held"] == 0
    assert report["raw"]["lines"]["quarantined"] == 1
    assert report["held"] == {}
    assert "fact_line" not in report["curated"]


def test_a_batch_time_comes_from_its_id():
    assert batch_time(DAY2) == datetime(2025, 1, 2, 6, 0, tzinfo=UTC)
