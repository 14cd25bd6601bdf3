import dataclasses
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from jobs.validation.checks import keys_exist
from jobs.validation.gx import SuiteRunner
from jobs.validation.suites import Reference, SuiteError, load_suite, parse_suite
from jobs.validation.summary import gx_checks
from transforms.registry import datasets
from transforms.schemas import spark_schema

TPCH = datasets()["tpch"]
EVERY_TABLE = [(d, t.name) for d in datasets().values() for t in d.curated_tables]


def _kinds(dataset, table: str) -> dict[str, set]:
    """expectation type -> the columns (or column lists) it is applied to."""
    kinds: dict[str, set] = {}
    for expectation in load_suite(dataset, table).expectations:
        kwargs = expectation.configuration.kwargs
        target = kwargs.get("column") or tuple(kwargs.get("column_list", ())) or None
        kinds.setdefault(expectation.expectation_type, set()).add(target)
    return kinds


@pytest.mark.parametrize(
    ("dataset", "table"), EVERY_TABLE, ids=[f"{d.name}.{t}" for d, t in EVERY_TABLE]
)
def test_every_curated_table_has_a_suite_guarding_its_business_keys(dataset, table):
    kinds = _kinds(dataset, table)
    keys = dataset.curated(table).business_keys
    assert set(keys) <= kinds["expect_column_values_to_not_be_null"]
    unique = (
        kinds.get("expect_column_values_to_be_unique", set())
        if len(keys) == 1
        else kinds.get("expect_compound_columns_to_be_unique", set())
    )
    assert (keys[0] if len(keys) == 1 else keys) in unique
    assert kinds["expect_table_row_count_to_be_between"] == {None}


def _sale(**changes) -> dict:
    """One TPC-H line of fact_sales that breaks no rule, with `changes` applied."""
    sale = {
        "order_key": 1,
        "line_number": 1,
        "customer_key": 370,
        "part_key": 155,
        "supplier_key": 7,
        "order_date_key": 19960102,
        "order_date": date(1996, 1, 2),
        "ship_date": date(1996, 3, 13),
        "commit_date": date(1996, 2, 12),
        "receipt_date": date(1996, 3, 22),
        "quantity": Decimal("17.00"),
        "extended_price": Decimal("24710.35"),
        "discount": Decimal("0.04"),
        "tax": Decimal("0.02"),
        "revenue": Decimal("23721.94"),
        "return_flag": "N",
        "line_status": "O",
        "ship_mode": "TRUCK",
        "ship_instruct": "DELIVER IN PERSON",
        "order_status": "O",
        "order_priority": "5-LOW",
    }
    return {**sale, **changes}


def _fact_sales(spark, *sales: dict):
    schema = spark_schema(TPCH.curated("fact_sales").columns)
    return spark.createDataFrame([tuple(s[f.name] for f in schema) for s in sales], schema)


def _failed(spark, tmp_path, *sales: dict) -> list[tuple]:
    """(expectation, column, unexpected values) of each expectation of the shipped fact_sales
    suite that the rows fail."""
    result = SuiteRunner("b1", str(tmp_path / "docs")).run(
        load_suite(TPCH, "fact_sales"), _fact_sales(spark, *sales)
    )
    return [(c.expectation, c.column, c.sample) for c in gx_checks(result) if not c.success]


def test_fact_sales_that_keep_every_tpch_rule_pass_the_suite(spark, tmp_path):
    second = _sale(line_number=7, quantity=Decimal("50.00"), discount=Decimal("0.10"),
                   tax=Decimal("0.08"), ship_mode="REG AIR", order_status="F")  # fmt: skip
    assert _failed(spark, tmp_path, _sale(), second) == []


BATCH_LEVEL = {
    "expect_table_row_count_to_be_between",
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_unique",
    "expect_compound_columns_to_be_unique",
    "expect_column_distinct_values_to_contain_set",
}
ACROSS_RAW_TABLES = {("tpch", "fact_sales", "expect_column_pair_values_a_to_be_greater_than_b")}
"""Row checks no row rule can say: a line's ship date against its order's date."""
SUITED_TABLES = [(d, t) for d, t in EVERY_TABLE if d.curated(t).source is not None]


@pytest.mark.parametrize(
    ("dataset", "table"), SUITED_TABLES, ids=[f"{d.name}.{t}" for d, t in SUITED_TABLES]
)
def test_suites_of_tables_read_from_raw_judge_the_batch_and_leave_values_to_row_rules(
    dataset, table
):
    # A range, a value set or a required value of a table read from a raw table is a row rule
    # of that raw table, so one bad value quarantines its row instead of failing the batch.
    suite = load_suite(dataset, table)
    keys = set(dataset.curated(table).business_keys) | {r.column for r in suite.references}
    for expectation in suite.expectations:
        kind = expectation.expectation_type
        config = expectation.configuration
        assert kind in BATCH_LEVEL or (dataset.name, table, kind) in ACROSS_RAW_TABLES, kind
        if kind == "expect_column_values_to_not_be_null" and config.kwargs["column"] not in keys:
            # Only a column the builder derives, which no raw value can make null, and says so.
            assert (config.meta or {}).get("notes"), config.kwargs["column"]


def test_a_sale_shipped_before_its_order_fails_the_check_across_raw_tables(spark, tmp_path):
    early = _sale(line_number=2, ship_date=date(1996, 1, 1))
    assert _failed(spark, tmp_path, _sale(), early) == [
        (
            "expect_column_pair_values_a_to_be_greater_than_b",
            "ship_date,order_date",
            [(date(1996, 1, 1), date(1996, 1, 2))],
        )
    ]


def test_a_sale_out_of_a_tpch_range_is_left_to_the_raw_tables_row_rules(spark, tmp_path):
    # lineitem's quantity_range rule quarantines such a line before it is a sale.
    assert _failed(spark, tmp_path, _sale(), _sale(line_number=2, quantity=Decimal("99.00"))) == []


def test_a_repeated_order_line_fails_only_the_key_uniqueness(spark, tmp_path):
    assert _failed(spark, tmp_path, _sale(), _sale()) == [
        (
            "expect_compound_columns_to_be_unique",
            "order_key,line_number",
            [{"order_key": 1, "line_number": 1}] * 2,
        )
    ]


DIMENSION_KEYS = {
    "dim_customer": ("customer_key", 370),
    "dim_part": ("part_key", 155),
    "dim_supplier": ("supplier_key", 7),
    "dim_date": ("date_key", 19960102),
}
"""Each dimension with the one key the sale of _sale() refers to."""


@pytest.mark.parametrize("column", ["customer_key", "part_key", "supplier_key", "order_date_key"])
def test_a_sale_whose_key_is_in_no_dimension_fails_only_that_reference(spark, column):
    dimensions = {
        table: spark.createDataFrame([(value,)], [key])
        for table, (key, value) in DIMENSION_KEYS.items()
    }
    facts = _fact_sales(spark, _sale(), _sale(line_number=2, **{column: 999}))

    # As the validate job applies them: each reference is a key check against its dimension.
    checks = [
        keys_exist(facts, ref.column, dimensions[ref.table].select(ref.key))
        for ref in load_suite(TPCH, "fact_sales").references
    ]

    assert [(c.column, c.unexpected_count, c.sample) for c in checks if not c.success] == [
        (column, 1, [999])
    ]


def _suite(*expectations: dict, name: str = "dim_part", **extra) -> str:
    return json.dumps({"name": name, "expectations": list(expectations), **extra})


NOT_NULL = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "part_key"}}
PART_REFERENCE = {"column": "part_key", "table": "dim_part", "key": "part_key"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"name": "dim_part", "expectations": [', r"dim_part\.json: not valid JSON \(line 1: "),
        ('{"name": "dim_part"}', r'dim_part\.json: expected an object with "name" and an "exp'),
        (_suite(NOT_NULL, name="dim_parts"), r"dim_part\.json: suite name 'dim_parts' is not"),
        (_suite(), r"dim_part\.json: the suite has no expectations"),
        (
            _suite(NOT_NULL, {"type": "expect_part_to_be_nice", "kwargs": {}}),
            r"dim_part\.json: expectation 2 \(expect_part_to_be_nice\): expect_part_to_be_nice",
        ),
        (
            _suite({"type": "expect_column_values_to_be_between", "kwargs": {"column": "size"}}),
            r"dim_part\.json: expectation 1 \(expect_column_values_to_be_between\): .*"
            r"min_value and max_value cannot both be None",
        ),
        (
            _suite({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "sise"}}),
            r"dim_part\.json: expectation 1 \(expect_column_values_to_not_be_null\): "
            r"no column sise in the table",
        ),
        (
            _suite(NOT_NULL, meta={"references": [{"column": "part_key", "table": "dim_x"}]}),
            r'dim_part\.json: reference 1: expected "column", "table" and "key"',
        ),
        *[
            (
                _suite(NOT_NULL, meta={"references": [{**PART_REFERENCE, "mostly": mostly}]}),
                rf"dim_part\.json: reference 1: mostly {mostly!r} must be a share in \(0, 1\]",
            )
            for mostly in (0, 1.5, "0.9", True)
        ],
        (
            _suite(NOT_NULL, meta={"references": [{**PART_REFERENCE, "most": 0.9}]}),
            r"dim_part\.json: reference 1: unknown field 'most'",
        ),
    ],
)
def test_a_malformed_suite_is_an_error_naming_the_file_and_the_fault(text, message):
    with pytest.raises(SuiteError, match=message):
        parse_suite(text, TPCH, "dim_part", "/suites/dim_part.json")


def test_a_missing_suite_file_is_named(tmp_path: Path):
    with pytest.raises(
        SuiteError,
        match=f"no expectation suite for curated table 'dim_part': "
        f"{tmp_path}/dim_part.json is missing",
    ):
        load_suite(dataclasses.replace(TPCH, suites=str(tmp_path)), "dim_part")


def test_a_suite_builds_a_fresh_gx_suite_each_time():
    suite = load_suite(TPCH, "dim_part")
    first, second = suite.to_gx(), suite.to_gx()
    assert first.name == "dim_part"
    assert len(first.expectations) == len(suite.expectations) == len(second.expectations)
    assert first.expectations[0] is not second.expectations[0]


def test_a_reference_may_allow_a_share_of_orphans_with_mostly():
    references = {"references": [{**PART_REFERENCE, "mostly": 0.99}, PART_REFERENCE]}
    suite = parse_suite(_suite(NOT_NULL, meta=references), TPCH, "dim_part", "/s/dim_part.json")
    assert suite.references == (
        Reference("part_key", "dim_part", "part_key", 0.99),
        Reference("part_key", "dim_part", "part_key", 1.0),
    )
