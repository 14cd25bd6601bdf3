import dataclasses
import json
from pathlib import Path

import pytest

from jobs.validation_suites import Reference, SuiteError, load_suite, parse_suite
from transforms.registry import datasets

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


def test_fact_sales_suite_holds_the_tpch_ranges_and_sets():
    between = {
        e.configuration.kwargs["column"]: (
            e.configuration.kwargs.get("min_value"),
            e.configuration.kwargs.get("max_value"),
        )
        for e in load_suite(TPCH, "fact_sales").expectations
        if e.expectation_type == "expect_column_values_to_be_between"
    }
    assert between["quantity"] == (1, 50)
    assert between["discount"] == (0, 0.10)
    assert between["tax"] == (0, 0.08)
    assert {str(between[c][0]) for c in ("order_date", "receipt_date")} == {"1992-01-01"}
    assert {str(between[c][1]) for c in ("ship_date", "receipt_date")} == {"1998-12-31"}
    sets = {
        e.configuration.kwargs["column"]: set(e.configuration.kwargs["value_set"])
        for e in load_suite(TPCH, "fact_sales").expectations
        if e.expectation_type == "expect_column_values_to_be_in_set"
    }
    assert sets["ship_mode"] == {"REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB"}
    assert sets["order_status"] == {"F", "O", "P"}


def test_fact_sales_keys_reference_every_dimension():
    assert load_suite(TPCH, "fact_sales").references == (
        Reference("customer_key", "dim_customer", "customer_key"),
        Reference("part_key", "dim_part", "part_key"),
        Reference("supplier_key", "dim_supplier", "supplier_key"),
        Reference("order_date_key", "dim_date", "date_key"),
    )


def _suite(*expectations: dict, name: str = "dim_part", **extra) -> str:
    return json.dumps({"name": name, "expectations": list(expectations), **extra})


NOT_NULL = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "part_key"}}


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
