"""The registry finds every dataset and refuses a declaration that cannot work, naming the file
and the field."""

from __future__ import annotations

import dataclasses
import json

import pytest

from transforms.declaration import (
    CuratedTable,
    Dataset,
    DeclarationError,
    Field,
    Parent,
    RawTable,
    Rule,
)
from transforms.registry import check_code, check_dataset, check_folders, datasets

SOURCE = "transforms/shop/dataset.py"


def _dataset(tmp_path, **changes) -> Dataset:
    raw = RawTable("orders", (Field("order_id", "bigint", key=True), Field("note", "string(20)")))
    curated = CuratedTable(
        "fact_orders",
        (Field("order_key", "bigint", key=True), Field("note", "string(20)")),
        build="fact_orders:build",
        inputs=("orders",),
        source="orders",
        sortkey=("order_key",),
    )
    suites = tmp_path / "suites"
    suites.mkdir(exist_ok=True)
    (suites / "fact_orders.json").write_text(
        json.dumps({"name": "fact_orders", "expectations": []}), encoding="utf-8"
    )
    dataset = Dataset(
        name="shop",
        description="a shop",
        raw_tables=(raw,),
        curated_tables=(curated,),
        package="transforms.shop",
        suites=str(suites),
    )
    return dataclasses.replace(dataset, **changes)


def _raw(*fields: Field) -> tuple[RawTable, ...]:
    return (RawTable("orders", fields),)


def _refused(dataset: Dataset) -> str:
    with pytest.raises(DeclarationError) as raised:
        check_dataset(dataset, SOURCE)
    return str(raised.value)


def test_the_shipped_datasets_are_found_and_pass_every_check():
    found = datasets()
    assert {"tpch", "nycflights13"} <= set(found)
    for dataset in found.values():
        check_code(dataset)


def test_a_good_declaration_passes(tmp_path):
    check_dataset(_dataset(tmp_path), SOURCE)


def test_a_field_without_a_type_is_refused_naming_the_table_and_field(tmp_path):
    message = _refused(_dataset(tmp_path, raw_tables=_raw(Field("order_id", "", key=True))))
    assert message == (f"{SOURCE}: raw table 'orders': field 'order_id': missing type (got '')")


def test_an_unknown_type_is_refused_with_the_accepted_ones(tmp_path):
    fields = (Field("order_id", "bigint", key=True), Field("note", "varchar"))
    message = _refused(_dataset(tmp_path, raw_tables=_raw(*fields)))
    assert message.startswith(f"{SOURCE}: raw table 'orders': field 'note': unknown type")
    assert "string(N)" in message


def test_a_string_without_its_byte_length_is_refused(tmp_path):
    fields = (Field("order_id", "bigint", key=True), Field("note", "string"))
    assert "needs its longest value in bytes" in _refused(
        _dataset(tmp_path, raw_tables=_raw(*fields))
    )


def test_a_raw_table_without_a_business_key_is_refused(tmp_path):
    message = _refused(_dataset(tmp_path, raw_tables=_raw(Field("order_id", "bigint"))))
    assert message == f"{SOURCE}: raw table 'orders': no business key (mark one field key=True)"


def test_a_sort_key_that_is_not_a_column_is_refused(tmp_path):
    dataset = _dataset(tmp_path)
    table = dataclasses.replace(dataset.curated_tables[0], sortkey=("order_date",))
    message = _refused(dataclasses.replace(dataset, curated_tables=(table,)))
    assert message == (
        f"{SOURCE}: curated table 'fact_orders': sort/dist key 'order_date' is not a column"
    )


def test_an_input_that_is_no_table_of_the_dataset_is_refused(tmp_path):
    dataset = _dataset(tmp_path)
    table = dataclasses.replace(dataset.curated_tables[0], inputs=("orders", "customers"))
    message = _refused(dataclasses.replace(dataset, curated_tables=(table,)))
    assert "input 'customers' is not a raw table or a curated table declared before it" in message


def test_a_suite_for_a_table_that_does_not_exist_is_refused_naming_the_file(tmp_path):
    dataset = _dataset(tmp_path)
    stray = tmp_path / "suites" / "fact_returns.json"
    stray.write_text(json.dumps({"name": "fact_returns", "expectations": []}), encoding="utf-8")
    assert _refused(dataset).startswith(
        f"{stray}: suite for 'fact_returns', which is not a curated table of shop"
    )


def test_a_curated_table_without_a_suite_is_refused(tmp_path):
    dataset = _dataset(tmp_path)
    (tmp_path / "suites" / "fact_orders.json").unlink()
    assert "fact_orders.json: missing" in _refused(dataset)


def test_a_suite_naming_a_column_the_table_lacks_is_refused(tmp_path):
    dataset = _dataset(tmp_path)
    suite = {
        "name": "fact_orders",
        "expectations": [
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "order_ky"}}
        ],
    }
    path = tmp_path / "suites" / "fact_orders.json"
    path.write_text(json.dumps(suite), encoding="utf-8")
    assert _refused(dataset) == (
        f"{path}: expectation 1 (expect_column_values_to_not_be_null): no column order_ky in "
        "fact_orders"
    )


def test_a_builder_module_that_does_not_exist_is_refused(tmp_path):
    dataset = dataclasses.replace(_dataset(tmp_path), package="transforms.tpch")
    with pytest.raises(DeclarationError, match="build: no module 'fact_orders' in transforms.tpch"):
        check_code(dataset)


def test_two_datasets_claiming_one_raw_folder_are_refused(tmp_path):
    first = _dataset(tmp_path)
    table = dataclasses.replace(first.raw_tables[0], folder="shop/orders")
    second = dataclasses.replace(first, name="shop_eu", raw_tables=(table,))
    with pytest.raises(DeclarationError) as raised:
        check_folders([first, second])
    assert str(raised.value) == (
        "raw folder raw/shop/orders is claimed by both shop.orders and shop_eu.orders"
    )


def test_a_raw_folder_inside_another_datasets_folder_is_refused(tmp_path):
    first = _dataset(tmp_path)
    table = dataclasses.replace(first.raw_tables[0], folder="shop/orders/eu")
    second = dataclasses.replace(first, name="shop_eu", raw_tables=(table,))
    with pytest.raises(DeclarationError, match="raw/shop/orders/eu is claimed by both"):
        check_folders([first, second])


def _with_rules(tmp_path, *rules: Rule) -> Dataset:
    dataset = _dataset(tmp_path)
    table = dataclasses.replace(dataset.raw_tables[0], rules=rules)
    return dataclasses.replace(dataset, raw_tables=(table,))


@pytest.mark.parametrize("mostly", [0, 0.0, -0.5, 1.5, float("nan"), True, "0.9"])
def test_a_gate_rule_whose_mostly_is_not_a_share_is_refused(tmp_path, mostly):
    rule = Rule("notes_short", "length(note) < 10", "long note", gate=True, mostly=mostly)
    assert _refused(_with_rules(tmp_path, rule)) == (
        f"{SOURCE}: raw table 'orders': rule 'notes_short': mostly {mostly!r} must be a share "
        "in (0, 1]"
    )


@pytest.mark.parametrize("mostly", [1.0, 1, 0.95, 0.001])
def test_a_gate_rule_with_a_share_is_accepted_all_the_way_up_to_1(tmp_path, mostly):
    rule = Rule("notes_short", "length(note) < 10", "long note", gate=True, mostly=mostly)
    check_dataset(_with_rules(tmp_path, rule), SOURCE)


def test_a_row_rule_with_a_mostly_is_refused_as_it_would_be_ignored(tmp_path):
    rule = Rule("notes_short", "length(note) < 10", "long note", mostly=0.9)
    assert _refused(_with_rules(tmp_path, rule)) == (
        f"{SOURCE}: raw table 'orders': rule 'notes_short': mostly 0.9 applies to gate rules "
        "only (a row rule quarantines every row breaking it); set gate=True"
    )


def _with_parent(tmp_path, parent: Parent) -> Dataset:
    dataset = _dataset(tmp_path)
    lines = RawTable(
        "lines",
        (Field("order_id", "bigint", key=True), Field("line", "int", key=True)),
        parents=(parent,),
    )
    return dataclasses.replace(dataset, raw_tables=(*dataset.raw_tables, lines))


def test_a_parent_of_an_existing_table_on_matching_fields_is_accepted(tmp_path):
    check_dataset(_with_parent(tmp_path, Parent("orders", ("order_id",), ("order_id",))), SOURCE)


@pytest.mark.parametrize(
    ("parent", "fault"),
    [
        (
            Parent("returns", ("order_id",), ("order_id",)),
            "table 'returns' is not a raw table of shop",
        ),
        (Parent("lines", ("order_id",), ("order_id",)), "table 'lines' is the table itself"),
        (
            Parent("orders", (), ("order_id",)),
            "keys () must be a non-empty tuple of field names",
        ),
        (
            Parent("orders", ("order_id",), ()),
            "parent_keys () must be a non-empty tuple of field names",
        ),
        (
            Parent("orders", "order_id", ("order_id",)),
            "keys 'order_id' must be a non-empty tuple of field names",
        ),
        (
            Parent("orders", ("order_id", "line"), ("order_id",)),
            "2 keys ['order_id', 'line'] but 1 parent_keys ['order_id']",
        ),
        (
            Parent("orders", ("order_no",), ("order_id",)),
            "keys: 'order_no' is not a field of 'lines'",
        ),
        (
            Parent("orders", ("order_id",), ("line",)),
            "parent_keys: 'line' is not a field of 'orders'",
        ),
        (
            Parent("orders", ("order_id",), ("order_id",), hold_days=0),
            "hold_days 0 must be more than 0",
        ),
        (
            Parent("orders", ("order_id",), ("order_id",), hold_days=-1.5),
            "hold_days -1.5 must be more than 0",
        ),
    ],
)
def test_a_parent_that_cannot_work_is_refused_naming_the_table_and_the_field(
    tmp_path, parent, fault
):
    message = _refused(_with_parent(tmp_path, parent))
    assert message == f"{SOURCE}: raw table 'lines': parents[0]: {fault}"


@pytest.mark.parametrize("share", [0, 0.0, 1.01, -1, None])
def test_a_park_share_outside_0_and_1_is_refused(tmp_path, share):
    dataset = _dataset(tmp_path)
    table = dataclasses.replace(dataset.raw_tables[0], park_share=share)
    assert _refused(dataclasses.replace(dataset, raw_tables=(table,))) == (
        f"{SOURCE}: raw table 'orders': park_share {share!r} must be a share in (0, 1]"
    )


def test_a_park_share_of_1_parks_only_files_with_every_line_rejected_and_is_accepted(tmp_path):
    dataset = _dataset(tmp_path)
    table = dataclasses.replace(dataset.raw_tables[0], park_share=1.0)
    check_dataset(dataclasses.replace(dataset, raw_tables=(table,)), SOURCE)


@pytest.mark.parametrize(
    ("changes", "fault"),
    [
        ({"max_attempts": 0}, "max_attempts 0 must be a whole number >= 1"),
        ({"max_attempts": 2.5}, "max_attempts 2.5 must be a whole number >= 1"),
        ({"quarantine_floor": -1}, "quarantine_floor -1 must be a whole number >= 0"),
        ({"quarantine_floor": 1.5}, "quarantine_floor 1.5 must be a whole number >= 0"),
    ],
)
def test_attempts_below_1_and_a_negative_quarantine_floor_are_refused(tmp_path, changes, fault):
    assert _refused(_dataset(tmp_path, **changes)) == f"{SOURCE}: dataset 'shop': {fault}"


def test_a_quarantine_floor_of_0_and_a_single_attempt_are_accepted(tmp_path):
    check_dataset(_dataset(tmp_path, quarantine_floor=0, max_attempts=1), SOURCE)
