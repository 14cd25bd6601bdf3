"""The registry finds every dataset and refuses a declaration that cannot work, naming the file
and the field."""

from __future__ import annotations

import dataclasses
import json

import pytest

from transforms.declaration import CuratedTable, Dataset, DeclarationError, Field, RawTable
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
