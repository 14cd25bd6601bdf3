import dataclasses
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from pyspark.sql import functions as F

from jobs.validate import main, plan_batch, validate_batch
from jobs.validation.checks import GATE, KEYS_EXIST, QUARANTINE_SHARE, RECONCILED
from orchestration.core.errors import UserError
from orchestration.core.lake import Lake
from transforms.registry import get_dataset

BATCH = "t1"
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
def transformed(tpch_transformed, tmp_path_factory) -> Path:
    """A copy of the session's transformed lake, which validation writes its summary into."""
    assert tpch_transformed.batch_id == BATCH
    root = tmp_path_factory.mktemp("validate") / "lake"
    shutil.copytree(tpch_transformed.root, root)
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
        # 3 GX expectations, reconciliation, quarantined share.
        "dim_customer": (True, 5),
        "dim_date": (True, 10),
        "dim_part": (True, 5),
        "dim_supplier": (True, 5),
        # 8 GX expectations, reconciliation, quarantined share, 4 dimension references.
        "fact_sales": (True, 14),
        # Raw tables no curated table reconciles with: their quarantined share.
        "nation": (True, 1),
        "orders": (True, 1),
        "region": (True, 1),
    }
    assert summary["batch_id"] == BATCH
    assert summary["notes"] == []


def test_tpch_generated_data_breaks_no_row_rule(transformed):
    # The rules are the specification's ranges, which tpchgen-cli keeps: nothing is quarantined.
    report = json.loads(_report_path(transformed).read_text())
    assert {t: c["quarantined"] for t, c in report["raw"].items()} == {
        t: 0 for t in ("customer", "lineitem", "nation", "orders", "part", "region", "supplier")
    }


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
    assert results["fact_sales"]["statistics"]["evaluated_expectations"] == 8
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
    "shipped before ordered": (
        lambda df: df.withColumn(
            "ship_date",
            F.when(_first_line(), F.lit("1996-01-01").cast("date")).otherwise(F.col("ship_date")),
        ),
        {
            "expectation": "expect_column_pair_values_a_to_be_greater_than_b",
            "column": "ship_date,order_date",
            "unexpected_count": 1,
            "sample": [["1996-01-01", "1996-01-02"]],
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
                    "held": 0,
                    "held_in": 0,
                    "parked": 0,
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


def test_a_reference_declared_with_mostly_allows_that_share_of_orphans(
    spark, facts_batch, warehouse_with_dimensions, tmp_path
):
    orphan = F.lit(999_999).cast("bigint")
    _rewrite_fact_sales(
        spark,
        facts_batch,
        lambda df: df.withColumn(
            "customer_key", F.when(_first_line(), orphan).otherwise(F.col("customer_key"))
        ),
    )
    strict = _validate(facts_batch, warehouse_with_dimensions)
    assert _failures(strict) == {
        "fact_sales": [
            {
                "expectation": KEYS_EXIST,
                "column": "customer_key",
                "unexpected_count": 1,
                "sample": [999_999],
            }
        ]
    }

    # The same batch, its suite allowing one orphan customer in 10,000 fact rows.
    tpch = get_dataset("tpch")
    suites = tmp_path / "suites"
    shutil.copytree(tpch.suites, suites)
    suite = json.loads((suites / "fact_sales.json").read_text())
    for reference in suite["meta"]["references"]:
        if reference["column"] == "customer_key":
            reference["mostly"] = 0.9999
    (suites / "fact_sales.json").write_text(json.dumps(suite))
    lake = Lake(str(facts_batch))
    plan = plan_batch(lake, dataclasses.replace(tpch, suites=str(suites)), BATCH)

    lenient = validate_batch(spark, lake, plan, 0.01, warehouse_with_dimensions)

    assert lenient["success"] is True


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
    assert summary["tables"]["fact_sales"]["evaluated"] == 10
    assert summary["notes"] == [
        f"warehouse keys not checked: {ref} lives in Redshift (redshift-data://)"
        for ref in (
            "tpch.dim_customer.customer_key",
            "tpch.dim_part.part_key",
            "tpch.dim_supplier.supplier_key",
            "tpch.dim_date.date_key",
        )
    ]


def _change_report(root: Path, change) -> None:
    report = json.loads(_report_path(root).read_text())
    change(report)
    _report_path(root).write_text(json.dumps(report))


def _quarantine(root: Path, rows: int) -> None:
    """The report of fact_sales says `rows` more lines were read and quarantined."""

    def change(report):
        counts = report["curated"]["fact_sales"]
        counts.update(read=counts["read"] + rows, quarantined=rows)

    _change_report(root, change)


REDSHIFT = "redshift-data://wg/dev?iam_role=r"
"""A warehouse whose keys are not checked: the tests below look at other checks."""


def test_quarantined_share_threshold_comes_from_the_job_argument(facts_batch):
    _quarantine(facts_batch, 11)

    assert _validate(facts_batch, REDSHIFT)["success"] is True
    strict = _validate(facts_batch, REDSHIFT, "--max_quarantine_share", "0.0001")
    assert _failures(strict) == {
        "fact_sales": [
            {
                "expectation": QUARANTINE_SHARE,
                "column": None,
                "unexpected_count": 11,
                "sample": [{"share": 0.000183, "max_share": 0.0001, "floor": 10}],
            }
        ]
    }


def test_quarantined_rows_up_to_the_floor_never_fail_the_batch(facts_batch):
    # 10 rows is over 0.0001 of the batch, but not over the dataset's quarantine_floor.
    _quarantine(facts_batch, 10)

    summary = _validate(facts_batch, REDSHIFT, "--max_quarantine_share", "0.0001")

    assert summary["success"] is True


def test_held_and_parked_rows_in_the_report_reconcile(facts_batch):
    def change(report):
        counts = report["curated"]["fact_sales"]
        # 7 new lines: 4 held for their order, 3 in a parked file; 5 held lines retried and
        # written stand in for 5 lines read.
        counts.update(read=counts["read"] + 7 - 5, held=4, parked=3, held_in=5)

    _change_report(facts_batch, change)

    assert _validate(facts_batch, REDSHIFT)["success"] is True


def test_a_failed_gate_rule_fails_the_batch_naming_the_rule_under_its_raw_table(facts_batch):
    gates = {
        "status_known": {"rows": 100, "broken": 6, "mostly": 0.95, "reason": "unknown status"},
        "priority_known": {"rows": 100, "broken": 5, "mostly": 0.95, "reason": "odd priority"},
    }
    _change_report(facts_batch, lambda report: report["raw"]["orders"].update(gates=gates))

    summary = _validate(facts_batch, REDSHIFT)

    assert summary["success"] is False
    assert _failures(summary) == {
        "orders": [
            {
                "expectation": GATE,
                "column": None,
                "unexpected_count": 6,
                "sample": [
                    {
                        "rule": "status_known",
                        "reason": "unknown status",
                        "rows": 100,
                        "broken": 6,
                        "passing": 0.94,
                        "mostly": 0.95,
                    }
                ],
            }
        ]
    }
    # Both gates and the quarantined share of orders, which no curated table reconciles with.
    assert summary["tables"]["orders"]["evaluated"] == 3
    # A gate fails the batch, not a table: every table is still listed for loading.
    assert [load["table"] for load in summary["loads"]] == ["dim_date", "fact_sales"]


def test_gates_of_a_raw_table_that_a_curated_table_reconciles_with_are_listed_apart(facts_batch):
    gates = {"quantity_whole": {"rows": 10, "broken": 0, "mostly": 1.0, "reason": "fraction"}}
    _change_report(facts_batch, lambda report: report["raw"]["lineitem"].update(gates=gates))

    summary = _validate(facts_batch, REDSHIFT)

    assert summary["success"] is True
    # lineitem's quarantined share is fact_sales's: only its gate is listed under it.
    assert summary["tables"]["lineitem"] == {"success": True, "evaluated": 1, "failed": []}
    assert summary["tables"]["fact_sales"]["evaluated"] == 10


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"rows": 10, "broken": 1}, "raw.orders.gates.g needs rows and broken counts and a mostly"),
        ({"rows": "10", "broken": 1, "mostly": 1.0}, "raw.orders.gates.g needs rows and broken"),
        ({"rows": 10, "broken": 1, "mostly": 0}, "raw.orders.gates.g needs rows and broken"),
    ],
)
def test_a_gate_entry_that_cannot_be_read_stops_validation(facts_batch, entry, message):
    _change_report(facts_batch, lambda report: report["raw"]["orders"].update(gates={"g": entry}))
    with pytest.raises(UserError, match=message):
        main(["--dataset", "tpch", "--lake", str(facts_batch), "--batch_id", BATCH])


def test_a_batch_without_curated_tables_runs_no_suite_and_loads_nothing(facts_batch):
    # An orders-only extract: orders persist as state, no curated table is written.
    def change(report):
        report["curated"] = {}
        report["raw"] = {"orders": {**report["raw"]["orders"], "quarantined": 1}}

    _change_report(facts_batch, change)
    shutil.rmtree(facts_batch / "curated" / "tpch" / "fact_sales")
    shutil.rmtree(facts_batch / "curated" / "tpch" / "dim_date")

    summary = _validate(facts_batch, REDSHIFT)

    assert summary["success"] is True
    assert summary["loads"] == []
    assert summary["tables"] == {"orders": {"success": True, "evaluated": 1, "failed": []}}
    folder = facts_batch / "validation" / BATCH
    assert json.loads((folder / "results.json").read_text()) == {}
    assert (folder / "docs" / "index.html").exists()


def test_an_orders_only_batch_quarantining_too_many_orders_fails(facts_batch):
    def change(report):
        report["curated"] = {}
        report["raw"] = {"orders": {**report["raw"]["orders"], "read": 100, "quarantined": 11}}

    _change_report(facts_batch, change)

    summary = _validate(facts_batch, REDSHIFT)

    assert (summary["success"], summary["loads"]) == (False, [])
    assert [f["expectation"] for f in summary["tables"]["orders"]["failed"]] == [QUARANTINE_SHARE]


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
