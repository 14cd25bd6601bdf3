import json
import shutil
from pathlib import Path

import duckdb
import pytest
from pyspark.sql import functions as F

from jobs import transform
from jobs.validate import main
from jobs.validation.checks import KEYS_EXIST, RECONCILED
from orchestration.errors import UserError

BATCH = "v1"
DIMENSIONS = ("dim_customer", "dim_part", "dim_supplier")
FACT_ROWS = 60175


def _first_line():
    return (F.col("order_key") == 1) & (F.col("line_number") == 1)


def _validate(root: Path, warehouse: str, *extra: str) -> dict:
    argv = ["--JOB_NAME", "validate", "--dataset", "tpch", "--lake", str(root), "--batch_id", BATCH]
    assert main([*argv, "--warehouse", warehouse, *extra]) == 0
    return json.loads((root / "validation" / BATCH / "summary.json").read_text())


def _failures(summary: dict) -> dict:
    return {table: entry["failed"] for table, entry in summary["tables"].items() if entry["failed"]}


def _report_path(root: Path) -> Path:
    return root / "curated" / "tpch" / "_reports" / f"batch_id={BATCH}" / "transform.json"


@pytest.fixture(scope="module")
def transformed(spark, seeded_raw, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("validate") / "lake"
    shutil.copytree(seeded_raw, root)
    assert transform.main(["--dataset", "tpch", "--lake", str(root), "--batch_id", BATCH]) == 0
    return root


@pytest.fixture(scope="module")
def empty_warehouse(tmp_path_factory) -> str:
    return f"duckdb:///{tmp_path_factory.mktemp('empty') / 'warehouse.duckdb'}"


@pytest.fixture(scope="module")
def validated(transformed, empty_warehouse) -> tuple[Path, dict]:
    return transformed, _validate(transformed, empty_warehouse)


@pytest.fixture(scope="module")
def warehouse_with_dimensions(transformed, tmp_path_factory) -> str:
    """A warehouse an earlier batch loaded the customers, parts and suppliers into."""
    path = tmp_path_factory.mktemp("loaded") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE SCHEMA tpch")
        for table in DIMENSIONS:
            files = transformed / "curated" / "tpch" / table / f"batch_id={BATCH}" / "*.parquet"
            conn.execute(f"CREATE TABLE tpch.{table} AS SELECT * FROM read_parquet('{files}')")
    return f"duckdb:///{path}"


@pytest.fixture
def facts_batch(transformed, tmp_path) -> Path:
    """A later batch: orders and lineitem only, so fact_sales and dim_date."""
    root = tmp_path / "lake"
    shutil.copytree(transformed / "curated", root / "curated")
    report = json.loads(_report_path(root).read_text())
    for table in DIMENSIONS:
        del report["curated"][table]
        shutil.rmtree(root / "curated" / "tpch" / table)
    _report_path(root).write_text(json.dumps(report))
    return root


def _rewrite_fact_sales(spark, root: Path, change) -> None:
    folder = root / "curated" / "tpch" / "fact_sales" / f"batch_id={BATCH}"
    staged = folder.with_name("staged")
    change(spark.read.parquet(str(folder))).write.parquet(str(staged))
    shutil.rmtree(folder)
    staged.rename(folder)


def test_clean_scale_001_batch_passes_every_suite(validated):
    root, summary = validated
    assert summary["success"] is True
    assert {t: (e["success"], e["evaluated"]) for t, e in summary["tables"].items()} == {
        "dim_customer": (True, 9),
        "dim_date": (True, 10),
        "dim_part": (True, 7),
        "dim_supplier": (True, 8),
        # 25 GX expectations, reconciliation, quarantined share, 4 dimension references.
        "fact_sales": (True, 31),
    }
    assert summary["batch_id"] == BATCH
    assert summary["notes"] == []


def test_summary_lists_a_load_per_validated_table_dimensions_first(validated):
    root, summary = validated
    assert summary["loads"] == [
        {
            "dataset": "tpch",
            "table": table,
            "curated_uri": str(root / "curated" / "tpch" / table / f"batch_id={BATCH}"),
        }
        for table in ("dim_customer", "dim_date", "dim_part", "dim_supplier", "fact_sales")
    ]


def test_gx_results_and_data_docs_are_written_next_to_the_summary(validated):
    root, _ = validated
    folder = root / "validation" / BATCH
    results = json.loads((folder / "results.json").read_text())
    assert sorted(results) == ["dim_customer", "dim_date", "dim_part", "dim_supplier", "fact_sales"]
    assert results["fact_sales"]["success"] is True
    assert results["fact_sales"]["statistics"]["evaluated_expectations"] == 25
    index = (folder / "docs" / "index.html").read_text()
    for table in results:
        assert f"validations/{table}/{BATCH}/" in index
    assert list((folder / "docs" / "validations" / "fact_sales" / BATCH).rglob("*.html"))


CORRUPTIONS = {
    "duplicated key": (
        lambda df: df.withColumn(
            "line_number",
            F.when((F.col("order_key") == 1) & (F.col("line_number") == 2), 1).otherwise(
                F.col("line_number")
            ),
        ),
        {
            "expectation": "expect_compound_columns_to_be_unique",
            "column": "order_key,line_number",
            "unexpected_count": 2,
            "sample": [{"order_key": 1, "line_number": 1}, {"order_key": 1, "line_number": 1}],
        },
    ),
    "null key": (
        lambda df: df.withColumn(
            "order_key", F.when(_first_line(), F.lit(None)).otherwise(F.col("order_key"))
        ),
        {
            "expectation": "expect_column_values_to_not_be_null",
            "column": "order_key",
            "unexpected_count": 1,
            "sample": [None],
        },
    ),
    "out-of-range discount": (
        lambda df: df.withColumn(
            "discount",
            F.when(_first_line(), F.lit(0.11)).otherwise(F.col("discount")).cast("decimal(15,2)"),
        ),
        {
            "expectation": "expect_column_values_to_be_between",
            "column": "discount",
            "unexpected_count": 1,
            "sample": ["0.11"],
        },
    ),
    "row dropped between raw and curated": (
        lambda df: df.where(~_first_line()),
        {
            "expectation": RECONCILED,
            "column": None,
            "unexpected_count": 1,
            "sample": [
                {
                    "read": FACT_ROWS,
                    "written": FACT_ROWS,
                    "recounted": FACT_ROWS - 1,
                    "quarantined": 0,
                    "duplicates": 0,
                    "generated": 0,
                }
            ],
        },
    ),
}


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_a_corruption_fails_exactly_the_expectation_meant_to_catch_it(
    spark, facts_batch, warehouse_with_dimensions, corruption
):
    change, failure = CORRUPTIONS[corruption]
    _rewrite_fact_sales(spark, facts_batch, change)

    summary = _validate(facts_batch, warehouse_with_dimensions)

    assert summary["success"] is False
    assert _failures(summary) == {"fact_sales": [failure]}
    # Failed data is still listed for loading: the state machine's Choice keeps it out.
    assert [load["table"] for load in summary["loads"]] == ["dim_date", "fact_sales"]


def test_fact_keys_not_in_the_batch_or_the_warehouse_are_orphans(facts_batch, empty_warehouse):
    summary = _validate(facts_batch, empty_warehouse)

    # Customers divisible by 3 place no orders in TPC-H: the smallest orphans skip them.
    assert _failures(summary) == {
        "fact_sales": [
            {
                "expectation": KEYS_EXIST,
                "column": column,
                "unexpected_count": FACT_ROWS,
                "sample": sample,
            }
            for column, sample in (
                ("customer_key", [1, 2, 4, 5, 7]),
                ("part_key", [1, 2, 3, 4, 5]),
                ("supplier_key", [1, 2, 3, 4, 5]),
            )
        ]
    }


def test_a_redshift_warehouse_skips_the_key_checks_with_a_note(facts_batch):
    summary = _validate(facts_batch, "redshift-data://wg/dev?iam_role=arn:aws:iam::1:role/r")

    assert summary["success"] is True
    assert summary["tables"]["fact_sales"]["evaluated"] == 27
    assert summary["notes"] == [
        f"warehouse keys not checked: {ref} lives in Redshift (redshift-data://)"
        for ref in (
            "tpch.dim_customer.customer_key",
            "tpch.dim_part.part_key",
            "tpch.dim_supplier.supplier_key",
            "tpch.dim_date.date_key",
        )
    ]


def test_quarantined_share_threshold_comes_from_the_job_argument(facts_batch, empty_warehouse):
    report = json.loads(_report_path(facts_batch).read_text())
    counts = report["curated"]["fact_sales"]
    counts.update(read=counts["read"] + 10, quarantined=10)
    _report_path(facts_batch).write_text(json.dumps(report))
    warehouse = "redshift-data://wg/dev?iam_role=r"

    assert _validate(facts_batch, warehouse)["success"] is True
    strict = _validate(facts_batch, warehouse, "--max_quarantine_share", "0.0001")
    assert _failures(strict) == {
        "fact_sales": [
            {
                "expectation": "expect_quarantined_share_to_be_at_most",
                "column": None,
                "unexpected_count": 10,
                "sample": [{"share": 0.000166, "max_share": 0.0001}],
            }
        ]
    }


def test_a_table_in_the_report_but_missing_on_disk_stops_validation(transformed, tmp_path):
    root = tmp_path / "lake"
    shutil.copytree(transformed / "curated", root / "curated")
    folder = root / "curated" / "tpch" / "dim_part" / f"batch_id={BATCH}"
    shutil.rmtree(folder)
    with pytest.raises(UserError) as raised:
        main(["--dataset", "tpch", "--lake", str(root), "--batch_id", BATCH])
    assert str(raised.value) == (
        f"batch {BATCH}: curated table missing, though listed in {_report_path(root)}: "
        f"dim_part (no Parquet under {folder})"
    )


def test_a_batch_never_transformed_stops_validation(tmp_path):
    report = _report_path(tmp_path).parent.parent / "batch_id=nope" / "transform.json"
    with pytest.raises(UserError, match=f"batch nope has no transform report: {report} is missing"):
        main(["--dataset", "tpch", "--lake", str(tmp_path), "--batch_id", "nope"])


def test_a_dataset_whose_batch_has_no_manifest_needs_the_dataset_named(tmp_path):
    with pytest.raises(UserError, match="missing: .*/manifests/nope.json"):
        main(["--lake", str(tmp_path), "--batch_id", "nope"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--lake", "/l"], "bad job arguments .* expected --batch_id VALUE"),
        (["--batch_id", "b 1"], "invalid batch id 'b 1'"),
    ],
)
def test_bad_job_arguments_are_refused(argv, message):
    with pytest.raises(UserError, match=message):
        main(argv)


def test_a_share_outside_0_and_1_is_refused(transformed):
    with pytest.raises(UserError, match="--max_quarantine_share: '1.5' is not a share between"):
        main(
            [
                *("--dataset", "tpch", "--lake", str(transformed), "--batch_id", BATCH),
                *("--max_quarantine_share", "1.5"),
            ]
        )
