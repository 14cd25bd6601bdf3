"""The generic transform job, on the tests' tiny dataset: what lands where, and the counts."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from chispa import assert_df_equality

from jobs.transform import main
from orchestration.core.errors import UserError
from orchestration.core.lake import Lake
from orchestration.core.layout import report_uri
from transforms.schemas import QUARANTINE_SCHEMA


def _land(root: Path, table: str, text: str, day: str = "2025-01-01") -> str:
    path = root / "raw" / "tiny" / table / f"ingest_date={day}" / f"{table}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
def batch(tiny, spark, tmp_path):
    root = tmp_path / "lake"
    shops = _land(root, "shops", "shop_id,name\n1,north\n2,south\n")
    sales = _land(
        root,
        "sales",
        "sale_id,shop_id,amount,sold_on\n"
        "10,1,5.00,2025-01-01\n"
        "11,9,7.50,2025-01-03\n"
        "12,2,-1.00,2025-01-02\n"
        "13,2,oops,2025-01-02\n",
    )
    later_sales = _land(
        root, "sales", "sale_id,shop_id,amount,sold_on\n10,1,6.00,2025-01-01\n", "2025-01-02"
    )
    assert main(["--dataset", "tiny", "--lake", str(root), "--batch_id", "b1"]) == 0
    report = json.loads(Path(report_uri(Lake(str(root)), "tiny", "b1")).read_text())
    return root, report, {"shops": shops, "sales": sales, "later_sales": later_sales}


def _curated(spark, root: Path, table: str):
    return spark.read.parquet(str(root / "curated" / "tiny" / table / "batch_id=b1"))


def test_sales_of_an_unknown_shop_point_at_the_unknown_member(spark, batch):
    root, _, _ = batch
    facts = sorted(map(tuple, _curated(spark, root, "fact_sale").collect()))
    assert facts == [
        (10, 1, Decimal("6.00"), date(2025, 1, 1)),
        (11, -1, Decimal("7.50"), date(2025, 1, 3)),
    ]
    shops = sorted(map(tuple, _curated(spark, root, "dim_shop").collect()))
    assert shops == [(-1, "unknown"), (1, "north"), (2, "south")]


def test_the_latest_extract_of_a_repeated_sale_wins_and_the_repeat_is_counted(batch):
    _, report, _ = batch
    assert report["raw"]["sales"]["duplicates"] == 1


def test_rule_breakers_and_malformed_rows_are_quarantined_with_their_reason(spark, batch):
    root, _, files = batch
    quarantine = spark.read.parquet(str(root / "quarantine" / "tiny" / "sales" / "batch_id=b1"))
    expected = spark.createDataFrame(
        [
            (
                files["sales"],
                "12,2,-1.00,2025-01-02",
                "rule amount_not_negative: a sale cannot be negative",
            ),
            (
                files["sales"],
                "13,2,oops,2025-01-02",
                "field amount: 'oops' is not a valid decimal(8,2)",
            ),
        ],
        QUARANTINE_SCHEMA,
    )
    assert_df_equality(quarantine, expected, ignore_row_order=True, ignore_nullable=True)


def test_a_raw_table_with_nothing_to_quarantine_writes_no_quarantine_folder(batch):
    root, report, _ = batch
    shops, sales = report["raw"]["shops"], report["raw"]["sales"]
    assert (shops["quarantined"], shops["quarantine_uri"]) == (0, None)
    assert not (root / "quarantine" / "tiny" / "shops").exists()
    assert Path(sales["quarantine_uri"]) == root / "quarantine" / "tiny" / "sales" / "batch_id=b1"


def test_every_raw_row_is_accounted_for_and_header_lines_are_not_rows(batch):
    _, report, _ = batch
    assert report["raw"]["sales"] | {"quarantine_uri": None} == {
        "files": 2,
        "read": 5,
        "header_lines": 2,
        "good": 3,
        "duplicates": 1,
        "quarantined": 2,
        "empty_files": [],
        "quarantine_uri": None,
        "parked": 0,
        "parked_files": [],
        "held": 0,
        "held_in": 0,
        "gates": {},
    }
    curated = report["curated"]
    assert {
        t: {k: c[k] for k in ("read", "written", "quarantined", "duplicates", "generated")}
        for t, c in curated.items()
    } == {
        "dim_shop": {"read": 2, "written": 3, "quarantined": 0, "duplicates": 0, "generated": 1},
        "fact_sale": {"read": 5, "written": 2, "quarantined": 2, "duplicates": 1, "generated": 0},
        "dim_day": {"read": 2, "written": 2, "quarantined": 0, "duplicates": 0, "generated": 0},
    }


def test_a_derived_table_is_built_from_the_written_facts(spark, batch):
    root, _, _ = batch
    days = sorted(map(tuple, _curated(spark, root, "dim_day").collect()))
    assert days == [(20250101, date(2025, 1, 1)), (20250103, date(2025, 1, 3))]


def test_a_batch_without_the_reference_table_builds_the_facts_against_an_empty_one(
    tiny, spark, tmp_path
):
    root = tmp_path / "lake"
    _land(root, "sales", "sale_id,shop_id,amount,sold_on\n10,1,5.00,2025-01-01\n")
    assert main(["--dataset", "tiny", "--lake", str(root), "--batch_id", "b1"]) == 0
    assert [tuple(r) for r in _curated(spark, root, "fact_sale").collect()] == [
        (10, -1, Decimal("5.00"), date(2025, 1, 1))
    ]
    assert not (root / "curated" / "tiny" / "dim_shop").exists()


def test_without_a_dataset_or_a_manifest_the_job_asks_for_one(tmp_path):
    with pytest.raises(UserError, match="--dataset NAME"):
        main(["--lake", str(tmp_path / "lake")])


def test_an_unknown_dataset_is_refused_with_the_declared_ones(tmp_path):
    with pytest.raises(UserError, match="unknown dataset 'nope'; declared: .*tpch"):
        main(["--dataset", "nope", "--lake", str(tmp_path / "lake")])
