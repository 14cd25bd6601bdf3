"""A builder's output is checked against its declaration before anything is written."""

from __future__ import annotations

import pytest

from jobs.transformation.curation import (
    check_limits,
    conform,
    unknown_member_row,
    write_and_count,
)
from transforms.declaration import DeclarationError


def test_a_builder_returning_an_undeclared_column_is_refused_naming_it(tiny, spark):
    table = tiny.curated("dim_shop")
    frame = spark.createDataFrame([(1, "north", "x")], "shop_key int, name string, extra string")
    with pytest.raises(DeclarationError) as raised:
        conform(tiny, table, frame)
    assert str(raised.value) == (
        "tests.datasets.tiny.builders:build_dim_shop returned column 'extra', which "
        "tests.datasets.tiny.dataset does not list for dim_shop"
    )


def test_a_builder_missing_a_declared_column_is_refused(tiny, spark):
    frame = spark.createDataFrame([(1,)], "shop_key int")
    with pytest.raises(DeclarationError, match="did not return column 'name' of dim_shop"):
        conform(tiny, tiny.curated("dim_shop"), frame)


def test_a_builder_returning_another_type_is_refused(tiny, spark):
    frame = spark.createDataFrame([(1, "north")], "shop_key bigint, name string")
    with pytest.raises(
        DeclarationError, match="returned dim_shop.shop_key as bigint, declared int"
    ):
        conform(tiny, tiny.curated("dim_shop"), frame)


def test_columns_come_out_in_the_declared_order(tiny, spark):
    frame = spark.createDataFrame([("north", 1)], "name string, shop_key int")
    assert conform(tiny, tiny.curated("dim_shop"), frame).columns == ["shop_key", "name"]


def test_the_unknown_member_is_one_row_of_the_declared_values(tiny, spark):
    row = unknown_member_row(spark, tiny.curated("dim_shop"))
    assert [tuple(r) for r in row.collect()] == [(-1, "unknown")]


def test_a_built_row_over_a_declared_string_length_is_quarantined_not_loaded(tiny, spark):
    frame = spark.createDataFrame([(1, "north"), (2, "ñ" * 6)], "shop_key int, name string")
    limits = check_limits(tiny, tiny.curated("dim_shop"), frame)
    assert [tuple(r) for r in limits.good.collect()] == [(1, "north")]
    assert [tuple(r) for r in limits.rejected().collect()] == [
        (
            "tiny.dim_shop (built)",
            '{"shop_key":2,"name":"ññññññ"}',
            "column name: 12 bytes, longer than string(10)",
        )
    ]


def test_a_built_table_within_its_limits_has_no_rows_to_quarantine(tiny, spark):
    frame = spark.createDataFrame([(1, "north")], "shop_key int, name string")
    limits = check_limits(tiny, tiny.curated("dim_shop"), frame)
    assert limits.good.count() == 1
    assert limits.rejected() is None


def test_write_and_count_counts_the_rows_written_and_overwrites(spark, tmp_path):
    uri = str(tmp_path / "table")
    assert write_and_count(spark.range(7).repartition(3), uri) == 7
    assert write_and_count(spark.range(2), uri) == 2
    assert sorted(row.id for row in spark.read.parquet(uri).collect()) == [0, 1]
    assert write_and_count(spark.range(0), str(tmp_path / "empty")) == 0
