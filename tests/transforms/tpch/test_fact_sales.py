from datetime import date
from decimal import Decimal

from chispa import assert_df_equality

from tests.transforms.tpch._dims import curated_schema, raw_schema
from transforms.tpch.fact_sales import build_fact_sales

SOURCE = "/lake/raw/tpch/lineitem/ingest_date=2025-01-01/lineitem.tbl"


def _lineitem(spark, *rows):
    schema = "source_file string, raw_line string, " + ", ".join(
        f"{f.name} {f.dataType.simpleString()}" for f in raw_schema("lineitem").fields
    )
    return spark.createDataFrame([(SOURCE, f"line {r[0]}/{r[3]}", *r) for r in rows], schema)


def _line(order_key, line_number, price, discount):
    return (
        order_key,
        155,
        7,
        line_number,
        Decimal("17.00"),
        Decimal(price),
        Decimal(discount),
        Decimal("0.02"),
        "N",
        "O",
        date(1996, 3, 13),
        date(1996, 2, 12),
        date(1996, 3, 22),
        "DELIVER IN PERSON",
        "TRUCK",
        "comment",
    )


def _orders(spark):
    return spark.createDataFrame(
        [(1, 370, "O", Decimal("100.00"), date(1996, 1, 2), "5-LOW", "Clerk#1", 0, "c")],
        raw_schema("orders"),
    )


def test_lines_join_their_order_with_revenue_at_decimal_precision(spark):
    lines = _lineitem(spark, _line(1, 1, "24710.35", "0.04"), _line(1, 2, "0.05", "0.05"))
    fact = build_fact_sales(lines, _orders(spark))

    def row(line_number, price, discount, revenue):
        return (
            1,
            line_number,
            370,
            155,
            7,
            19960102,
            date(1996, 1, 2),
            date(1996, 3, 13),
            date(1996, 2, 12),
            date(1996, 3, 22),
            Decimal("17.00"),
            Decimal(price),
            Decimal(discount),
            Decimal("0.02"),
            Decimal(revenue),
            "N",
            "O",
            "TRUCK",
            "DELIVER IN PERSON",
            "O",
            "5-LOW",
        )

    # 24710.35 * 0.96 = 23721.936 -> 23721.94; 0.05 * 0.95 = 0.0475 -> 0.05 (half-up).
    expected = spark.createDataFrame(
        [row(1, "24710.35", "0.04", "23721.94"), row(2, "0.05", "0.05", "0.05")],
        curated_schema("fact_sales"),
    )
    assert_df_equality(fact, expected, ignore_row_order=True, ignore_nullable=True)


def test_revenue_never_goes_through_floating_point(spark):
    # As a double, 0.35 * (1 - 0.10) = 0.31499999999999995 would round down to 0.31.
    lines = _lineitem(spark, _line(1, 1, "0.35", "0.10"))
    fact = build_fact_sales(lines, _orders(spark))
    assert [r.revenue for r in fact.collect()] == [Decimal("0.32")]
